import { describe, expect, it } from 'vitest';
import { STEPS } from '../../tools/shared/curriculum.js';
import { exerciseCount, starterFromSolution, withoutMarkers } from '../../tools/maintainer/starters.js';

const step2 = STEPS[1];

describe('starter generation (tools/maintainer/starters.ts)', () => {
  it('replaces an exercise region with a numbered TODO and a NotImplementedError naming the file, adding the import', () => {
    const solution = [
      "import { InvalidOptionsError } from './errors.js';",
      '',
      'export function larger(a: number, b: number): number {',
      '  // #region exercise(step2, 2): return the larger of a and b',
      '  return a > b ? a : b;',
      '  // #endregion',
      '}',
    ].join('\n');

    expect(starterFromSolution(solution, step2, 'larger.ts', { total: 3 })).toBe(
      [
        "import { InvalidOptionsError, NotImplementedError } from './errors.js';",
        '',
        'export function larger(a: number, b: number): number {',
        '  // TODO(step2) 2 of 3: return the larger of a and b',
        "  throw new NotImplementedError('step2-round-robin', 'TODO 2 of 3 in larger.ts: return the larger of a and b');",
        '}',
      ].join('\n'),
    );
  });

  it('uses the #starter lines instead of a stub, a bare #starter for "nothing yet", and $TODO for the stub itself', () => {
    const solution = [
      '  // #region exercise(step2, 1): pick from the pool',
      '  const b = pool.next();',
      '  // #starter const b = pool.backends.at(0);',
      '  // #endregion',
      '  // #region exercise(step2, 2): log it',
      '  log(b);',
      '  // #starter',
      '  // #endregion',
      '  // #region exercise(step2, 3): answer',
      '  answer(real);',
      '  // #starter answer($TODO);',
      '  // #endregion',
    ].join('\n');
    expect(starterFromSolution(solution, step2, 'x.ts', { total: 3 }).split('\n')).toEqual([
      "import { NotImplementedError } from './errors.js';",
      '  // TODO(step2) 1 of 3: pick from the pool',
      '  const b = pool.backends.at(0);',
      '  // TODO(step2) 2 of 3: log it',
      '  // TODO(step2) 3 of 3: answer',
      "  answer(new NotImplementedError('step2-round-robin', 'TODO 3 of 3 in x.ts: answer'));",
    ]);
  });

  it('keeps the solution code of the TODOs already done, for the in-between states', () => {
    const solution = ['  // #region exercise(step2, 1): one', '  one();', '  // #starter', '  // #endregion', '  // #region exercise(step2, 2): two', '  two();', '  // #starter', '  // #endregion'].join('\n');
    expect(starterFromSolution(solution, step2, 'x.ts', { total: 2, done: 1 })).toBe(['  one();', '  // TODO(step2) 2 of 2: two'].join('\n'));
  });

  it('refuses regions of another step, numbers out of range, nested regions and unclosed regions', () => {
    expect(() => starterFromSolution('// #region exercise(step1, 1): x\n// #endregion', step2, 'a.ts', { total: 1 })).toThrow(/may only mark step2/);
    expect(() => starterFromSolution('// #region exercise(step2, 2): x\n// #endregion', step2, 'a.ts', { total: 1 })).toThrow(/outside 1…1/);
    expect(() => starterFromSolution('// #region exercise(step2, 1): x\n// #region exercise(step2, 1): y', step2, 'a.ts', { total: 1 })).toThrow(/cannot nest/);
    expect(() => starterFromSolution('// #region exercise(step2, 1): x\ncode', step2, 'a.ts', { total: 1 })).toThrow(/not closed/);
  });

  it('counts the exercises of a step, which must be numbered without gaps', () => {
    expect(exerciseCount(['// #region exercise(step2, 1): a', '// #region exercise(step2, 2): b\n// #region exercise(step2, 2): b again'])).toBe(2);
    expect(() => exerciseCount(['// #region exercise(step2, 1): a\n// #region exercise(step2, 3): c'])).toThrow(/without gaps/);
  });

  it('strips the markers for readers, keeping the solution code', () => {
    expect(withoutMarkers('a\n  // #region exercise(step2, 1): x\n  b\n  // #starter c\n  // #endregion\nd')).toBe('a\n  b\nd');
  });
});

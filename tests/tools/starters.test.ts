import { describe, expect, it } from 'vitest';
import { STEPS } from '../../tools/curriculum.js';
import { starterFromSolution, withoutMarkers } from '../../tools/starters.js';

const step2 = STEPS[1];

describe('starter generation (tools/starters.ts)', () => {
  it('replaces an exercise region with a TODO and a NotImplementedError, adding the import', () => {
    const solution = [
      "import { InvalidOptionsError } from './errors.js';",
      '',
      'export function larger(a: number, b: number): number {',
      '  // #region exercise(step2): return the larger of a and b',
      '  return a > b ? a : b;',
      '  // #endregion',
      '}',
    ].join('\n');

    expect(starterFromSolution(solution, step2, 'larger.ts')).toBe(
      [
        "import { InvalidOptionsError, NotImplementedError } from './errors.js';",
        '',
        'export function larger(a: number, b: number): number {',
        '  // TODO(step2): return the larger of a and b',
        "  throw new NotImplementedError('step2-round-robin', 'return the larger of a and b');",
        '}',
      ].join('\n'),
    );
  });

  it('uses the #starter lines instead of a stub, and a bare #starter for "nothing yet"', () => {
    const solution = ['  // #region exercise(step2): pick from the pool', '  const b = pool.next();', '  // #starter const b = pool.backends.at(0);', '  // #endregion', '  // #region exercise(step2): log it', '  log(b);', '  // #starter', '  // #endregion'].join('\n');
    expect(starterFromSolution(solution, step2, 'x.ts')).toBe(['  // TODO(step2): pick from the pool', '  const b = pool.backends.at(0);', '  // TODO(step2): log it'].join('\n'));
  });

  it('refuses regions of another step, nested regions and unclosed regions', () => {
    expect(() => starterFromSolution('// #region exercise(step1): x\n// #endregion', step2, 'a.ts')).toThrow(/may only mark step2/);
    expect(() => starterFromSolution('// #region exercise(step2): x\n// #region exercise(step2): y', step2, 'a.ts')).toThrow(/cannot nest/);
    expect(() => starterFromSolution('// #region exercise(step2): x\ncode', step2, 'a.ts')).toThrow(/not closed/);
  });

  it('strips the markers for readers, keeping the solution code', () => {
    expect(withoutMarkers('a\n  // #region exercise(step2): x\n  b\n  // #starter c\n  // #endregion\nd')).toBe('a\n  b\nd');
  });
});

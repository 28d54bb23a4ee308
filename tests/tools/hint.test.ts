import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../tools/shared/command.js';
import { STEPS, chapterOf } from '../../tools/shared/curriculum.js';
import { hint, hintsOf } from '../../tools/learner/hint.js';
import { REPO, captureIO, copyOfRepo } from './command-io.js';

describe('npm run hint', () => {
  it('reads the numbered hints of a chapter, joining continuation lines', () => {
    const chapter = '# x\n\n## Hints\n\n1. First hint\n   goes on here.\n2. Second.\n\n## Common mistakes\n\n1. not a hint\n';
    expect(hintsOf(chapter)).toEqual(['First hint goes on here.', 'Second.']);
  });

  it.each(STEPS.map((step) => [step.id, step] as const))('finds at least three hints in the %s chapter', (_id, step) => {
    expect(hintsOf(readFileSync(path.join(REPO, chapterOf(step)), 'utf8')).length).toBeGreaterThanOrEqual(3);
  });

  it('gives one more hint each time, says when there are no more, and starts over with --reset', async () => {
    const root = copyOfRepo('steps', 'docs');
    const total = hintsOf(readFileSync(path.join(root, 'docs/step2-round-robin.md'), 'utf8')).length;
    const io = captureIO(root);

    for (let i = 0; i < total + 1; i += 1) expect(await hint(['step2'], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/^step2 hint 1 of \d+: /);
    expect(io.stdout.filter((line) => /^step2 hint \d+ of/.test(line))).toHaveLength(total);
    expect(io.stdout.at(-1)).toMatch(/that was the last of \d+ hints/);

    await hint(['2', '--reset'], io);
    await hint(['2'], io);
    expect(io.stdout.at(-2)).toMatch(/^step2 hint 1 of/);
  });

  it('keeps a count per step and prints all hints with --all', async () => {
    const io = captureIO(copyOfRepo('steps', 'docs'));
    await hint(['step1'], io);
    await hint(['step3'], io);
    expect(io.stdout.filter((line) => / hint 1 of/.test(line))).toHaveLength(2);

    const all = captureIO(io.root);
    await hint(['step4', '--all'], all);
    expect(all.stdout.length).toBe(hintsOf(readFileSync(path.join(REPO, 'docs/step4-health-checks.md'), 'utf8')).length);
  });

  it('gives the recipe of a TODO with --todo, from the chapter, where the TODO itself only says what to build', async () => {
    const io = captureIO(REPO);
    expect(await hint(['step3', '--todo', '2'], io)).toBe(0);
    expect(io.stdout).toEqual(["step3 TODO 2, retry-policy.ts: by its code: NOT_SENT_CODES → 'not-sent', RESET_CODES → 'reset', anything else → 'other'"]);
    const starter = readFileSync(path.join(REPO, 'steps/step3-retries/retry-policy.ts'), 'utf8');
    expect(starter).toMatch(/TODO\(step3\) 2 of 4: classify a failed try by whether the request can have reached the backend \(recipe: npm run hint -- step3 --todo 2\)/);
    expect(starter, 'the recipe is not in the starter').not.toContain('NOT_SENT_CODES → ');
    await expect(hint(['step3', '--todo', '9'], io)).rejects.toThrow(/no recipe for TODO 9/);
  });

  it('has --help, and rejects unknown steps and flags with a usage error', async () => {
    const io = captureIO(REPO);
    expect(await hint(['--help'], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/^usage: npm run hint/);
    await expect(hint(['step9'], io)).rejects.toThrow(UsageError);
    await expect(hint([], io)).rejects.toThrow(UsageError);
    await expect(hint(['step1', '--bogus'], io)).rejects.toThrow(UsageError);
  });
});

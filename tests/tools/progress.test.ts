import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { STEPS } from '../../tools/shared/curriculum.js';
import { nextAction, progress, progressOf, renderTable } from '../../tools/learner/progress.js';
import { takehome } from '../../tools/interviewer/takehome.js';
import type { AssertionResult } from '../../tools/shared/vitest-json.js';
import { REPO, captureIO, linkNodeModules, tempDir } from './command-io.js';

const [step1, step2] = STEPS;
const result = (title: string, status: 'passed' | 'failed'): AssertionResult => ({ ancestorTitles: [title], title: 't', fullName: 't', status, failureMessages: [] });

describe('npm run progress', () => {
  it('calls a step done when all its tests and the earlier steps\' checks pass, in progress when any own test passes', () => {
    const tests = [result('step2: round robin', 'passed'), result('step1 regression (on step2): x', 'passed')];
    expect(progressOf(step2, tests)).toMatchObject({ passed: 1, total: 1, earlierPassed: 1, earlierTotal: 1, state: 'done' });
    expect(progressOf(step2, [...tests, result('step2: round robin', 'failed')])).toMatchObject({ passed: 1, total: 2, state: 'in progress' });
    expect(progressOf(step2, [result('step2: round robin', 'failed'), result('step1 regression (on step2): x', 'passed')]).state).toBe('not started');
    expect(progressOf(step2, [result('step2: round robin', 'passed'), result('step1 regression (on step2): x', 'failed')])).toMatchObject({ earlierPassed: 0, earlierTotal: 1, state: 'in progress' });
    expect(progressOf(step2, [...tests, { ...result('step1 regression (on step2): y', 'passed'), status: 'skipped' }]), 'a skipped check counts for nothing').toMatchObject({ earlierTotal: 1, state: 'done' });
  });

  it('prints own tests and earlier checks apart, without colours off a terminal, and names the next step', () => {
    const rows = [progressOf(step1, [result('step1: x', 'passed')]), progressOf(step2, [result('step2: y', 'failed'), result('step1 regression (on step2): x', 'passed')])];
    const lines = renderTable(rows, false);
    expect(lines[1]).toMatch(/^1 +Naive forwarding +1\/1 +- +\[#{10}\] done$/);
    expect(lines[2]).toMatch(/0\/1 +1\/1 +\[\.{10}\] not started$/);
    expect(lines.join('')).not.toContain('\u001b[');
    expect(nextAction(rows)).toBe('next: step 2 (Round robin, safe under concurrency) — run `npm test -- step2`, read docs/step2-round-robin.md');
  });

  it('says so when a step\'s own tests pass but it broke an earlier step', () => {
    const rows = [progressOf(step2, [result('step2: y', 'passed'), result('step1 regression (on step2): x', 'failed')])];
    expect(nextAction(rows)).toMatch(/its own tests pass, but 1 check\(s\) of earlier steps fail/);
  });

  it('runs the suite of a fresh take-home copy, without git, and reports the starter as not done', { timeout: 60_000 }, async () => {
    const dir = path.join(tempDir('progress'), 'fresh');
    await takehome([dir, '--step', '1'], captureIO(REPO));
    rmSync(path.join(dir, '.git'), { recursive: true }); // a submission may come as an archive without it
    linkNodeModules(dir);
    const io = captureIO(dir);

    expect(await progress([], io)).toBe(0);

    const row = io.stdout.find((line) => line.startsWith('1 ')) ?? '';
    const [passed, total] = (/ (\d+)\/(\d+) /.exec(row) ?? []).slice(1).map(Number);
    expect(total, 'the row counts the step\'s own tests').toBeGreaterThan(10);
    expect(passed, 'a starter fails most of its own tests').toBeLessThan(total);
    expect(row).toMatch(passed > 0 ? /in progress$/ : /not started$/);
    expect(io.stdout.at(-1)).toBe('next: step 1 (Naive forwarding) — run `npm test -- step1`, read docs/step1-naive-forwarding.md');
  });
});

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { STEPS } from '../../tools/curriculum.js';
import { nextAction, progress, progressOf, renderTable } from '../../tools/progress.js';
import { takehome } from '../../tools/takehome.js';
import type { AssertionResult } from '../../tools/vitest-json.js';
import { REPO, captureIO, linkNodeModules, tempDir } from './command-io.js';

const [step1, step2] = STEPS;
const result = (title: string, status: 'passed' | 'failed'): AssertionResult => ({ ancestorTitles: [title], title: 't', fullName: 't', status, failureMessages: [] });

describe('npm run progress', () => {
  it('calls a step done when all its tests and the earlier steps\' checks pass', () => {
    const tests = [result('step2: round robin', 'passed'), result('step1 regression (on step2): x', 'passed')];
    expect(progressOf(step2, tests, false)).toMatchObject({ passed: 1, total: 1, state: 'done' });
    expect(progressOf(step2, [...tests, result('step2: round robin', 'failed')], false)).toMatchObject({ passed: 1, total: 2, state: 'in progress' });
    expect(progressOf(step2, [result('step2: round robin', 'failed')], true).state).toBe('not started');
  });

  it('prints a table without colours off a terminal, and names the next step', () => {
    const rows = [progressOf(step1, [result('step1: x', 'passed')], false), progressOf(step2, [result('step2: y', 'failed')], true)];
    const lines = renderTable(rows, false);
    expect(lines[1]).toMatch(/^1 +Naive forwarding +1\/1 +\[#{10}\] done$/);
    expect(lines[2]).toMatch(/0\/1 +\[\.{10}\] not started$/);
    expect(lines.join('')).not.toContain('\u001b[');
    expect(nextAction(rows)).toBe('next: step 2 (Round robin, safe under concurrency) — run `npm test -- step2`, read docs/step2-round-robin.md');
  });

  it('reports an untouched step as not started', { timeout: 20_000 }, async () => {
    const dir = path.join(tempDir('progress'), 'fresh');
    await takehome([dir, '--step', '1'], captureIO(REPO));
    linkNodeModules(dir);
    const io = captureIO(dir);

    expect(await progress([], io)).toBe(0);

    expect(io.stdout.join('\n')).toMatch(/^1 +Naive forwarding +\d+\/\d+ +\[[#.]+\] not started$/m);
    expect(io.stdout.at(-1)).toBe('next: step 1 (Naive forwarding) — run `npm test -- step1`, read docs/step1-naive-forwarding.md');
  });
});

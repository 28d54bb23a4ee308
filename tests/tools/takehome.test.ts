import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { judgeStarter } from '../../tools/maintainer/check.js';
import { UsageError } from '../../tools/shared/command.js';
import { STEPS } from '../../tools/shared/curriculum.js';
import { filesOf } from '../../tools/shared/files.js';
import { takehome } from '../../tools/interviewer/takehome.js';
import { resultsOf, runVitest } from '../../tools/shared/vitest-json.js';
import { REPO, captureIO, linkNodeModules, tempDir } from './command-io.js';

/** Every line the candidate should write for `step` (inside its exercise regions), long enough to be telling. */
function solutionLines(step: (typeof STEPS)[number]): string[] {
  const lines: string[] = [];
  const dir = path.join(REPO, 'solutions', step.folder);
  for (const file of filesOf(dir)) {
    let inside = false;
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      if (/\/\/ #region exercise/.test(line)) inside = true;
      else if (/\/\/ #endregion/.test(line)) inside = false;
      else if (inside && !/\/\/ #starter/.test(line) && line.trim().length >= 20) lines.push(line.trim());
    }
  }
  return lines;
}

describe('npm run takehome', () => {
  it('writes a candidate repository without solution code, in one commit', { timeout: 60_000 }, async () => {
    const dir = path.join(tempDir('takehome'), 'candidate');
    const io = captureIO(REPO);

    expect(await takehome([dir, '--step', '1'], io)).toBe(0);

    expect(readdirSync(path.join(dir, 'steps'))).toEqual(['step1-naive-forwarding']);
    expect(existsSync(path.join(dir, 'solutions')), 'no solutions/ folder').toBe(false);
    expect(existsSync(path.join(dir, 'docs/interviewing.md')), 'the interviewer guide stays with the interviewer').toBe(false);
    const files = filesOf(dir).filter((file) => !file.startsWith('.git/'));
    const text = files.map((file) => readFileSync(path.join(dir, file), 'utf8')).join('\n');
    expect(solutionLines(STEPS[0]).length, 'the check below must have lines to look for').toBeGreaterThan(3);
    const leaked = solutionLines(STEPS[0]).filter((line) => text.includes(line));
    expect(leaked, 'no line of solution code may appear in the candidate repository').toEqual([]);
    expect(text).not.toMatch(/#region exercise|#starter/);
    expect(execFileSync('git', ['rev-list', '--count', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim(), 'a fresh history of one commit').toBe('1');
    expect(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).scripts).not.toHaveProperty('test:solutions');

    linkNodeModules(dir);
    // The candidate's own `npm run typecheck` must pass: no file may import something we left out.
    const typecheck = spawnSync(path.join(REPO, 'node_modules/.bin/tsc'), ['--noEmit', '-p', dir], { encoding: 'utf8' });
    expect(typecheck.stdout + typecheck.stderr, 'tsc in the candidate repository').toBe('');
    const { report } = await runVitest(['--project', 'learner', 'step1'], { cwd: dir });
    expect(judgeStarter(STEPS[0], resultsOf(report, STEPS[0])).map((verdict) => verdict.detail ?? 'ok'), 'npm test -- step1 runs there and fails with NotImplemented: step1').toEqual(['ok']);
  });

  it('refuses a non-empty directory and unknown steps, and has --help', async () => {
    const io = captureIO(REPO);
    expect(await takehome(['--help'], io)).toBe(0);
    await expect(takehome([REPO], io)).rejects.toThrow(UsageError);
    await expect(takehome([path.join(tempDir('takehome'), 'x'), '--step', String(STEPS.length + 1)], io)).rejects.toThrow(UsageError);
    await expect(takehome([path.join(tempDir('takehome'), 'x')], io)).rejects.toThrow(UsageError);
    await expect(takehome([], io)).rejects.toThrow(UsageError);
  });
});

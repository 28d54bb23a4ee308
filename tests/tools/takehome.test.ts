import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../tools/shared/command.js';
import { STEPS, testFilesOf } from '../../tools/shared/curriculum.js';
import { filesOf } from '../../tools/shared/files.js';
import { CANDIDATE_NAME, takehome } from '../../tools/interviewer/takehome.js';
import { reset } from '../../tools/learner/reset.js';
import { isOwnTest, runVitest } from '../../tools/shared/vitest-json.js';
import { REPO, captureIO, linkNodeModules, tempDir } from './command-io.js';

const step3 = STEPS[2];

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

/** What would tell a candidate where the exercise comes from, or hand them its answers. */
const TELLTALES: readonly RegExp[] = [
  /build-a-load-balancer/i,
  /one test-driven step at a time/i,
  /\bsolutions\b/i,
  /reference (code|solution)/i,
  /interview/i,
  /tools\/(maintainer|interviewer)/,
  /npm run (sync|check|walk|mutation|diff|takehome|grade)\b/,
  /#region exercise|#starter|Stryker/,
  /<!--/,
  /step[4-7]-[a-z-]+\.test/,
];

function candidateText(dir: string): Map<string, string> {
  const files = filesOf(dir).filter((file) => !file.startsWith('.git/') && !file.startsWith('node_modules/') && file !== 'package-lock.json');
  return new Map(files.map((file) => [file, readFileSync(path.join(dir, file), 'utf8')]));
}

describe('npm run takehome', () => {
  it('writes a step 3 challenge that names nothing of this project, ships no answer and no later step, and runs red', { timeout: 60_000 }, async () => {
    const dir = path.join(tempDir('takehome'), 'candidate');
    expect(await takehome([dir, '--step', '3', '--level', 'challenge', '--hours', '3'], captureIO(REPO))).toBe(0);

    expect(readdirSync(path.join(dir, 'steps'))).toEqual([step3.folder]);
    expect(readdirSync(path.join(dir, 'tools')).sort(), 'only the learner side of tools/').toEqual(['learner', 'shared']);
    expect(existsSync(path.join(dir, 'solutions'))).toBe(false);
    expect(readdirSync(path.join(dir, 'docs')).sort(), 'the chapters up to step 3, no guides').toEqual(['step1-naive-forwarding.md', 'step2-round-robin.md', 'step3-retries.md']);
    const suites = filesOf(path.join(dir, 'tests')).filter((file) => file.endsWith('.test.ts'));
    expect(suites.map((file) => `tests/${file}`), "step 3's suite only (it re-runs steps 1 and 2)").toEqual(testFilesOf(step3));
    expect(existsSync(path.join(dir, 'tests/behaviours/health-checks.ts')), "no later step's checks").toBe(false);

    const text = candidateText(dir);
    for (const [file, content] of text) for (const telltale of TELLTALES) expect(content, `${file} must not match ${telltale}`).not.toMatch(telltale);
    // The suites call the balancer's API, so a line like `backend.markAlive(false);` may appear there by right.
    const all = [...text].filter(([file]) => !file.startsWith('tests/')).map(([, content]) => content).join('\n');
    const leaked = solutionLines(step3).filter((line) => all.includes(line));
    expect(solutionLines(step3).length).toBeGreaterThan(10);
    expect(leaked, 'no line of the answer may appear').toEqual([]);
    for (const [file, content] of text) {
      if (!file.endsWith('.md')) continue;
      for (const [, target] of content.matchAll(/\]\(([^)#\s]+\.md)\)/g)) expect(existsSync(path.join(dir, path.dirname(file), target)), `${file} links to ${target}, which is not shipped`).toBe(true);
    }
    expect(text.get('README.md')).toMatch(/Time: 3 hours/);
    expect(text.get('docs/step3-retries.md'), 'the chapter speaks of this copy\'s level only').toMatch(/This copy is at the challenge level/);
    expect(text.get('docs/step3-retries.md')).not.toMatch(/Two levels|--challenge/);
    expect(text.get('README.md')).toMatch(/git bundle create submission\.bundle --all/);
    expect(text.get('NOTES.md')).toMatch(/## Decisions and trade-offs/);

    const pkg = JSON.parse(text.get('package.json')!) as { name: string; scripts: Record<string, string>; description?: string };
    const lock = JSON.parse(readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as { name: string; packages: Record<string, { name: string }> };
    expect([pkg.name, lock.name, lock.packages[''].name, pkg.description]).toEqual([CANDIDATE_NAME, CANDIDATE_NAME, CANDIDATE_NAME, undefined]);
    expect(Object.keys(pkg.scripts).sort()).toEqual(['hint', 'progress', 'race-demo', 'reset', 'start', 'test', 'typecheck']);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
    expect(git('rev-list', '--count', 'HEAD'), 'a fresh history of one commit').toBe('1');
    expect(git('log', '--format=%an <%ae>')).toBe('Exercise <exercise@example.invalid>');

    linkNodeModules(dir);
    const typecheck = spawnSync(path.join(REPO, 'node_modules/.bin/tsc'), ['--noEmit', '-p', dir], { encoding: 'utf8' });
    expect(typecheck.stdout + typecheck.stderr, 'tsc in the candidate repository').toBe('');
    const { report } = await runVitest(['--project', 'learner', testFilesOf(step3)[0]], { cwd: dir });
    const own = report.testResults.flatMap((file) => file.assertionResults).filter((test) => isOwnTest(step3, test));
    expect(own.filter((test) => test.status === 'failed').length, 'red on the starter').toBeGreaterThan(10);
    expect(own.some((test) => test.failureMessages.some((message) => message.includes('NotImplemented: step3'))), 'for the stated reason').toBe(true);
    expect(git('status', '--porcelain'), 'running the suite leaves the tree clean').toBe('');
  });

  it('without --no-hints ships hints; with it, neither the command nor the chapter section; reset works without git', { timeout: 30_000 }, async () => {
    const dir = path.join(tempDir('takehome'), 'guided');
    expect(await takehome([dir, '--step', '1', '--no-hints'], captureIO(REPO))).toBe(0);
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts).not.toHaveProperty('hint');
    expect(readFileSync(path.join(dir, 'docs/step1-naive-forwarding.md'), 'utf8')).not.toMatch(/^## Hints/m);
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).not.toMatch(/npm run hint/);

    rmSync(path.join(dir, '.git'), { recursive: true });
    const proxy = path.join(dir, 'steps/step1-naive-forwarding/proxy.ts');
    const shipped = readFileSync(proxy, 'utf8');
    appendFileSync(proxy, '\n// my work\n');
    expect(await reset(['1', '--yes'], captureIO(dir))).toBe(0);
    expect(readFileSync(proxy, 'utf8')).toBe(shipped);
    await expect(reset(['1', '--challenge', '--yes'], captureIO(dir)), 'a guided copy has no challenge starter to switch to').rejects.toThrow(/guided level only/);
  });

  it('refuses a non-empty directory, unknown steps and levels, and has --help', async () => {
    const io = captureIO(REPO);
    expect(await takehome(['--help'], io)).toBe(0);
    await expect(takehome([REPO], io)).rejects.toThrow(UsageError);
    await expect(takehome([path.join(tempDir('takehome'), 'x'), '--step', String(STEPS.length + 1)], io)).rejects.toThrow(UsageError);
    await expect(takehome([path.join(tempDir('takehome'), 'x'), '--step', '2', '--level', 'expert'], io)).rejects.toThrow(UsageError);
    await expect(takehome([path.join(tempDir('takehome'), 'x'), '--step', '2', '--hours', '0'], io)).rejects.toThrow(UsageError);
    await expect(takehome([path.join(tempDir('takehome'), 'x')], io)).rejects.toThrow(UsageError);
    await expect(takehome([], io)).rejects.toThrow(UsageError);
  });
});

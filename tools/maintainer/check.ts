/**
 * The maintainers' proof that the curriculum works, in both directions (CI runs it):
 *
 *   1. generated files are current: inherited solution files (tools/maintainer/inheritance.ts), starters
 *      (tools/maintainer/starters.ts), the README table, the docs' quoted code;
 *   2. the whole suite passes against solutions/ (`npm run test:solutions`), and the tools' own tests;
 *   3. every starter fails its own step's tests for the intended reason — at least one failure says
 *      `NotImplemented: stepN`, and the test file loads — while it passes the earlier steps' checks
 *      (or, for a step that rebuilds them such as step 7's engine, fails those for the same reason);
 *   4. every challenge starter type-checks and fails its own tests for that reason, without timeouts;
 *   5. with `--walk` (CI), every state between starter and solution behaves (tools/maintainer/walk.ts).
 *
 * Ends with `N passed, N failed` (solution tests plus checks) and exits 1 if anything failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { STEPS, testFilesOf, type Step } from '../shared/curriculum.js';
import { ROOT, workspaceOf, writeFiles } from '../shared/files.js';
import { challengeStarter } from './challenge.js';
import { snippetDrift } from './doc-snippets.js';
import { solutionDrift } from './inheritance.js';
import { readmeDrift } from './readme-table.js';
import { chapterBlocksDrift } from './chapter-blocks.js';
import { starterDrift, todoCount } from './starters.js';
import { isOwnTest, resultsOf, runVitest, type FileResult } from '../shared/vitest-json.js';
import { walkState } from './walk.js';

interface Verdict {
  name: string;
  ok: boolean;
  detail?: string;
}

/** Proves what a starter must do: load, keep earlier behaviour, fail its own tests with NotImplemented. */
export function judgeStarter(step: Step, file: FileResult | undefined): Verdict[] {
  const name = `starter ${step.id}`;
  if (!file) return [{ name, ok: false, detail: `no test file ${testFilesOf(step).join(' or ')}` }];
  if (file.assertionResults.length === 0) {
    return [{ name, ok: false, detail: `the test file did not load: ${file.message.split('\n')[0]}` }];
  }
  const own = file.assertionResults.filter((test) => isOwnTest(step, test));
  const earlier = file.assertionResults.filter((test) => !isOwnTest(step, test));
  const verdicts: Verdict[] = [];
  const marker = `NotImplemented: ${step.id}`;
  const saysWhy = (tests: typeof own) => tests.some((test) => test.failureMessages.some((message) => message.includes(marker)));
  if (earlier.length > 0 && step.rebuildsEarlierSteps) {
    // The earlier checks are this step's exercise: its starter fails them, for its own reason.
    const broken = earlier.filter((test) => test.status === 'failed');
    verdicts.push({
      name: `${name} fails the earlier steps' checks with "${marker}" (they are its exercise)`,
      ok: broken.length > 0 && saysWhy(broken),
      detail: broken.length === 0 ? 'every earlier check passes on the starter' : `no failure mentions "${marker}"`,
    });
  } else if (earlier.length > 0) {
    const broken = earlier.filter((test) => test.status === 'failed');
    verdicts.push({
      name: `${name} keeps the earlier steps' behaviour`,
      ok: broken.length === 0,
      detail: broken.map((test) => test.fullName).join('; '),
    });
  }
  const failed = own.filter((test) => test.status === 'failed');
  verdicts.push({
    name: `${name} fails its own tests with "${marker}"`,
    ok: failed.length > 0 && saysWhy(failed),
    detail: failed.length === 0 ? 'no own test failed' : saysWhy(failed) ? undefined : `no failure mentions "${marker}"`,
  });
  return verdicts;
}

/**
 * Proves what a challenge starter must do: type-check against the suites and the tools it ships with,
 * and fail its own tests with its NotImplemented, fast (a stub that throws where nothing catches it
 * would leave clients hanging until the test timeout instead).
 */
export async function judgeChallenges(): Promise<Verdict[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'lb-challenge-'));
  try {
    workspaceOf(ROOT, dir, ['tests', 'tools/shared', 'tools/learner', 'package.json', 'vitest.config.ts']);
    for (const step of STEPS) writeFiles(path.join(dir, 'steps', step.folder), challengeStarter(step));
    const tsconfig = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
    tsconfig.include = ['steps', 'tests/helpers', 'tests/behaviours', 'tests/step*.ts', 'tools'];
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = spawnSync(path.join(ROOT, 'node_modules/.bin/tsc'), ['--noEmit', '-p', dir], { encoding: 'utf8' });
    const verdicts: Verdict[] = [{ name: 'challenge starters type-check with the suites', ok: tsc.status === 0, detail: (tsc.stdout + tsc.stderr).split('\n').slice(0, 3).join(' ') }];
    const started = performance.now();
    const run = await runVitest(['--project', 'learner', ...STEPS.map((step) => testFilesOf(step)[0])], { cwd: dir });
    const seconds = (performance.now() - started) / 1000;
    for (const step of STEPS) {
      const file = run.report.testResults.find((result) => path.basename(result.name) === path.basename(testFilesOf(step)[0]));
      const own = (file?.assertionResults ?? []).filter((test) => isOwnTest(step, test));
      const failed = own.filter((test) => test.status === 'failed');
      const marker = `NotImplemented: ${step.id}`;
      const timedOut = failed.filter((test) => test.failureMessages.some((message) => /timed out in \d+ms/i.test(message)));
      const detail = failed.length === 0 ? 'no own test failed' : timedOut.length > 0 ? `${timedOut.length} test(s) hit the test timeout: ${timedOut[0].fullName}` : `no failure mentions "${marker}"`;
      verdicts.push({ name: `challenge ${step.id} fails its own tests with "${marker}", without timeouts`, ok: timedOut.length === 0 && failed.some((test) => test.failureMessages.some((message) => message.includes(marker))), detail });
    }
    verdicts.push({ name: `challenge starters' suites finish in under 60 s (${seconds.toFixed(1)} s)`, ok: seconds < 60, detail: `${seconds.toFixed(1)} s` });
    return verdicts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function drifted(name: string, drift: string[]): Verdict {
  return { name, ok: drift.length === 0, detail: drift.join('; ') };
}

function print(verdict: Verdict): void {
  const mark = verdict.ok ? 'ok  ' : 'FAIL';
  console.log(`${mark} ${verdict.name}${!verdict.ok && verdict.detail ? ` — ${verdict.detail}` : ''}`);
}

async function main(): Promise<void> {
  let walkToo = false;
  try {
    walkToo = parseArgs({ options: { walk: { type: 'boolean', default: false } } }).values.walk;
  } catch (err) {
    console.error(`check: ${(err as Error).message}\nusage: npm run check [-- --walk]`);
    process.exit(2);
  }

  const verdicts: Verdict[] = [
    drifted('solutions inherit unchanged files from the step before (npm run sync)', STEPS.flatMap((step) => solutionDrift(step))),
    drifted('starters match their solutions (npm run sync)', STEPS.flatMap(starterDrift)),
    drifted('README step table matches tools/shared/curriculum.ts (npm run sync)', readmeDrift()),
    drifted("chapters' levels and TODO recipes match the curriculum (npm run sync)", chapterBlocksDrift()),
    drifted('code quoted in docs/ matches solutions/', snippetDrift()),
  ];
  verdicts.forEach(print);

  console.log('\n== npm run test:solutions, test:tools and the hidden interviewer suites ==');
  const solutions = await runVitest(['--project', 'solutions', '--project', 'tools', '--project', 'interviewer'], { echo: true });
  // Unhandled errors fail a run without failing a test; the exit code catches them.
  verdicts.push({ name: 'npm run test:solutions, test:tools and the interviewer suites exit 0', ok: solutions.exitCode === 0, detail: `exit code ${solutions.exitCode}` });

  print(verdicts.at(-1)!);

  console.log('\n== starters (steps/) against their own and earlier steps ==');
  const learner = await runVitest(['--project', 'learner', ...STEPS.flatMap(testFilesOf)]);
  for (const step of STEPS) {
    for (const verdict of judgeStarter(step, resultsOf(learner.report, step))) {
      print(verdict);
      verdicts.push(verdict);
    }
  }

  console.log('\n== challenge starters (npm run reset -- stepN --challenge) ==');
  for (const verdict of await judgeChallenges()) {
    print(verdict);
    verdicts.push(verdict);
  }

  if (walkToo) {
    console.log('\n== every state between starter and solution (npm run walk) ==');
    for (const step of STEPS) {
      for (let done = 0; done <= todoCount(step); done += 1) {
        const state = await walkState(step, done);
        const verdict = { name: `${step.id} with ${done} of ${state.total} TODOs done (${(state.ms / 1000).toFixed(1)} s)`, ok: state.problems.length === 0, detail: state.problems.join('; ') };
        print(verdict);
        verdicts.push(verdict);
      }
    }
  }

  const passed = solutions.report.numPassedTests + verdicts.filter((v) => v.ok).length;
  const failed = solutions.report.numFailedTests + verdicts.filter((v) => !v.ok).length;
  console.log(`\nsolutions: ${solutions.report.numPassedTests} passed, ${solutions.report.numFailedTests} failed; checks: ${verdicts.filter((v) => v.ok).length} of ${verdicts.length} ok`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

if (import.meta.filename === process.argv[1]) await main();

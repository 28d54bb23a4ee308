/**
 * `npm run walk`: walks every step's TODOs in order, as a learner would, and checks what the suite
 * says in each state in between (starter, first TODO done, first two done, …):
 *
 *   - it finishes in seconds (no pile of 5 s timeouts);
 *   - the first failure names the next TODO's file (a NotImplemented message does, and so does every
 *     `because(…)` message of the suites);
 *   - nothing escapes as an unhandled error or a test timeout.
 *
 *   npm run walk                 every step
 *   npm run walk -- step2 3      only those
 *
 * Each state is written into a temporary copy of the repository (steps/ only holds that state), so
 * your own work in steps/ is never touched. Ends with `N passed, N failed`; exit status 1 on a failure.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseCommand, runAsProgram, stepArgument, type Command, type IO } from '../shared/command.js';
import { STEPS, testFilesOf, type Step } from '../shared/curriculum.js';
import { ROOT, filesOf, workspaceOf, writeFiles } from '../shared/files.js';
import { expectedStarter, todoCount } from './starters.js';
import { isOwnTest, resultsOf, runVitest } from '../shared/vitest-json.js';

const HELP = `usage: npm run walk [-- step…]
Fills in each step's TODOs one by one, in order, and checks the suite's answer in every state in
between: fast, naming the next TODO's file, no unhandled errors or timeouts.`;

/** A whole suite must finish within this, in every state (the learner is waiting). */
export const STATE_BUDGET_MS = 15_000;

/**
 * The budget of `step`'s states. A step that rebuilds the earlier ones (step 7) runs every earlier
 * suite as its own (about 210 checks, over 110 of them red on its starter, each failing on its own),
 * and its states took 14-15 s in CI, at the edge of the usual budget: it gets a third more, so that a
 * slower machine does not turn CI red while the learner's wait stays well under half a minute.
 */
export function stateBudgetMs(step: Step): number {
  return step.rebuildsEarlierSteps ? 20_000 : STATE_BUDGET_MS;
}

export interface StateVerdict {
  step: Step;
  done: number;
  total: number;
  ms: number;
  problems: string[];
  /** The first line of the first failure of the step's own tests, if any. */
  firstFailure?: string;
}

/** The files holding TODO `number` of `step`, from the solution's markers. */
export function filesOfTodo(step: Step, number: number, root = ROOT): string[] {
  const dir = path.join(root, 'solutions', step.folder);
  const marker = new RegExp(`// #region exercise\\(${step.id}, ${number}\\):`);
  return filesOf(dir).filter((file) => marker.test(readFileSync(path.join(dir, file), 'utf8')));
}

/** A throwaway repository whose steps/ holds `step` with its first `done` TODOs filled in. */
function stateRepository(step: Step, done: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), `lb-walk-${step.id}-${done}-`));
  workspaceOf(ROOT, dir, ['tests', 'tools', 'docs', 'package.json', 'tsconfig.json', 'vitest.config.ts']);
  writeFiles(path.join(dir, 'steps', step.folder), expectedStarter(step, ROOT, done));
  return dir;
}

/** Runs `step`'s suite in the state where `done` of its TODOs are written, and judges what it says. */
export async function walkState(step: Step, done: number): Promise<StateVerdict> {
  const total = todoCount(step);
  const dir = stateRepository(step, done);
  try {
    const started = performance.now();
    const run = await runVitest(['--project', 'learner', ...testFilesOf(step)], { cwd: dir });
    const ms = performance.now() - started;
    const tests = resultsOf(run.report, step)?.assertionResults ?? [];
    const failures = tests.filter((test) => test.status === 'failed');
    const problems: string[] = [];
    const budget = stateBudgetMs(step);
    if (ms > budget) problems.push(`took ${(ms / 1000).toFixed(1)} s (budget ${budget / 1000} s)`);
    if (run.unhandledErrors > 0) problems.push(`${run.unhandledErrors} unhandled error(s)`);
    const timedOut = failures.filter((test) => test.failureMessages.some((message) => /timed out in \d+ms/i.test(message)));
    if (timedOut.length > 0) problems.push(`${timedOut.length} test(s) hit the test timeout: ${timedOut[0].fullName}`);
    const first = failures.find((test) => isOwnTest(step, test));
    const firstFailure = first?.failureMessages[0]?.split('\n')[0];
    if (done < total) {
      const next = filesOfTodo(step, done + 1);
      if (!first) problems.push(`no own test fails although TODO ${done + 1} of ${total} is not done`);
      else if (!next.some((file) => firstFailure?.includes(file))) problems.push(`the first failure does not name ${next.join(' or ')} (TODO ${done + 1})`);
    } else if (failures.length > 0 || run.exitCode !== 0) {
      problems.push(`every TODO is done, yet ${failures.length} test(s) fail (exit code ${run.exitCode})`);
    }
    return { step, done, total, ms, problems, firstFailure };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const walk: Command = async (argv, io: IO) => {
  const { values, positionals } = parseCommand(argv, {});
  if (values.help) return (io.out(HELP), 0);
  const chosen = positionals.length === 0 ? [...STEPS] : positionals.map((name) => stepArgument(name, io.root));
  let passed = 0;
  let failed = 0;
  for (const step of chosen) {
    const total = todoCount(step);
    for (let done = 0; done <= total; done += 1) {
      const verdict = await walkState(step, done);
      const ok = verdict.problems.length === 0;
      if (ok) passed += 1;
      else failed += 1;
      const state = done === total ? 'all done' : `${done}/${total} done`;
      io.out(`${ok ? 'ok  ' : 'FAIL'} ${step.id} ${state.padEnd(9)} ${(verdict.ms / 1000).toFixed(1).padStart(5)} s  ${verdict.firstFailure ?? '(green)'}`);
      for (const problem of verdict.problems) io.out(`       ${problem}`);
    }
  }
  io.out(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
};

if (import.meta.filename === process.argv[1]) await runAsProgram('walk', walk);

/**
 * `npm run progress`: runs every step's suite against your code in steps/ and shows where you are,
 * counting the same tests `npm test -- stepN` runs: the step's own, and the earlier steps' checks
 * that its suite re-runs against your code.
 *
 *   step  title                                  own      earlier   state
 *   1     Naive forwarding                       27/27    -         [##########] done
 *   2     Round robin, safe under concurrency    9/15     27/27     [######....] in progress
 *   3     Retries and failover, done safely      0/20     40/42     [..........] not started
 *   next: step 2 (Round robin, safe under concurrency) — run `npm test -- step2`, read docs/step2-round-robin.md
 *
 * done: every test of the suite passes. in progress: at least one own test passes. not started: none does.
 */
import { chapterOf, installedSteps, testFilesOf, type Step } from '../shared/curriculum.js';
import { parseCommand, runAsProgram, stepArgument, type Command, type IO } from '../shared/command.js';
import { isOwnTest, resultsOf, runVitest, type AssertionResult, type Report } from '../shared/vitest-json.js';

const HELP = `usage: npm run progress [-- step…]
Runs each step's tests against your code in steps/ and prints a table of where you are, then
what to do next. Name steps (e.g. step2 3) to check only those.`;

export type StepState = 'done' | 'in progress' | 'not started';

export interface StepProgress {
  step: Step;
  /** The step's own tests: passed, and in all. */
  passed: number;
  total: number;
  /** The earlier steps' checks the suite re-runs against this step's code (none for step 1). */
  earlierPassed: number;
  earlierTotal: number;
  state: StepState;
}

/** Own tests are under `stepN: …`, the earlier steps' checks under `stepK regression (on stepN): …`. */
export function progressOf(step: Step, all: readonly AssertionResult[]): StepProgress {
  // A test that is skipped on this step (some run on their own step only) neither passes nor fails.
  const tests = all.filter((test) => test.status === 'passed' || test.status === 'failed');
  const own = tests.filter((test) => isOwnTest(step, test));
  const earlier = tests.filter((test) => !isOwnTest(step, test));
  const passed = own.filter((test) => test.status === 'passed').length;
  const earlierPassed = earlier.filter((test) => test.status === 'passed').length;
  const allGreen = tests.length > 0 && passed === own.length && earlierPassed === earlier.length;
  const state: StepState = allGreen ? 'done' : passed > 0 ? 'in progress' : 'not started';
  return { step, passed, total: own.length, earlierPassed, earlierTotal: earlier.length, state };
}

export function renderTable(rows: readonly StepProgress[], colour: boolean): string[] {
  const paint = (state: StepState, text: string) => {
    if (!colour) return text;
    const code = state === 'done' ? 32 : state === 'in progress' ? 33 : 2;
    return `\u001b[${code}m${text}\u001b[0m`;
  };
  const width = Math.max(5, ...rows.map((row) => row.step.title.length));
  const lines = [`step  ${'title'.padEnd(width)}  own      earlier  state`];
  for (const row of rows) {
    const bar = progressBar(row.passed, row.total);
    const earlier = row.earlierTotal === 0 ? '-' : `${row.earlierPassed}/${row.earlierTotal}`;
    lines.push(`${String(row.step.number).padEnd(4)}  ${row.step.title.padEnd(width)}  ${`${row.passed}/${row.total}`.padEnd(7)}  ${earlier.padEnd(7)}  ${paint(row.state, `${bar} ${row.state}`)}`);
  }
  return lines;
}

function progressBar(passed: number, total: number): string {
  const filled = total === 0 ? 0 : Math.round((passed / total) * 10);
  return `[${'#'.repeat(filled)}${'.'.repeat(10 - filled)}]`;
}

export function nextAction(rows: readonly StepProgress[]): string {
  const next = rows.find((row) => row.state !== 'done');
  if (!next) return 'all done: every step passes. Try an extension from the chapters.';
  const broken = next.earlierTotal - next.earlierPassed;
  const warning = broken > 0 && next.passed === next.total ? ` (its own tests pass, but ${broken} check(s) of earlier steps fail on this code)` : '';
  return `next: step ${next.step.number} (${next.step.title})${warning} — run \`npm test -- ${next.step.id}\`, read ${chapterOf(next.step)}`;
}

/** A spinner for terminals; one plain line for logs and CI. */
function startSpinner(io: IO, text: string): () => void {
  if (!io.isTTY) {
    io.out(`${text}…`);
    return () => {};
  }
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  const timer = setInterval(() => process.stdout.write(`\r${frames[(i += 1) % frames.length]} ${text}`), 100);
  return () => {
    clearInterval(timer);
    process.stdout.write('\r\u001b[2K');
  };
}

export const progress: Command = async (argv, io) => {
  const { values, positionals } = parseCommand(argv, {});
  if (values.help) return (io.out(HELP), 0);
  const chosen = positionals.length === 0 ? installedSteps(io.root) : positionals.map((name) => stepArgument(name, io.root));

  const stop = startSpinner(io, `running the tests of ${chosen.map((step) => step.id).join(', ')} against steps/`);
  let report: Report;
  try {
    ({ report } = await runVitest(['--project', 'learner', ...chosen.flatMap(testFilesOf)], { cwd: io.root }));
  } finally {
    stop();
  }
  const rows = chosen.map((step) => progressOf(step, resultsOf(report, step)?.assertionResults ?? []));
  for (const line of renderTable(rows, io.isTTY)) io.out(line);
  io.out('');
  io.out(nextAction(rows));
  return 0;
};

if (import.meta.filename === process.argv[1]) await runAsProgram('progress', progress);

/**
 * `npm run progress`: runs every step's suite against your code in steps/ and shows where you are.
 *
 *   step  title                                  tests     state
 *   1     Naive forwarding                       20/20     done
 *   2     Round robin, safe under concurrency    9/13      in progress
 *   3     Retries and failover, done safely      2/10      not started
 *   next: step 2 (Round robin, safe under concurrency) — run `npm test -- step2`, read docs/step2-round-robin.md
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chapterOf, installedSteps, testFileOf, type Step } from './curriculum.js';
import { filesOf } from './files.js';
import { parseCommand, runAsProgram, stepArgument, type Command, type IO } from './command.js';
import { shippedStarter } from './starter-source.js';
import { isOwnTest, resultsOf, runVitest, type AssertionResult, type Report } from './vitest-json.js';

const HELP = `usage: npm run progress [-- step…]
Runs each step's tests against your code in steps/ and prints a table of where you are, then
what to do next. Name steps (e.g. step2 3) to check only those.`;

export type StepState = 'done' | 'in progress' | 'not started';

export interface StepProgress {
  step: Step;
  passed: number;
  total: number;
  state: StepState;
}

/** Own tests are under `stepN: …`; the earlier steps' checks count toward done as well. */
export function progressOf(step: Step, tests: readonly AssertionResult[], untouched: boolean): StepProgress {
  const own = tests.filter((test) => isOwnTest(step, test));
  const passed = own.filter((test) => test.status === 'passed').length;
  const allGreen = tests.length > 0 && tests.every((test) => test.status === 'passed');
  const state: StepState = allGreen ? 'done' : untouched ? 'not started' : 'in progress';
  return { step, passed, total: own.length, state };
}

/** True while steps/<folder> is exactly the shipped starter. */
export async function isUntouched(step: Step, root: string): Promise<boolean> {
  const dir = path.join(root, 'steps', step.folder);
  const shipped = await shippedStarter(step, root);
  const present = filesOf(dir);
  return present.length === shipped.size && present.every((file) => shipped.get(file) === readFileSync(path.join(dir, file), 'utf8'));
}

export function renderTable(rows: readonly StepProgress[], colour: boolean): string[] {
  const paint = (state: StepState, text: string) => {
    if (!colour) return text;
    const code = state === 'done' ? 32 : state === 'in progress' ? 33 : 2;
    return `\u001b[${code}m${text}\u001b[0m`;
  };
  const width = Math.max(5, ...rows.map((row) => row.step.title.length));
  const lines = [`step  ${'title'.padEnd(width)}  tests    state`];
  for (const row of rows) {
    const bar = progressBar(row.passed, row.total);
    lines.push(`${String(row.step.number).padEnd(4)}  ${row.step.title.padEnd(width)}  ${`${row.passed}/${row.total}`.padEnd(7)}  ${paint(row.state, `${bar} ${row.state}`)}`);
  }
  return lines;
}

function progressBar(passed: number, total: number): string {
  const filled = total === 0 ? 0 : Math.round((passed / total) * 10);
  return `[${'#'.repeat(filled)}${'.'.repeat(10 - filled)}]`;
}

export function nextAction(rows: readonly StepProgress[]): string {
  const next = rows.find((row) => row.state !== 'done');
  if (!next) return 'all done: every step passes. See docs/performance.md, or try an extension from the chapters.';
  return `next: step ${next.step.number} (${next.step.title}) — run \`npm test -- ${next.step.id}\`, read ${chapterOf(next.step)}`;
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
    ({ report } = await runVitest(['--project', 'learner', ...chosen.map(testFileOf)], { cwd: io.root }));
  } finally {
    stop();
  }
  const rows: StepProgress[] = [];
  for (const step of chosen) {
    rows.push(progressOf(step, resultsOf(report, step)?.assertionResults ?? [], await isUntouched(step, io.root)));
  }
  for (const line of renderTable(rows, io.isTTY)) io.out(line);
  io.out('');
  io.out(nextAction(rows));
  return 0;
};

if (import.meta.filename === process.argv[1]) await runAsProgram('progress', progress);

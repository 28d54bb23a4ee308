/**
 * `npm run diff -- step3`: how your steps/step3… differs from the reference in solutions/step3….
 * `npm run diff -- step3 --new`: what step 3 adds to step 2, reference against reference.
 * Lines starting with - are yours (or the previous step's), + the reference's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { STEPS } from '../shared/curriculum.js';
import { filesOf, writeFiles } from '../shared/files.js';
import { withoutMarkers } from './starters.js';
import { parseCommand, runAsProgram, stepArgument, UsageError, type Command } from '../shared/command.js';

const HELP = `usage: npm run diff -- <step> [--new]
Shows how your code in steps/ differs from the reference solution of that step (e.g. step3, or 3).
  --new   instead, show what the step adds: the previous step's solution against this one's`;

export const diff: Command = async (argv, io) => {
  const { values, positionals } = parseCommand(argv, { new: { type: 'boolean' } });
  if (values.help) return (io.out(HELP), 0);
  if (positionals.length > 1) throw new UsageError(`one step at a time, got ${positionals.join(' ')}`);
  const step = stepArgument(positionals[0], io.root);
  const solution = `solutions/${step.folder}`;
  if (!existsSync(path.join(io.root, solution))) {
    io.err('diff: this repository has no solutions/ to compare with (a take-home copy leaves them out)');
    return 1;
  }
  // [folder to read, name it gets in the output]
  let left = [`steps/${step.folder}`, 'yours'];
  let right = [solution, 'reference'];
  if (values.new) {
    const previous = STEPS.find((other) => other.number === step.number - 1);
    if (!previous) {
      io.out(`${step.id} is the first step: everything in ${solution} is new.`);
      return 0;
    }
    left = [`solutions/${previous.folder}`, previous.folder];
    right = [solution, step.folder];
  }
  // Compare copies without the exercise markers, so that only real code differences show.
  const work = mkdtempSync(path.join(tmpdir(), 'lb-diff-'));
  try {
    for (const [folder, name] of [left, right]) copyWithoutMarkers(path.join(io.root, folder), path.join(work, name));
    // git compares two folders even outside a repository; exit status 1 only means "they differ".
    const args = ['diff', '--no-index', `--color=${io.isTTY ? 'always' : 'never'}`, '--stat', '--patch', '--src-prefix=', '--dst-prefix=', left[1], right[1]];
    const result = spawnSync('git', args, { cwd: work, encoding: 'utf8' });
    if (result.error || (result.status ?? 2) > 1) {
      io.err(`diff: git diff failed: ${result.error?.message ?? result.stderr.trim()}`);
      return 1;
    }
    io.out(`--- ${left[1]} = ${left[0]}, +++ ${right[1]} = ${right[0]}`);
    io.out(result.stdout.trim() === '' ? 'no differences.' : result.stdout.trimEnd());
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
};

function copyWithoutMarkers(from: string, to: string): void {
  writeFiles(to, new Map(filesOf(from).map((file) => [file, withoutMarkers(readFileSync(path.join(from, file), 'utf8'))])));
}

if (import.meta.filename === process.argv[1]) await runAsProgram('diff', diff);

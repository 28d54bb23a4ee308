/**
 * What the commands (progress, hint, reset, …) share: how they talk to the
 * terminal, how a usage mistake ends (one line, exit status 2), and how a step is named on the
 * command line. Each command exports `run(argv, io)` so tests can call it on a temporary copy.
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { findStep, installedSteps, type Step } from './curriculum.js';
import { ROOT } from './files.js';

/** A command-line mistake: reported as one line plus a pointer to --help, exit status 2. */
export class UsageError extends Error {}

/** Where a command reads and writes: the real terminal, or a test's buffers. */
export interface IO {
  /** The repository to work on. */
  root: string;
  out(text: string): void;
  err(text: string): void;
  /** Colours, spinners and questions only when a person is watching. */
  isTTY: boolean;
  /** Asks a yes/no question; resolves false when nobody can answer. */
  confirm(question: string): Promise<boolean>;
}

export function terminalIO(): IO {
  const isTTY = Boolean(process.stdout.isTTY && process.stdin.isTTY);
  return {
    root: ROOT,
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    isTTY,
    confirm: async (question) => {
      if (!isTTY) return false;
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question(`${question} [y/N] `);
      rl.close();
      return /^y(es)?$/i.test(answer.trim());
    },
  };
}

export type Command = (argv: readonly string[], io: IO) => Promise<number>;

/** Runs a command as the program: its result is the exit status; a UsageError exits 2. */
export async function runAsProgram(name: string, command: Command): Promise<void> {
  const io = terminalIO();
  try {
    process.exitCode = await command(process.argv.slice(2), io);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`${name}: ${err.message} (see npm run ${name} -- --help)`);
    process.exitCode = 2;
  }
}

/** parseArgs with `--help` built in; its errors become UsageErrors. */
export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(argv: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `step3` or `3` → that step, if its folder is in this repository. */
export function stepArgument(text: string | undefined, root: string): Step {
  const installed = installedSteps(root);
  const names = installed.map((step) => step.id).join(', ');
  if (text === undefined) throw new UsageError(`name a step: ${names}`);
  const step = findStep(text);
  if (!step || !installed.includes(step)) throw new UsageError(`no step ${JSON.stringify(text)} here; steps are ${names}`);
  return step;
}

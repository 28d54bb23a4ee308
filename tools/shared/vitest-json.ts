/** Runs vitest as a child process and reads its JSON report, for the commands that report on a test run. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testFilesOf, type Step } from './curriculum.js';

export interface AssertionResult {
  ancestorTitles: string[];
  title: string;
  fullName: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo' | 'disabled';
  failureMessages: string[];
}

export interface FileResult {
  /** Absolute path of the test file. */
  name: string;
  status: 'passed' | 'failed';
  /** Set when the file itself failed, e.g. it could not be imported. */
  message: string;
  assertionResults: AssertionResult[];
}

export interface Report {
  numPassedTests: number;
  numFailedTests: number;
  numTotalTests: number;
  testResults: FileResult[];
}

/** The results of `step`'s test files in a report, as one (the step's own file first); undefined when one is missing. */
export function resultsOf(report: Report, step: Step): FileResult | undefined {
  const files = testFilesOf(step).map((name) => report.testResults.find((file) => path.basename(file.name) === path.basename(name)));
  if (files.some((file) => file === undefined)) return undefined;
  const found = files as FileResult[];
  return { ...found[0], message: found.map((file) => file.message).filter(Boolean).join('\n'), assertionResults: found.flatMap((file) => file.assertionResults) };
}

/**
 * A step's own tests sit under `stepN: …`; the earlier steps' checks in its file sit under
 * `stepK regression (on stepN): …` (see tests/helpers/suite.ts).
 */
export function isOwnTest(step: Step, test: AssertionResult): boolean {
  return test.ancestorTitles[0]?.startsWith(`${step.id}:`) ?? false;
}

export interface VitestRun {
  report: Report;
  exitCode: number;
  /** Errors thrown outside any test (an uncaught exception in a socket callback, say): they fail the run, not a test. */
  unhandledErrors: number;
}

/**
 * `vitest run <args>` with a JSON report. With `echo`, vitest's own progress is shown too;
 * otherwise its output is swallowed (the report is what we read).
 */
export async function runVitest(args: readonly string[], { echo = false, cwd = process.cwd() } = {}): Promise<VitestRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'lb-vitest-'));
  const outputFile = path.join(dir, 'report.json');
  const reporters = echo ? ['--reporter=default', '--reporter=json', `--outputFile.json=${outputFile}`] : ['--reporter=json', `--outputFile=${outputFile}`];
  try {
    let stderr = '';
    const exitCode = await new Promise<number>((resolve, reject) => {
      // vitest's own entry point, not `npx vitest`: npx would add half a second to every run.
      const child = spawn(process.execPath, [path.join(cwd, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...args, ...reporters], {
        cwd,
        stdio: ['ignore', echo ? 'inherit' : 'ignore', echo ? 'inherit' : 'pipe'],
        // CI=true: run once, no watch mode. Without our own VITEST* variables: when a test runs vitest
        // (some tool tests do), the inner run must not believe it is one of the outer run's workers.
        env: { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST'))), CI: 'true' },
      });
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve(code ?? 1));
    }).catch((err: Error) => {
      throw new Error(`could not start vitest: ${err.message}`);
    });
    let text: string;
    try {
      text = readFileSync(outputFile, 'utf8');
    } catch {
      throw new Error(`vitest ${args.join(' ')} exited ${exitCode} without a report:\n${stderr.slice(-2_000)}`);
    }
    const unhandled = /Vitest caught (\d+) unhandled error/.exec(stderr);
    return { report: JSON.parse(text) as Report, exitCode, unhandledErrors: unhandled ? Number(unhandled[1]) : 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

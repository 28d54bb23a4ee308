/** Helpers for the tests of the learner commands (tests/tools/): not shipped in a take-home copy. */
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import type { IO } from '../../tools/shared/command.js';
import { STEPS } from '../../tools/shared/curriculum.js';
import { ROOT, writeFiles } from '../../tools/shared/files.js';
import { expectedStarter } from '../../tools/maintainer/starters.js';

/** This repository. */
export const REPO = ROOT;

/** An IO for a command under test: collects what it prints and answers its question with `answer`. */
export function captureIO(root: string, { answer = false, isTTY = false } = {}): IO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { root, isTTY, stdout, stderr, out: (text) => void stdout.push(text), err: (text) => void stderr.push(text), confirm: async () => answer };
}

/** A temporary folder, removed when the test finishes. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `lb-${prefix}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A temporary copy of parts of this repository (e.g. steps, solutions, docs), removed after the test.
 * `steps` gets the shipped starters, not whatever a learner has written there, so the tool tests
 * pass the same before and after you work on a step.
 */
export function copyOfRepo(...parts: string[]): string {
  const dir = tempDir('repo');
  for (const part of parts) {
    if (part !== 'steps') cpSync(path.join(REPO, part), path.join(dir, part), { recursive: true });
    else for (const step of STEPS) writeFiles(path.join(dir, 'steps', step.folder), expectedStarter(step, REPO));
  }
  return dir;
}

/** Lets a generated repository use this one's installed packages instead of running npm install. */
export function linkNodeModules(dir: string): void {
  symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
}

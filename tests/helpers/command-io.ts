import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import type { IO } from '../../tools/command.js';
import { ROOT } from '../../tools/files.js';

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

/** A temporary copy of parts of this repository (e.g. steps, solutions, docs), removed after the test. */
export function copyOfRepo(...parts: string[]): string {
  const dir = tempDir('repo');
  for (const part of parts) cpSync(path.join(REPO, part), path.join(dir, part), { recursive: true });
  return dir;
}

/** Lets a generated repository use this one's installed packages instead of running npm install. */
export function linkNodeModules(dir: string): void {
  symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
}

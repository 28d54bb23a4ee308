import { cpSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The repository the tools belong to. */
export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Every file below `dir`, as sorted paths relative to it. */
export function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** Writes `files` (relative path → content) below `dir`, creating folders as needed. */
export function writeFiles(dir: string, files: ReadonlyMap<string, string>): void {
  for (const [file, content] of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
}

/**
 * Copies `parts` (files or folders) of the repository at `root` into `dir`, and lends it `root`'s
 * installed packages: a place to run the suites against other code without touching this checkout.
 */
export function workspaceOf(root: string, dir: string, parts: readonly string[]): void {
  for (const part of parts) cpSync(path.join(root, part), path.join(dir, part), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
}

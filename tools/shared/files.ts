import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
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

/**
 * The starter of a step as it was shipped, for `npm run reset` and `npm run progress`. In this
 * repository it is generated from the solution (tools/starters.ts); a take-home repository has no
 * solutions, so there it is the version in the repository's first commit.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Step } from './curriculum.js';

/** Relative path (inside steps/<folder>) → content of the shipped starter. */
export async function shippedStarter(step: Step, root: string): Promise<Map<string, string>> {
  if (existsSync(path.join(root, 'solutions', step.folder))) {
    // Loaded only here, by a name TypeScript does not follow: a take-home copy ships neither the
    // solutions nor the generator.
    const generator = './starters.js';
    const { expectedStarter } = (await import(generator)) as { expectedStarter(step: Step, root: string): Map<string, string> };
    return expectedStarter(step, root);
  }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const first = git('rev-list', '--max-parents=0', 'HEAD').trim().split('\n')[0];
  const prefix = `steps/${step.folder}/`;
  const files = git('ls-tree', '-r', '--name-only', first, '--', prefix).split('\n').filter(Boolean);
  return new Map(files.map((file) => [file.slice(prefix.length), git('show', `${first}:${file}`)]));
}

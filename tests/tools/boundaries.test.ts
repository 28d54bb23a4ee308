import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesOf } from '../../tools/shared/files.js';
import { REPO } from './command-io.js';

/** What a take-home copy ships whole (tools/interviewer/takehome.ts), and what it may therefore import. */
const SHIPPED = ['tools/shared', 'tools/learner', 'tests/helpers', 'tests/behaviours'];
const NEVER_SHIPPED = ['tools/maintainer', 'tools/interviewer', 'solutions'];

function sources(folder: string): string[] {
  return filesOf(path.join(REPO, folder))
    .filter((file) => file.endsWith('.ts'))
    .map((file) => `${folder}/${file}`);
}

describe('tools/ by audience', () => {
  it('no file the candidate gets imports a maintainer or interviewer file, or the reference code', () => {
    const crossings: string[] = [];
    for (const file of SHIPPED.flatMap(sources)) {
      const text = readFileSync(path.join(REPO, file), 'utf8');
      for (const [, target] of text.matchAll(/(?:from |import\(|new URL\()\s*'([^']+)'/g)) {
        if (!target.startsWith('.')) continue;
        const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), target));
        if (NEVER_SHIPPED.some((folder) => resolved.startsWith(`${folder}/`))) crossings.push(`${file} imports ${resolved}`);
      }
      // An import built from a string (the way this boundary leaked once) names the folder somewhere.
      for (const folder of NEVER_SHIPPED.slice(0, 2)) if (text.includes(`${path.basename(folder)}/`)) crossings.push(`${file} names ${folder}/`);
    }
    expect(crossings).toEqual([]);
  });

  it('the shared tools import nothing from one audience: learner, maintainer or interviewer', () => {
    const crossings = sources('tools/shared').flatMap((file) =>
      [...readFileSync(path.join(REPO, file), 'utf8').matchAll(/from '(\.\.\/[^']+)'/g)].map(([, target]) => `${file} imports ${target}`),
    );
    expect(crossings).toEqual([]);
  });
});

/**
 * Code in a chapter must be code that exists. A fenced block right after
 * `<!-- solution: solutions/<folder>/<file>.ts -->` has to appear, line for line, in that file;
 * otherwise the chapter and the solution have drifted apart.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../shared/files.js';

const SNIPPET = /<!-- solution: (\S+) -->\s*```\w*\n([\s\S]*?)```/g;

export function snippetDrift(): string[] {
  const docs = path.join(ROOT, 'docs');
  const drift: string[] = [];
  for (const chapter of readdirSync(docs).filter((name) => name.endsWith('.md'))) {
    const text = readFileSync(path.join(docs, chapter), 'utf8');
    for (const [, file, code] of text.matchAll(SNIPPET)) {
      const source = path.join(ROOT, file);
      if (!existsSync(source)) drift.push(`docs/${chapter} quotes ${file}, which does not exist`);
      else if (!readFileSync(source, 'utf8').includes(code)) drift.push(`docs/${chapter} quotes code that is not in ${file}`);
    }
  }
  return drift;
}

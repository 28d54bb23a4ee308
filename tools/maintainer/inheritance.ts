/**
 * Steps inherit instead of being copied by hand. Each step lists the solution files it writes
 * (`owns` in curriculum.ts); every other file of solutions/<folder> is the previous step's file with
 * that step's exercise markers removed:
 *
 *     solutions/step1-…/hop-by-hop.ts ──(markers stripped)──▶ solutions/step2-…/hop-by-hop.ts ──▶ step3 …
 *
 * `npm run sync` writes the inherited files, step by step in order; `npm run check` fails when one was
 * edited by hand or when `owns` does not describe the folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { previousStep, type Step } from '../shared/curriculum.js';
import { ROOT, filesOf, writeFiles } from '../shared/files.js';
import { withoutMarkers } from './starters.js';

/** The inherited files `step`'s solution should have: relative path → content. Empty for step 1. */
export function inheritedFiles(step: Step, root = ROOT): Map<string, string> {
  const previous = previousStep(step);
  const files = new Map<string, string>();
  if (!previous) return files;
  const from = path.join(root, 'solutions', previous.folder);
  for (const file of filesOf(from)) {
    if (!step.owns.includes(file) && !step.drops?.includes(file)) files.set(file, withoutMarkers(readFileSync(path.join(from, file), 'utf8')));
  }
  return files;
}

/** Describes how solutions/<folder> breaks the inheritance rules; empty when it follows them. */
export function solutionDrift(step: Step, root = ROOT): string[] {
  const dir = path.join(root, 'solutions', step.folder);
  const where = `solutions/${step.folder}`;
  const present = existsSync(dir) ? filesOf(dir) : [];
  const inherited = inheritedFiles(step, root);
  const previous = previousStep(step);
  const drift: string[] = [];
  for (const file of step.owns) {
    if (!present.includes(file)) drift.push(`${where}/${file} is listed in owns (tools/shared/curriculum.ts) but missing`);
  }
  for (const file of present) {
    if (!step.owns.includes(file) && !inherited.has(file)) drift.push(`${where}/${file} is neither inherited nor listed in owns (tools/shared/curriculum.ts)`);
  }
  for (const [file, content] of inherited) {
    const target = path.join(dir, file);
    if (!existsSync(target)) drift.push(`${where}/${file} is missing (npm run sync)`);
    else if (readFileSync(target, 'utf8') !== content) {
      drift.push(`${where}/${file} is inherited from solutions/${previous?.folder}/${file}: edit that one, then npm run sync`);
    }
  }
  if (previous) {
    const before = path.join(root, 'solutions', previous.folder);
    for (const file of step.owns) {
      const earlier = path.join(before, file);
      if (!present.includes(file) || !existsSync(earlier)) continue;
      const was = withoutMarkers(readFileSync(earlier, 'utf8'));
      const now = readFileSync(path.join(dir, file), 'utf8');
      if (was === now) drift.push(`${where}/${file} is listed in owns but does not change ${previous.id}'s version: drop it from owns`);
      // An owned file is a hand-made copy: a name added to the earlier step's version must reach it too.
      // Not for a step that rebuilds the earlier ones (step 7's engine): its files are new work, and
      // what they no longer export (http-proxy's helpers) is gone on purpose.
      const lost = step.rebuildsEarlierSteps ? [] : exportedNames(was).filter((name) => !exportedNames(now).includes(name));
      if (lost.length > 0) drift.push(`${where}/${file} no longer exports ${lost.join(', ')} from solutions/${previous.folder}/${file}: copy the change over`);
    }
  }
  return drift;
}

/** The names a module exports: its own (`export class X`, `export function y`, …) and re-exported ones (`export { a, type B } from`). */
function exportedNames(source: string): string[] {
  const own = [...source.matchAll(/^export (?:async )?(?:class|function|const|let|type|interface) (\w+)/gm)].map((match) => match[1]);
  const lists = [...source.matchAll(/^export (?:type )?\{([^}]*)\}/gm)].flatMap((match) => match[1].split(','));
  const reexported = lists.map((entry) => entry.trim().replace(/^type /, '').split(/\s+as\s+/).pop() ?? '').filter((name) => name !== '');
  return [...own, ...reexported];
}

/** Writes the inherited files of `step`'s solution (run in step order: each reads the one before). */
export function writeInherited(step: Step, root = ROOT): void {
  writeFiles(path.join(root, 'solutions', step.folder), inheritedFiles(step, root));
}

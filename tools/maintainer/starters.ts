/**
 * Generates each step's starter (steps/<folder>) from its reference solution (solutions/<folder>).
 *
 * A solution marks the code a learner writes, numbered in the order the chapter asks for it:
 *
 *     // #region exercise(step9, 1): return the larger of a and b
 *     return a > b ? a : b;
 *     // #endregion
 *
 * In the starter the region becomes `// TODO(step9) 1 of 2: …` plus a stub that throws
 * NotImplementedError with the same words and the file's name, so a failing test says what to do next
 * and where. Where throwing would break an earlier step's behaviour, the region lists the starter's code
 * instead, one `// #starter <line>` each (a bare `// #starter` means "nothing yet"); `$TODO` in such a
 * line stands for the NotImplementedError, for a placeholder that answers instead of throwing. Several
 * regions may share a number when one task touches several places. Everything else is copied
 * unchanged, so starter N is exactly solution N minus the new concept.
 *
 * `npm run sync` writes the starters; `npm run check` fails when they drift (tools/maintainer/sync.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Step } from '../shared/curriculum.js';
import { ROOT, filesOf, writeFiles } from '../shared/files.js';

const REGION_START = /^(\s*)\/\/ #region exercise\((step\d+), (\d+)\): (.+)$/;
const REGION_END = /^\s*\/\/ #endregion\s*$/;
const STARTER_LINE = /^\s*\/\/ #starter(?: (.*))?$/;
const STRYKER_NOTE = /^\s*\/\/ Stryker (disable|restore)\b/;

/** How far along the starter is: `done` TODOs (by number) keep their solution code; `total` is the step's count. */
export interface StarterStage {
  total: number;
  done?: number;
}

/** Turns one solution file into its starter text. Throws on malformed or foreign regions. */
export function starterFromSolution(source: string, step: Step, file: string, { total, done = 0 }: StarterStage): string {
  const out: string[] = [];
  let region: { indent: string; number: number; task: string; starter: string[]; solution: string[] } | undefined;
  let stubs = 0;

  source.split('\n').forEach((line, index) => {
    const where = `${file}:${index + 1}`;
    const start = REGION_START.exec(line);
    if (start) {
      if (region) throw new Error(`${where}: exercise regions cannot nest`);
      if (start[2] !== step.id) throw new Error(`${where}: a ${step.folder} solution may only mark ${step.id} exercises, found ${start[2]}`);
      const number = Number(start[3]);
      if (number < 1 || number > total) throw new Error(`${where}: exercise ${number} is outside 1…${total}`);
      region = { indent: start[1], number, task: start[4].trim(), starter: [], solution: [] };
      return;
    }
    if (!region) {
      // Mutation-testing notes are for the reference code's maintainers, not for the learner.
      if (!STRYKER_NOTE.test(line)) out.push(line);
      return;
    }
    const starterLine = STARTER_LINE.exec(line);
    if (starterLine) {
      region.starter.push(starterLine[1] ?? '');
      return;
    }
    if (!REGION_END.test(line)) {
      region.solution.push(line);
      return;
    }
    if (region.number <= done) {
      out.push(...region.solution.filter((code) => !STRYKER_NOTE.test(code)));
    } else {
      const { what, how } = splitTask(region.task);
      const task = `TODO ${region.number} of ${total} in ${file}: ${what}`;
      const stub = `new NotImplementedError(${quote(step.folder)}, ${quote(task)})`;
      const recipe = how ? ` (recipe: npm run hint -- ${step.id} --todo ${region.number})` : '';
      out.push(`${region.indent}// TODO(${step.id}) ${region.number} of ${total}: ${what}${recipe}`);
      if (region.starter.length === 0) out.push(`${region.indent}throw ${stub};`);
      for (const code of region.starter.filter((text) => text !== '')) out.push(`${region.indent}${code.replaceAll('$TODO', stub)}`);
      if (region.starter.length === 0 || region.starter.some((code) => code.includes('$TODO'))) stubs += 1;
    }
    region = undefined;
  });
  if (region) throw new Error(`${file}: an exercise region is not closed with // #endregion`);
  return stubs > 0 ? withNotImplementedImport(out.join('\n'), file) : out.join('\n');
}

/**
 * A region's task is "what to build — how": the TODO says what, the recipe (how) waits in the
 * chapter's hints (tools/maintainer/chapter-blocks.ts), for a learner who wants it.
 */
export function splitTask(task: string): { what: string; how: string | undefined } {
  const at = task.indexOf(' — ');
  return at === -1 ? { what: task, how: undefined } : { what: task.slice(0, at), how: task.slice(at + 3) };
}

/** Every region of `source` whose task states a recipe: its number, and the recipe. */
export function recipesOf(source: string): { number: number; how: string }[] {
  return source.split('\n').flatMap((line) => {
    const start = REGION_START.exec(line);
    const how = start && !start[4].startsWith('(same task)') ? splitTask(start[4].trim()).how : undefined;
    return start && how ? [{ number: Number(start[3]), how }] : [];
  });
}

/** The numbers of the exercises marked in `sources`, checked to run 1, 2, … without gaps. */
export function exerciseCount(sources: readonly string[]): number {
  const numbers = new Set<number>();
  for (const source of sources) {
    for (const line of source.split('\n')) {
      const start = REGION_START.exec(line);
      if (start) numbers.add(Number(start[3]));
    }
  }
  const sorted = [...numbers].sort((a, b) => a - b);
  if (sorted.some((number, i) => number !== i + 1)) throw new Error(`exercises must be numbered 1, 2, … without gaps, found ${sorted.join(', ')}`);
  return sorted.length;
}

/** Drops the mutation-testing notes (`// Stryker disable …`): they are for the maintainers, not for a learner or a candidate. */
export function withoutMaintainerNotes(source: string): string {
  return source
    .split('\n')
    .filter((line) => !STRYKER_NOTE.test(line))
    .join('\n');
}

/** The solution as a reader wants it: the exercise markers (and `#starter` lines) removed, the code kept. */
export function withoutMarkers(source: string): string {
  return source
    .split('\n')
    .filter((line) => !REGION_START.test(line) && !REGION_END.test(line) && !STARTER_LINE.test(line))
    .join('\n');
}

/** A string literal in the house style: single quotes unless the text contains one. */
function quote(text: string): string {
  return text.includes("'") ? JSON.stringify(text) : `'${text.replaceAll('\\', '\\\\')}'`;
}

/**
 * Makes sure the starter imports NotImplementedError from the step's errors.ts: added to an existing
 * import from that module, or as a new import after the last one.
 */
export function withNotImplementedImport(text: string, file: string): string {
  if (path.basename(file) === 'errors.ts' || /\bimport\s*\{[^}]*\bNotImplementedError\b/.test(text)) return text;
  let from = path.posix.relative(path.posix.dirname(file.split(path.sep).join('/')), 'errors.js');
  if (!from.startsWith('.')) from = `./${from}`;
  const existing = new RegExp(`^import \\{ ([^}]*) \\} from '${from.replaceAll('.', '\\.')}';$`, 'm');
  if (existing.test(text)) {
    return text.replace(existing, (_line, names: string) => {
      const sorted = [...names.split(', '), 'NotImplementedError'].sort((a, b) => a.localeCompare(b));
      return `import { ${sorted.join(', ')} } from '${from}';`;
    });
  }
  const lines = text.split('\n');
  const lastImport = lines.findLastIndex((line) => line.startsWith('import '));
  lines.splice(lastImport + 1, 0, `import { NotImplementedError } from '${from}';`);
  return lines.join('\n');
}

/**
 * The starter files `step` should have: relative path → content. With `done`, the first `done` TODOs
 * are filled in: the states a learner passes through, for tools/maintainer/walk.ts.
 */
export function expectedStarter(step: Step, root = ROOT, done = 0): Map<string, string> {
  const solutionDir = path.join(root, 'solutions', step.folder);
  const sources = new Map(filesOf(solutionDir).map((file) => [file, readFileSync(path.join(solutionDir, file), 'utf8')]));
  const total = exerciseCount([...sources.values()]);
  const files = new Map<string, string>();
  for (const [file, source] of sources) files.set(file, file.endsWith('.ts') ? starterFromSolution(source, step, file, { total, done }) : source);
  return files;
}

/** How many TODOs `step`'s starter has. */
export function todoCount(step: Step, root = ROOT): number {
  const solutionDir = path.join(root, 'solutions', step.folder);
  return exerciseCount(filesOf(solutionDir).map((file) => readFileSync(path.join(solutionDir, file), 'utf8')));
}

/** Describes how steps/<folder> differs from what its solution generates; empty when up to date. */
export function starterDrift(step: Step): string[] {
  const starterDir = path.join(ROOT, 'steps', step.folder);
  const expected = expectedStarter(step);
  const present = existsSync(starterDir) ? filesOf(starterDir) : [];
  const drift = present.filter((file) => !expected.has(file)).map((file) => `steps/${step.folder}/${file} has no solution counterpart`);
  for (const [file, content] of expected) {
    const target = path.join(starterDir, file);
    if (!existsSync(target)) drift.push(`steps/${step.folder}/${file} is missing`);
    else if (readFileSync(target, 'utf8') !== content) drift.push(`steps/${step.folder}/${file} differs from what solutions/${step.folder}/${file} generates`);
  }
  return drift;
}

/** Writes steps/<folder> from solutions/<folder>. */
export function writeStarter(step: Step): void {
  writeFiles(path.join(ROOT, 'steps', step.folder), expectedStarter(step));
}

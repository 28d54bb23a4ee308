/**
 * `npm run hint -- step3`: the next hint for a step, one more each time you ask.
 *
 * Hints come from the "Hints" section of the step's chapter (docs/<folder>.md), so the book and the
 * command never disagree. Which hints you have seen is kept in node_modules/.cache, out of git.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chapterOf, type Step } from '../shared/curriculum.js';
import { parseCommand, runAsProgram, stepArgument, UsageError, type Command } from '../shared/command.js';

const HELP = `usage: npm run hint -- <step> [--all] [--reset] [--todo <n>]
Prints the next hint for a step (e.g. step3, or 3), one more each time you ask.
  --all       print every hint of the step at once
  --reset     start again from the first hint
  --todo <n>  the recipe of TODO n: how to do it, in a sentence`;

/** The numbered list under `## Hints` in a chapter, one string per item (continuation lines joined). */
export function hintsOf(chapter: string): string[] {
  const section = /^## Hints\s*$([\s\S]*?)(?=^## )/m.exec(chapter)?.[1] ?? '';
  const hints: string[] = [];
  for (const line of section.split('\n')) {
    const item = /^\d+\.\s+(.*)$/.exec(line);
    if (item) hints.push(item[1]);
    else if (/^\s+\S/.test(line) && hints.length > 0) hints[hints.length - 1] += ` ${line.trim()}`;
  }
  return hints;
}

/** The recipes at the end of a chapter's hints (`- TODO 2 (retry-policy.ts): …`), by TODO number. */
export function recipesOf(chapter: string): Map<number, string[]> {
  const recipes = new Map<number, string[]>();
  for (const [, number, file, how] of chapter.matchAll(/^- TODO (\d+) \(([^)]+)\): (.*)$/gm)) {
    recipes.set(Number(number), [...(recipes.get(Number(number)) ?? []), `${file}: ${how}`]);
  }
  return recipes;
}

/** Where the count of seen hints lives; ignored by git because node_modules is. */
function stateFile(root: string): string {
  return path.join(root, 'node_modules', '.cache', 'hints', 'hints.json');
}

function readSeen(root: string): Record<string, number> {
  const file = stateFile(root);
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
  } catch {
    return {}; // a damaged state file only means starting the hints again
  }
}

function writeSeen(root: string, seen: Record<string, number>): void {
  mkdirSync(path.dirname(stateFile(root)), { recursive: true });
  writeFileSync(stateFile(root), `${JSON.stringify(seen, null, 2)}\n`);
}

function loadHints(step: Step, root: string): string[] {
  return hintsOf(readFileSync(path.join(root, chapterOf(step)), 'utf8'));
}

export const hint: Command = async (argv, io) => {
  const { values, positionals } = parseCommand(argv, { all: { type: 'boolean' }, reset: { type: 'boolean' }, todo: { type: 'string' } });
  if (values.help) return (io.out(HELP), 0);
  if (positionals.length > 1) throw new UsageError(`one step at a time, got ${positionals.join(' ')}`);
  const step = stepArgument(positionals[0], io.root);
  if (values.todo !== undefined) {
    const recipes = recipesOf(readFileSync(path.join(io.root, chapterOf(step)), 'utf8'));
    const recipe = recipes.get(Number(values.todo));
    if (!recipe) throw new UsageError(`${step.id} has no recipe for TODO ${values.todo}; it has ${[...recipes.keys()].join(', ') || 'none'}`);
    for (const line of recipe) io.out(`${step.id} TODO ${values.todo}, ${line}`);
    return 0;
  }
  const hints = loadHints(step, io.root);
  const seen = readSeen(io.root);

  if (values.reset) {
    delete seen[step.id];
    writeSeen(io.root, seen);
    io.out(`${step.id}: hints start again from the first.`);
    return 0;
  }
  if (values.all) {
    hints.forEach((text, i) => io.out(`${step.id} hint ${i + 1} of ${hints.length}: ${text}`));
    return 0;
  }
  const index = seen[step.id] ?? 0;
  if (index >= hints.length) {
    io.out(`${step.id}: that was the last of ${hints.length} hints. Read "Common mistakes" in ${chapterOf(step)}, or start over with --reset.`);
    return 0;
  }
  io.out(`${step.id} hint ${index + 1} of ${hints.length}: ${hints[index]}`);
  seen[step.id] = index + 1;
  writeSeen(io.root, seen);
  if (index + 1 < hints.length) io.out(`(ask again for hint ${index + 2})`);
  return 0;
};

if (import.meta.filename === process.argv[1]) await runAsProgram('hint', hint);

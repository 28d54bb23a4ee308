/**
 * Two blocks of every chapter that are generated, so that they cannot drift from the code:
 * - after the Goal, the two levels of the step (guided and challenge): what each expects and how
 *   long it takes (tools/shared/curriculum.ts);
 * - at the end of the Hints, the recipe of every TODO (the "how" part of its task, see splitTask in
 *   starters.ts). The TODO says what to build; the recipe is one command away
 *   (`npm run hint -- step3 --todo 2`) for a learner who is stuck, and out of sight for one who is not.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { STEPS, chapterOf, type Step } from '../shared/curriculum.js';
import { ROOT, filesOf } from '../shared/files.js';
import { recipesOf } from './starters.js';

interface Block {
  start: string;
  end: string;
  render(step: Step): string;
  /** Where a chapter without the block gets it: at the end of this section. */
  section: RegExp;
}

const LEVELS: Block = {
  start: '<!-- levels:start (generated from tools/shared/curriculum.ts by npm run sync) -->',
  end: '<!-- levels:end -->',
  section: /^## Goal\s*$[\s\S]*?(?=^## )/m,
  render: (step) => {
    const designs = (step.designs ?? []).map((file) => `\`${file}\``).join(', ');
    return [
      `> **Two levels.** *Guided* (the starter in \`steps/\`, about ${step.minutes} min): the structure is written, and numbered`,
      `> \`TODO(${step.id})\` comments say what to write; each one's recipe waits in the hints. *Challenge*`,
      `> (\`npm run reset -- ${step.id} --challenge\`, about ${step.challengeMinutes} min): ${designs} keep only their exported`,
      '> contract (types, signatures, doc comments that say what each part must do) and you design the rest,',
      '> fields, helpers, timers and error paths included. The same tests judge both; where this chapter',
      `> names a TODO, read it as a description of what the tests expect. \`npm run reset -- ${step.id}\` goes back.`,
    ].join('\n');
  },
};

const RECIPES: Block = {
  start: '<!-- recipes:start (generated from the TODOs by npm run sync) -->',
  end: '<!-- recipes:end -->',
  section: /^## Hints\s*$[\s\S]*?(?=^## )/m,
  render: (step) => {
    const dir = path.join(ROOT, 'solutions', step.folder);
    const items = filesOf(dir)
      .flatMap((file) => recipesOf(readFileSync(path.join(dir, file), 'utf8')).map((recipe) => ({ ...recipe, file })))
      .sort((a, b) => a.number - b.number || a.file.localeCompare(b.file));
    return [`The recipe of each TODO, for when a hint is not enough (\`npm run hint -- ${step.id} --todo <n>\` shows one):`, '', ...items.map(({ number, file, how }) => `- TODO ${number} (${file}): ${how}`)].join('\n');
  },
};

const BLOCKS = [LEVELS, RECIPES];

/** The chapter with `block` rewritten, or added at the end of its section. */
function withBlock(chapter: string, step: Step, block: Block): string {
  const rendered = `${block.start}\n${block.render(step)}\n${block.end}`;
  const from = chapter.indexOf(block.start);
  const to = chapter.indexOf(block.end);
  if (from !== -1 && to !== -1) return chapter.slice(0, from) + rendered + chapter.slice(to + block.end.length);
  const section = block.section.exec(chapter);
  if (!section) throw new Error(`${chapterOf(step)} needs a section matching ${block.section} for ${block.start}`);
  const end = section.index + section[0].length;
  return `${chapter.slice(0, end).trimEnd()}\n\n${rendered}\n\n${chapter.slice(end)}`;
}

function withBlocks(chapter: string, step: Step): string {
  return BLOCKS.reduce((text, block) => withBlock(text, step, block), chapter);
}

/** Empty when every chapter's generated blocks match the curriculum and the TODOs. */
export function chapterBlocksDrift(): string[] {
  return STEPS.filter((step) => {
    const chapter = readFileSync(path.join(ROOT, chapterOf(step)), 'utf8');
    return withBlocks(chapter, step) !== chapter;
  }).map((step) => `${chapterOf(step)}: its levels or recipes differ from the curriculum and the TODOs (npm run sync)`);
}

export function writeChapterBlocks(): void {
  for (const step of STEPS) {
    const file = path.join(ROOT, chapterOf(step));
    writeFileSync(file, withBlocks(readFileSync(file, 'utf8'), step));
  }
}

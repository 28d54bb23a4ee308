/** The README's table of steps, rendered from tools/shared/curriculum.ts so the two cannot disagree. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { STEPS, chapterOf } from '../shared/curriculum.js';
import { ROOT } from '../shared/files.js';

const README = path.join(ROOT, 'README.md');
const START = '<!-- steps:start (generated from tools/shared/curriculum.ts by npm run sync) -->';
const END = '<!-- steps:end -->';

export function renderStepTable(): string {
  const rows = STEPS.map((step) => `| ${step.number} | [${step.title}](${chapterOf(step)}) | ${step.summary} | ${step.difficulty} | ~${step.minutes} min | ~${step.challengeMinutes} min |`);
  return [START, '| step | chapter | what you build | difficulty | guided | challenge |', '| --- | --- | --- | --- | --- | --- |', ...rows, END].join('\n');
}

function withTable(readme: string): string {
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from === -1 || to === -1) throw new Error(`README.md needs the markers ${START} and ${END}`);
  return readme.slice(0, from) + renderStepTable() + readme.slice(to + END.length);
}

/** Empty when README.md's table matches the curriculum. */
export function readmeDrift(): string[] {
  const readme = readFileSync(README, 'utf8');
  return withTable(readme) === readme ? [] : ['README.md step table differs from tools/shared/curriculum.ts'];
}

export function writeReadmeTable(): void {
  writeFileSync(README, withTable(readFileSync(README, 'utf8')));
}

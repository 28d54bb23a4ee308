/**
 * Generated files, in one place: the solution files a step inherits from the step before (see
 * inheritance.ts), the starters under steps/ (from solutions/, see starters.ts) and the README's table
 * of steps (from curriculum.ts, see readme-table.ts), and each chapter's levels and TODO recipes (chapter-blocks.ts).
 *
 *     npm run sync     rewrite them after editing a solution or the curriculum; commit the result
 *
 * `npm run check` fails while they are out of date.
 */
import { parseArgs } from 'node:util';
import { STEPS } from '../shared/curriculum.js';
import { writeInherited } from './inheritance.js';
import { writeReadmeTable } from './readme-table.js';
import { writeChapterBlocks } from './chapter-blocks.js';
import { writeStarter } from './starters.js';

try {
  parseArgs({ options: {} });
} catch (err) {
  console.error(`sync: ${(err as Error).message}\nusage: npm run sync`);
  process.exit(2);
}
// In step order: step 3 inherits from step 2's solution as just written.
for (const step of STEPS) {
  writeInherited(step);
  writeStarter(step);
}
writeReadmeTable();
writeChapterBlocks();
console.log(`sync: wrote the inherited solution files, ${STEPS.length} starter(s) under steps/, the README step table and the chapters' levels and recipes`);

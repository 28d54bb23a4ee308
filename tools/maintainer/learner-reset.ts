/**
 * `npm run reset` in this repository: the learner's command (tools/learner/reset.ts), with starters
 * generated from the reference code at either level, so a learner can switch any step between them.
 */
import { resetFrom } from '../learner/reset.js';
import type { StarterSource } from '../learner/starter-source.js';
import { runAsProgram } from '../shared/command.js';
import { challengeStarter } from './challenge.js';
import { expectedStarter } from './starters.js';

export const generatedStarters =
  (root: string): StarterSource =>
  (step, level) =>
    level === 'challenge' ? challengeStarter(step, root) : expectedStarter(step, root);

export const reset = resetFrom(generatedStarters);

if (import.meta.filename === process.argv[1]) await runAsProgram('reset', reset);

/**
 * Where `npm run reset` finds a step's starter as it was handed out. The command does not know: it is
 * given a StarterSource. The full repository generates its starters; a take-home
 * copy carries the one starter it was made with, in tools/learner/shipped-starter.json, so reset
 * works there without git.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Step } from '../shared/curriculum.js';
import { UsageError } from '../shared/command.js';

/**
 * How much of a step is written for you:
 * - `guided`: the structure is there; numbered TODOs mark what to write.
 * - `challenge`: the step's concept files keep only their exported contract; you design the rest.
 */
export type Level = 'guided' | 'challenge';

export const LEVELS: readonly Level[] = ['guided', 'challenge'];

/** The starter of `step` at `level`: relative path inside steps/<folder> → content. */
export type StarterSource = (step: Step, level: Level) => Map<string, string>;

/** What a take-home copy ships: one step, at one level. */
export interface ShippedStarter {
  step: Step['id'];
  level: Level;
  files: Record<string, string>;
}

export const SHIPPED_STARTER = 'tools/learner/shipped-starter.json';

/** The starter shipped in `root` (a take-home copy); refuses any other step or level. */
export function shippedStarters(root: string): StarterSource {
  return (step, level) => {
    const file = path.join(root, SHIPPED_STARTER);
    if (!existsSync(file)) throw new UsageError(`no starter to restore: ${SHIPPED_STARTER} is missing`);
    const shipped = JSON.parse(readFileSync(file, 'utf8')) as ShippedStarter;
    if (shipped.step !== step.id || shipped.level !== level) {
      throw new UsageError(`this repository was handed out with ${shipped.step} at the ${shipped.level} level only; try: npm run reset -- ${shipped.step}${shipped.level === 'challenge' ? ' --challenge' : ''}`);
    }
    return new Map(Object.entries(shipped.files));
  };
}

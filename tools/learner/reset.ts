/**
 * `npm run reset -- step3 [--challenge]`: puts steps/step3… back to its starter, after asking.
 * Everything you changed or added in that folder is lost; other steps are left alone. `--challenge`
 * switches the step to the challenge starter, `--guided` (the default) back.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseCommand, runAsProgram, stepArgument, UsageError, type Command } from '../shared/command.js';
import { filesOf, writeFiles } from '../shared/files.js';
import { shippedStarters, type Level, type StarterSource } from './starter-source.js';

const HELP = `usage: npm run reset -- <step> [--challenge | --guided] [--yes]
Restores a step's starter (e.g. step3, or 3), discarding your changes in that step's folder.
  --guided      the guided starter: the structure is written, numbered TODOs mark your part (default)
  --challenge   the challenge starter: the step's concept files keep only their exported contract
                (types, signatures, doc comments); you design the internals
  --yes         do not ask first`;

/** The reset command, restoring starters from `source` (given the repository's root). */
export function resetFrom(source: (root: string) => StarterSource): Command {
  return async (argv, io) => {
    const { values, positionals } = parseCommand(argv, { yes: { type: 'boolean' }, challenge: { type: 'boolean' }, guided: { type: 'boolean' } });
    if (values.help) return (io.out(HELP), 0);
    if (positionals.length > 1) throw new UsageError(`one step at a time, got ${positionals.join(' ')}`);
    if (values.challenge && values.guided) throw new UsageError('choose one level: --challenge or --guided');
    const step = stepArgument(positionals[0], io.root);
    const level: Level = values.challenge ? 'challenge' : 'guided';
    const dir = path.join(io.root, 'steps', step.folder);
    const starter = source(io.root)(step, level);

    if (!values.yes && !(await io.confirm(`Replace everything in steps/${step.folder}/ with the ${level} starter? Your changes there are lost.`))) {
      io.err(io.isTTY ? 'reset: nothing changed' : 'reset: nothing changed (not a terminal: pass --yes to confirm)');
      return 1;
    }
    for (const file of filesOf(dir)) if (!starter.has(file)) rmSync(path.join(dir, file));
    writeFiles(dir, starter);
    io.out(`steps/${step.folder}/ is the ${level} starter again. Run \`npm test -- ${step.id}\` to see where to begin.`);
    return 0;
  };
}

/** Reset in a take-home copy: the starter it was handed out with. */
export const reset = resetFrom(shippedStarters);

if (import.meta.filename === process.argv[1]) await runAsProgram('reset', reset);

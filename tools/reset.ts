/**
 * `npm run reset -- step3`: puts steps/step3… back to the starter as shipped, after asking.
 * Everything you changed or added in that folder is lost; other steps are left alone.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseCommand, runAsProgram, stepArgument, UsageError, type Command } from './command.js';
import { shippedStarter } from './starter-source.js';
import { filesOf, writeFiles } from './files.js';

const HELP = `usage: npm run reset -- <step> [--yes]
Restores a step's starter (e.g. step3, or 3), discarding your changes in that step's folder.
  --yes   do not ask first`;

export const reset: Command = async (argv, io) => {
  const { values, positionals } = parseCommand(argv, { yes: { type: 'boolean' } });
  if (values.help) return (io.out(HELP), 0);
  if (positionals.length > 1) throw new UsageError(`one step at a time, got ${positionals.join(' ')}`);
  const step = stepArgument(positionals[0], io.root);
  const dir = path.join(io.root, 'steps', step.folder);

  if (!values.yes && !(await io.confirm(`Replace everything in steps/${step.folder}/ with the starter? Your changes there are lost.`))) {
    io.err(io.isTTY ? 'reset: nothing changed' : 'reset: nothing changed (not a terminal: pass --yes to confirm)');
    return 1;
  }
  const starter = await shippedStarter(step, io.root);
  for (const file of filesOf(dir)) if (!starter.has(file)) rmSync(path.join(dir, file));
  writeFiles(dir, starter);
  io.out(`steps/${step.folder}/ is the starter again. Run \`npm test -- ${step.id}\` to see where to begin.`);
  return 0;
};

if (import.meta.filename === process.argv[1]) await runAsProgram('reset', reset);

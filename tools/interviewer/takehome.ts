/**
 * `npm run takehome -- <dir> --step 3`: writes a candidate repository for an interview exercise.
 *
 * It holds one step: its starter, its tests, the chapters up to it and the learner commands — and
 * no solution to it: no solutions/ folder, the starter generated fresh from the curriculum (so nothing
 * a maintainer typed into steps/ leaks), and a new git history of exactly one commit.
 *
 * Why one step: step N's starter is step N-1's solution plus new TODOs, by design. Shipping steps 2
 * and 3 together would hand the candidate step 2's answer inside the step 3 folder. The earlier
 * steps' code is the codebase the candidate works in, as on a real team.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { STEPS, chapterOf, testFilesOf, type Step } from '../shared/curriculum.js';
import { writeFiles } from '../shared/files.js';
import { parseCommand, runAsProgram, stepArgument, UsageError, type Command } from '../shared/command.js';
import { expectedStarter } from '../maintainer/starters.js';

const HELP = `usage: npm run takehome -- <dir> --step <n>
Writes a candidate repository into <dir> (new or empty) for step n: its starter, its tests, the
chapters up to it and the learner commands; no solutions, one git commit.
See docs/interviewing.md for which step to assign and how to assess the result.`;

/** Tools the candidate uses; the maintainers' ones (check, sync, bench, diff, takehome) stay here. */
const CANDIDATE_TOOLS = [
  'cli.ts',
  'command.ts',
  'contract.ts',
  'curriculum.ts',
  'demo-backends.ts',
  'files.ts',
  'hint.ts',
  'progress.ts',
  'race-demo.ts',
  'request-log.ts',
  'reset.ts',
  'starter-source.ts',
  'vitest-json.ts',
  'workers.ts',
];
const COPIED_AS_IS = ['tsconfig.json', 'vitest.config.ts', 'package-lock.json', '.nvmrc', '.gitignore'];

export const takehome: Command = async (argv, io) => {
  const { values, positionals } = parseCommand(argv, { step: { type: 'string' } });
  if (values.help) return (io.out(HELP), 0);
  if (positionals.length !== 1) throw new UsageError('name one directory to write the candidate repository into');
  if (values.step === undefined) throw new UsageError('choose the step to assign with --step <n> (see docs/interviewing.md)');
  const step = stepArgument(values.step, io.root);
  const target = path.resolve(positionals[0]);
  if (existsSync(target) && readdirSync(target).length > 0) throw new UsageError(`${target} exists and is not empty`);

  writeCandidate(io.root, target, step);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: target, stdio: 'pipe' });
  git('init', '--quiet', '--initial-branch=main');
  git('add', '--all');
  git('-c', 'user.name=build-a-load-balancer', '-c', 'user.email=takehome@localhost', 'commit', '--quiet', '-m', 'Take-home exercise: build a load balancer');

  io.out(`wrote ${target}: ${step.id} (${step.title}), no solutions, one commit.`);
  io.out(`next: cd ${positionals[0]} && npm install && npm test -- ${step.id}`);
  return 0;
};

function writeCandidate(root: string, target: string, step: Step): void {
  const write = (file: string, content: string) => writeFiles(target, new Map([[file, content]]));
  const copy = (file: string) => cpSync(path.join(root, file), path.join(target, file), { recursive: true });

  for (const file of COPIED_AS_IS) copy(file);
  for (const file of CANDIDATE_TOOLS) copy(`tools/${file}`);
  copy('tests/helpers');
  copy('tests/behaviours');
  writeFiles(path.join(target, 'steps', step.folder), expectedStarter(step, root));
  for (const file of testFilesOf(step)) copy(file);
  // The earlier chapters explain the code the candidate starts from.
  for (const earlier of STEPS.filter((other) => other.number <= step.number)) copy(chapterOf(earlier));
  write('package.json', candidatePackageJson(root));
  write('README.md', candidateReadme(step));
}

function candidatePackageJson(root: string): string {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; scripts: Record<string, string> };
  pkg.name = 'load-balancer-takehome';
  pkg.scripts = {
    test: 'vitest --project learner',
    start: 'tsx tools/learner/cli.ts --from steps',
    progress: 'tsx tools/learner/progress.ts',
    hint: 'tsx tools/learner/hint.ts',
    reset: 'tsx tools/learner/reset.ts',
    typecheck: 'tsc --noEmit',
    'race-demo': 'tsx tools/learner/race-demo.ts',
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

function candidateReadme(step: Step): string {
  return `# Take-home exercise: build a load balancer — ${step.title}

You will finish one feature of a small HTTP load balancer written in TypeScript: ${step.summary}

The code is in \`steps/${step.folder}/\`. Most of it is written and working (it is what earlier
chapters built); the parts you write are marked \`TODO(${step.id})\`. [${chapterOf(step)}](${chapterOf(step)})
explains what to build and why; the earlier chapters in \`docs/\` explain the code you start from.
A test suite checks your work: it is red until your code is right, and it also re-runs the checks
of the earlier features, so you notice if you break one.

Plan for about ${Math.round(step.minutes / 60) || 1} hour(s). If you run out of time, a partial
solution with clear notes on what is missing beats a rushed complete one.

## What to do

\`\`\`bash
npm install
npm test -- ${step.id}           # red at first: each failure says what to write and where
\`\`\`

1. Read the chapter, then find the \`TODO(${step.id})\` comments. Change other code only if you
   explain why in your notes.
2. Make \`npm test -- ${step.id}\` green (\`npm run progress\` shows where you are).
3. \`npm start\` runs your balancer in front of three demo backends; press 1-3 to stop or restart
   one. \`npm run hint -- ${step.id}\` gives one hint at a time; \`npm run reset -- ${step.id}\` starts over.
4. Commit as you go. Add a short \`NOTES.md\`: what you did, what you would do next, what you
   found surprising or would push back on. Your reasoning matters as much as green tests.

Do not add dependencies. Node.js 20.19 or newer (\`.nvmrc\`).
`;
}

if (import.meta.filename === process.argv[1]) await runAsProgram('takehome', takehome);

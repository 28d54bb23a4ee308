/**
 * `npm run takehome -- <dir> --step 3 [--level challenge] [--hours 2] [--no-hints]`: writes a candidate
 * repository for an interview exercise.
 *
 * It holds one step: its starter at the chosen level, its suite and the earlier steps' regression
 * checks, the chapters up to it, and the learner's tools (tools/shared and tools/learner, whole). It
 * holds nothing that answers the exercise or names where it came from: no reference code, no
 * interviewer or maintainer tools, no later step's tests or chapters, neutral names, and a new git
 * history of one commit by a neutral author.
 *
 * Why one step: step N's starter is step N-1's reference code plus new TODOs, by design. Shipping steps
 * 2 and 3 together would hand the candidate step 2's answer inside the step 3 folder. The earlier
 * steps' code is the codebase the candidate works in, as on a real team.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ShippedStarter, Level } from '../learner/starter-source.js';
import { LEVELS, SHIPPED_STARTER } from '../learner/starter-source.js';
import { parseCommand, runAsProgram, stepArgument, UsageError, type Command } from '../shared/command.js';
import { STEPS, chapterOf, testFilesOf, type Step } from '../shared/curriculum.js';
import { writeFiles } from '../shared/files.js';
import { challengeStarter } from '../maintainer/challenge.js';
import { expectedStarter } from '../maintainer/starters.js';

const HELP = `usage: npm run takehome -- <dir> --step <n> [--level guided|challenge] [--hours <h>] [--no-hints]
Writes a candidate repository into <dir> (new or empty) for step n: its starter at the level
(guided by default), its tests and the earlier steps' checks, the chapters up to it and the learner
commands; no reference code, neutral names, one git commit.
  --hours <h>   the time you give the candidate (default: the level's estimate for the step)
  --no-hints    leave out npm run hint and the chapter's Hints section
See docs/interviewing.md for which step and level to assign and how to grade the result.`;

/** The name the candidate's repository goes by: its package, its banner, its commit. */
export const CANDIDATE_NAME = 'load-balancer';
/**
 * The one commit's author and settings, whatever the interviewer's git configuration says: their name,
 * a signing key or a hook would otherwise end up in the candidate's history.
 */
const NEUTRAL_GIT = {
  args: ['-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null', '-c', 'user.name=Exercise', '-c', 'user.email=exercise@example.invalid'],
  env: { GIT_AUTHOR_NAME: 'Exercise', GIT_AUTHOR_EMAIL: 'exercise@example.invalid', GIT_COMMITTER_NAME: 'Exercise', GIT_COMMITTER_EMAIL: 'exercise@example.invalid' },
};
/** Whole folders the candidate gets: the tools a learner uses, and what they import. */
const SHIPPED_FOLDERS = ['tools/shared', 'tools/learner'];
const COPIED_AS_IS = ['.nvmrc'];

export interface TakehomeOptions {
  step: Step;
  level: Level;
  hours: number;
  hints: boolean;
}

export const takehome: Command = async (argv, io) => {
  const { values, positionals } = parseCommand(argv, { step: { type: 'string' }, level: { type: 'string' }, hours: { type: 'string' }, 'no-hints': { type: 'boolean' } });
  if (values.help) return (io.out(HELP), 0);
  if (positionals.length !== 1) throw new UsageError('name one directory to write the candidate repository into');
  if (values.step === undefined) throw new UsageError('choose the step to assign with --step <n> (see docs/interviewing.md)');
  const step = stepArgument(values.step, io.root);
  const level = (values.level ?? 'guided') as Level;
  if (!LEVELS.includes(level)) throw new UsageError(`--level must be ${LEVELS.join(' or ')}, got ${values.level}`);
  const hours = values.hours === undefined ? Math.max(1, Math.round(minutesFor(step, level) / 30) / 2) : Number(values.hours);
  if (!(hours > 0 && hours <= 40)) throw new UsageError(`--hours must be a number of hours above 0, got ${values.hours}`);
  const target = path.resolve(positionals[0]);
  if (existsSync(target) && readdirSync(target).length > 0) throw new UsageError(`${target} exists and is not empty`);

  writeCandidate(io.root, target, { step, level, hours, hints: !values['no-hints'] });
  const git = (...args: string[]) => execFileSync('git', [...NEUTRAL_GIT.args, ...args], { cwd: target, stdio: 'pipe', env: { ...process.env, ...NEUTRAL_GIT.env } });
  git('init', '--quiet', '--initial-branch=main');
  git('add', '--all');
  git('commit', '--quiet', '-m', `Exercise: ${step.title.toLowerCase()} (${level})`);

  io.out(`wrote ${target}: ${step.id} (${step.title}) at the ${level} level, ${hours} h, ${values['no-hints'] ? 'no hints' : 'with hints'}, one commit.`);
  io.out(`next: cd ${positionals[0]} && npm install && npm test -- ${step.id}`);
  return 0;
};

/** The planned time of `step` at `level`, in minutes (tools/shared/curriculum.ts). */
export function minutesFor(step: Step, level: Level): number {
  return level === 'challenge' ? step.challengeMinutes : step.minutes;
}

export function writeCandidate(root: string, target: string, options: TakehomeOptions): void {
  const { step, level } = options;
  const write = (file: string, content: string) => writeFiles(target, new Map([[file, content]]));
  const copy = (file: string) => cpSync(path.join(root, file), path.join(target, file), { recursive: true });

  for (const file of COPIED_AS_IS) copy(file);
  for (const folder of SHIPPED_FOLDERS) copy(folder);
  // The suites, and exactly the helpers and behaviours they import: no later step's checks.
  for (const file of importClosure(root, testFilesOf(step))) copy(file);
  const starter = level === 'challenge' ? challengeStarter(step, root) : expectedStarter(step, root);
  writeFiles(path.join(target, 'steps', step.folder), starter);
  const shipped: ShippedStarter = { step: step.id, level, files: Object.fromEntries(starter) };
  write(SHIPPED_STARTER, `${JSON.stringify(shipped, null, 2)}\n`);
  // The earlier chapters explain the code the candidate starts from.
  const chapters = STEPS.filter((other) => other.number <= step.number).map(chapterOf);
  for (const chapter of chapters) write(chapter, candidateChapter(readFileSync(path.join(root, chapter), 'utf8'), chapter, chapters, options));
  write('package.json', candidatePackageJson(root, options));
  write('package-lock.json', candidateLock(root));
  write('tsconfig.json', CANDIDATE_TSCONFIG);
  write('vitest.config.ts', CANDIDATE_VITEST_CONFIG);
  write('README.md', candidateReadme(options));
  write('NOTES.md', NOTES_TEMPLATE);
  write('.gitignore', 'node_modules\n');
}

/**
 * `files` and every file under tests/ they import, directly or not (relative imports, and workers
 * started from a relative URL). tools/ is shipped whole, so imports into it are not followed.
 */
export function importClosure(root: string, files: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !file.startsWith('tests/')) return;
    seen.add(file);
    const text = readFileSync(path.join(root, file), 'utf8');
    for (const match of text.matchAll(/(?:from |import\(|new URL\()\s*'(\.{1,2}\/[^']+)'/g)) {
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), match[1])).replace(/\.js$/, '.ts');
      if (!existsSync(path.join(root, resolved))) throw new Error(`${file} imports ${match[1]}, which is not there`);
      visit(resolved);
    }
  };
  files.forEach(visit);
  return [...seen].sort();
}

/**
 * A chapter as the candidate gets it: no markers that tie quoted code to where it lives here, no links
 * to chapters the copy does not ship, and without its Hints section under --no-hints.
 */
export function candidateChapter(text: string, chapter: string, shipped: readonly string[], { step, level, hints }: TakehomeOptions): string {
  // The chapter of the assigned step says what this copy's level expects, and nothing of the other.
  let out = text.replace(/^<!-- levels:start[^\n]*-->\n[\s\S]*?<!-- levels:end -->\n/m, chapter === chapterOf(step) ? `${levelNote(step, level)}\n` : '');
  // The markers that tie quoted code and generated blocks to this repository's tools.
  out = out.replace(/^<!-- .* -->\n/gm, '');
  out = out.replace(/\[([^\]]+)\]\(([^)\s]+?)(#[^)]*)?\)/g, (link, label: string, target: string) => {
    if (/^[a-z]+:/.test(target) || target.startsWith('#')) return link;
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(chapter), target));
    return shipped.includes(resolved) ? link : label;
  });
  if (!hints) out = out.replace(/^## Hints\s*\n[\s\S]*?(?=^## )/m, '');
  return out;
}

/** What the chapter says about the level of this copy, in place of both levels. */
function levelNote(step: Step, level: Level): string {
  return level === 'challenge'
    ? `> **This copy is at the challenge level.** ${(step.designs ?? []).map((file) => `\`${file}\``).join(', ')} keep only their exported contract
> (types, signatures, doc comments that say what each part must do); you design the rest. Where this
> chapter names a TODO, read it as a description of what the tests expect.`
    : `> **This copy is at the guided level.** Numbered \`TODO(${step.id})\` comments say what to write.`;
}

function candidatePackageJson(root: string, { hints }: TakehomeOptions): string {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const scripts: Record<string, string> = {
    test: 'vitest --project learner',
    start: 'node --import tsx tools/learner/cli.ts --from steps',
    progress: 'tsx tools/learner/progress.ts',
    reset: 'tsx tools/learner/reset.ts',
    typecheck: 'tsc --noEmit',
    'race-demo': 'tsx tools/learner/race-demo.ts',
  };
  if (hints) scripts.hint = 'tsx tools/learner/hint.ts';
  // Key order as npm writes it, so that `npm install` has nothing to rewrite.
  const { version, type, engines, license, devDependencies, dependencies } = pkg;
  return `${JSON.stringify({ name: CANDIDATE_NAME, version, private: true, type, engines, scripts, license, devDependencies, dependencies }, null, 2)}\n`;
}

/** The lockfile under the neutral name: the same packages, so `npm install` leaves it as it is. */
function candidateLock(root: string): string {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { name: string; packages: Record<string, { name?: string }> };
  lock.name = CANDIDATE_NAME;
  lock.packages[''].name = CANDIDATE_NAME;
  return `${JSON.stringify(lock, null, 2)}\n`;
}

const CANDIDATE_TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'Bundler',
      lib: ['ES2023'],
      types: ['node'],
      strict: true,
      noImplicitOverride: true,
      noFallthroughCasesInSwitch: true,
      esModuleInterop: true,
      verbatimModuleSyntax: true,
      skipLibCheck: true,
      noEmit: true,
      baseUrl: '.',
      paths: { '@impl/*': ['steps/*'] },
    },
    include: ['steps', 'tests', 'tools', 'vitest.config.ts'],
  },
  null,
  2,
)}\n`;

const CANDIDATE_VITEST_CONFIG = `import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** The suites import the code under test as \`@impl/<step folder>/index.js\`: your code in steps/. */
const implRoot = fileURLToPath(new URL('./steps', import.meta.url));

export default defineConfig({
  test: {
    projects: [{ extends: true, resolve: { alias: { '@impl': implRoot } }, test: { name: 'learner', include: ['tests/step*.test.ts'], provide: { implRoot } } }],
    // The suites wait on sockets and timers more than on the CPU: four workers even on two cores.
    maxWorkers: Math.max(4, availableParallelism()),
    // Every test talks to real sockets on 127.0.0.1; a stuck one should fail fast, not hang the run.
    testTimeout: 5_000,
    hookTimeout: 5_000,
  },
});
`;

export const NOTES_TEMPLATE = `# Notes

## What I built

## Decisions and trade-offs
_What did you choose, what else did you consider, and why this?_

## What I would do next, with more time

## What surprised me, or what I would push back on
`;

function candidateReadme({ step, level, hours, hints }: TakehomeOptions): string {
  const where =
    level === 'challenge'
      ? `The code is in \`steps/${step.folder}/\`. Most of it is written and working (it is what earlier
chapters built). The files this step is about — ${(step.designs ?? []).map((file) => `\`${file}\``).join(', ')} — keep only their
exported contract: types, signatures, and doc comments that say what each part must do. How it does it
is yours to design: fields, helpers, timers, error handling. Where another file still needs a piece,
a \`TODO(${step.id})\` marks it.`
      : `The code is in \`steps/${step.folder}/\`. Most of it is written and working (it is what earlier
chapters built); the parts you write are marked \`TODO(${step.id})\`.`;
  return `# Exercise: ${step.title.toLowerCase()}

You will finish one feature of a small HTTP load balancer written in TypeScript: ${step.summary}

${where} [${chapterOf(step)}](${chapterOf(step)}) explains what to build and why; the earlier chapters
in \`docs/\` explain the code you start from. A test suite checks your work: it is red until your code
is right, and it also re-runs the checks of the earlier features, so you notice if you break one.

**Time: ${hours} hour${hours === 1 ? '' : 's'}.** Stop when it is up. A partial solution with clear notes on what
is missing beats a rushed complete one.

## What to do

\`\`\`bash
npm install
npm test -- ${step.id}           # red at first: each failure says what is missing and where
\`\`\`

1. Read the chapter. Change code outside \`steps/${step.folder}/\` only if you explain why in your notes,
   and do not change the tests (add your own if you like, in new files).
2. Make \`npm test -- ${step.id}\` green (\`npm run progress\` shows where you are).
3. \`npm start\` runs your balancer in front of three demo backends; press 1-3 to stop or restart one.
   ${hints ? `\`npm run hint -- ${step.id}\` gives one hint at a time; ` : ''}\`npm run reset -- ${step.id}${level === 'challenge' ? ' --challenge' : ''}\` starts over.
4. Commit as you go: the history of how you got there is part of what we read.
5. Fill in \`NOTES.md\`: what you did, the decisions and trade-offs you made, what you would do next,
   and what you would push back on. Your reasoning matters as much as green tests.

Do not add dependencies. Node.js 20.19 or newer (\`.nvmrc\`).

## How to hand it in

Either a git bundle of your repository:

\`\`\`bash
git bundle create submission.bundle --all
\`\`\`

or an archive of the whole folder with its \`.git\` directory (and without \`node_modules\`).
`;
}

if (import.meta.filename === process.argv[1]) await runAsProgram('takehome', takehome);

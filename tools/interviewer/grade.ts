/**
 * `npm run grade -- <submission> [--step N] [--out report.md]`: grades a take-home submission.
 *
 * A submission is a folder (with or without `.git`), a git bundle, or a .tar/.tar.gz/.tgz archive of
 * the folder. The grader never runs the submission's tests in place of ours: it copies the candidate's
 * step folder into a workspace beside this repository's untouched suites, and runs there
 *   - the step's suite and the earlier steps' regression checks (what the candidate saw),
 *   - the hidden interviewer suite of the step (tools/interviewer/suites: what the candidate did not),
 *   - any test file the candidate added (reported, never counted as ours).
 * Then it reads what the tests cannot: which shipped files changed (tests set aside but reported),
 * the diff against the reference code, the lines written, the commit timeline and NOTES.md. Each
 * finding lands on a row of the rubric in docs/interviewing.md, with a provisional level 1-4 the
 * interviewer confirms or moves after reading the code. The report is one page of Markdown.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { LEVELS, SHIPPED_STARTER, type Level, type ShippedStarter } from '../learner/starter-source.js';
import { parseCommand, runAsProgram, stepArgument, UsageError, type Command } from '../shared/command.js';
import { findStep, testFilesOf, type Step } from '../shared/curriculum.js';
import { filesOf, workspaceOf, writeFiles } from '../shared/files.js';
import { isOwnTest, runVitest, type AssertionResult } from '../shared/vitest-json.js';
import { withoutMaintainerNotes, withoutMarkers } from '../maintainer/starters.js';
import { NOTES_TEMPLATE, writeCandidate } from './takehome.js';

const HELP = `usage: npm run grade -- <submission> [--step <n>] [--level guided|challenge] [--out <file.md>]
Grades a take-home submission (a folder, a git bundle, or a .tar/.tar.gz archive): runs the step's
untouched suite, the earlier steps' checks and the hidden interviewer suite against the candidate's
code, reads the diff, the commit timeline and NOTES.md, and writes a one-page report mapped to the
rubric of docs/interviewing.md. The step and level are read from the submission when it has them.
  --out <file>   where to write the report (default: grade-<submission>.md here)
  --quiet        do not print the diff against the reference`;

/** One rubric row of docs/interviewing.md: its weight, and the provisional level the evidence gives. */
export interface RubricRow {
  row: string;
  weight: number;
  level: 1 | 2 | 3 | 4;
  evidence: string;
}

export interface Grade {
  step: Step;
  level: Level;
  rows: RubricRow[];
  /** The weighted mean of the rows' levels, 1.0-4.0. */
  score: number;
  /** The highest bar of docs/interviewing.md the provisional levels clear. */
  bar: 'senior' | 'mid' | 'junior' | 'no hire';
  report: string;
  /** The submission's step folder against the reference, as `git diff` prints it. */
  diff: string;
}

/** The hidden suites tag each case with the rubric row it informs: `[failure-handling] …`. */
const HIDDEN_ROWS: Record<string, string> = {
  'failure-handling': 'Failure handling',
  concurrency: 'Concurrency and lifecycle',
  lifecycle: 'Concurrency and lifecycle',
  framing: 'Protocol detail',
  correctness: 'Protocol detail',
};

/** Rubric rows and weights (docs/interviewing.md); rows without evidence for a step drop out and the rest are re-weighted. */
const WEIGHTS: Record<string, number> = {
  Correctness: 25,
  'Failure handling': 15,
  'Concurrency and lifecycle': 15,
  'Protocol detail': 10,
  'Test hygiene': 10,
  'Scope and design': 10,
  Communication: 10,
  Process: 5,
};

const NOTES_TEMPLATE_HEADINGS = NOTES_TEMPLATE.split('\n').filter((line) => line.startsWith('## '));

export const grade: Command = async (argv, io) => {
  const { values, positionals } = parseCommand(argv, { step: { type: 'string' }, level: { type: 'string' }, out: { type: 'string' }, quiet: { type: 'boolean' } });
  if (values.help) return (io.out(HELP), 0);
  if (positionals.length !== 1) throw new UsageError('name one submission: a folder, a git bundle or an archive');
  const source = path.resolve(positionals[0]);
  if (!existsSync(source)) throw new UsageError(`${source} does not exist`);
  const scratch = mkdtempSync(path.join(tmpdir(), 'lb-grade-'));
  try {
    const submission = unpack(source, scratch);
    const shipped = readShipped(submission);
    const step = values.step !== undefined ? stepArgument(values.step, io.root) : shipped ? findStep(shipped.step) : onlyStep(submission);
    if (!step) throw new UsageError('cannot tell which step this submission is: pass --step <n>');
    const level = (values.level ?? shipped?.level ?? 'guided') as Level;
    if (!LEVELS.includes(level)) throw new UsageError(`--level must be ${LEVELS.join(' or ')}, got ${values.level}`);
    if (!existsSync(path.join(submission, 'steps', step.folder))) throw new UsageError(`the submission has no steps/${step.folder}`);

    const result = await gradeSubmission(io.root, submission, step, level, path.basename(source), scratch);
    const out = path.resolve(values.out ?? `grade-${path.basename(source).replace(/\.(bundle|tar|tar\.gz|tgz)$/, '')}.md`);
    writeFileSync(out, result.report);
    if (!values.quiet) io.out(result.diff || '(no difference from the reference code)');
    io.out(result.report);
    io.out(`report written to ${out}`);
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
};

/** The submission as a folder: as given, cloned from a bundle, or unpacked from an archive. */
function unpack(source: string, scratch: string): string {
  if (statSync(source).isDirectory()) return source;
  const dir = path.join(scratch, 'submission');
  if (source.endsWith('.bundle')) {
    execFileSync('git', ['clone', '--quiet', source, dir], { stdio: 'pipe' });
    return dir;
  }
  if (/\.(tar|tar\.gz|tgz)$/.test(source)) {
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('tar', ['-xf', source, '-C', dir], { stdio: 'pipe' });
    const entries = readdirSync(dir);
    return entries.length === 1 && statSync(path.join(dir, entries[0])).isDirectory() ? path.join(dir, entries[0]) : dir;
  }
  throw new UsageError(`${source}: give a folder, a .bundle or a .tar/.tar.gz/.tgz archive`);
}

function readShipped(submission: string): ShippedStarter | undefined {
  const file = path.join(submission, SHIPPED_STARTER);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ShippedStarter;
  } catch {
    throw new UsageError(`${SHIPPED_STARTER} in the submission is damaged: pass --step and --level`);
  }
}

function onlyStep(submission: string): Step | undefined {
  const folders = existsSync(path.join(submission, 'steps')) ? readdirSync(path.join(submission, 'steps')) : [];
  return folders.length === 1 ? findStep(folders[0].split('-')[0]) : undefined;
}

/** Runs every check and reads every record of one submission; `scratch` is a folder to work in. */
export async function gradeSubmission(root: string, submission: string, step: Step, level: Level, name: string, scratch: string): Promise<Grade> {
  const given = path.join(scratch, 'given');
  const handedOut = givenTree(root, submission, given, step, level);
  const changes = changedFiles(given, submission, step);

  const runs = await runSuites(root, submission, step, changes.addedTests, scratch);
  const reference = path.join(scratch, 'reference');
  const solutionDir = path.join(root, 'solutions', step.folder);
  writeFiles(reference, new Map(filesOf(solutionDir).map((file) => [file, withoutMaintainerNotes(withoutMarkers(readFileSync(path.join(solutionDir, file), 'utf8')))])));
  const stepDir = path.join(submission, 'steps', step.folder);
  const written = numstat(path.join(given, 'steps', step.folder), stepDir);
  const fromReference = numstat(reference, stepDir);
  const diff = referenceDiff(reference, stepDir);
  const timeline = commitTimeline(submission);
  const notes = readNotes(submission);

  const rows: RubricRow[] = [
    correctnessRow(step, runs.visible),
    ...hiddenRows(runs.hidden, hiddenCases(root, step)),
    hygieneRow(changes, runs.candidate),
    scopeRow(step, changes, written, fromReference),
    { row: 'Communication', weight: WEIGHTS.Communication, level: notes.level, evidence: notes.evidence },
    { row: 'Process', weight: WEIGHTS.Process, level: timeline.level, evidence: timeline.summary },
  ];
  const total = rows.reduce((sum, row) => sum + row.weight, 0);
  const score = rows.reduce((sum, row) => sum + row.level * row.weight, 0) / total;
  const bar = barOf(rows, score);
  const report = renderReport({ name, step, level, rows, score, bar, timeline: timeline.lines, notesPresent: notes.present, written, fromReference, total, handedOut });
  return { step, level, rows, score, bar, report, diff };
}

/** The visible suite and the earlier steps' checks. A suite that could not load the code counts as all red. */
export function correctnessRow(step: Step, visible: SuiteRun): RubricRow {
  const row = { row: 'Correctness', weight: WEIGHTS.Correctness };
  if (visible.loadErrors.length > 0) return { ...row, level: 1, evidence: `the suite could not load the code: ${visible.loadErrors.join('; ')}` };
  // A test that is skipped on this step (some run on their own step only) neither passes nor fails.
  const ran = visible.tests.filter((test) => test.status === 'passed' || test.status === 'failed');
  const own = ran.filter((test) => isOwnTest(step, test));
  const earlier = ran.filter((test) => !isOwnTest(step, test));
  const ownPassed = passedOf(own);
  const earlierPassed = passedOf(earlier);
  if (own.length === 0) return { ...row, level: 1, evidence: 'no test of the step ran' };
  const level = ownPassed === own.length && earlierPassed === earlier.length ? 4 : ownPassed >= 0.9 * own.length && earlierPassed >= 0.95 * earlier.length ? 3 : ownPassed >= 0.5 * own.length ? 2 : 1;
  return { ...row, level, evidence: `visible suite ${ownPassed}/${own.length}, earlier steps' checks ${earlierPassed}/${earlier.length}` };
}

/**
 * The hidden suite's cases, by the rubric row their tag names (`it('[failure-handling] …')`), read
 * from its source: a row keeps its weight even when the candidate's code did not load and nothing ran.
 */
export function hiddenCases(root: string, step: Step): Map<string, string[]> {
  const file = path.join(root, 'tools/interviewer/suites', `${step.folder}.hidden.test.ts`);
  const cases = new Map<string, string[]>();
  if (!existsSync(file)) return cases;
  // it('[tag] title', …) with any of the three quotes; a title may hold the other two, or its own escaped.
  for (const [, , tag, title] of readFileSync(file, 'utf8').matchAll(/\bit\(\s*(['"`])\[([a-z-]+)\] ((?:\\.|(?!\1)[^\\])*)\1/g)) {
    const row = HIDDEN_ROWS[tag];
    if (!row) throw new Error(`${file}: unknown rubric tag [${tag}] (one of ${Object.keys(HIDDEN_ROWS).join(', ')})`);
    cases.set(row, [...(cases.get(row) ?? []), title.replace(/\\(.)/g, '$1')]);
  }
  return cases;
}

/** One row per rubric row the hidden suite informs: the share of its cases that passed, and the ones that did not. */
export function hiddenRows(hidden: SuiteRun, cases: ReadonlyMap<string, readonly string[]>): RubricRow[] {
  const passedTitles = new Set(hidden.tests.filter((test) => test.status === 'passed').map((test) => test.title.replace(/^\[[a-z-]+\] /, '')));
  return [...cases].map(([row, titles]) => {
    const failed = titles.filter((title) => !passedTitles.has(title));
    const passed = titles.length - failed.length;
    const why = hidden.loadErrors.length > 0 ? [`the hidden suite could not load the code: ${hidden.loadErrors.join('; ')}`] : failed.map((title) => `✗ ${title}`);
    return { row, weight: WEIGHTS[row], level: ratioLevel(passed / titles.length), evidence: [`hidden checks ${passed}/${titles.length}`, ...why].join('<br>') };
  });
}

/** Shipped tests left alone, and tests of their own that pass without sleeping. */
export function hygieneRow(changes: Changes, candidate: SuiteRun): RubricRow {
  const added = candidate.tests;
  const addedPassed = passedOf(added);
  const broken = candidate.loadErrors.length > 0 || addedPassed < added.length || changes.sleeps;
  const level = changes.testsChanged.length > 0 ? 1 : added.length === 0 && candidate.loadErrors.length === 0 ? 3 : broken ? 2 : 4;
  const theirs =
    changes.addedTests.length === 0
      ? 'no tests of their own'
      : `${added.length} test(s) of their own in ${changes.addedTests.join(', ')}: ${addedPassed} pass${candidate.loadErrors.length > 0 ? `; did not load: ${candidate.loadErrors.join('; ')}` : ''}${changes.sleeps ? '; they sleep to wait' : ''}`;
  return {
    row: 'Test hygiene',
    weight: WEIGHTS['Test hygiene'],
    level,
    evidence: [changes.testsChanged.length > 0 ? `shipped tests changed (set aside, ours were run): ${changes.testsChanged.join(', ')}` : 'shipped tests untouched', theirs].join('<br>'),
  };
}

/** What changed where; level 4 is the interviewer's, after reading the diff. */
export function scopeRow(step: Step, changes: Changes, written: LineCount, fromReference: LineCount): RubricRow {
  return {
    row: 'Scope and design',
    weight: WEIGHTS['Scope and design'],
    level: changes.dependencies ? 1 : changes.outside.length === 0 ? 3 : 2,
    evidence: [
      `${written.added + written.removed} lines changed in steps/${step.folder} (+${written.added} −${written.removed}), ${fromReference.added + fromReference.removed} lines differ from the reference`,
      changes.outside.length > 0 ? `changed or added outside the step: ${changes.outside.join(', ')}` : 'nothing changed outside the step',
      ...(changes.dependencies ? ['dependencies changed in package.json, against the instructions'] : []),
      '4 only after reading the diff: a design you would merge',
    ].join('<br>'),
  };
}

function passedOf(tests: readonly AssertionResult[]): number {
  return tests.filter((test) => test.status === 'passed').length;
}

function ratioLevel(ratio: number): 1 | 2 | 3 | 4 {
  return ratio === 1 ? 4 : ratio >= 0.75 ? 3 : ratio >= 0.4 ? 2 : 1;
}

/** The bars of docs/interviewing.md, from the provisional levels. */
export function barOf(rows: readonly RubricRow[], score: number): Grade['bar'] {
  const level = (name: string) => rows.find((row) => row.row === name)?.level ?? 4;
  const hidden = rows.filter((row) => Object.values(HIDDEN_ROWS).includes(row.row));
  if (score >= 3.5 && level('Correctness') === 4 && hidden.every((row) => row.level >= 3)) return 'senior';
  if (score >= 3.0 && level('Correctness') >= 3 && hidden.every((row) => row.level >= 2)) return 'mid';
  if (score >= 2.5 && level('Correctness') >= 3) return 'junior';
  return 'no hire';
}

/**
 * What the candidate was given, in `dir`: the first commit of their history (the one the take-home
 * made), or, for a submission without history, a copy made again the same way (which differs where
 * this repository changed since). Returns which of the two it is, for the report.
 */
function givenTree(root: string, submission: string, dir: string, step: Step, level: Level): 'first commit' | 'a fresh copy' {
  if (existsSync(path.join(submission, '.git'))) {
    const first = execFileSync('git', ['rev-list', '--max-parents=0', 'HEAD'], { cwd: submission, encoding: 'utf8' }).trim().split('\n')[0];
    const tar = execFileSync('git', ['archive', '--format=tar', first], { cwd: submission, maxBuffer: 256 * 1024 * 1024 });
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('tar', ['-xf', '-', '-C', dir], { input: tar });
    return 'first commit';
  }
  // Made as the candidate's was: with the hint command only if their package.json has it.
  const pkg = path.join(submission, 'package.json');
  const hints = !existsSync(pkg) || 'hint' in ((JSON.parse(readFileSync(pkg, 'utf8')) as { scripts?: object }).scripts ?? {});
  writeCandidate(root, dir, { step, level, hours: 1, hints });
  return 'a fresh copy';
}

export interface Changes {
  /** Shipped test files the candidate changed or deleted. */
  testsChanged: string[];
  /** Test files the candidate added under tests/. */
  addedTests: string[];
  /** Their added tests wait with timers. */
  sleeps: boolean;
  /** Shipped files outside the step folder and tests/ that changed (tools, docs, configuration). */
  outside: string[];
  dependencies: boolean;
}

function changedFiles(given: string, submission: string, step: Step): Changes {
  const skip = (file: string) => file.startsWith('.git/') || file.startsWith('node_modules/') || file.startsWith(`steps/${step.folder}/`);
  const givenFiles = filesOf(given).filter((file) => !skip(file));
  const submitted = new Set(filesOf(submission).filter((file) => !skip(file)));
  const differs = (file: string) => !submitted.has(file) || readFileSync(path.join(given, file)).compare(readFileSync(path.join(submission, file))) !== 0;
  // The README (time, hints) and the package's scripts depend on the options the copy was made with.
  const ignored = new Set(['README.md', 'NOTES.md', 'package.json', 'package-lock.json']);
  const changed = givenFiles.filter((file) => !ignored.has(file) && differs(file));
  const handedOut = new Set(givenFiles);
  const added = [...submitted].filter((file) => !handedOut.has(file) && !ignored.has(file)).sort();
  // Their test files, and the helpers those may import: all of tests/ they added goes into the run.
  const addedTests = added.filter((file) => file.startsWith('tests/'));
  const sleeps = addedTests.some((file) => file.endsWith('.ts') && /setTimeout\(|sleep\(/.test(readFileSync(path.join(submission, file), 'utf8')));
  const deps = (dir: string) => {
    const file = path.join(dir, 'package.json');
    if (!existsSync(file)) return '';
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { dependencies?: object; devDependencies?: object };
    return JSON.stringify([pkg.dependencies, pkg.devDependencies]);
  };
  return {
    testsChanged: changed.filter((file) => file.startsWith('tests/')),
    addedTests,
    sleeps,
    outside: [...changed, ...added].filter((file) => !file.startsWith('tests/')),
    dependencies: deps(given) !== deps(submission),
  };
}

/** The results of a group of test files, and why any of them did not load (a syntax error, a missing export). */
export interface SuiteRun {
  tests: AssertionResult[];
  loadErrors: string[];
}

interface Runs {
  visible: SuiteRun;
  hidden: SuiteRun;
  candidate: SuiteRun;
}

/** The step's suite, its regression checks, the hidden suite and the candidate's own tests, against the candidate's step folder. */
async function runSuites(root: string, submission: string, step: Step, addedTests: readonly string[], scratch: string): Promise<Runs> {
  const workspace = path.join(scratch, 'workspace');
  workspaceOf(root, workspace, ['tests', 'tools/shared', 'tools/learner', 'tools/interviewer/suites', 'tsconfig.json', 'package.json']);
  cpSync(path.join(submission, 'steps', step.folder), path.join(workspace, 'steps', step.folder), { recursive: true });
  // Their own files under tests/ go where they wrote them, beside our helpers, so that their imports resolve.
  for (const file of addedTests) cpSync(path.join(submission, file), path.join(workspace, file));
  const candidate = addedTests.filter((file) => file.endsWith('.test.ts'));
  const hidden = `tools/interviewer/suites/${step.folder}.hidden.test.ts`;
  const implRoot = path.join(workspace, 'steps');
  // retry: 1 — a test that fails once and then passes was timing on a busy machine, and must not
  // decide a hire; a real fault fails both times. (The lenience it gives a racy submission is small:
  // the hidden suites force their races with injected clocks, not with luck.)
  writeFileSync(
    path.join(workspace, 'vitest.grade.config.ts'),
    `import { defineConfig } from 'vitest/config';
export default defineConfig({
  resolve: { alias: { '@impl': ${JSON.stringify(implRoot)} } },
  test: { include: ${JSON.stringify([...testFilesOf(step), hidden, ...candidate])}, provide: { implRoot: ${JSON.stringify(implRoot)} }, maxWorkers: ${Math.min(4, availableParallelism())}, retry: 1, testTimeout: 5000, hookTimeout: 5000 },
});
`,
  );
  const { report } = await runVitest(['--config', 'vitest.grade.config.ts'], { cwd: workspace });
  const of = (files: readonly string[]): SuiteRun => {
    const results = report.testResults.filter((result) => files.some((file) => result.name.endsWith(file)));
    const loadErrors = results.filter((result) => result.assertionResults.length === 0 && result.status === 'failed').map((result) => `${path.basename(result.name)}: ${result.message.split('\n')[0]}`);
    return { tests: results.flatMap((result) => result.assertionResults), loadErrors };
  };
  return { visible: of(testFilesOf(step)), hidden: of([hidden]), candidate: of(candidate) };
}

/** The submission's step folder against the reference, with neutral names on both sides. */
function referenceDiff(reference: string, stepDir: string): string {
  const args = ['-c', 'core.fsmonitor=', 'diff', '--no-index', '--no-color', '--no-ext-diff', '--no-textconv', '--src-prefix=reference/', '--dst-prefix=submission/', '--', '.', stepDir];
  return spawnSync('git', args, { cwd: reference, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .stdout.replaceAll('reference/./', 'reference/')
    .replaceAll(`submission/${stepDir.replace(/^\//, '')}/`, 'submission/');
}

interface LineCount {
  added: number;
  removed: number;
}

function numstat(from: string, to: string): LineCount {
  const out = spawnSync('git', ['diff', '--no-index', '--numstat', '--', from, to], { encoding: 'utf8' }).stdout;
  let added = 0;
  let removed = 0;
  for (const line of out.split('\n')) {
    const [a, r] = line.split('\t');
    if (/^\d+$/.test(a) && /^\d+$/.test(r)) {
      added += Number(a);
      removed += Number(r);
    }
  }
  return { added, removed };
}

interface Timeline {
  level: 1 | 2 | 3 | 4;
  summary: string;
  lines: string[];
}

/** The candidate's commits after the one they were given: when, what, how much. */
function commitTimeline(submission: string): Timeline {
  if (!existsSync(path.join(submission, '.git'))) return { level: 1, summary: 'no git history (an archive without .git): ask for it', lines: [] };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: submission, encoding: 'utf8' });
  const commits = git('log', '--reverse', '--format=%H%x09%at%x09%s').trim().split('\n').filter(Boolean).map((line) => line.split('\t'));
  const [first, ...theirs] = commits;
  if (theirs.length === 0) return { level: 1, summary: 'no commit after the one they were given', lines: [] };
  const start = Number(first[1]);
  // Authored by the take-home tool; anything else means the history was rewritten from its root.
  const author = git('log', '-1', '--format=%an', first[0]).trim();
  const lines = theirs.map(([hash, at, subject]) => {
    const stat = git('show', '--numstat', '--format=', hash).trim().split('\n').filter(Boolean).map((line) => line.split('\t'));
    const churn = stat.reduce((sum, [a, r]) => sum + (Number(a) || 0) + (Number(r) || 0), 0);
    return `+${minutes(Number(at) - start)} ${subject} (${churn} lines)`;
  });
  // From their first commit to their last: the copy may have waited days before they began.
  const span = minutes(Number(theirs.at(-1)![1]) - Number(theirs[0][1]));
  const level = theirs.length >= 4 ? 4 : theirs.length >= 2 ? 3 : 2;
  const rewritten = author === 'Exercise' ? '' : `; the first commit is not the one handed out (author ${author}): compare with a fresh copy`;
  return { level, summary: `${theirs.length} commit(s) over ${span}, the first ${minutes(Number(theirs[0][1]) - start)} after the copy was made${rewritten}`, lines };
}

function minutes(seconds: number): string {
  const m = Math.round(seconds / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function readNotes(submission: string): { present: boolean; level: 1 | 2 | 3 | 4; evidence: string } {
  const file = path.join(submission, 'NOTES.md');
  if (!existsSync(file)) return { present: false, level: 1, evidence: 'no NOTES.md' };
  // Their words only: the template's lines, headings and comments do not count.
  const template = new Set(NOTES_TEMPLATE.split('\n').map((line) => line.trim()));
  const text = readFileSync(file, 'utf8')
    .replace(/<!--[\s\S]*?-->/g, '')
    .split('\n')
    .filter((line) => !line.startsWith('#') && !template.has(line.trim()))
    .join(' ');
  const words = text.split(/\s+/).filter(Boolean).length;
  const headings = NOTES_TEMPLATE_HEADINGS.filter((heading) => readFileSync(file, 'utf8').includes(heading)).length;
  const weighs = /trade-?off|instead|because|would|chose|rather/i.test(text);
  const level = words === 0 ? 1 : words < 60 ? 2 : words >= 150 && weighs ? 4 : 3;
  return { present: words > 0, level, evidence: words === 0 ? 'NOTES.md is the empty template' : `NOTES.md: ${words} words${weighs ? ', weighs alternatives' : ''}${headings < NOTES_TEMPLATE_HEADINGS.length ? ', template sections removed' : ''}` };
}

interface ReportInput {
  name: string;
  step: Step;
  level: Level;
  rows: readonly RubricRow[];
  score: number;
  bar: Grade['bar'];
  timeline: readonly string[];
  notesPresent: boolean;
  written: { added: number; removed: number };
  fromReference: { added: number; removed: number };
  total: number;
  handedOut: 'first commit' | 'a fresh copy';
}

function renderReport({ name, step, level, rows, score, bar, timeline, notesPresent, written, fromReference, total, handedOut }: ReportInput): string {
  const lines = [
    `# Grade: ${name} — ${step.id} (${step.title}), ${level} level`,
    '',
    `**Provisional score ${score.toFixed(2)} of 4** (weighted over ${total} points) — clears the **${bar}** bar of docs/interviewing.md.`,
    'Every level below is the evidence\'s; confirm or move each after reading the code (docs/interviewing.md, "Rubric").',
    '',
    '| rubric row | weight | level | evidence |',
    '| --- | ---: | ---: | --- |',
    ...rows.map((row) => `| ${row.row} | ${row.weight} | ${row.level} | ${row.evidence} |`),
    '',
    `Lines changed in the step: +${written.added} −${written.removed}; differing from the reference: +${fromReference.added} −${fromReference.removed}. NOTES.md: ${notesPresent ? 'present' : 'missing or empty'}. Changes are counted against ${handedOut === 'first commit' ? 'the first commit, as handed out' : 'a fresh copy (no history came with it)'}.`,
    '',
    '## Timeline',
    '',
    ...(timeline.length > 0 ? timeline.map((line) => `- ${line}`) : ['- (none)']),
    '',
    '## Ask in the follow-up',
    '',
    ...followUps(rows).map((question) => `- ${question}`),
    '',
  ];
  return lines.join('\n');
}

/** Questions for the follow-up interview, picked by the weakest rows (docs/interviewing.md, "Follow-up questions"). */
function followUps(rows: readonly RubricRow[]): string[] {
  const questions: Record<string, string> = {
    Correctness: 'Walk me through the first failing test: what does it expect, and why is that the right behaviour?',
    'Failure handling': 'Which methods may go again after a reset, and how did you decide? What about a method you have never heard of?',
    'Concurrency and lifecycle': 'What runs after `close()`? Name every timer, socket and promise your code starts, and who ends each.',
    'Protocol detail': 'The balancer strips `Transfer-Encoding` because it is hop-by-hop. What must it do right after, and what happens if it does not?',
    'Test hygiene': 'Which behaviour of yours has no test, and what test would you write first?',
    'Scope and design': 'What would you change if a second person had to extend this tomorrow?',
    Communication: 'What did you choose not to do, and why?',
    Process: 'Show me the commit where you changed your mind about something.',
  };
  const weakest = [...rows].sort((a, b) => a.level - b.level || b.weight - a.weight).slice(0, 3);
  return weakest.map((row) => `(${row.row}, level ${row.level}) ${questions[row.row]}`);
}

if (import.meta.filename === process.argv[1]) await runAsProgram('grade', grade);

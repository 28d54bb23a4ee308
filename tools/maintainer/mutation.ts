/**
 * `npm run mutation -- step3`: mutation testing of a step's reference solution with StrykerJS.
 *
 * Stryker changes the solution's code one small way at a time (a `<` becomes `<=`, a condition
 * becomes `true`, a block is emptied) and runs the step's suite against each change, a "mutant".
 * A mutant the suite notices is killed; one it does not notice survived, and shows a behaviour no
 * test pins down. The score is killed / (killed + survived); docs/testing.md says how to read a
 * survivor and keeps the table of scores.
 *
 * Only the files a step writes (`owns` in curriculum.ts) are mutated: inherited files are scored
 * with the step that wrote them. index.ts only re-exports.
 *
 *   npm run mutation -- step3              one step: survivors, then its score
 *   npm run mutation -- --all              every step, then a table of scores
 *   npm run mutation -- --all --write-docs …and the table into docs/testing.md (with steps named: their rows only)
 *
 * Why a config of its own (tools/maintainer/mutation/vitest.config.ts): Stryker's vitest runner 9.x cannot pick
 * one project out of a multi-project vitest.config.ts (it has no `project` option; stryker-js#6215),
 * so it would run the learner project against steps/ too.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MutantResult, PartialStrykerOptions } from '@stryker-mutator/api/core';
import { Stryker } from '@stryker-mutator/core';
import { parseCommand, runAsProgram, stepArgument, UsageError, type Command } from '../shared/command.js';
import { STEPS, testFilesOf, type Step } from '../shared/curriculum.js';
import { ROOT } from '../shared/files.js';

const HELP = `usage: npm run mutation -- <step…> | --all [--write-docs]
Mutation-tests the reference solution of each step named (e.g. step3, or 3) with StrykerJS and
prints the survivors and the score. --all runs every step; --write-docs puts the scores into the
table of docs/testing.md (the rows of the steps measured).`;

const DOCS = path.join(ROOT, 'docs', 'testing.md');
const TABLE_START = '<!-- mutation:start (written by npm run mutation -- --all --write-docs) -->';
const TABLE_END = '<!-- mutation:end -->';

export interface Score {
  step: Step;
  killed: number;
  survived: number;
  /** Mutants that made the suite hang: the suite noticed, so they count as killed. */
  timeout: number;
  noCoverage: number;
  /** Mutants that do not type-check or were marked equivalent in the code: not counted. */
  excluded: number;
}

/** killed / (killed + survived), in percent; mutants no test reaches count as survived. */
export function percent(score: Score): number {
  const detected = score.killed + score.timeout;
  const total = detected + score.survived + score.noCoverage;
  return total === 0 ? 100 : (100 * detected) / total;
}

export function scoreOf(step: Step, results: readonly MutantResult[]): Score {
  const count = (...statuses: MutantResult['status'][]) => results.filter((result) => statuses.includes(result.status)).length;
  return {
    step,
    killed: count('Killed'),
    survived: count('Survived'),
    timeout: count('Timeout'),
    noCoverage: count('NoCoverage'),
    excluded: count('CompileError', 'RuntimeError', 'Ignored'),
  };
}

/** The Stryker options for one step. */
function optionsFor(step: Step): PartialStrykerOptions {
  const mutated = step.owns.filter((file) => file !== 'index.ts').map((file) => `solutions/${step.folder}/${file}`);
  return {
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner', '@stryker-mutator/typescript-checker'],
    vitest: { configFile: 'tools/maintainer/mutation/vitest.config.ts', related: false },
    checkers: ['typescript'],
    tsconfigFile: 'tools/maintainer/mutation/tsconfig.json',
    mutate: mutated,
    coverageAnalysis: 'perTest',
    reporters: ['clear-text', 'progress'],
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
    concurrency: 2,
    timeoutMS: 10_000,
    tempDirName: 'node_modules/.stryker-tmp',
    cleanTempDir: 'always',
    ignorePatterns: ['steps', '.git'],
  };
}

export async function mutate(step: Step): Promise<Score> {
  // Read by tools/maintainer/mutation/vitest.config.ts, in Stryker's test runner processes too.
  process.env.LB_MUTATION_STEP = step.folder;
  console.log(`\n== mutation testing ${step.id}: solutions/${step.folder}, against ${testFilesOf(step).join(' and ')} ==`);
  const results = await new Stryker(optionsFor(step)).runMutationTest();
  return scoreOf(step, results);
}

export function renderScores(scores: readonly Score[]): string[] {
  const rows = scores.map(
    (score) =>
      `| ${score.step.number} | ${score.step.title} | ${score.killed + score.timeout} | ${score.survived} | ${score.noCoverage} | ${score.excluded} | **${percent(score).toFixed(1)} %** |`,
  );
  return ['| step | title | killed | survived | no coverage | not counted | score |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |', ...rows];
}

/** Puts the scores into docs/testing.md's table: the rows of the steps measured now replace theirs, the others stay. */
function writeDocsTable(scores: readonly Score[]): void {
  const text = readFileSync(DOCS, 'utf8');
  const from = text.indexOf(TABLE_START);
  const to = text.indexOf(TABLE_END);
  if (from === -1 || to === -1) throw new Error(`docs/testing.md needs the markers ${TABLE_START} and ${TABLE_END}`);
  const [header, rule, ...fresh] = renderScores(scores);
  const rows = new Map(text.slice(from, to).split('\n').filter((line) => /^\| \d+ \|/.test(line)).map((line) => [line.split('|')[1].trim(), line]));
  for (const row of fresh) rows.set(row.split('|')[1].trim(), row);
  const ordered = [...rows.entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([, row]) => row);
  const table = [TABLE_START, header, rule, ...ordered, TABLE_END].join('\n');
  writeFileSync(DOCS, text.slice(0, from) + table + text.slice(to + TABLE_END.length));
}

export const mutation: Command = async (argv, io) => {
  const { values, positionals } = parseCommand(argv, { all: { type: 'boolean' }, 'write-docs': { type: 'boolean' } });
  if (values.help) return (io.out(HELP), 0);
  if (values.all && positionals.length > 0) throw new UsageError('name steps or use --all, not both');
  if (!values.all && positionals.length === 0) throw new UsageError('name a step (e.g. step3) or use --all');
  const steps = values.all ? [...STEPS] : positionals.map((name) => stepArgument(name, io.root));

  const scores: Score[] = [];
  for (const step of steps) scores.push(await mutate(step));
  io.out('');
  for (const line of renderScores(scores)) io.out(line);
  if (values['write-docs']) {
    writeDocsTable(scores);
    io.out('wrote the table into docs/testing.md');
  }
  return 0;
};

if (import.meta.filename === process.argv[1]) await runAsProgram('mutation', mutation);

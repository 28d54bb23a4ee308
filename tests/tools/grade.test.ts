import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { STEPS } from '../../tools/shared/curriculum.js';
import { filesOf, writeFiles } from '../../tools/shared/files.js';
import { barOf, correctnessRow, grade, gradeSubmission, hiddenCases, hiddenRows, hygieneRow, scopeRow, type Changes, type Grade, type RubricRow } from '../../tools/interviewer/grade.js';
import { takehome } from '../../tools/interviewer/takehome.js';
import { expectedStarter, withoutMaintainerNotes, withoutMarkers } from '../../tools/maintainer/starters.js';
import { REPO, captureIO, tempDir } from './command-io.js';

const step3 = STEPS[2];

interface Fixture {
  description: string;
  replacements: { file: string; find: string; replace: string }[];
}

/** The reference code of step 3, with the flaws of tests/tools/fixtures/flawed-step3.json applied when asked. */
function referenceCode(flawed: boolean): Map<string, string> {
  const dir = path.join(REPO, 'solutions', step3.folder);
  const files = new Map(filesOf(dir).map((file) => [file, readFileSync(path.join(dir, file), 'utf8')]));
  if (flawed) {
    const fixture = JSON.parse(readFileSync(path.join(REPO, 'tests/tools/fixtures/flawed-step3.json'), 'utf8')) as Fixture;
    for (const { file, find, replace } of fixture.replacements) {
      const text = files.get(file) ?? '';
      expect(text.split(find).length - 1, `the flaw for ${file} must match exactly once`).toBe(1);
      files.set(file, text.replace(find, replace));
    }
  }
  // As a candidate would hand it in: without our markers and mutation-testing notes, which they never saw.
  return new Map([...files].map(([file, text]) => [file, withoutMaintainerNotes(withoutMarkers(text))]));
}

const NOTES = {
  thorough: `# Notes

## What I built
Retries on the same backend, then failover to the next one, with the retry decision in mayRetry.

## Decisions and trade-offs
I kept the idempotent set exactly as RFC 9110 lists it instead of a denylist, because an unknown
method must be treated as unsafe: a PURGE sent twice is cheap, but a custom payment method is not.
I chose to pause only between two tries on the same backend; failover goes at once, as nginx does,
rather than adding the delay to every backend. The pause listens to the client's signal, so a client
that leaves stops the loop, and close() clears it.

## What I would do next, with more time
A retry budget (Envoy's 20 %) so that a failing backend cannot triple the load on the others, and
jittered backoff instead of a fixed delay. I would push back on marking a backend down after one
exhausted request: the health checks of the next step should own that decision, and I would say so.
`,
  brief: `# Notes

## What I built
Retries and failover. All tests pass. I used a denylist for the methods that must not be resent,
since that is what nginx documents, and I pause before each new backend too to be gentle with them.

## What I would do next, with more time
Backoff.
`,
};

/** A submission of step 3: a take-home copy, the given code, notes, and `commits` commits 25 minutes apart. */
async function submission(code: Map<string, string>, notes: string | undefined, commits: number): Promise<string> {
  const dir = path.join(tempDir('grade'), 'submission');
  await takehome([dir, '--step', '3'], captureIO(REPO));
  const handedOut = Number(execFileSync('git', ['log', '-1', '--format=%at'], { cwd: dir, encoding: 'utf8' }));
  const git = (args: string[], at: number) =>
    execFileSync('git', ['-c', 'user.name=Candidate', '-c', 'user.email=c@example.invalid', ...args], {
      cwd: dir,
      env: { ...process.env, GIT_AUTHOR_DATE: `${handedOut + at * 60} +0000`, GIT_COMMITTER_DATE: `${handedOut + at * 60} +0000` },
      stdio: 'pipe',
    });
  for (let i = 1; i <= commits; i += 1) {
    // The code arrives file by file: a history an interviewer can read.
    const part = [...code].filter((_, index) => index % commits === i - 1);
    writeFiles(path.join(dir, 'steps', step3.folder), new Map(part));
    if (i === commits && notes) writeFileSync(path.join(dir, 'NOTES.md'), notes);
    git(['add', '--all'], 0);
    git(['commit', '--quiet', '--allow-empty', '-m', `work, part ${i}`], 25 * i);
  }
  return dir;
}

async function gradeOf(dir: string, name: string): Promise<Grade> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'lb-grade-test-'));
  onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
  return gradeSubmission(REPO, dir, step3, 'guided', name, scratch);
}

const levelOf = (result: Grade, row: string) => result.rows.find((candidate) => candidate.row === row)?.level;

describe('npm run grade', () => {
  it('ranks the reference above a flawed submission that passes the visible suite, and that above an unfinished one', { timeout: 120_000 }, async () => {
    const [reference, flawed, unfinished] = await Promise.all([
      submission(referenceCode(false), NOTES.thorough, 4),
      submission(referenceCode(true), NOTES.brief, 2),
      submission(expectedStarter(step3, REPO, 2), undefined, 1),
    ]);
    // One after another: three suites at once on top of the rest of the run would oversubscribe a
    // 2-core machine until its timing-sensitive tests flake (seen once in 10 runs).
    const best = await gradeOf(reference, 'reference');
    const middle = await gradeOf(flawed, 'flawed');
    const worst = await gradeOf(unfinished, 'unfinished');

    expect(best.score, 'the reference ranks first').toBeGreaterThan(middle.score);
    expect(middle.score, 'the flawed one second').toBeGreaterThan(worst.score);

    expect(levelOf(best, 'Correctness')).toBe(4);
    expect(best.rows.filter((row) => ['Failure handling', 'Concurrency and lifecycle', 'Protocol detail'].includes(row.row)).map((row) => row.level), 'every hidden check passes on the reference').toEqual([4, 4, 4]);
    expect(best.bar).toBe('senior');

    expect(levelOf(middle, 'Correctness'), 'the flawed submission passes every visible test').toBe(4);
    expect(levelOf(middle, 'Failure handling'), 'the hidden suite finds its flaws').toBeLessThanOrEqual(2);
    expect(middle.report).toMatch(/✗ .*idempotent methods/);
    expect(middle.bar).not.toBe('senior');

    expect(levelOf(worst, 'Correctness'), 'an unfinished step fails visible tests').toBeLessThanOrEqual(2);
    expect(levelOf(worst, 'Communication'), 'and left the notes empty').toBe(1);
    expect(worst.bar).toBe('no hire');

    for (const result of [best, middle, worst]) {
      expect(result.report.split('\n').length, 'one page').toBeLessThan(60);
      for (const row of ['Correctness', 'Failure handling', 'Test hygiene', 'Scope and design', 'Communication', 'Process']) expect(result.report).toContain(`| ${row} |`);
    }
    expect(best.report).toMatch(/4 commit\(s\) over 1 h 15 min, the first 25 min after the copy was made/);
    expect(best.diff, 'the reference has nothing to show against itself').toBe('');
    expect(middle.diff).toMatch(/^[-+].*IDEMPOTENT_METHODS/m);
  });

  it('grades a git bundle, sets changed tests aside and reports them, and writes the report file', { timeout: 60_000 }, async () => {
    const dir = await submission(referenceCode(false), NOTES.thorough, 1);
    // A candidate who "fixes" a test: ours run instead, and the change is reported.
    const suite = path.join(dir, 'tests', `${step3.folder}.test.ts`);
    writeFileSync(suite, `${readFileSync(suite, 'utf8')}\n// loosened\n`);
    execFileSync('git', ['-c', 'user.name=C', '-c', 'user.email=c@example.invalid', 'commit', '--quiet', '-am', 'loosen a test'], { cwd: dir });
    const bundle = path.join(tempDir('grade'), 'candidate.bundle');
    execFileSync('git', ['bundle', 'create', '--quiet', bundle, '--all'], { cwd: dir });
    const out = path.join(path.dirname(bundle), 'report.md');
    const io = captureIO(REPO);

    expect(await grade([bundle, '--out', out, '--quiet'], io)).toBe(0);

    expect(existsSync(out)).toBe(true);
    const report = readFileSync(out, 'utf8');
    expect(report).toMatch(/^# Grade: candidate\.bundle — step3/);
    expect(report).toMatch(/\| Test hygiene \| 10 \| 1 \| shipped tests changed \(set aside, ours were run\): tests\/step3-retries\.test\.ts/);
    expect(report, 'our untouched suite still ran, and passed').toMatch(/\| Correctness \| 25 \| 4 \|/);
  });
});

describe('the rubric rows of npm run grade', () => {
  const test = (title: string, status: 'passed' | 'failed') => ({ ancestorTitles: ['step3: retries'], title, fullName: title, status, failureMessages: [] });
  const unchanged: Changes = { testsChanged: [], addedTests: [], sleeps: false, outside: [], dependencies: false };

  it('code the suites cannot load is Correctness 1, and every hidden row keeps its cases, all failed', () => {
    const broken = { tests: [], loadErrors: ['step3-retries.test.ts: SyntaxError: Unexpected token'] };
    expect(correctnessRow(step3, broken)).toMatchObject({ level: 1, evidence: expect.stringContaining('could not load the code') });
    const rows = hiddenRows(broken, hiddenCases(REPO, step3));
    expect(rows.map((row) => row.row).sort()).toEqual(['Concurrency and lifecycle', 'Failure handling', 'Protocol detail']);
    expect(rows.map((row) => row.level)).toEqual([1, 1, 1]);
  });

  it('reads every hidden suite by its tags; a case that did not run counts as failed', () => {
    for (const step of STEPS) {
      const source = readFileSync(path.join(REPO, 'tools/interviewer/suites', `${step.folder}.hidden.test.ts`), 'utf8');
      const count = [...hiddenCases(REPO, step).values()].flat().length;
      expect(count, `${step.id}: every case is tagged with a rubric row`).toBe(source.split(/\bit\(/).length - 1);
    }
    const table = readFileSync(path.join(REPO, 'docs/interviewing.md'), 'utf8');
    for (const step of STEPS) {
      const cases = hiddenCases(REPO, step);
      const counts = ['Failure handling', 'Concurrency and lifecycle', 'Protocol detail'].map((row) => String(cases.get(row)?.length ?? '—'));
      const line = new RegExp(`^\\| ${step.number} \\| ([^|]+) \\| ([^|]+) \\| ([^|]+) \\|$`, 'm').exec(table);
      expect(line?.slice(1).map((cell) => cell.replace(' case', '').trim()), `docs/interviewing.md's row for step ${step.number}`).toEqual(counts);
    }
    const cases = new Map([['Failure handling', ['a', 'b', 'c', 'd']]]);
    expect(hiddenRows({ tests: [test('[failure-handling] a', 'passed'), test('[failure-handling] b', 'passed'), test('[failure-handling] c', 'passed')], loadErrors: [] }, cases)[0]).toMatchObject({ level: 3, evidence: 'hidden checks 3/4<br>✗ d' });
  });

  it('Correctness: all green 4; 90 % of the step and 95 % of the earlier checks 3; half 2; less 1', () => {
    const run = (own: number, ownTotal: number, earlier = 0, earlierTotal = 0) => ({
      tests: [
        ...Array.from({ length: ownTotal }, (_, i) => test(`o${i}`, i < own ? 'passed' : 'failed')),
        ...Array.from({ length: earlierTotal }, (_, i) => ({ ...test(`e${i}`, i < earlier ? 'passed' : 'failed'), ancestorTitles: ['step1 regression (on step3): x'] })),
      ],
      loadErrors: [],
    });
    expect([run(10, 10, 20, 20), run(10, 10, 19, 20), run(9, 10, 20, 20), run(5, 10), run(4, 10)].map((visible) => correctnessRow(step3, visible).level)).toEqual([4, 3, 3, 2, 1]);
  });

  it('Test hygiene: changed tests 1, failing or sleeping tests of their own 2, untouched 3, passing tests of their own 4; Scope: a new dependency 1', () => {
    const theirs = { ...unchanged, addedTests: ['tests/mine.test.ts'] };
    expect(hygieneRow({ ...unchanged, testsChanged: ['tests/step3-retries.test.ts'] }, { tests: [], loadErrors: [] }).level).toBe(1);
    expect(hygieneRow(theirs, { tests: [test('mine', 'failed')], loadErrors: [] }).level).toBe(2);
    expect(hygieneRow({ ...theirs, sleeps: true }, { tests: [test('mine', 'passed')], loadErrors: [] }).level).toBe(2);
    expect(hygieneRow(theirs, { tests: [], loadErrors: ['mine.test.ts: SyntaxError'] }).level).toBe(2);
    expect(hygieneRow(unchanged, { tests: [], loadErrors: [] }).level).toBe(3);
    expect(hygieneRow(theirs, { tests: [test('mine', 'passed')], loadErrors: [] }).level).toBe(4);
    const lines = { added: 1, removed: 1 };
    expect([scopeRow(step3, unchanged, lines, lines), scopeRow(step3, { ...unchanged, outside: ['tools/learner/cli.ts'] }, lines, lines), scopeRow(step3, { ...unchanged, dependencies: true }, lines, lines)].map((row) => row.level)).toEqual([3, 2, 1]);
  });

  it('the bars: senior needs Correctness 4 and every hidden row at 3 or more, mid no hidden row at 1, junior Correctness 3', () => {
    const rows = (correctness: 1 | 2 | 3 | 4, hidden: 1 | 2 | 3 | 4): RubricRow[] => [
      { row: 'Correctness', weight: 25, level: correctness, evidence: '' },
      { row: 'Failure handling', weight: 15, level: hidden, evidence: '' },
    ];
    expect(barOf(rows(4, 3), 3.6)).toBe('senior');
    expect(barOf(rows(4, 2), 3.6)).toBe('mid');
    expect(barOf(rows(4, 1), 3.2)).toBe('junior');
    expect(barOf(rows(3, 4), 3.0)).toBe('mid');
    expect(barOf(rows(2, 4), 3.0)).toBe('no hire');
    expect(barOf(rows(4, 4), 2.4)).toBe('no hire');
  });
});

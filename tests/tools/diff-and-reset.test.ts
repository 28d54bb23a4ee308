import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../tools/shared/command.js';
import { diff } from '../../tools/maintainer/diff.js';
import { reset } from '../../tools/maintainer/learner-reset.js';
import { challengeStarter } from '../../tools/maintainer/challenge.js';
import { expectedStarter } from '../../tools/maintainer/starters.js';
import { STEPS } from '../../tools/shared/curriculum.js';
import { captureIO, copyOfRepo, REPO } from './command-io.js';

const step1 = STEPS[0];

describe('npm run diff', () => {
  it('shows your code against the reference, without the exercise markers', async () => {
    const root = copyOfRepo('steps', 'solutions');
    const io = captureIO(root);

    expect(await diff(['step1'], io)).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/^--- yours = steps\/step1-naive-forwarding, \+\+\+ reference = solutions\/step1-naive-forwarding/);
    expect(text).toContain("-    throw new NotImplementedError('step1-naive-forwarding'");
    expect(text).toContain('+    this.#proxy.web(inbound, res, { target: backend });');
    expect(text).not.toContain('#region');
  });

  it('with --new, shows what a step adds to the previous one', async () => {
    const io = captureIO(copyOfRepo('steps', 'solutions'));
    await diff(['2', '--new'], io);
    expect(io.stdout.join('\n')).toMatch(/step2-round-robin\/server-pool\.ts/);

    const first = captureIO(io.root);
    await diff(['1', '--new'], first);
    expect(first.stdout[0]).toMatch(/first step/);
  });

  it('says so when there are no solutions to compare with', async () => {
    const io = captureIO(copyOfRepo('steps'));
    expect(await diff(['1'], io)).toBe(1);
    expect(io.stderr[0]).toMatch(/no solutions/);
  });

  it('has --help and rejects what it does not understand', async () => {
    const io = captureIO(REPO);
    expect(await diff(['--help'], io)).toBe(0);
    await expect(diff(['step1', 'step2'], io)).rejects.toThrow(UsageError);
    await expect(diff(['--colour'], io)).rejects.toThrow(UsageError);
  });
});

describe('npm run reset', () => {
  it('restores the starter, removes added files, and leaves other steps alone', async () => {
    const root = copyOfRepo('steps', 'solutions');
    const proxy = path.join(root, 'steps', step1.folder, 'proxy.ts');
    appendFileSync(proxy, '\n// my work\n');
    writeFileSync(path.join(root, 'steps', step1.folder, 'notes.ts'), 'export {};\n');
    appendFileSync(path.join(root, 'steps/step2-round-robin/mutex.ts'), '\n// step 2 work\n');

    const io = captureIO(root);
    expect(await reset(['step1', '--yes'], io)).toBe(0);

    expect(readFileSync(proxy, 'utf8')).toBe(expectedStarter(step1, REPO).get('proxy.ts'));
    expect(existsSync(path.join(root, 'steps', step1.folder, 'notes.ts'))).toBe(false);
    expect(readFileSync(path.join(root, 'steps/step2-round-robin/mutex.ts'), 'utf8')).toMatch(/step 2 work/);
  });

  it('asks first, and changes nothing without a yes', async () => {
    const root = copyOfRepo('steps', 'solutions');
    const proxy = path.join(root, 'steps', step1.folder, 'proxy.ts');
    appendFileSync(proxy, '\n// my work\n');

    expect(await reset(['1'], captureIO(root, { answer: false }))).toBe(1);
    expect(readFileSync(proxy, 'utf8')).toMatch(/my work/);
    expect(await reset(['1'], captureIO(root, { answer: true }))).toBe(0);
    expect(readFileSync(proxy, 'utf8')).not.toMatch(/my work/);
  });

  it('switches a step to the challenge starter and back', { timeout: 20_000 }, async () => {
    const root = copyOfRepo('steps', 'solutions');
    const step3 = STEPS[2];
    const policy = path.join(root, 'steps', step3.folder, 'retry-policy.ts');
    const guided = readFileSync(policy, 'utf8');

    expect(await reset(['3', '--challenge', '--yes'], captureIO(root))).toBe(0);
    const challenge = readFileSync(policy, 'utf8');
    expect(challenge).toBe(challengeStarter(step3, REPO).get('retry-policy.ts'));
    expect(challenge, 'the challenge keeps the contract').toMatch(/export function mayRetry\(err: Error, method: string, body: RequestBody, res: ServerResponse\): boolean \{/);
    expect(challenge, 'and leaves the design to the learner: no TODO recipe').not.toMatch(/TODO\(step3\)/);
    expect(challenge).not.toBe(guided);

    expect(await reset(['3', '--yes'], captureIO(root))).toBe(0);
    expect(readFileSync(policy, 'utf8')).toBe(guided);
  });

  it('has --help and rejects unknown steps and two levels at once', async () => {
    const io = captureIO(REPO);
    expect(await reset(['--help'], io)).toBe(0);
    await expect(reset(['step0', '--yes'], io)).rejects.toThrow(UsageError);
    await expect(reset(['step1', '--challenge', '--guided', '--yes'], io)).rejects.toThrow(UsageError);
  });
});

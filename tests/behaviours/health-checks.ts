import { setTimeout as delay } from 'node:timers/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import type { LoadBalancer } from '../../tools/shared/contract.js';
import { startBalancer } from '../helpers/balancer.js';
import { startBlackHole } from '../helpers/black-hole.js';
import { answer, startFakeBackend, startFakeBackends, type FakeBackend } from '../helpers/fake-backend.js';
import { leakedSince, openHandles } from '../helpers/leaks.js';
import { messagesFor } from '../helpers/learner-messages.js';
import { rawExchange, requestToAbandon } from '../helpers/raw-http.js';
import { describeBehaviour, type Target } from '../helpers/suite.js';
import type { BackendLike, PoolLike } from './round-robin.js';
import { ENDINGS, playEndings } from './try-endings.js';

type HealthState = 'up' | 'suspect' | 'down' | 'recovering';
interface Transition {
  from: HealthState;
  to: HealthState;
  reason: string;
}
interface HealthEvent extends Transition {
  backend: string;
}
interface HealthRules {
  rise: number;
  fall: number;
  maxFails: number;
  failWindowMs: number;
  baseEjectionMs: number;
  maxEjectionMs: number;
}
interface Status {
  url: string;
  state: HealthState;
  available: boolean;
  maintenance: boolean;
  lastError: string | null;
}

interface HealthOptions {
  backends: readonly string[];
  drainTimeoutMs?: number;
  retryDelayMs?: number;
  maxRetries?: number;
  maxAttempts?: number;
  healthCheck?: { mode?: 'http' | 'tcp'; path?: string; intervalMs?: number; timeoutMs?: number; rise?: number; fall?: number };
  passiveHealth?: { maxFails?: number; failWindowMs?: number; baseEjectionMs?: number; maxEjectionMs?: number; unhealthyStatuses?: readonly number[] };
  onHealthChange?: (event: HealthEvent) => void;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

type HealthBalancer = LoadBalancer & {
  pool: PoolLike;
  health: { status(): Status[]; setMaintenance(backend: BackendLike, on: boolean): void; start(): void; stop(): void };
  listenAdmin(port?: number, host?: string): Promise<{ url: string }>;
};

/** The step 4 exports these checks need (described by shape, so later steps fit too). */
interface HealthModule {
  createLoadBalancer(options: HealthOptions): HealthBalancer;
  probeHttp(backend: URL, path: string, timeoutMs: number, signal: AbortSignal): Promise<{ passed: boolean; error?: string }>;
  probeTcp(backend: URL, timeoutMs: number, signal: AbortSignal): Promise<{ passed: boolean; error?: string }>;
  BackendHealth: new (rules: HealthRules) => {
    state: HealthState;
    lastError: string | undefined;
    readonly available: boolean;
    recordProbe(passed: boolean, error?: string): Transition | undefined;
    recordFailure(error: string, now: number, mayEject: boolean): { transition: Transition; cooldownMs: number } | undefined;
    recordSuccess(): void;
    readmit(): Transition | undefined;
  };
}

/** Thresholds unlike every default (rise 2, fall 3, maxFails 1, 10 s, 30 s, 300 s), so a hard-coded default fails. */
const RULES: HealthRules = { rise: 3, fall: 2, maxFails: 3, failWindowMs: 1_000, baseEjectionMs: 100, maxEjectionMs: 250 };
/** Probe fast so each test takes milliseconds; `eventually` waits for the outcome, never a fixed sleep. */
const FAST = { intervalMs: 15, timeoutMs: 500, rise: 3, fall: 2 };

/** Requests a backend got from clients, probes not counted. */
const traffic = (backend: FakeBackend, path = '/healthz') => backend.requests.length - backend.count(path);

/** Collects health events, noting how many probes a backend had received when each one happened. */
function recorder(watch?: FakeBackend, path = '/healthz') {
  const events: (HealthEvent & { probes: number; at: number })[] = [];
  const onHealthChange = (event: HealthEvent) => events.push({ ...event, probes: watch?.count(path) ?? 0, at: performance.now() });
  const find = (backend: FakeBackend, to: HealthState, after = 0) => events.find((e, i) => i >= after && e.backend === backend.url && e.to === to);
  return { events, onHealthChange, find };
}

/** States after each input: a transition's target, or the state it stayed in. */
function walk(health: InstanceType<HealthModule['BackendHealth']>, probes: boolean[]): HealthState[] {
  return probes.map((passed) => health.recordProbe(passed, passed ? undefined : 'HTTP 500')?.to ?? health.state);
}

/**
 * Polls `check` every 10 ms until it returns something (bounded: `timeoutMs`), like expect.poll, but
 * fails at once when the balancer has emitted a warning: a probe loop that throws stops with one, and
 * waiting out the timeout would only hide why.
 */
async function until<T>(check: () => T | undefined | false, message: string, warnings: readonly string[], timeoutMs = 2_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (warnings.length > 0) throw new Error(`${message} — but the health checks stopped: ${warnings[0]}`);
    if (performance.now() > deadline) throw new Error(`${message} (waited ${timeoutMs} ms)`);
    await delay(10);
  }
}

export function healthChecks(target: Target<unknown> & { module: HealthModule }): void {
  const step = target.module;
  const { BackendHealth } = step;
  const say = messagesFor('step4', target);
  const warnings: string[] = [];
  const eventually = <T>(check: () => T | undefined | false, message: string) => until(check, message, warnings);

  describeBehaviour('step4', 'active and passive health checks', target, () => {
    beforeEach(() => {
      warnings.length = 0;
      const listener = (warning: Error) => void warnings.push(warning.message);
      process.on('warning', listener);
      return () => void process.off('warning', listener);
    });

    describe('BackendHealth (the state machine)', () => {
      it('goes down after exactly `fall` failed probes in a row, through suspect', () => {
        const health = new BackendHealth(RULES);
        expect(walk(health, [false, false]), say('fall 2: up → suspect → down', 'backend-health.ts')).toEqual(['suspect', 'down']);
        expect(health.available, say('a down backend takes no traffic', 'backend-health.ts')).toBe(false);
        expect(new BackendHealth({ ...RULES, fall: 4 }).recordProbe(false, 'x')?.to, say('the first failed probe makes a backend suspect, whatever fall is', 'backend-health.ts')).toBe('suspect');
      });

      it('counts failures only in a row: failures with passes between them never take a backend down', () => {
        const health = new BackendHealth(RULES);
        const states = walk(health, [false, true, false, true, false, true, false]);
        expect(states, say('fall 2 means two failures in a row; a pass resets the count', 'backend-health.ts')).toEqual(['suspect', 'up', 'suspect', 'up', 'suspect', 'up', 'suspect']);
        expect(health.available, say('a suspect backend still serves', 'backend-health.ts')).toBe(true);
      });

      it('comes back after exactly `rise` passing probes in a row, through recovering', () => {
        const health = new BackendHealth(RULES);
        walk(health, [false, false]);
        expect(walk(health, [true, true, true]), say('rise 3: down → recovering → recovering → up', 'backend-health.ts')).toEqual(['recovering', 'recovering', 'up']);
      });

      it('needs the passes in a row: a failure while recovering goes back down and starts the count again', () => {
        const health = new BackendHealth(RULES);
        walk(health, [false, false]);
        const states = walk(health, [true, true, false, true, true, true]);
        expect(states, say('pass, pass, fail: down again; then three new passes bring it up', 'backend-health.ts')).toEqual(['recovering', 'recovering', 'down', 'recovering', 'recovering', 'up']);
        expect(health.available, say('a recovering backend takes no traffic until it is up', 'backend-health.ts')).toBe(true);
      });

      it('ejects after maxFails failed requests within failWindowMs, counting the window from its first failure', () => {
        const inWindow = new BackendHealth(RULES);
        expect([0, 500].map((now) => inWindow.recordFailure('ECONNRESET', now, true)), say('two failures of maxFails 3 do not eject', 'backend-health.ts')).toEqual([undefined, undefined]);
        expect(inWindow.recordFailure('ECONNRESET', 1_000, true)?.transition.to, say('the third failure within failWindowMs (1000 ms) ejects', 'backend-health.ts')).toBe('down');

        const spread = new BackendHealth(RULES);
        for (const now of [0, 500]) spread.recordFailure('ECONNRESET', now, true);
        expect(spread.recordFailure('ECONNRESET', 1_001, true), say('a failure after the window closed starts a new window: the old failures do not count', 'backend-health.ts')).toBeUndefined();
        expect(spread.recordFailure('ECONNRESET', 1_500, true), say('…so two in the new window are not enough', 'backend-health.ts')).toBeUndefined();
        expect(spread.recordFailure('ECONNRESET', 1_600, true)?.transition.to, say('…and the third in the new window ejects', 'backend-health.ts')).toBe('down');
      });

      it('forgets a streak of failures once a request succeeds, and never ejects when told not to', () => {
        const health = new BackendHealth(RULES);
        health.recordFailure('ECONNRESET', 0, true);
        health.recordFailure('ECONNRESET', 10, true);
        health.recordSuccess();
        expect(health.recordFailure('ECONNRESET', 20, true), say('a success in between: the failures were not a streak', 'backend-health.ts')).toBeUndefined();
        health.recordFailure('ECONNRESET', 30, true);
        expect(health.recordFailure('ECONNRESET', 40, false), say('mayEject=false keeps the backend in, even at maxFails', 'backend-health.ts')).toBeUndefined();
        expect(health.available).toBe(true);
      });

      it('makes each ejection longer, up to maxEjectionMs, and starts over after a quiet maxEjectionMs', () => {
        const health = new BackendHealth({ ...RULES, maxFails: 1 });
        const eject = (now: number) => {
          const ejection = health.recordFailure('ECONNRESET', now, true);
          health.readmit();
          return ejection?.cooldownMs;
        };
        expect([eject(0), eject(10), eject(20), eject(30)], say('cooldowns: 1, 2, 3 × baseEjectionMs (100 ms), capped at maxEjectionMs (250 ms)', 'backend-health.ts')).toEqual([100, 200, 250, 250]);
        expect(eject(30 + 250), say('exactly maxEjectionMs later is not yet quiet: the cooldown stays long', 'backend-health.ts')).toBe(250);
        expect(eject(280 + 251), say('after a quiet maxEjectionMs the next ejection is short again', 'backend-health.ts')).toBe(100);
      });

      it('an ejected backend needs `rise` passing probes to return: the passes before the ejection do not count', () => {
        const health = new BackendHealth(RULES);
        walk(health, [true, true, true, true]); // a long streak of passes while up
        health.recordFailure('ECONNRESET', 0, true);
        health.recordFailure('ECONNRESET', 1, true);
        expect(health.recordFailure('ECONNRESET', 2, true)?.transition.to, say('three failed requests eject', 'backend-health.ts')).toBe('down');
        expect(walk(health, [true]), say('one pass after an ejection is not enough: reset the pass count when you eject', 'backend-health.ts')).toEqual(['recovering']);
        expect(walk(health, [true, true]), say('rise 3 passes after the ejection bring it up', 'backend-health.ts')).toEqual(['recovering', 'up']);
      });

      it('never brings a backend back on a failed probe, and readmits only a backend that is down', () => {
        const health = new BackendHealth({ ...RULES, maxFails: 1, fall: 3 });
        expect(health.readmit(), say('readmit() of a backend that is up changes nothing', 'backend-health.ts')).toBeUndefined();
        walk(health, [false]);
        expect([health.readmit(), health.state], say('readmit() of a suspect backend changes nothing', 'backend-health.ts')).toEqual([undefined, 'suspect']);
        health.recordFailure('ECONNRESET', 0, true);
        expect(walk(health, [false]), say('a failed probe keeps a down backend down, even before `fall` failures in a row', 'backend-health.ts')).toEqual(['down']);
        expect(health.recordProbe(false, 'x'), say('staying in the same state is no transition', 'backend-health.ts')).toBeUndefined();
        expect(health.readmit()?.to, say('readmit() brings a down backend up', 'backend-health.ts')).toBe('up');
      });

      it('reports a change of state only: a second failed probe of a suspect backend is no transition', () => {
        const health = new BackendHealth({ ...RULES, fall: 3 });
        expect(health.recordProbe(false, 'x')?.to, say('the first failure makes it suspect', 'backend-health.ts')).toBe('suspect');
        expect(health.recordProbe(false, 'x'), say('suspect → suspect is no transition: the log would repeat itself', 'backend-health.ts')).toBeUndefined();
      });

      it('explains every transition, and keeps the last error for the status page', () => {
        const health = new BackendHealth(RULES);
        expect(health.recordProbe(false, 'HTTP 503')?.reason, say('the reason names the count and the error', 'backend-health.ts')).toMatch(/1 failed probe\(s\): HTTP 503/);
        expect(health.recordProbe(true)?.reason, say('a suspect backend that passes again says so', 'backend-health.ts')).toMatch(/passed/);
        expect(health.lastError, say('a passing probe does not erase the last error', 'backend-health.ts')).toBe('HTTP 503');
        walk(health, [false, false]);
        expect(health.recordProbe(true)?.reason, say('recovering says how many passes so far', 'backend-health.ts')).toMatch(/1 passing probe/);
        expect(health.recordProbe(false, 'ECONNREFUSED')?.reason, say('a failure while recovering says so, with the error', 'backend-health.ts')).toMatch(/while recovering: ECONNREFUSED/);
        expect(health.lastError, say('lastError is the latest failure', 'backend-health.ts')).toBe('ECONNREFUSED');
        const ejected = new BackendHealth({ ...RULES, maxFails: 1 });
        expect(ejected.recordFailure('ETIMEDOUT', 0, true)?.transition.reason, say('an ejection names the count and the error', 'backend-health.ts')).toMatch(/1 failed request\(s\): ETIMEDOUT/);
        expect(ejected.readmit()?.reason, say('a readmission says why', 'backend-health.ts')).toMatch(/cooldown/);
      });

      it('does not eject a backend that is down already', () => {
        const health = new BackendHealth({ ...RULES, maxFails: 1 });
        health.recordFailure('ECONNRESET', 0, true);
        expect(health.recordFailure('ECONNRESET', 1, true), say('a failure while down is no new ejection (and no longer cooldown)', 'backend-health.ts')).toBeUndefined();
      });
    });

    describe('every way a try can end, and what the passive checks are told (maxFails 1)', () => {
      it(`plays all ${ENDINGS.length} rows of tests/behaviours/try-endings.ts: status, requests, and whether A is blamed`, { timeout: 20_000 }, async () => {
        const runs = await playEndings(step, ENDINGS, { passiveHealth: { maxFails: 1, baseEjectionMs: 60_000, maxEjectionMs: 60_000 } });
        ENDINGS.forEach((ending, i) => {
          const run = runs[i];
          const how = `a ${ending.method} whose try ends "${ending.name}"`;
          expect(run.status, say(`${how}: the client should get ${ending.expected.status}`, 'retries.ts')).toBe(ending.expected.status);
          expect(run.requests, say(`${how}: requests reaching [A, B]`, 'retries.ts')).toEqual(ending.expected.requests);
          const [a] = (run.lb as HealthBalancer).health.status();
          const blamed = ending.expected.aBlamed;
          expect(
            { state: a.state, blamed: a.lastError !== null },
            say(`${how}: ${blamed ? 'report it with health.reportFailure(), which ejects A at maxFails 1' : 'the passive checks must not blame A for it'}`, 'retries.ts'),
          ).toEqual({ state: blamed ? 'down' : 'up', blamed });
        });
      });

      it('counts configured response statuses as failures, only those, and only maxFails of them in a row', async () => {
        const backends = await startFakeBackends(2);
        backends[0].behave(answer({ status: 503 }));
        const log = recorder();
        const { http } = await startBalancer(step, { backends: backends.map((b) => b.url), passiveHealth: { maxFails: 2, unhealthyStatuses: [503] }, onHealthChange: log.onHealthChange });

        const first = await http.get('/');
        expect(first.status, say('an unhealthy status is still the backend\'s answer: the client gets it', 'retries.ts')).toBe(503);
        expect(log.find(backends[0], 'down'), say('one 503 of maxFails 2 does not eject', 'retries.ts')).toBeUndefined();
        for (let i = 0; i < 3; i += 1) await http.get('/');
        const ejection = log.find(backends[0], 'down');
        expect(ejection, say('two 503s within the window should eject the backend: report responses with health.reportResponse()', 'retries.ts')).toBeDefined();
        expect(ejection?.reason, say('the ejection should name the status', 'health-checker.ts')).toMatch(/503/);

        const fine = await startFakeBackends(2);
        fine[0].behave(answer({ status: 500 }));
        const quiet = recorder();
        const { http: other } = await startBalancer(step, { backends: fine.map((b) => b.url), passiveHealth: { maxFails: 1, unhealthyStatuses: [503] }, onHealthChange: quiet.onHealthChange });
        for (let i = 0; i < 4; i += 1) await other.get('/');
        expect(quiet.events, say('a 500 is not in unhealthyStatuses [503]: no ejection', 'health-checker.ts')).toEqual([]);
      });
    });

    describe('passive checks', () => {
      it('ejects a backend that fails real requests and readmits it after a cooldown that grows', async () => {
        const [down, up] = await startFakeBackends(2);
        await down.stop();
        const log = recorder();
        const { http } = await startBalancer(step, {
          backends: [down.url, up.url],
          retryDelayMs: 1,
          passiveHealth: { maxFails: 1, baseEjectionMs: 60, maxEjectionMs: 10_000 },
          onHealthChange: log.onHealthChange,
        });

        /** Sends requests until one lands on `down` and gets it ejected (rotation may pick `up` first). */
        const ejectAfter = async (index: number) => {
          for (let i = 0; i < 4 && !log.find(down, 'down', index); i += 1) await http.get('/').expect(200);
          return log.find(down, 'down', index);
        };
        const firstEjection = await ejectAfter(0);
        expect(firstEjection, say('a backend whose requests fail should be ejected: report failures with health.reportFailure()', 'retries.ts')).toBeDefined();
        expect(firstEjection?.reason, say('the ejection should name the error', 'retries.ts')).toMatch(/ECONNREFUSED/);
        await eventually(() => log.find(down, 'up'), say('after the cooldown the backend should be readmitted', 'health-checker.ts'));
        const firstReadmit = log.find(down, 'up')!;

        const secondEjection = await ejectAfter(log.events.indexOf(firstReadmit));
        expect(secondEjection, say('failing again after readmission should eject again', 'retries.ts')).toBeDefined();
        await eventually(() => log.find(down, 'up', log.events.indexOf(secondEjection!)), say('after the second cooldown the backend should be readmitted again', 'health-checker.ts'));
        const secondReadmit = log.find(down, 'up', log.events.indexOf(secondEjection!))!;

        expect(firstReadmit.at - firstEjection!.at, say('the first cooldown lasts baseEjectionMs', 'backend-health.ts')).toBeGreaterThanOrEqual(55);
        expect(secondReadmit.at - secondEjection!.at, say('the second cooldown lasts 2 × baseEjectionMs', 'backend-health.ts')).toBeGreaterThanOrEqual(115);
      });

      it('fails over only to backends the request has not tried, even when a tried one stays in rotation', async () => {
        const backends = await startFakeBackends(2);
        for (const backend of backends) backend.behave({ kind: 'reset' });
        const { http } = await startBalancer(step, { backends: backends.map((b) => b.url), maxRetries: 0, maxAttempts: 3, retryDelayMs: 1, passiveHealth: { maxFails: 10 } });

        const res = await http.get('/');

        expect(res.status, say('when every backend failed, the client gets 503', 'retries.ts')).toBe(503);
        expect(backends.map((b) => b.requests.length), say('two backends, three attempts allowed: each backend is tried once (pool.next(ctx.tried)), not the first one twice', 'retries.ts')).toEqual([1, 1]);
      });

      it('never ejects the last available backend', async () => {
        const backends = await startFakeBackends(2);
        for (const backend of backends) await backend.stop();
        const { lb, http } = await startBalancer(step, { backends: backends.map((b) => b.url), retryDelayMs: 1 });

        const res = await http.get('/');

        expect(res.status, say('when every backend fails, the client gets 503', 'retries.ts')).toBe(503);
        expect(lb.health.status().filter((b) => b.available), say("passive checks must leave one backend in rotation: failures may be the clients' fault", 'health-checker.ts')).toHaveLength(1);
      });
    });

    describe('active checks', () => {
      it('takes a backend down after exactly `fall` failed probes, sends it nothing, and brings it back after `rise` passes', async () => {
        const backends = await startFakeBackends(3);
        const sick = backends[1];
        sick.behaveAt('/ready', answer({ status: 503 }));
        const log = recorder(sick, '/ready');
        const { http } = await startBalancer(step, { backends: backends.map((b) => b.url), healthCheck: { ...FAST, path: '/ready' }, onHealthChange: log.onHealthChange });

        await eventually(() => log.find(sick, 'down'), say('a backend failing its health path (/ready here) should go DOWN', 'health-checker.ts'));
        expect(log.find(sick, 'down')?.probes, say('DOWN after exactly `fall` (2) failed probes', 'backend-health.ts')).toBe(2);
        const before = traffic(sick, '/ready');
        for (let i = 0; i < 6; i += 1) await http.get('/').expect(200);
        expect(traffic(sick, '/ready') - before, say('a DOWN backend should receive no traffic', 'health-checker.ts')).toBe(0);

        sick.behaveAt('/ready', answer());
        const failedProbes = sick.count('/ready'); // every probe from here on passes
        const downAt = log.events.indexOf(log.find(sick, 'down')!);
        await eventually(() => log.find(sick, 'up', downAt), say('a recovered backend should come back UP', 'health-checker.ts'));
        expect(log.find(sick, 'up', downAt)!.probes - failedProbes, say('UP after exactly `rise` (3) passing probes', 'backend-health.ts')).toBe(3);
        const served = await Promise.all([1, 2, 3].map(() => http.get('/')));
        expect(served.map((res) => res.headers['x-backend']).sort(), say('a backend that is UP again gets its share', 'health-checker.ts')).toEqual(['backend-1', 'backend-2', 'backend-3']);
        expect(backends.every((b) => b.count('/healthz') === 0), say('probes go to the configured path only', 'probes.ts')).toBe(true);
      });

      it('does not flap on a single failed probe', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behaveAt('/healthz', answer(), answer({ status: 500 }), answer());
        const log = recorder(backend);
        await startBalancer(step, { backends: [backend.url], healthCheck: FAST, onHealthChange: log.onHealthChange });

        await eventually(() => backend.count('/healthz') >= 6, say('the balancer should keep probing every intervalMs after listen()', 'health-checker.ts'));
        expect(log.events.map((e) => e.to), say('pass, fail, pass: suspect and back to up, never down', 'backend-health.ts')).toEqual(['suspect', 'up']);
      });

      it('counts a probe that times out, or answers 3xx, as failed', async () => {
        const [hanging, redirecting] = await startFakeBackends(2);
        hanging.behaveAt('/healthz', { kind: 'hang' });
        redirecting.behaveAt('/healthz', answer({ status: 302, headers: { location: '/elsewhere' } }));
        const log = recorder();
        await startBalancer(step, { backends: [hanging.url, redirecting.url], healthCheck: { ...FAST, timeoutMs: 20, fall: 2 }, onHealthChange: log.onHealthChange });

        await eventually(() => log.find(hanging, 'down'), say('a backend that hangs on its health path should go DOWN (give each probe a timeout)', 'probes.ts'));
        expect(log.find(hanging, 'down')?.reason, say('the reason says the probe timed out', 'probes.ts')).toMatch(/TIMEOUT/);
        await eventually(() => log.find(redirecting, 'down'), say('only a 2xx passes a probe: a redirect is not healthy', 'probes.ts'));
      });

      it('can probe with a bare TCP connect, like the Go original', async () => {
        const backend = await startFakeBackend('backend-1');
        const log = recorder();
        await startBalancer(step, { backends: [backend.url], healthCheck: { ...FAST, mode: 'tcp', fall: 1, rise: 1 }, onHealthChange: log.onHealthChange });

        await backend.stop();
        await eventually(() => log.find(backend, 'down'), say('tcp mode: a refused connection is a failed probe', 'probes.ts'));
        await backend.start();
        await eventually(() => log.find(backend, 'up'), say('tcp mode: an accepted connection is a passed probe', 'probes.ts'));
        expect(backend.count('/healthz'), say('tcp mode sends no HTTP request', 'probes.ts')).toBe(0);
      });

      it('answers 503 at once when every backend is down', async () => {
        const backends = await startFakeBackends(2);
        for (const backend of backends) backend.behaveAt('/healthz', answer({ status: 500 }));
        const log = recorder();
        const { http } = await startBalancer(step, { backends: backends.map((b) => b.url), healthCheck: { ...FAST, fall: 1 }, onHealthChange: log.onHealthChange });

        await eventually(() => log.events.filter((e) => e.to === 'down').length === 2, say('both backends fail their probes and should go DOWN', 'health-checker.ts'));
        const res = await http.get('/');
        expect(res.status, say('with every backend DOWN by active checks, answer 503 without trying any', 'retries.ts')).toBe(503);
        expect(backends.map((b) => traffic(b)), say('no traffic may reach a DOWN backend', 'retries.ts')).toEqual([0, 0]);
      });

      it('passes a probe on a 2xx answer only, and says why a probe failed', async () => {
        const backend = await startFakeBackend('backend-1');
        const statuses = [200, 204, 299, 300, 302, 404, 500];
        for (const status of statuses) backend.behaveAt(`/s${status}`, answer({ status }));
        const signal = new AbortController().signal;
        const results = await Promise.all(statuses.map((status) => step.probeHttp(new URL(backend.url), `/s${status}`, 1_000, signal)));
        expect(results, say('2xx passes; a redirect or an error status fails, named', 'probes.ts')).toEqual([
          { passed: true },
          { passed: true },
          { passed: true },
          { passed: false, error: 'HTTP 300' },
          { passed: false, error: 'HTTP 302' },
          { passed: false, error: 'HTTP 404' },
          { passed: false, error: 'HTTP 500' },
        ]);
        expect(backend.requests[0]?.headers['user-agent'], say('a probe says what it is, so backend logs can tell it from traffic', 'probes.ts')).toMatch(/health check/);
      });

      it('fails a TCP probe that is never accepted within timeoutMs', async () => {
        const hole = await startBlackHole();
        const result = await step.probeTcp(new URL(hole.url), 50, new AbortController().signal);
        expect(result, say('a connection that is never accepted fails the probe after timeoutMs, with the reason', 'probes.ts')).toEqual({ passed: false, error: 'no connection within 50 ms' });
      });

      it('leaves a backend that was ejected by real requests to the probes, when they run', async () => {
        const backends = await startFakeBackends(2);
        backends[0].behave({ kind: 'reset' });
        backends[0].behaveAt('/healthz', answer({ status: 500 }));
        const log = recorder();
        const { http: client } = await startBalancer(step, {
          backends: backends.map((b) => b.url),
          retryDelayMs: 1,
          healthCheck: { ...FAST, fall: 5, intervalMs: 40 },
          passiveHealth: { maxFails: 1, baseEjectionMs: 20, maxEjectionMs: 20 },
          onHealthChange: log.onHealthChange,
        });
        await client.get('/');
        await eventually(() => log.find(backends[0], 'down'), say('a backend whose requests fail is ejected', 'retries.ts'));
        await delay(150); // several cooldowns long: with probes on, a cooldown timer must not readmit it
        expect(log.find(backends[0], 'up'), say('with active checks on, only passing probes bring an ejected backend back, not the cooldown', 'health-checker.ts')).toBeUndefined();
      });

      it('keeps a backend taken out by hand out of rotation, whatever the probes say, until it is put back', async () => {
        const backends = await startFakeBackends(2);
        backends[1].behaveAt('/healthz', answer({ status: 500 }), answer());
        const log = recorder();
        const { lb, http } = await startBalancer(step, { backends: backends.map((b) => b.url), healthCheck: { ...FAST, fall: 1, rise: 1 }, onHealthChange: log.onHealthChange });
        lb.health.setMaintenance(lb.pool.backends[1], true);

        await eventually(() => log.find(backends[1], 'up'), say('the probes go on while a backend is in maintenance', 'health-checker.ts'));
        for (let i = 0; i < 4; i += 1) await http.get('/').expect(200);
        expect(traffic(backends[1]), say('a backend in maintenance gets no traffic, even after a probe brought it up', 'health-checker.ts')).toBe(0);
        expect(lb.health.status()[1], say('the status shows the maintenance', 'health-checker.ts')).toMatchObject({ state: 'up', maintenance: true, available: false });

        lb.health.setMaintenance(lb.pool.backends[1], false);
        for (let i = 0; i < 4; i += 1) await http.get('/').expect(200);
        expect(traffic(backends[1]), say('out of maintenance, the backend gets its share again', 'health-checker.ts')).toBe(2);
      });

      it('refuses thresholds that could never trip, naming them', () => {
        const cases: [HealthOptions, RegExp][] = [
          [{ backends: [], healthCheck: { rise: 0 } }, /rise/],
          [{ backends: [], healthCheck: { fall: 1.5 } }, /fall/],
          [{ backends: [], healthCheck: { intervalMs: 0 } }, /intervalMs/],
          [{ backends: [], healthCheck: { timeoutMs: -1 } }, /timeoutMs/],
          [{ backends: [], healthCheck: { path: 'healthz' } }, /path/],
          [{ backends: [], passiveHealth: { maxFails: 0 } }, /maxFails/],
          [{ backends: [], passiveHealth: { failWindowMs: 0 } }, /failWindowMs/],
          [{ backends: [], passiveHealth: { baseEjectionMs: -1 } }, /baseEjectionMs/],
          [{ backends: [], passiveHealth: { baseEjectionMs: 500, maxEjectionMs: 100 } }, /maxEjectionMs/],
        ];
        for (const [options, names] of cases) {
          expect(() => step.createLoadBalancer({ ...options, backends: ['http://127.0.0.1:1'] }), say(`${JSON.stringify(options.healthCheck ?? options.passiveHealth)} should be refused at construction, by name`, 'health-checker.ts')).toThrow(
            expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringMatching(names) }),
          );
        }
        expect(() => step.createLoadBalancer({ backends: ['http://127.0.0.1:1'], healthCheck: { rise: 1, fall: 1, intervalMs: 1, timeoutMs: 1 }, passiveHealth: { maxFails: 1, failWindowMs: 1, baseEjectionMs: 0, maxEjectionMs: 0 } }), say('the smallest valid thresholds are accepted', 'health-checker.ts')).not.toThrow();
      });
    });

    describe('lifecycle', () => {
      it('probes with one loop per backend, however often listen() is called, and again after close() and listen()', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behaveAt('/healthz', answer({ delayMs: 20 }));
        const lb = step.createLoadBalancer({ backends: [backend.url], healthCheck: { ...FAST, intervalMs: 1_000 } });
        await lb.listen(0, '127.0.0.1');
        await expect(lb.listen(0, '127.0.0.1'), say('a second listen() on a listening balancer should fail', 'load-balancer.ts')).rejects.toThrow();
        await eventually(() => backend.count('/healthz') === 1, say('the balancer should probe after listen()', 'health-checker.ts'));
        await delay(100); // well inside the 1 s interval: a second loop would have probed by now
        expect(backend.count('/healthz'), say('one probe loop per backend: listen() twice must not start a second one', 'health-checker.ts')).toBe(1);

        await lb.close();
        const probesAtClose = backend.count('/healthz');
        await lb.listen(0, '127.0.0.1');
        await eventually(() => backend.count('/healthz') > probesAtClose, say('after close() and listen() the probes should start again', 'health-checker.ts'));
        await lb.close();
      });

      it('health.start() twice still probes each backend with one loop', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behaveAt('/healthz', answer({ delayMs: 20 }));
        const { lb } = await startBalancer(step, { backends: [backend.url], healthCheck: { ...FAST, intervalMs: 1_000 } });
        lb.health.start();
        await eventually(() => backend.count('/healthz') === 1, say('the balancer should probe after listen()', 'health-checker.ts'));
        await delay(100); // well inside the 1 s interval
        expect(backend.count('/healthz'), say('start() while the probes run must not start a second loop', 'health-checker.ts')).toBe(1);
      });

      it('reports no health change after close(), not even for the probe it aborted', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behaveAt('/healthz', { kind: 'hang' });
        const log = recorder();
        const lb = step.createLoadBalancer({ backends: [backend.url], healthCheck: { ...FAST, timeoutMs: 60_000 }, onHealthChange: log.onHealthChange });
        await lb.listen(0, '127.0.0.1');
        await eventually(() => backend.count('/healthz') === 1, say('the balancer should probe after listen()', 'health-checker.ts'));
        await lb.close();
        await delay(50);
        expect(log.events, say('a probe cut short by close() is no failed probe: nothing may be reported after close()', 'health-checker.ts')).toEqual([]);
      });

      it('close() stops every probe loop and timer, and a second close() resolves too', async () => {
        const [probed, control] = await startFakeBackends(2);
        const before = openHandles();
        const lb = step.createLoadBalancer({ backends: [probed.url], healthCheck: { ...FAST, intervalMs: 5 } });
        await lb.listen(0, '127.0.0.1');
        await eventually(() => probed.count('/healthz') >= 2, say('the balancer should probe every intervalMs after listen()', 'health-checker.ts'));

        await lb.close();
        await expect(lb.close(), say('a second close() should resolve too', 'load-balancer.ts')).resolves.toBeUndefined();
        const probesAtClose = probed.count('/healthz');
        expect(await leakedSince(before), say('close() must clear every health-check timer and socket', 'health-checker.ts')).toEqual({});
        // A second balancer with the same interval is our clock: while it probes 8 times, a leaked loop would too.
        const { lb: witness } = await startBalancer(step, { backends: [control.url], healthCheck: { ...FAST, intervalMs: 5 } });
        await eventually(() => control.count('/healthz') >= 8, say('the balancer should probe every intervalMs after listen()', 'health-checker.ts'));
        await witness.close();
        // One probe may have been on the wire when close() aborted it, and arrive just after we counted.
        expect(probed.count('/healthz') - probesAtClose, say('no probe may be sent after close()', 'health-checker.ts')).toBeLessThanOrEqual(1);
      });

      it('close() while a probe hangs, a cooldown runs and a retry pause waits leaves nothing behind', async () => {
        const [hanging, refusing, slow] = await startFakeBackends(3);
        hanging.behaveAt('/healthz', { kind: 'hang' });
        await refusing.stop();
        slow.behave({ kind: 'reset' });
        const before = openHandles();
        const passive = step.createLoadBalancer({ backends: [refusing.url, hanging.url], retryDelayMs: 1, passiveHealth: { baseEjectionMs: 60_000, maxEjectionMs: 60_000 } });
        const active = step.createLoadBalancer({ backends: [hanging.url], healthCheck: { ...FAST, timeoutMs: 60_000 } });
        // The paused request is still in flight: close() may let it finish, for drainTimeoutMs at most.
        const pausing = step.createLoadBalancer({ backends: [slow.url], retryDelayMs: 60_000, drainTimeoutMs: 50 });
        const [{ url: passiveUrl }, , { url: pausingUrl }] = await Promise.all([passive.listen(0, '127.0.0.1'), active.listen(0, '127.0.0.1'), pausing.listen(0, '127.0.0.1')]);

        hanging.behave(answer());
        const ejected = await fetch(passiveUrl); // refused → ejected for 60 s, answered by the other backend
        expect(ejected.status, say('the refused backend fails over', 'retries.ts')).toBe(200);
        await eventually(() => hanging.count('/healthz') === 1, say('the active balancer should probe', 'health-checker.ts'));
        const abandoned = requestToAbandon(pausingUrl, '/');
        await expect.poll(() => slow.requests.length, { message: say('the request should reach the backend, and be retried after a pause', 'retries.ts') }).toBe(1);

        const started = performance.now();
        await Promise.all([passive.close(), active.close(), pausing.close()]);
        expect(performance.now() - started, say('close() must not wait for a probe or a cooldown, nor longer than drainTimeoutMs for a paused retry', 'load-balancer.ts')).toBeLessThan(1_000);
        abandoned.destroy();
        for (const backend of [hanging, slow]) await backend.stop();
        expect(await leakedSince(before), say('after close() no timer, socket or server may remain: clear cooldowns, abort probes and pauses', 'health-checker.ts')).toEqual({});
      });
    });

    describe('the admin API', () => {
      it('serves GET /lb/status on its own port, and /lb/status on the traffic port still goes to a backend', async () => {
        const backend = await startFakeBackend('backend-1');
        const { lb, http } = await startBalancer(step, { backends: [backend.url] });
        const admin = await lb.listenAdmin(0, '127.0.0.1');

        const status = await fetch(`${admin.url}/lb/status`);
        expect(status.status).toBe(200);
        expect(await status.json(), say('the status JSON should list each backend with its state', 'admin-server.ts')).toMatchObject({
          backends: [{ url: backend.url, state: 'up', available: true, maintenance: false }],
        });

        const proxied = await http.get('/lb/status');
        expect(proxied.headers['x-backend'], say('the traffic port must proxy every path, /lb/status included', 'admin-server.ts')).toBe('backend-1');
      });

      it('answers HEAD, ignores a query string, refuses other methods with 405 and Allow, and other paths with 404', async () => {
        const backend = await startFakeBackend('backend-1');
        const { lb } = await startBalancer(step, { backends: [backend.url] });
        const admin = await lb.listenAdmin();
        expect(admin.url, say('listenAdmin() with no arguments listens on 127.0.0.1, never on every interface', 'load-balancer.ts')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

        const get = await fetch(`${admin.url}/lb/status?pretty=1`);
        expect(get.status, say('a query string changes nothing', 'admin-server.ts')).toBe(200);
        expect([get.headers.get('content-type'), get.headers.get('cache-control')], say('JSON, never cached: the state changes from one second to the next', 'admin-server.ts')).toEqual(['application/json', 'no-store']);
        const head = await fetch(`${admin.url}/lb/status`, { method: 'HEAD' });
        expect([head.status, head.headers.get('content-type'), await head.text()], say('HEAD gets the headers of GET and no body', 'admin-server.ts')).toEqual([200, 'application/json', '']);
        const post = await fetch(`${admin.url}/lb/status`, { method: 'POST' });
        expect([post.status, post.headers.get('allow')], say('other methods get 405 with the ones allowed', 'admin-server.ts')).toEqual([405, 'GET, HEAD']);
        expect(await post.text(), say('the 405 says what to do instead', 'admin-server.ts')).toMatch(/GET \/lb\/status/);
        const other = await fetch(`${admin.url}/elsewhere`);
        expect([other.status, other.headers.get('content-type')], say('other paths get 404, as text', 'admin-server.ts')).toEqual([404, 'text/plain; charset=utf-8']);
        // `new URL()` throws on this target; a throw in the handler would take the whole process down.
        const odd = await rawExchange(admin.url, 'GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { halfClose: false });
        expect(odd, say('a target the URL parser refuses is answered (404), not a crash', 'admin-server.ts')).toMatch(/^HTTP\/1\.1 404/);
        expect(await other.text(), say('the 404 says where to look', 'admin-server.ts')).toMatch(/GET \/lb\/status/);
      });
    });
  });
}

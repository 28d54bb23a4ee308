import { describe, expect, it } from 'vitest';
import type { LoadBalancer } from '../../tools/contract.js';
import { startBalancer } from '../helpers/balancer.js';
import { answer, startFakeBackend, startFakeBackends, type FakeBackend } from '../helpers/fake-backend.js';
import { because } from '../helpers/learner-messages.js';
import { describeBehaviour, type Target } from '../helpers/suite.js';
import type { PoolLike } from './round-robin.js';

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

interface HealthOptions {
  backends: readonly string[];
  retryDelayMs?: number;
  healthCheck?: { mode?: 'http' | 'tcp'; path?: string; intervalMs?: number; timeoutMs?: number; rise?: number; fall?: number };
  passiveHealth?: { maxFails?: number; failWindowMs?: number; baseEjectionMs?: number; maxEjectionMs?: number; unhealthyStatuses?: readonly number[] };
  onHealthChange?: (event: HealthEvent) => void;
}

/** The step 4 exports these checks need (described by shape, so later steps fit too). */
interface HealthModule {
  createLoadBalancer(options: HealthOptions): LoadBalancer & {
    pool: PoolLike;
    health: { status(): { url: string; state: HealthState; available: boolean }[] };
    listenAdmin(port?: number, host?: string): Promise<{ url: string }>;
  };
  BackendHealth: new (rules: HealthRules) => {
    state: HealthState;
    readonly available: boolean;
    recordProbe(passed: boolean, error?: string): Transition | undefined;
    recordFailure(error: string, now: number, mayEject: boolean): { transition: Transition; cooldownMs: number } | undefined;
  };
}

const say = (behaviour: string) => because('step4', behaviour);
const RULES: HealthRules = { rise: 2, fall: 3, maxFails: 2, failWindowMs: 1_000, baseEjectionMs: 100, maxEjectionMs: 250 };
/** Probe fast so each test takes milliseconds; `expect.poll` waits for the outcome, never a fixed sleep. */
const FAST = { intervalMs: 15, timeoutMs: 500, rise: 2, fall: 3 };

/** Requests a backend got from clients, probes not counted. */
const traffic = (backend: FakeBackend) => backend.requests.length - backend.count('/healthz');

/** Collects health events, noting how many probes a backend had received when each one happened. */
function recorder(watch?: FakeBackend) {
  const events: (HealthEvent & { probes: number; at: number })[] = [];
  const onHealthChange = (event: HealthEvent) => events.push({ ...event, probes: watch?.count('/healthz') ?? 0, at: performance.now() });
  const find = (backend: FakeBackend, to: HealthState, after = 0) => events.find((e, i) => i >= after && e.backend === backend.url && e.to === to);
  return { events, onHealthChange, find };
}

export function healthChecks(target: Target<unknown> & { module: HealthModule }): void {
  const step = target.module;
  const { BackendHealth } = step;

  describeBehaviour('step4', 'active and passive health checks', target, () => {
    describe('BackendHealth (the state machine)', () => {
      it('goes down after exactly `fall` failed probes in a row, through suspect', () => {
        const health = new BackendHealth(RULES);
        const states = [1, 2, 3].map(() => health.recordProbe(false, 'ECONNREFUSED')?.to ?? health.state);
        expect(states, say('fall 3: up → suspect → suspect → down')).toEqual(['suspect', 'suspect', 'down']);
        expect(health.available, say('a down backend takes no traffic')).toBe(false);
      });

      it('comes back after exactly `rise` passing probes, through recovering', () => {
        const health = new BackendHealth(RULES);
        for (let i = 0; i < 3; i += 1) health.recordProbe(false, 'ECONNREFUSED');
        const states = [1, 2].map(() => health.recordProbe(true)?.to ?? health.state);
        expect(states, say('rise 2: down → recovering → up')).toEqual(['recovering', 'up']);
      });

      it('does not flap: a single failed probe between passes keeps the backend available', () => {
        const health = new BackendHealth(RULES);
        const available = [true, false, true, true].map((passed) => (health.recordProbe(passed, 'HTTP 500'), health.available));
        expect(available, say('one failure makes a backend suspect, not down; a pass clears it')).toEqual([true, true, true, true]);
        expect(health.state).toBe('up');
      });

      it('ejects after maxFails failed requests within the window, for a cooldown that grows and is capped', () => {
        const health = new BackendHealth(RULES);
        expect(health.recordFailure('ECONNRESET', 0, true), say('one failure of maxFails 2 does not eject')).toBeUndefined();
        const first = health.recordFailure('ECONNRESET', 10, true);
        expect(first?.transition.to, say('the second failure within failWindowMs ejects')).toBe('down');
        expect(first?.cooldownMs, say('the first cooldown is baseEjectionMs')).toBe(100);

        health.state = 'up'; // readmitted
        health.recordFailure('ECONNRESET', 200, true);
        expect(health.recordFailure('ECONNRESET', 210, true)?.cooldownMs, say('the second ejection lasts 2 × baseEjectionMs')).toBe(200);
        health.state = 'up';
        health.recordFailure('ECONNRESET', 400, true);
        expect(health.recordFailure('ECONNRESET', 410, true)?.cooldownMs, say('cooldowns are capped at maxEjectionMs')).toBe(250);
      });

      it('forgets failures outside the window, and never ejects when told not to', () => {
        const health = new BackendHealth(RULES);
        health.recordFailure('ECONNRESET', 0, true);
        expect(health.recordFailure('ECONNRESET', 5_000, true), say('failures further apart than failWindowMs do not add up')).toBeUndefined();
        expect(health.recordFailure('ECONNRESET', 5_010, false), say('mayEject=false keeps the backend in')).toBeUndefined();
        expect(health.available).toBe(true);
      });
    });

    describe('active checks', () => {
      it('takes a backend down after exactly `fall` failed probes, sends it nothing, and brings it back after `rise` passes', async () => {
        const backends = await startFakeBackends(3);
        const sick = backends[1];
        sick.behaveAt('/healthz', answer({ status: 503 }));
        const log = recorder(sick);
        const { http } = await startBalancer(step, { backends: backends.map((b) => b.url), healthCheck: FAST, onHealthChange: log.onHealthChange });

        await expect.poll(() => log.find(sick, 'down'), { message: say('a backend failing its health path should go DOWN') }).toBeDefined();
        expect(log.find(sick, 'down')?.probes, say('DOWN after exactly `fall` (3) failed probes')).toBe(3);
        const before = traffic(sick);
        for (let i = 0; i < 6; i += 1) await http.get('/').expect(200);
        expect(traffic(sick) - before, say('a DOWN backend should receive no traffic')).toBe(0);

        sick.behaveAt('/healthz', answer());
        const failedProbes = sick.count('/healthz'); // every probe from here on passes
        const downAt = log.events.indexOf(log.find(sick, 'down')!);
        await expect.poll(() => log.find(sick, 'up', downAt), { message: say('a recovered backend should come back UP') }).toBeDefined();
        expect(log.find(sick, 'up', downAt)!.probes - failedProbes, say('UP after exactly `rise` (2) passing probes')).toBe(2);
        const served = await Promise.all([1, 2, 3].map(() => http.get('/')));
        expect(served.map((res) => res.headers['x-backend']).sort(), say('a backend that is UP again gets its share')).toEqual(['backend-1', 'backend-2', 'backend-3']);
      });

      it('does not flap on a single failed probe', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behaveAt('/healthz', answer(), answer({ status: 500 }), answer());
        const log = recorder(backend);
        await startBalancer(step, { backends: [backend.url], healthCheck: FAST, onHealthChange: log.onHealthChange });

        await expect.poll(() => backend.count('/healthz'), { message: say('the balancer should keep probing every intervalMs after listen()') }).toBeGreaterThanOrEqual(6);
        expect(log.events.map((e) => e.to), say('pass, fail, pass: suspect and back to up, never down')).toEqual(['suspect', 'up']);
      });

      it('counts a probe that times out as failed', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behaveAt('/healthz', { kind: 'hang' });
        const log = recorder(backend);
        await startBalancer(step, { backends: [backend.url], healthCheck: { ...FAST, timeoutMs: 20, fall: 2 }, onHealthChange: log.onHealthChange });

        await expect.poll(() => log.find(backend, 'down'), { message: say('a backend that hangs on its health path should go DOWN (give each probe a timeout)') }).toBeDefined();
      });

      it('can probe with a bare TCP connect, like the Go original', async () => {
        const backend = await startFakeBackend('backend-1');
        const log = recorder();
        await startBalancer(step, { backends: [backend.url], healthCheck: { ...FAST, mode: 'tcp', fall: 1, rise: 1 }, onHealthChange: log.onHealthChange });

        await backend.stop();
        await expect.poll(() => log.find(backend, 'down'), { message: say('tcp mode: a refused connection is a failed probe') }).toBeDefined();
        await backend.start();
        await expect.poll(() => log.find(backend, 'up'), { message: say('tcp mode: an accepted connection is a passed probe') }).toBeDefined();
        expect(backend.count('/healthz'), say('tcp mode sends no HTTP request')).toBe(0);
      });

      it('answers 503 at once when every backend is down', async () => {
        const backends = await startFakeBackends(2);
        for (const backend of backends) backend.behaveAt('/healthz', answer({ status: 500 }));
        const log = recorder();
        const { http } = await startBalancer(step, { backends: backends.map((b) => b.url), healthCheck: { ...FAST, fall: 1 }, onHealthChange: log.onHealthChange });

        await expect.poll(() => log.events.filter((e) => e.to === 'down').length, { message: say('both backends fail their probes and should go DOWN') }).toBe(2);
        const res = await http.get('/');
        expect(res.status, say('with every backend DOWN by active checks, answer 503 without trying any')).toBe(503);
        expect(backends.map(traffic), say('no traffic may reach a DOWN backend')).toEqual([0, 0]);
      });

      it('stops every timer on close()', async () => {
        const [probed, control] = await startFakeBackends(2);
        const timers = () => process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;
        const before = timers();
        const lb = step.createLoadBalancer({ backends: [probed.url], healthCheck: { ...FAST, intervalMs: 5 } });
        await lb.listen(0, '127.0.0.1');
        await expect.poll(() => probed.count('/healthz'), { message: say('the balancer should probe every intervalMs after listen()') }).toBeGreaterThanOrEqual(2);

        await lb.close();
        const probesAtClose = probed.count('/healthz');
        expect(timers(), say('close() must clear every health-check timer')).toBeLessThanOrEqual(before);
        // A second balancer with the same interval is our clock: while it probes 8 times, a leaked loop would too.
        const { lb: witness } = await startBalancer(step, { backends: [control.url], healthCheck: { ...FAST, intervalMs: 5 } });
        await expect.poll(() => control.count('/healthz'), { message: say('the balancer should probe every intervalMs after listen()') }).toBeGreaterThanOrEqual(8);
        await witness.close();
        // One probe may have been on the wire when close() aborted it, and arrive just after we counted.
        expect(probed.count('/healthz') - probesAtClose, say('no probe may be sent after close()')).toBeLessThanOrEqual(1);
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
        expect(firstEjection, say('a backend whose requests fail should be ejected: report failures with health.reportFailure()')).toBeDefined();
        expect(firstEjection?.reason, say('the ejection should name the error')).toMatch(/ECONNREFUSED/);
        await expect.poll(() => log.find(down, 'up'), { message: say('after the cooldown the backend should be readmitted') }).toBeDefined();
        const firstReadmit = log.find(down, 'up')!;

        const secondEjection = await ejectAfter(log.events.indexOf(firstReadmit));
        expect(secondEjection, say('failing again after readmission should eject again')).toBeDefined();
        await expect.poll(() => log.find(down, 'up', log.events.indexOf(secondEjection!)), { timeout: 2_000 }).toBeDefined();
        const secondReadmit = log.find(down, 'up', log.events.indexOf(secondEjection!))!;

        expect(firstReadmit.at - firstEjection!.at, say('the first cooldown lasts baseEjectionMs')).toBeGreaterThanOrEqual(55);
        expect(secondReadmit.at - secondEjection!.at, say('the second cooldown lasts 2 × baseEjectionMs')).toBeGreaterThanOrEqual(115);
      });

      it('counts configured response statuses as failures', async () => {
        const backends = await startFakeBackends(2);
        backends[0].behave(answer({ status: 503 }));
        const log = recorder();
        const { http } = await startBalancer(step, { backends: backends.map((b) => b.url), passiveHealth: { maxFails: 2, unhealthyStatuses: [503] }, onHealthChange: log.onHealthChange });

        for (let i = 0; i < 4; i += 1) await http.get('/');
        const ejection = log.find(backends[0], 'down');
        expect(ejection, say('two 503s within the window should eject the backend: report responses with health.reportResponse()')).toBeDefined();
        expect(ejection?.reason).toMatch(/503/);
      });

      it('never ejects the last available backend', async () => {
        const backends = await startFakeBackends(2);
        for (const backend of backends) await backend.stop();
        const { lb, http } = await startBalancer(step, { backends: backends.map((b) => b.url), retryDelayMs: 1 });

        const res = await http.get('/');

        expect(res.status, say('when every backend fails, the client gets 503')).toBe(503);
        expect(lb.health.status().filter((b) => b.available), say('passive checks must leave one backend in rotation: failures may be the clients\' fault')).toHaveLength(1);
      });
    });

    describe('the admin API', () => {
      it('serves GET /lb/status on its own port, and /lb/status on the traffic port still goes to a backend', async () => {
        const backend = await startFakeBackend('backend-1');
        const { lb, http } = await startBalancer(step, { backends: [backend.url] });
        const admin = await lb.listenAdmin(0, '127.0.0.1');

        const status = await fetch(`${admin.url}/lb/status`);
        expect(status.status).toBe(200);
        expect(await status.json(), say('the status JSON should list each backend with its state')).toMatchObject({ backends: [{ url: backend.url, state: 'up', available: true }] });

        const proxied = await http.get('/lb/status');
        expect(proxied.headers['x-backend'], say('the traffic port must proxy every path, /lb/status included')).toBe('backend-1');
      });
    });
  });
}

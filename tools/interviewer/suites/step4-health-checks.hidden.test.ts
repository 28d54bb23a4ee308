/**
 * Hidden interviewer checks for step 4 (active and passive health checks). Most of them are about who
 * is blamed: a try that failed but was retried successfully, a client that left during a retry pause,
 * the last backend in rotation. The others pin the probe loop (never two probes of one backend at once,
 * a fresh connection for each) and a window of failures that starts over after an ejection. Expected
 * values come from docs/step4-health-checks.md, never from the code under test.
 */
import * as step4 from '@impl/step4-health-checks/index.js';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startBalancer } from '../../../tests/helpers/balancer.js';
import { answer, startFakeBackend, startFakeBackends } from '../../../tests/helpers/fake-backend.js';
import { openHandles } from '../../../tests/helpers/leaks.js';
import { rawRequest, requestToAbandon } from '../../../tests/helpers/raw-http.js';
import { leftBehind, until, watchTimers } from './support.js';

const FOLDER = 'step4-health-checks';
const SUITE = 'tools/interviewer/suites/step4-health-checks.hidden.test.ts';
const say = (behaviour: string, file: string) => `step4 hidden: ${behaviour} — look at ${FOLDER}/${file} (${SUITE})`;

/** Thresholds unlike the defaults (rise 2, fall 3, maxFails 1), so that hard-coded defaults fail. */
const RULES = { rise: 3, fall: 2, maxFails: 2, failWindowMs: 1_000, baseEjectionMs: 100, maxEjectionMs: 250 };

/** An injected retry clock that rejects when its signal aborts, as the real one must. */
function controlledSleep() {
  const waits: { ms: number; signal: AbortSignal }[] = [];
  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((_resolve, reject) => {
      waits.push({ ms, signal });
      signal.addEventListener('abort', () => reject(signal.reason));
    });
  return { waits, sleep };
}

describe('step4 hidden: who is blamed, and how probes behave', () => {
  it('[failure-handling] blames nobody for a reset that a retry on the same backend then answers', async () => {
    const [flaky, other] = await startFakeBackends(2);
    flaky.queue({ kind: 'reset' }); // then answers
    const events: unknown[] = [];
    const { lb, url } = await startBalancer(step4, { backends: [flaky.url, other.url], maxRetries: 2, retryDelayMs: 0, passiveHealth: { maxFails: 1 }, onHealthChange: (event) => events.push(event) });

    const res = await rawRequest(url, { path: '/once' });

    expect([res.status, res.headers['x-backend']], say('the retry on the same backend answers', 'retries.ts')).toEqual([200, 'backend-1']);
    expect(lb.health.status()[0], say('a failed try that a retry made good is no failed request: report a failure only when the retries ran out or the failure is not retried (maxFails 1 would eject here)', 'retries.ts')).toMatchObject({ state: 'up', available: true, lastError: null });
    expect(events, say('no health change for a request that succeeded', 'retries.ts')).toEqual([]);
  });

  it('[failure-handling] blames nobody when the client leaves during a retry pause', async () => {
    const [resetting, other] = await startFakeBackends(2);
    resetting.behave({ kind: 'reset' });
    const clock = controlledSleep();
    const events: unknown[] = [];
    const { lb, url } = await startBalancer(step4, { backends: [resetting.url, other.url], maxRetries: 3, sleep: clock.sleep, passiveHealth: { maxFails: 1 }, onHealthChange: (event) => events.push(event) });

    const req = requestToAbandon(url, '/leaving');
    await expect.poll(() => clock.waits.length, { message: say('the reset GET should pause before its retry', 'retries.ts') }).toBe(1);
    req.destroy();
    await expect.poll(() => clock.waits[0].signal.aborted, { message: say('the pause ends when the client leaves', 'retries.ts') }).toBe(true);
    await delay(20); // a moment for a wrong report to arrive: nothing may happen in it

    expect(lb.health.status()[0], say('its retries did not run out: the client left. Docs, hint 5: report a failure only while the client is there', 'retries.ts')).toMatchObject({ state: 'up', available: true, lastError: null });
    expect([events, other.requests.length], say('no ejection, and no failover for a client that left', 'retries.ts')).toEqual([[], 0]);
  });

  it('[failure-handling] never ejects the last backend in rotation, also when the others are out for maintenance', async () => {
    const [refusing, parked] = await startFakeBackends(2);
    await refusing.stop();
    const { lb, url } = await startBalancer(step4, { backends: [refusing.url, parked.url], retryDelayMs: 0, passiveHealth: { maxFails: 1 } });
    lb.health.setMaintenance(lb.pool.backends[1], true);

    const res = await rawRequest(url, { path: '/alone' });

    expect(res.status, say('the only backend in rotation refuses: 503 once its retries ran out', 'retries.ts')).toBe(503);
    expect(parked.requests, say('a backend in maintenance gets nothing', 'health-checker.ts')).toHaveLength(0);
    expect(lb.health.status()[0].available, say('passive evidence never takes the last available backend out: the one in maintenance is not available, so this one is the last', 'health-checker.ts')).toBe(true);
  });

  it('[correctness] counts failures afresh after an ejection: one failure after readmission is not maxFails 2', () => {
    const health = new step4.BackendHealth(RULES);
    health.recordFailure('ECONNRESET', 0, true);
    expect(health.recordFailure('ECONNRESET', 10, true)?.transition.to, say('two failures within failWindowMs eject (maxFails 2)', 'backend-health.ts')).toBe('down');
    expect(health.readmit()?.to, say('the cooldown over, the backend is readmitted', 'backend-health.ts')).toBe('up');

    expect(health.recordFailure('ECONNRESET', 20, true), say('the failures that caused the ejection were paid for by it: one new failure, still inside the old window, must not eject again', 'backend-health.ts')).toBeUndefined();
    expect(health.recordFailure('ECONNRESET', 30, true)?.transition.to, say('a second new failure reaches maxFails again', 'backend-health.ts')).toBe('down');
  });

  it('[concurrency] never probes one backend twice at once: the next probe waits for the one in flight, however short the interval', async () => {
    const backend = await startFakeBackend('backend-1');
    backend.behaveAt('/healthz', { kind: 'hold' });
    await startBalancer(step4, { backends: [backend.url], healthCheck: { intervalMs: 5, timeoutMs: 1_500, rise: 1, fall: 1 } });

    await until(() => backend.held === 1, say('the balancer should probe after listen()', 'health-checker.ts'));
    await delay(100); // twenty intervals: a setInterval loop would have sent twenty more probes
    expect(backend.count('/healthz'), say('intervalMs is the time between the end of one probe and the start of the next (docs: "Overlapping probes")', 'health-checker.ts')).toBe(1);

    backend.release();
    await until(() => backend.count('/healthz') >= 2, say('once the probe in flight ends, the next one follows after intervalMs', 'health-checker.ts'));
    backend.behaveAt('/healthz', answer());
    backend.release();
  });

  it('[correctness] opens a fresh connection for every HTTP probe instead of reusing a pooled one', async () => {
    const backend = await startFakeBackend('backend-1');
    await startBalancer(step4, { backends: [backend.url], healthCheck: { intervalMs: 10, timeoutMs: 500, rise: 1, fall: 1 } });

    await until(() => backend.count('/healthz') >= 4, say('the balancer should probe every intervalMs', 'health-checker.ts'));

    expect(backend.connections, say('a probe proves the backend still accepts connections: each one on a new connection (docs: "Probing through the keep-alive pool")', 'probes.ts')).toBeGreaterThanOrEqual(backend.count('/healthz'));
  });

  it('[lifecycle] close() of a balancer that never listened resolves at once, sends no probe, and starts no timer', async () => {
    const backend = await startFakeBackend('backend-1');
    const before = openHandles();
    const timers = watchTimers();
    const lb = step4.createLoadBalancer({ backends: [backend.url], healthCheck: { intervalMs: 5, timeoutMs: 500 }, passiveHealth: { baseEjectionMs: 60_000, maxEjectionMs: 60_000 } });

    await expect(lb.close(), say('close() before listen() resolves', 'load-balancer.ts')).resolves.toBeUndefined();
    await delay(50); // ten probe intervals: nothing may start
    expect(backend.count('/healthz'), say('probes start with listen(), never with createLoadBalancer() or close()', 'health-checker.ts')).toBe(0);
    expect(await leftBehind(before, timers), say('nothing may be left running by a balancer that never listened', 'health-checker.ts')).toEqual({ timers: [], sockets: 0, servers: 0 });
  });
});

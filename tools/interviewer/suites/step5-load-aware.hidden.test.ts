/**
 * Hidden interviewer checks for step 5 (balance load, not requests). The visible suite sends requests
 * one by one; these look at picks made in the same tick, bursts against maxConnections, a retry pause
 * that keeps its place, the queue's timers on every way out, whom a shed request blames, and a waiter
 * whose last candidate goes down. Expected values come from docs/step5-load-aware.md, never from the
 * code under test.
 */
import * as step5 from '@impl/step5-load-aware/index.js';
import http from 'node:http';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startBalancer } from '../../../tests/helpers/balancer.js';
import { answer, startFakeBackend, startFakeBackends } from '../../../tests/helpers/fake-backend.js';
import { openHandles } from '../../../tests/helpers/leaks.js';
import { rawRequest, requestToAbandon } from '../../../tests/helpers/raw-http.js';
import { leftBehind, until, watchTimers } from './support.js';

const FOLDER = 'step5-load-aware';
const SUITE = 'tools/interviewer/suites/step5-load-aware.hidden.test.ts';
const say = (behaviour: string, file: string) => `step5 hidden: ${behaviour} — look at ${FOLDER}/${file} (${SUITE})`;

/** Balancers here drain briefly: a failing check must not wait out 500 ms for every held request. */
const QUICK_DRAIN = { drainTimeoutMs: 50 };

/** A request whose failure (a cut at close()) is expected: `status` resolves to 0 then. */
function send(url: string, path: string): Promise<number> {
  return rawRequest(url, { path }).then(
    (res) => res.status,
    () => 0,
  );
}

/** What Dispatcher.acquire() reads of a request context, for a request that has tried nothing yet. */
const freshContext = () => ({ tried: new Set(), inbound: {} as http.IncomingMessage, clientGone: new AbortController().signal }) as never;

describe('step5 hidden: counting load exactly, on every path', () => {
  it('[concurrency] counts a request on its backend the moment it is picked: four picks in one tick see each other', async () => {
    const pool = new step5.ServerPool([new URL('http://127.0.0.1:9301'), new URL('http://127.0.0.1:9302')]);
    const dispatcher = new step5.Dispatcher(pool, new step5.LeastConnections(), { maxConnections: 0, maxQueue: 10, queueTimeoutMs: 1_000 }, () => 0);
    pool.backends[0].load.inFlight = 2;

    // No await between the picks: a count taken later (after a connect, say) would send all four to the idle backend.
    const picks = [dispatcher.acquire(freshContext()), dispatcher.acquire(freshContext()), dispatcher.acquire(freshContext()), dispatcher.acquire(freshContext())];
    const chosen = (await Promise.all(picks)).map((backend) => backend?.index);

    expect(chosen.slice(0, 2), say('least-conn with 2 and 0 in flight: the idle backend twice, then they tie', 'dispatcher.ts')).toEqual([1, 1]);
    expect(pool.backends.map((backend) => backend.load.inFlight), say('after four picks in one tick the load is even: 3 and 3', 'dispatcher.ts')).toEqual([3, 3]);
  });

  it('[concurrency] holds a burst of 10 at maxConnections 2 per backend, queues the rest in the balancer, and serves them all', async () => {
    const backends = await startFakeBackends(2);
    for (const backend of backends) backend.behave({ kind: 'hold' });
    const { lb, url } = await startBalancer(step5, { backends: backends.map((b) => b.url), policy: 'least-conn', maxConnections: 2, maxQueue: 20, queueTimeoutMs: 4_000, ...QUICK_DRAIN });

    const sent = Array.from({ length: 10 }, (_, i) => send(url, `/burst/${i}`));
    await expect.poll(() => [backends[0].held + backends[1].held, lb.dispatcher.queueLength], { message: say('4 requests held by the backends, 6 waiting in the queue', 'dispatcher.ts') }).toEqual([4, 6]);

    expect(backends.map((backend) => backend.held), say('a burst must not slip past maxConnections: 2 per backend, never 3', 'dispatcher.ts')).toEqual([2, 2]);
    expect(lb.pool.backends.map((backend) => backend.load.inFlight), say('the counts match what the backends hold', 'dispatcher.ts')).toEqual([2, 2]);
    for (const backend of backends) {
      backend.behave(answer());
      backend.release();
    }
    expect(await Promise.all(sent), say('every request of the burst is answered once places free up', 'dispatcher.ts')).toEqual(Array.from({ length: 10 }, () => 200));
    await expect.poll(() => [...lb.pool.backends.map((backend) => backend.load.inFlight), lb.dispatcher.queueLength], { message: say('nothing left in flight or waiting', 'dispatcher.ts') }).toEqual([0, 0, 0]);
  });

  it('[concurrency] keeps its place on the backend through a retry pause, and gives it back when the client leaves', async () => {
    const backend = await startFakeBackend('backend-1');
    backend.behave({ kind: 'reset' });
    const waits: AbortSignal[] = [];
    const sleep = (_ms: number, signal: AbortSignal) =>
      new Promise<void>((_resolve, reject) => {
        waits.push(signal);
        signal.addEventListener('abort', () => reject(signal.reason));
      });
    const { lb, url } = await startBalancer(step5, { backends: [backend.url], maxConnections: 1, maxRetries: 3, sleep, ...QUICK_DRAIN });

    const retrying = requestToAbandon(url, '/retrying');
    await expect.poll(() => waits.length, { message: say('the reset GET should pause before its retry', 'retries.ts') }).toBe(1);
    expect(lb.pool.backends[0].load.inFlight, say('a request pausing between two tries on a backend still holds its place there (docs: acquire() … finally release(), pauses included)', 'retries.ts')).toBe(1);
    const waiting = requestToAbandon(url, '/waiting');
    await expect.poll(() => lb.dispatcher.queueLength, { message: say('with maxConnections 1 held by the retrying request, the next one waits', 'dispatcher.ts') }).toBe(1);

    retrying.destroy();
    await expect.poll(() => backend.requests.map((request) => request.url), { message: say('the place given back on leaving goes to the waiting request', 'dispatcher.ts') }).toEqual(['/retrying', '/waiting']);
    waiting.destroy();
    await expect.poll(() => [lb.pool.backends[0].load.inFlight, lb.dispatcher.queueLength], { message: say('both clients gone: nothing in flight, nobody waiting', 'dispatcher.ts') }).toEqual([0, 0]);
  });

  it('[lifecycle] clears the queue timer on every way out: a client that left the queue, and a waiter cut by close()', async () => {
    const backend = await startFakeBackend('backend-1');
    backend.behave({ kind: 'hold' });
    const before = openHandles();
    const timers = watchTimers();
    const lb = step5.createLoadBalancer({ backends: [backend.url], maxConnections: 1, queueTimeoutMs: 61_000, drainTimeoutMs: 50 });
    onTestFinished(() => lb.close()); // also when a check fails halfway
    const { url } = await lb.listen(0, '127.0.0.1');

    const held = send(url, '/held');
    await until(() => backend.held === 1, say('the first request should reach the backend', 'dispatcher.ts'));
    const leaving = requestToAbandon(url, '/leaving');
    await until(() => lb.dispatcher.queueLength === 1, say('the second request should wait in the queue', 'dispatcher.ts'));
    leaving.destroy();
    await until(() => lb.dispatcher.queueLength === 0, say('a queued request whose client left leaves the queue at once', 'dispatcher.ts'));
    const cut = send(url, '/cut');
    await until(() => lb.dispatcher.queueLength === 1, say('the third request should wait in the queue', 'dispatcher.ts'));

    await lb.close();
    await Promise.all([held, cut]);
    await backend.stop();

    expect(await leftBehind(before, timers), say('each waiter clears its queueTimeoutMs timer (61 s here) when it leaves, whichever way it leaves', 'dispatcher.ts')).toEqual({ timers: [], sockets: 0, servers: 0 });
  });

  it('[failure-handling] blames no backend for a request it shed or that waited too long: that was the balancer saying no', async () => {
    const backend = await startFakeBackend('backend-1');
    backend.behave({ kind: 'hold' });
    const events: unknown[] = [];
    const { lb, url } = await startBalancer(step5, { backends: [backend.url], maxConnections: 1, maxQueue: 1, queueTimeoutMs: 100, passiveHealth: { maxFails: 1 }, onHealthChange: (event) => events.push(event), ...QUICK_DRAIN });

    const held = send(url, '/held');
    await expect.poll(() => backend.held).toBe(1);
    const waits = rawRequest(url, { path: '/waits' });
    await expect.poll(() => lb.dispatcher.queueLength, { message: say('with maxConnections 1 taken, the second request waits', 'dispatcher.ts') }).toBe(1);
    const shed = await rawRequest(url, { path: '/shed' });
    const timedOut = await waits;

    expect([timedOut.status, shed.status], say('one waited queueTimeoutMs, the other found the queue full: both 503', 'dispatcher.ts')).toEqual([503, 503]);
    expect(lb.health.status()[0], say('an overloaded balancer says nothing about the backend: no failure reported, no ejection', 'retries.ts')).toMatchObject({ state: 'up', lastError: null });
    expect(events, say('no health change', 'retries.ts')).toEqual([]);
    backend.release();
    expect(await held, say('the request in flight is answered as usual', 'dispatcher.ts')).toBe(200);
  });

  it('[failure-handling] answers a waiter 503 as soon as its last candidate goes down, not at queueTimeoutMs', async () => {
    const backend = await startFakeBackend('backend-1');
    backend.behave({ kind: 'hold' });
    backend.behaveAt('/healthz', answer()); // probes pass until the test says otherwise
    let downAt = 0;
    const { url } = await startBalancer(step5, {
      backends: [backend.url],
      maxConnections: 1,
      queueTimeoutMs: 1_500,
      healthCheck: { intervalMs: 20, timeoutMs: 500, rise: 1, fall: 1 },
      onHealthChange: (event) => void (event.to === 'down' && (downAt = performance.now())),
      ...QUICK_DRAIN,
    });

    const held = send(url, '/held');
    await expect.poll(() => backend.held).toBe(1);
    const waiter = rawRequest(url, { path: '/waiter' });
    backend.behaveAt('/healthz', answer({ status: 500 })); // its next probe fails: fall 1 takes it down

    const res = await waiter;
    expect(res.status, say('a waiter with no candidate left gets 503', 'load-balancer.ts')).toBe(503);
    expect(downAt, say('the backend should go down by its probe', 'health-checker.ts')).toBeGreaterThan(0);
    expect(performance.now() - downAt, say('docs: health changes wake the queue (dispatcher.wake()); a waiter whose last candidate went down gets its 503 then, not after queueTimeoutMs (1.5 s)', 'dispatcher.ts')).toBeLessThan(500);
    backend.release();
    await held;
  });
});

/**
 * Hidden interviewer checks for step 6 (production edges). The visible suite times the deadline over
 * silent backends and the per-try timeout over a hanging one; these look at the deadline during a
 * retry pause, a per-try timeout against a slow download, the retry budget and counters when a client
 * leaves mid-pause, the timers of requests that were answered in time, and what a WebSocket handshake
 * carries to the backend. Expected values come from docs/step6-production-edges.md and RFC 9110 /
 * RFC 6455, never from the code under test.
 */
import * as step6 from '@impl/step6-production-edges/index.js';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { startBalancer } from '../../../tests/helpers/balancer.js';
import { answer, startFakeBackend } from '../../../tests/helpers/fake-backend.js';
import { openHandles } from '../../../tests/helpers/leaks.js';
import { rawRequest, requestToAbandon } from '../../../tests/helpers/raw-http.js';
import { startWebSocketBackend } from '../../../tests/helpers/websocket-backend.js';
import { leftBehind, until, watchTimers } from './support.js';

const FOLDER = 'step6-production-edges';
const SUITE = 'tools/interviewer/suites/step6-production-edges.hidden.test.ts';
const say = (behaviour: string, file: string) => `step6 hidden: ${behaviour} — look at ${FOLDER}/${file} (${SUITE})`;

/** An injected retry clock that never ends on its own: only its signal (client gone, deadline) ends a pause, by rejecting. */
function stoppedClock() {
  const waits: { ms: number; signal: AbortSignal }[] = [];
  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((_resolve, reject) => {
      waits.push({ ms, signal });
      signal.addEventListener('abort', () => reject(signal.reason));
    });
  return { waits, sleep };
}

describe('step6 hidden: deadlines, budgets and tunnels at their edges', () => {
  it('[failure-handling] ends a retry pause at the deadline: 504 at requestTimeoutMs, not when the pause would have ended', async () => {
    const backend = await startFakeBackend('backend-1');
    await backend.stop();
    const clock = stoppedClock();
    const onRequest = vi.fn();
    const { url } = await startBalancer(step6, { backends: [backend.url], maxRetries: 3, retryDelayMs: 60_000, requestTimeoutMs: 200, sleep: clock.sleep, onRequest });

    const started = performance.now();
    // Bounded, so that a pause that ignores the deadline fails in 1.5 s instead of at the test's timeout.
    const bound = new AbortController();
    const res = await Promise.race([
      rawRequest(url, { path: '/late' }),
      delay(1_500, undefined, { signal: bound.signal }).then(() => Promise.reject(new Error(say('no answer 1.5 s after a 200 ms deadline: the pause ignored the deadline (pass a signal that aborts at the deadline, too)', 'retries.ts')))),
    ]).finally(() => bound.abort());
    const took = performance.now() - started;

    expect(res.status, say('the deadline ran out during the pause: 504 (docs: the deadline ends the queue wait, the try and the pauses)', 'retries.ts')).toBe(504);
    expect(took, say('at the deadline (200 ms), not after the 60 s pause', 'retries.ts')).toBeLessThan(800);
    expect(took, say('not before the deadline', 'retries.ts')).toBeGreaterThanOrEqual(190);
    expect(clock.waits.map((wait) => wait.signal.aborted), say('the pause is given a signal that aborts at the deadline (not only when the client leaves)', 'retries.ts')).toEqual([true]);
    await expect.poll(() => onRequest.mock.calls[0]?.[0], { message: say('the request is logged with its 504 and its one try', 'load-balancer.ts') }).toMatchObject({ status: 504, tries: 1 });
  });

  it('[failure-handling] lets a per-try timeout end the wait for an answer, never a slow download that has begun', async () => {
    const backend = await startFakeBackend('backend-1');
    backend.behave(answer({ body: 'slow but steady', bodyDelayMs: 300 }));
    const { url } = await startBalancer(step6, { backends: [backend.url], tryTimeoutMs: 100, requestTimeoutMs: 5_000 });

    const res = await rawRequest(url, { path: '/download' });

    expect([res.status, res.body.toString()], say('tryTimeoutMs bounds a try "until its answer begins": the headers came at once, so the body may take longer', 'proxy.ts')).toEqual([200, 'slow but steady']);
    expect(backend.requests, say('an answer that began is never retried', 'retries.ts')).toHaveLength(1);
  });

  it('[lifecycle] gives back its place in the retry budget, on the backend and in the log when the client leaves mid-pause', async () => {
    const backend = await startFakeBackend('backend-1');
    backend.behave({ kind: 'reset' });
    const clock = stoppedClock();
    const onRequest = vi.fn();
    const { lb, url } = await startBalancer(step6, { backends: [backend.url], maxRetries: 3, sleep: clock.sleep, retryBudget: { percent: 100, minConcurrency: 5 }, passiveHealth: { maxFails: 1 }, onRequest });

    const req = requestToAbandon(url, '/leaving');
    await expect.poll(() => clock.waits.length, { message: say('the reset GET should pause before its retry', 'retries.ts') }).toBe(1);
    req.destroy();
    await expect.poll(() => onRequest.mock.calls.length, { message: say('the abandoned request is logged', 'load-balancer.ts') }).toBe(1);

    expect(onRequest.mock.calls[0]?.[0], say('a client that left before any answer is logged as 499, after its one try', 'load-balancer.ts')).toMatchObject({ status: 499, tries: 1 });
    await expect.poll(() => ({ budget: { retries: lb.budget.retries, requests: lb.budget.requests }, inFlight: lb.pool.backends[0].load.inFlight }), { message: say('every place is given back: the budget\'s request and retry counts, and the backend\'s in-flight count', 'retries.ts') }).toEqual({
      budget: { retries: 0, requests: 0 },
      inFlight: 0,
    });
    expect(lb.health.status()[0], say('a client leaving during the pause blames nobody', 'retries.ts')).toMatchObject({ consecutiveFails: 0, ejections: 0, available: true });
  });

  it('[lifecycle] clears the deadline and per-try timers of requests answered in time: none outlives close()', async () => {
    const backend = await startFakeBackend('backend-1');
    const before = openHandles();
    const timers = watchTimers();
    const lb = step6.createLoadBalancer({ backends: [backend.url], requestTimeoutMs: 61_000, tryTimeoutMs: 62_000, drainTimeoutMs: 50 });
    onTestFinished(() => lb.close()); // also when a check fails halfway
    const { url } = await lb.listen(0, '127.0.0.1');

    for (let i = 0; i < 5; i += 1) expect((await rawRequest(url, { path: `/quick/${i}` })).status, say('a quick request is answered', 'proxy.ts')).toBe(200);
    await lb.close();
    await backend.stop();

    expect(await leftBehind(before, timers), say('each answered request stops its 61 s deadline and 62 s try timer: five of each would otherwise keep the process alive for a minute', 'request-context.ts')).toEqual({ timers: [], sockets: 0, servers: 0 });
  });

  it('[framing] sends a WebSocket handshake on with Upgrade and Sec-WebSocket-*, but without the hop-by-hop headers of RFC 9110 §7.6.1 or those Connection names', async () => {
    const backend = await startWebSocketBackend('ws-1');
    const { url } = await startBalancer(step6, { backends: [backend.url] });
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    socket.on('error', () => {});
    onTestFinished(() => void socket.destroy());
    let reply = '';
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString('latin1')));

    socket.write(
      [
        'GET /chat HTTP/1.1',
        'Host: shop.example',
        'Connection: Upgrade, X-Hop',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'X-Hop: private to this hop',
        'Keep-Alive: timeout=5',
        'Proxy-Authorization: Basic c2VjcmV0',
        'TE: trailers',
        'X-Forwarded-For: 203.0.113.7',
        'X-End-To-End: kept',
        '',
        '',
      ].join('\r\n'),
    );
    await expect.poll(() => reply, { message: say('the handshake should be switched through', 'websocket-tunnel.ts') }).toMatch(/^HTTP\/1\.1 101 /);

    const seen = backend.handshakes[0]?.headers ?? {};
    expect([seen.upgrade, seen.connection, seen['sec-websocket-key'], seen['sec-websocket-version']], say('the upgrade itself is passed on: Upgrade: websocket, Connection: Upgrade, and the key and version (RFC 6455 §4.1)', 'websocket-tunnel.ts')).toEqual([
      'websocket',
      expect.stringMatching(/^upgrade$/i),
      'dGhlIHNhbXBsZSBub25jZQ==',
      '13',
    ]);
    expect([seen['x-hop'], seen['keep-alive'], seen['proxy-authorization'], seen.te], say('every other hop-by-hop header stays on the client hop, a handshake included', 'websocket-tunnel.ts')).toEqual([undefined, undefined, undefined, undefined]);
    expect([seen['x-end-to-end'], seen['x-forwarded-for'], seen['x-forwarded-host']], say('end-to-end headers pass, and X-Forwarded-* is added as for any request', 'websocket-tunnel.ts')).toEqual(['kept', '203.0.113.7, 127.0.0.1', 'shop.example']);
  });
});

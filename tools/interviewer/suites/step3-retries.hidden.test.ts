/**
 * Hidden interviewer checks for step 3 (retries and failover, done safely). The visible suite pins the
 * retry policy for the methods and error codes it names, with a clock that rejects when the client
 * leaves. These look past that: the idempotent set as RFC 9110 §9.2.2 writes it (so a denylist of
 * "the unsafe ones" fails), a pause only between two tries on the same backend, the default clock
 * that must stop when the client leaves, a loop that checks for the departed client itself, the
 * framing of every try, and a malformed answer that is not retried. Expected values come from the RFCs
 * and docs/step3-retries.md, never from the code under test.
 */
import * as step3 from '@impl/step3-retries/index.js';
import http from 'node:http';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { startBalancer } from '../../../tests/helpers/balancer.js';
import { answer, startFakeBackend, startFakeBackends } from '../../../tests/helpers/fake-backend.js';
import { openHandles } from '../../../tests/helpers/leaks.js';
import { rawRequest, requestToAbandon } from '../../../tests/helpers/raw-http.js';
import { leftBehind, startRawBackend, until, watchTimers } from './support.js';

const FOLDER = 'step3-retries';
const SUITE = 'tools/interviewer/suites/step3-retries.hidden.test.ts';
const say = (behaviour: string, file: string) => `step3 hidden: ${behaviour} — look at ${FOLDER}/${file} (${SUITE})`;

/** Written from RFC 9110 §9.2.2, not read from the code under test. */
const IDEMPOTENT = ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'];
/**
 * Not idempotent (POST, PATCH, CONNECT, LOCK), or methods a balancer cannot know anything about:
 * extensions Node's parser accepts (PURGE, NOTIFY, SUBSCRIBE, SOURCE) and other spellings of
 * idempotent ones — method names are case-sensitive (RFC 9110 §9.1), so `get` is not GET.
 */
const NEVER_RESENT = ['POST', 'PATCH', 'CONNECT', 'LOCK', 'PURGE', 'NOTIFY', 'SUBSCRIBE', 'SOURCE', 'get', 'Put'];

const errno = (code: string) => Object.assign(new Error(code), { code });
const notStarted = () => ({ headersSent: false }) as http.ServerResponse;
const buffered = () => ({ kind: 'buffered' as const, bytes: Buffer.from('x'), framing: { kind: 'length' as const, length: 1 } });

/** An injected retry clock: records every wait and lets the test end it; `rejectOnAbort` false plays a timer that ignores the signal. */
function controlledSleep({ autoResolve, rejectOnAbort = true }: { autoResolve: boolean; rejectOnAbort?: boolean }) {
  const waits: { ms: number; signal: AbortSignal; resolve: () => void }[] = [];
  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      waits.push({ ms, signal, resolve });
      if (rejectOnAbort) signal.addEventListener('abort', () => reject(signal.reason));
      if (autoResolve) resolve();
    });
  return { waits, sleep };
}

describe('step3 hidden: what is retried, when, and what each try carries', () => {
  it('[failure-handling] allows a reset to be retried for exactly the six idempotent methods of RFC 9110 §9.2.2, and never for a method it cannot know', () => {
    const decisions = Object.fromEntries([...IDEMPOTENT, ...NEVER_RESENT].map((method) => [method, step3.mayRetry(errno('ECONNRESET'), method, buffered(), notStarted())]));
    const expected = Object.fromEntries([...IDEMPOTENT.map((method) => [method, true]), ...NEVER_RESENT.map((method) => [method, false])]);

    expect(decisions, say('resend after a reset only GET, HEAD, OPTIONS, TRACE, PUT and DELETE: an allowlist from the RFC, not a denylist of the unsafe methods you know of (PURGE, NOTIFY… may do anything; `get` is not GET)', 'retry-policy.ts')).toEqual(expected);
    for (const method of NEVER_RESENT) {
      expect(step3.mayRetry(errno('ECONNREFUSED'), method, buffered(), notStarted()), say(`a ${method} that was never sent (refused) may still go to another backend`, 'retry-policy.ts')).toBe(true);
    }
  });

  it('[failure-handling] resends neither a reset PURGE nor a reset PATCH, but replays a reset PUT byte for byte on the next backend', async () => {
    const resetting = async (method: string, body: string | Buffer) => {
      const [a, b] = await startFakeBackends(2);
      a.behave({ kind: 'reset' });
      const { url } = await startBalancer(step3, { backends: [a.url, b.url], maxRetries: 1, maxAttempts: 2, retryDelayMs: 0 });
      const res = await rawRequest(url, { method, path: '/resource', body });
      return { status: res.status, requests: [a.requests.length, b.requests.length], replayed: b.requests[0]?.body };
    };
    const payload = Buffer.from('{"id":42,"state":"paid"}');

    expect(await resetting('PURGE', ''), say('a PURGE the backend may have acted on is answered 502 and never sent again', 'retry-policy.ts')).toMatchObject({ status: 502, requests: [1, 0] });
    expect(await resetting('PATCH', payload), say('a PATCH the backend may have applied is answered 502 and never sent again', 'retry-policy.ts')).toMatchObject({ status: 502, requests: [1, 0] });
    const put = await resetting('PUT', payload);
    expect([put.status, put.requests], say('a PUT is idempotent: retried on A (maxRetries 1), then failed over to B', 'retries.ts')).toEqual([200, [2, 1]]);
    expect(put.replayed?.equals(payload), say('the PUT reaching B carries the whole body', 'request-body.ts')).toBe(true);
  });

  it('[correctness] pauses retryDelayMs only between two tries on the same backend: not before the first try, not before a failover', async () => {
    const [down, up] = await startFakeBackends(2);
    await down.stop();
    const clock = controlledSleep({ autoResolve: true });
    const onRequest = vi.fn();
    const { url } = await startBalancer(step3, { backends: [down.url, up.url], maxRetries: 2, maxAttempts: 2, retryDelayMs: 40, sleep: clock.sleep, onRequest });

    const res = await rawRequest(url, { path: '/paused' });

    expect([res.status, res.headers['x-backend']], say('A refuses three times, then B answers', 'retries.ts')).toEqual([200, 'backend-2']);
    expect(clock.waits.map((wait) => wait.ms), say('two retries on A, so two pauses of retryDelayMs (40 ms here); failing over to B waits for nothing (nginx moves on at once)', 'retries.ts')).toEqual([40, 40]);
    await expect.poll(() => onRequest.mock.calls.length).toBe(1);
    expect(onRequest.mock.calls[0]?.[0], say('3 tries on A and 1 on B: 4 tries on 2 backends', 'retries.ts')).toMatchObject({ attempts: 2, tries: 4, status: 200 });

    const noRetries = controlledSleep({ autoResolve: true });
    const { url: direct } = await startBalancer(step3, { backends: [down.url, up.url], maxRetries: 0, maxAttempts: 2, retryDelayMs: 40, sleep: noRetries.sleep });
    expect((await rawRequest(direct, { path: '/direct' })).status, say('with maxRetries 0 the refused backend is left at once for the next', 'retries.ts')).toBe(200);
    expect(noRetries.waits, say('with maxRetries 0 there is no retry, so there must be no pause at all', 'retries.ts')).toEqual([]);
  });

  it('[lifecycle] close() while a request waits out a long default retry pause clears that pause: no timer survives', async () => {
    const backend = await startFakeBackend('backend-1');
    backend.behave({ kind: 'reset' });
    const before = openHandles();
    const timers = watchTimers();
    // No injected clock: the balancer's own default sleep must take the signal too.
    const lb = step3.createLoadBalancer({ backends: [backend.url], retryDelayMs: 60_000, drainTimeoutMs: 50 });
    onTestFinished(() => lb.close()); // also when a check fails halfway
    const { url } = await lb.listen(0, '127.0.0.1');
    const abandoned = requestToAbandon(url, '/paused');
    await until(() => backend.requests.length === 1, say('the GET should reach the backend, be reset, and wait for its retry', 'retries.ts'));

    const started = performance.now();
    await lb.close();
    expect(performance.now() - started, say('close() waits drainTimeoutMs (50 ms) at most for the paused request', 'load-balancer.ts')).toBeLessThan(1_000);
    abandoned.destroy();
    await backend.stop();

    expect(await leftBehind(before, timers), say('the default sleep must be abortable: pass ctx.clientGone on to the timer (node:timers/promises takes { signal }), or the 60 s pause outlives the client and close()', 'load-balancer.ts')).toEqual({ timers: [], sockets: 0, servers: 0 });
    expect(backend.requests, say('nothing is tried after the drain cut the request', 'retries.ts')).toHaveLength(1);
  });

  it('[failure-handling] sends nothing more once the client has left during a pause, even when the clock ignores the signal and ends normally', async () => {
    const backend = await startFakeBackend('backend-1');
    backend.behave({ kind: 'reset' });
    const clock = controlledSleep({ autoResolve: false, rejectOnAbort: false });
    const { url, http: client } = await startBalancer(step3, { backends: [backend.url], maxRetries: 3, sleep: clock.sleep });

    const req = requestToAbandon(url, '/gone');
    await expect.poll(() => clock.waits.length, { message: say('the reset GET should wait for its retry', 'retries.ts') }).toBe(1);
    req.destroy();
    await expect.poll(() => clock.waits[0].signal.aborted, { message: say('the signal passed to sleep() aborts when the client leaves (ctx.clientGone)', 'request-context.ts') }).toBe(true);

    clock.waits[0].resolve(); // a timer that did not listen to the signal fires anyway
    backend.behave(answer());
    await client.get('/after').expect(200);
    await client.get('/after').expect(200);

    expect(backend.requests.filter((request) => request.url === '/gone'), say('after the pause, check ctx.clientGone.aborted yourself: a sleep that resolves is no proof that anybody still waits', 'retries.ts')).toHaveLength(1);
    expect(clock.waits, say('and no further pause is taken for a client that left', 'retries.ts')).toHaveLength(1);
  });

  it('[framing] frames every try the same: one X-Forwarded-For hop, a Content-Length of the buffered body, no hop-by-hop header', async () => {
    const backend = await startFakeBackend('backend-1');
    backend.queue({ kind: 'reset' }, { kind: 'reset' }); // then answers
    const { url } = await startBalancer(step3, { backends: [backend.url], retryDelayMs: 0 });
    const { hostname, port } = new URL(url);

    // A chunked PUT (no Content-Length) with hop-by-hop headers and an earlier proxy hop.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { hostname, port, method: 'PUT', path: '/doc', agent: false, headers: { 'x-forwarded-for': '203.0.113.7', connection: 'keep-alive, x-hop', 'x-hop': 'private', 'keep-alive': 'timeout=5' } },
        (res) => (res.resume(), resolve(res.statusCode ?? 0)),
      );
      req.on('error', reject);
      req.write('part one, ');
      req.end('part two');
    });

    expect(status, say('the third try answers', 'retries.ts')).toBe(200);
    const tries = backend.requests.map((seen) => ({
      xff: seen.headers['x-forwarded-for'],
      length: seen.headers['content-length'],
      chunked: seen.headers['transfer-encoding'],
      hop: [seen.headers['x-hop'], seen.headers['keep-alive']],
      body: seen.body.toString(),
    }));
    const expected = { xff: '203.0.113.7, 127.0.0.1', length: '18', chunked: undefined, hop: [undefined, undefined], body: 'part one, part two' };
    expect(tries, say('each of the three tries is built afresh from the client request: X-Forwarded-For appended once (not once per try), the buffered body sent with its Content-Length (docs: as nginx does), hop-by-hop headers gone', 'outbound-request.ts')).toEqual([expected, expected, expected]);
  });

  it('[failure-handling] answers 502 to a malformed answer without retrying it, and leaves that backend in rotation', async () => {
    const [healthy] = await startFakeBackends(1);
    const garbled = await startRawBackend('HTTP/1.1 abc Not A Status\r\n\r\n');
    const { lb, url } = await startBalancer(step3, { backends: [garbled.url, healthy.url], maxRetries: 2, retryDelayMs: 0 });

    const res = await rawRequest(url, { path: '/garbled' });

    expect(res.status, say('an answer that is not HTTP is a failure of the "other" kind (neither never-sent nor a reset): 502', 'retry-policy.ts')).toBe(502);
    expect([garbled.requests(), healthy.requests.length], say('an answer came, so the request was processed: not retried, not failed over, even for a GET', 'retry-policy.ts')).toEqual([1, 0]);
    expect(lb.pool.backends[0].isAlive(), say('only exhausted retries take a backend out in step 3; one bad answer proves nothing', 'retries.ts')).toBe(true);
  });
});

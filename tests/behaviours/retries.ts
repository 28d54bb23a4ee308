import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { Readable } from 'node:stream';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { LoadBalancer } from '../../tools/shared/contract.js';
import { startBalancer } from '../helpers/balancer.js';
import { answer, startFakeBackend, startFakeBackends } from '../helpers/fake-backend.js';
import { messagesFor } from '../helpers/learner-messages.js';
import { rawExchange, rawRequest, requestToAbandon } from '../helpers/raw-http.js';
import { describeBehaviour, type Target } from '../helpers/suite.js';
import type { BackendLike, PoolLike, RoundRobinModule } from './round-robin.js';
import { ENDINGS, RETRY_OPTIONS, playEndings } from './try-endings.js';

/** The step 3 exports these checks need (described by shape, so every later step fits). */
interface RetriesModule extends RoundRobinModule {
  createLoadBalancer(options: RetryOptions): LoadBalancer & { pool: PoolLike };
  RequestContext: new (inbound: http.IncomingMessage, res: http.ServerResponse) => {
    attempts: number;
    retries: number;
    tries: number;
    backend: unknown;
    readonly tried: ReadonlySet<unknown>;
    readonly clientGone: AbortSignal;
    startAttempt(backend: BackendLike): void;
  };
  failureKind(err: Error): 'not-sent' | 'reset' | 'other';
  mayRetry(err: Error, method: string, body: { kind: 'buffered'; bytes: Buffer } | { kind: 'streamed'; stream: Readable }, res: http.ServerResponse): boolean;
  ConnectTimeoutError: new (timeoutMs: number) => Error;
  BackendTimeoutError: new (timeoutMs: number) => Error;
  Proxy: new (timeouts: { connectTimeoutMs: number; backendTimeoutMs: number; clientTimeoutMs: number }) => {
    tryOnce(inbound: http.IncomingMessage, res: http.ServerResponse, backend: URL, body: unknown): Promise<{ kind: string; status?: number; error?: Error & { code?: string } }>;
    close(): void;
  };
}

interface RetryOptions {
  backends: readonly string[];
  connectTimeoutMs?: number;
  backendTimeoutMs?: number;
  maxRetries?: number;
  maxAttempts?: number;
  retryDelayMs?: number;
  maxBufferedBodyBytes?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  onRequest?: (entry: { method: string; url: string; backend: string; status: number; attempts?: number; tries?: number }) => void;
}

/** An injected clock for the retry pause: records every wait and lets the test decide when it ends. */
function controlledSleep({ autoResolve }: { autoResolve: boolean }) {
  const waits: { ms: number; signal: AbortSignal; resolve: () => void }[] = [];
  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      waits.push({ ms, signal, resolve });
      signal.addEventListener('abort', () => reject(signal.reason));
      if (autoResolve) resolve();
    });
  return { waits, sleep };
}

const errno = (code: string) => Object.assign(new Error(code), { code });
const fakeResponse = (headersSent: boolean) => ({ headersSent }) as http.ServerResponse;
/** Written from RFC 9110 §9.2.2, not read from the code under test. */
const IDEMPOTENT = ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'];
const NOT_IDEMPOTENT = ['POST', 'PATCH', 'CONNECT', 'LOCK'];

export interface RetryExpectations {
  /**
   * Step 3 takes a backend out of rotation itself, and only when its retries ran out. From step 4 on
   * the passive health checks decide (their suite checks how), so these checks leave rotation alone.
   */
  judgesRotation: boolean;
  /** What the log may say of a request whose client left before any answer: 0; step 6 logs nginx's 499, and its own suite insists on it. */
  abandonedStatuses?: readonly number[];
}

export function retries(target: Target<unknown> & { module: RetriesModule }, expectations: RetryExpectations = { judgesRotation: true }): void {
  const step = target.module;
  const { RequestContext, ServerPool, failureKind, mayRetry, ConnectTimeoutError, BackendTimeoutError, Proxy } = step;
  const say = messagesFor('step3', target);

  describeBehaviour('step3', 'retries with per-request context counters', target, () => {
    describe('the pieces', () => {
      it('RequestContext counts attempts, resets retries for every new backend, and remembers the backends tried', () => {
        const [first, second] = new ServerPool([new URL('http://127.0.0.1:9001'), new URL('http://127.0.0.1:9002')]).backends;
        const res = new http.ServerResponse(new http.IncomingMessage(null as never));
        const ctx = new RequestContext(new http.IncomingMessage(null as never), res);
        expect([ctx.attempts, ctx.retries, ctx.tries, ctx.tried.size], say('a new context starts with every counter at 0 and nothing tried', 'request-context.ts')).toEqual([0, 0, 0, 0]);

        ctx.startAttempt(first);
        ctx.retries = 3;
        ctx.startAttempt(second);

        expect(ctx.attempts, say('startAttempt() should count one more attempt', 'request-context.ts')).toBe(2);
        expect(ctx.retries, say('startAttempt() must reset retries to 0 — the Go original forgets, so later backends get one try', 'request-context.ts')).toBe(0);
        expect(ctx.backend, say('startAttempt() should remember the backend', 'request-context.ts')).toBe(second);
        expect([...ctx.tried], say('startAttempt() should add the backend to ctx.tried, so failover picks a new one', 'request-context.ts')).toEqual([first, second]);
      });

      it('RequestContext.clientGone aborts when the client leaves before the response is finished, not after', () => {
        const socket = { writable: true, on: () => {}, once: () => {}, removeListener: () => {} };
        const early = new http.ServerResponse(new http.IncomingMessage(socket as never));
        const ctx = new RequestContext(new http.IncomingMessage(null as never), early);
        early.emit('close');
        expect(ctx.clientGone.aborted, say('a response closed before it finished means the client left', 'request-context.ts')).toBe(true);

        const done = new http.ServerResponse(new http.IncomingMessage(socket as never));
        const finished = new RequestContext(new http.IncomingMessage(null as never), done);
        Object.defineProperty(done, 'writableFinished', { value: true });
        done.emit('close');
        expect(finished.clientGone.aborted, say('a response that finished was not abandoned', 'request-context.ts')).toBe(false);
      });

      it('pool.next(skip) never offers a backend this request has tried, and rotates over the rest', () => {
        const pool = new ServerPool([9001, 9002, 9003].map((port) => new URL(`http://127.0.0.1:${port}`)));
        const skip = new Set([pool.backends[0]]);
        const picks = Array.from({ length: 4 }, () => pool.next(skip)?.index);
        expect(picks, say('with backend 1 tried, next(skip) should alternate between 2 and 3', 'server-pool.ts')).toEqual([1, 2, 1, 2]);
        expect(pool.next(new Set(pool.backends)), say('when every backend was tried, next(skip) returns undefined', 'server-pool.ts')).toBeUndefined();
      });

      it('Proxy.tryOnce says how a try ended: answered with its status, failed with the error, or the client left', async () => {
        const [ok, broken, slow, upgrading] = await startFakeBackends(4);
        ok.behave(answer({ status: 207 }));
        broken.behave({ kind: 'die-mid-body' });
        slow.behave({ kind: 'hang' });
        upgrading.behave({ kind: 'switch-protocols' });
        const refused = await startFakeBackend('refused');
        await refused.stop();
        const proxy = new Proxy({ connectTimeoutMs: 1_000, backendTimeoutMs: 5_000, clientTimeoutMs: 5_000 });
        onTestFinished(() => proxy.close());
        const outcomes: Promise<{ kind: string; status?: number; error?: Error & { code?: string } }>[] = [];
        const front = http.createServer((inbound, res) => {
          const target = new URL({ '/ok': ok.url, '/broken': broken.url, '/refused': refused.url, '/slow': slow.url, '/upgrading': upgrading.url }[inbound.url ?? ''] ?? ok.url);
          const outcome = proxy.tryOnce(inbound, res, target, { kind: 'buffered', bytes: Buffer.alloc(0), framing: { kind: 'none' } });
          outcomes.push(outcome);
          void outcome.then((ended) => ended.kind === 'failed' && !res.headersSent && res.writeHead(599).end());
        });
        await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
        onTestFinished(() => new Promise<void>((resolve) => (front.closeAllConnections(), front.close(() => resolve()))));
        const url = `http://127.0.0.1:${(front.address() as { port: number }).port}`;

        await rawRequest(url, { path: '/ok' });
        await rawRequest(url, { path: '/refused' });
        await rawRequest(url, { path: '/broken' }).catch(() => undefined);
        await rawRequest(url, { path: '/upgrading' });
        const abandoned = requestToAbandon(url, '/slow');
        await expect.poll(() => slow.requests.length).toBe(1);
        abandoned.destroy();

        const [answered, refusedTry, brokenTry, upgradeTry, gone] = await Promise.all(outcomes);
        expect([upgradeTry.kind, upgradeTry.error?.code], say('an unasked-for 101 is the backend failing, though the client got our 502', 'proxy.ts')).toEqual(['failed', 'UNEXPECTED_UPGRADE']);
        expect(answered, say('a complete response is "answered", with the status the client got', 'proxy.ts')).toEqual({ kind: 'answered', status: 207 });
        expect([refusedTry.kind, refusedTry.error?.code], say('a refused connection is "failed", with the error', 'proxy.ts')).toEqual(['failed', 'ECONNREFUSED']);
        expect(brokenTry.kind, say('a backend that breaks off its response has failed too: the client was cut off because of it', 'proxy.ts')).toBe('failed');
        expect(gone, say('a client that leaves first is "client-gone": that says nothing about the backend', 'proxy.ts')).toEqual({ kind: 'client-gone' });
      });

      it('refuses retry options that cannot work, naming the option', () => {
        const cases: [Record<string, number>, RegExp][] = [
          [{ maxAttempts: 0 }, /maxAttempts/],
          [{ maxAttempts: 1.5 }, /maxAttempts/],
          [{ maxRetries: -1 }, /maxRetries/],
          [{ retryDelayMs: -5 }, /retryDelayMs/],
          [{ maxBufferedBodyBytes: 0.5 }, /maxBufferedBodyBytes/],
        ];
        for (const [options, names] of cases) {
          expect(() => step.createLoadBalancer({ backends: ['http://127.0.0.1:1'], ...options }), say(`${JSON.stringify(options)} should be refused at construction, by name`, 'load-balancer.ts')).toThrow(
            expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringMatching(names) }),
          );
        }
        for (const options of [{ maxAttempts: 1 }, { maxRetries: 0 }, { retryDelayMs: 0 }, { maxBufferedBodyBytes: 0 }]) {
          expect(() => step.createLoadBalancer({ backends: ['http://127.0.0.1:1'], ...options }), say(`${JSON.stringify(options)} is a valid setting`, 'load-balancer.ts')).not.toThrow();
        }
      });

      it('failureKind tells "never sent" from "reset" from anything else, code by code', () => {
        const expected: Record<string, 'not-sent' | 'reset' | 'other'> = {
          ECONNREFUSED: 'not-sent', // nobody listens
          EHOSTUNREACH: 'not-sent',
          ENETUNREACH: 'not-sent',
          ENOTFOUND: 'not-sent', // the name did not resolve: no connection was ever made
          EAI_AGAIN: 'not-sent', // a DNS timeout, same
          ECONNRESET: 'reset', // the connection broke after it was made
          EPIPE: 'reset', // we wrote into a connection the backend had closed
          ETIMEDOUT: 'other',
          ERR_SOMETHING_ELSE: 'other',
        };
        const actual = Object.fromEntries(Object.keys(expected).map((code) => [code, failureKind(errno(code))]));
        expect(actual, say('classify every error code by whether the request can have left', 'retry-policy.ts')).toEqual(expected);
        expect(failureKind(new ConnectTimeoutError(10)), say('a connect timeout never carried the request', 'retry-policy.ts')).toBe('not-sent');
        expect(failureKind(new BackendTimeoutError(10)), say('a silent backend is neither', 'retry-policy.ts')).toBe('other');
        expect(failureKind(new Error('no code at all')), say('an error without a code is "other"', 'retry-policy.ts')).toBe('other');
      });

      it('mayRetry allows a reset only for idempotent methods, exactly the ones of RFC 9110 §9.2.2', () => {
        const buffered = { kind: 'buffered' as const, bytes: Buffer.from('x') };
        for (const method of [...IDEMPOTENT, ...NOT_IDEMPOTENT]) {
          expect(mayRetry(errno('ECONNRESET'), method, buffered, fakeResponse(false)), say(`after a reset, ${method} ${IDEMPOTENT.includes(method) ? 'may' : 'must not'} be sent again`, 'retry-policy.ts')).toBe(
            IDEMPOTENT.includes(method),
          );
          expect(mayRetry(errno('ECONNREFUSED'), method, buffered, fakeResponse(false)), say(`a ${method} that was never sent may go again`, 'retry-policy.ts')).toBe(true);
        }
      });

      it('mayRetry allows nothing once the client has response bytes, without a body to replay, or after a timeout', () => {
        const buffered = { kind: 'buffered' as const, bytes: Buffer.from('x') };
        const streamed = { kind: 'streamed' as const, stream: null as never };
        expect(mayRetry(errno('ECONNREFUSED'), 'GET', streamed, fakeResponse(false)), say('a streamed body is gone: nothing to replay', 'retry-policy.ts')).toBe(false);
        expect(mayRetry(errno('ECONNREFUSED'), 'GET', buffered, fakeResponse(true)), say('once the client has response bytes nothing is retried', 'retry-policy.ts')).toBe(false);
        expect(mayRetry(errno('ECONNRESET'), 'GET', buffered, fakeResponse(true)), say('once the client has response bytes nothing is retried', 'retry-policy.ts')).toBe(false);
        expect(mayRetry(new BackendTimeoutError(10), 'GET', buffered, fakeResponse(false)), say('a silent backend is not retried', 'retry-policy.ts')).toBe(false);
        expect(mayRetry(new ConnectTimeoutError(10), 'POST', buffered, fakeResponse(false)), say('a connect timeout may be retried, even for POST', 'retry-policy.ts')).toBe(true);
      });
    });

    describe('every way a try can end (backend A misbehaves, backend B is healthy; maxRetries 2, maxAttempts 2)', () => {
      it(`plays all ${ENDINGS.length} rows of tests/behaviours/try-endings.ts: status, requests to A and B, tries, rotation`, { timeout: 20_000 }, async () => {
        const runs = await playEndings(step, ENDINGS);
        ENDINGS.forEach((ending, i) => {
          const run = runs[i];
          const { expected } = ending;
          const how = `a ${ending.method} whose try ends "${ending.name}"`;
          expect(run.status, say(`${how}: the client should get ${expected.status}`, 'retries.ts')).toBe(expected.status);
          expect(run.requests, say(`${how}: requests reaching [A, B] (A's retries, then failover)`, 'retries.ts')).toEqual(expected.requests);
          expect(run.entry?.tries, say(`${how}: the request log should count every try (ctx.tries)`, 'retries.ts')).toBe(expected.tries);
          if (!expectations.judgesRotation) return;
          expect(run.lb.pool.backends[0].isAlive(), say(`${how}: ${expected.aStaysInRotation ? 'one such failure is no proof A is dead, keep it in rotation' : 'A should be out of rotation once its retries ran out'}`, 'retries.ts')).toBe(
            expected.aStaysInRotation,
          );
        });
      });
    });

    describe('the balancer', () => {
      it('retries on the same backend after retryDelayMs, and logs attempts and tries', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.queue({ kind: 'reset' }, { kind: 'reset' });
        const clock = controlledSleep({ autoResolve: true });
        const onRequest = vi.fn();
        const { http: client } = await startBalancer(step, { backends: [backend.url], retryDelayMs: 50, sleep: clock.sleep, onRequest });

        const res = await client.get('/flaky');

        expect(res.status, say('the third try should succeed and the client should never notice the first two', 'retries.ts')).toBe(200);
        expect(backend.connections, say('the backend should see exactly 3 connections: 2 reset, 1 answered', 'retries.ts')).toBe(3);
        expect(clock.waits.map((wait) => wait.ms), say('the balancer should wait retryDelayMs (50 here) before each retry', 'retries.ts')).toEqual([50, 50]);
        await expect.poll(() => onRequest.mock.calls.length).toBe(1);
        expect(onRequest.mock.calls[0]?.[0], say('the log should say 3 tries on 1 backend (count ctx.tries for every try)', 'retries.ts')).toMatchObject({ attempts: 1, tries: 3, status: 200 });
      });

      it('fails over from a refused backend to a healthy one and skips the refused one afterwards', async () => {
        const [down, up] = await startFakeBackends(2);
        await down.stop();
        const { lb, http: client } = await startBalancer(step, { backends: [down.url, up.url], retryDelayMs: 1 });

        const first = await client.get('/');
        expect(first.status, say('the request should be answered by the healthy backend', 'retries.ts')).toBe(200);
        expect(first.headers['x-backend']).toBe('backend-2');
        if (expectations.judgesRotation) expect(lb.pool.backends[0].isAlive(), say('a backend that failed all its retries should be marked not alive', 'retries.ts')).toBe(false);

        for (let i = 0; i < 3; i += 1) await client.get('/').expect(200);
        expect(up.requests, say('with backend 1 down, every request should go to backend 2', 'retries.ts')).toHaveLength(4);
      });

      it('answers 503 after exactly maxAttempts × (maxRetries + 1) tries when every backend fails', async () => {
        const backends = await startFakeBackends(4);
        for (const backend of backends) backend.behave({ kind: 'reset' });
        const onRequest = vi.fn();
        const { http: client } = await startBalancer(step, { backends: backends.map((b) => b.url), maxAttempts: 3, maxRetries: 1, retryDelayMs: 1, onRequest });

        const res = await client.get('/');

        expect(res.status, say('when every attempt fails the client should get 503', 'retries.ts')).toBe(503);
        expect(backends.map((b) => b.requests.length), say('3 backends × (1 try + 1 retry) = 6 tries, and the 4th backend untouched', 'retries.ts')).toEqual([2, 2, 2, 0]);
        await expect.poll(() => onRequest.mock.calls.length).toBe(1);
        expect(onRequest.mock.calls[0]?.[0], say('the log should say 6 tries on 3 backends', 'retries.ts')).toMatchObject({ attempts: 3, tries: 6, status: 503 });
      });

      it('gives the second backend its full retries (the Go original does not reset the counter)', async () => {
        const backends = await startFakeBackends(2);
        backends[0].behave({ kind: 'reset' });
        backends[1].queue({ kind: 'reset' }, { kind: 'reset' }); // then answers
        const { http: client } = await startBalancer(step, { backends: backends.map((b) => b.url), maxRetries: 3, retryDelayMs: 1 });

        const res = await client.get('/');

        expect(res.headers['x-backend'], say('backend 2 should answer on its third try: its retries start again at 0', 'retries.ts')).toBe('backend-2');
        expect(backends.map((b) => b.requests.length), say('backend 1: 1 try + 3 retries; backend 2: 2 resets + 1 answer', 'retries.ts')).toEqual([4, 3]);
      });

      it('replays a POST body byte for byte after a connection failure', async () => {
        const [down, up] = await startFakeBackends(2);
        await down.stop();
        const { url } = await startBalancer(step, { backends: [down.url, up.url], retryDelayMs: 1 });
        const body = randomBytes(256 * 1024);

        const res = await rawRequest(url, { method: 'POST', path: '/orders', body, headers: { 'content-type': 'application/octet-stream' } });

        expect(res.status, say('the POST should be answered by the healthy backend', 'retries.ts')).toBe(200);
        expect(up.requests[0]?.body.equals(body), say('the retried POST must carry the whole body (buffer it: the stream was used up by the first try)', 'request-body.ts')).toBe(true);
      });

      it('streams a body whose declared length is over maxBufferedBodyBytes from its first byte', async () => {
        const backend = await startFakeBackend('backend-1');
        const { url } = await startBalancer(step, { backends: [backend.url], maxBufferedBodyBytes: 1024 });
        const { hostname, port } = new URL(url);
        const req = http.request({ hostname, port, method: 'PUT', path: '/declared', agent: false, headers: { 'content-length': 100_000 } });
        req.on('error', () => {});
        onTestFinished(() => void req.destroy());

        req.write(Buffer.alloc(512, 1)); // less than the limit: a buffering balancer would wait for more

        await expect.poll(() => backend.bytesReceived, { message: say('a Content-Length over the limit can never be buffered: stream it at once', 'request-body.ts') }).toBeGreaterThan(0);
      });

      it('does not retry a body larger than maxBufferedBodyBytes: it was streamed, there is nothing to replay', async () => {
        const backends = await startFakeBackends(2);
        backends[0].behave({ kind: 'reset' });
        const { url } = await startBalancer(step, { backends: backends.map((b) => b.url), retryDelayMs: 1, maxBufferedBodyBytes: 1024 });

        const res = await rawRequest(url, { method: 'PUT', path: '/big', body: randomBytes(4096) });

        expect(res.status, say('a PUT too large to buffer cannot be replayed: 502', 'retries.ts')).toBe(502);
        expect(backends.map((b) => b.requests.length), say('the streamed PUT reaches one backend, once', 'retries.ts')).toEqual([1, 0]);
      });

      it('retries many times on one request without tripping Node\'s listener-leak warning', async () => {
        const backends = await startFakeBackends(4);
        for (const backend of backends) backend.behave({ kind: 'reset' });
        const warnings: string[] = [];
        const listener = (warning: Error) => void warnings.push(`${warning.name}: ${warning.message}`);
        process.on('warning', listener);
        onTestFinished(() => void process.off('warning', listener));
        const { http: client } = await startBalancer(step, { backends: backends.map((b) => b.url), maxAttempts: 4, maxRetries: 3, retryDelayMs: 0 });

        expect((await client.get('/')).status, say('16 failed tries end in 503', 'retries.ts')).toBe(503);
        await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
        expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')), say('each try adds listeners to the request and response: allow as many as the tries, and remove yours when a try ends', 'load-balancer.ts')).toEqual([]);
      });

      it('retries a chunked upload with the same bytes, and a body of exactly maxBufferedBodyBytes too', async () => {
        const [down, up] = await startFakeBackends(2);
        await down.stop();
        const { url } = await startBalancer(step, { backends: [down.url, up.url], retryDelayMs: 1, maxBufferedBodyBytes: 1024 });
        const { hostname, port } = new URL(url);
        const chunked = await new Promise<number>((resolve, reject) => {
          const req = http.request({ hostname, port, method: 'POST', path: '/chunked', agent: false }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
          req.on('error', reject);
          req.write('first,');
          req.end('second'); // no Content-Length: node:http sends it chunked
        });
        expect(chunked, say('a chunked POST whose first backend refused is replayed on the second', 'request-body.ts')).toBe(200);
        expect(up.requests[0]?.body.toString(), say('the replayed chunked body must be complete', 'request-body.ts')).toBe('first,second');

        // A fresh balancer each: the first one has taken the refused backend out by now.
        const sendAfterRefusal = async (size: number) => {
          const { url: fresh } = await startBalancer(step, { backends: [down.url, up.url], retryDelayMs: 1, maxBufferedBodyBytes: 1024 });
          return (await rawRequest(fresh, { method: 'PUT', path: '/sized', body: Buffer.alloc(size, 7) })).status;
        };
        expect(await sendAfterRefusal(1024), say('a body of exactly maxBufferedBodyBytes is still buffered, so it can be retried', 'request-body.ts')).toBe(200);
        expect(await sendAfterRefusal(1025), say('one byte more and the body is streamed: a refused first try cannot be replayed', 'request-body.ts')).toBe(502);
      });

      it('never leaves a keep-alive connection wedged behind an unread body it refused', async () => {
        const backend = await startFakeBackend('backend-1');
        await backend.stop();
        const { url } = await startBalancer(step, { backends: [backend.url], retryDelayMs: 1, maxBufferedBodyBytes: 1024 });

        // A keep-alive client (no Connection header) sends part of a large upload to a refused backend.
        const reply = await rawExchange(url, `PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n${'x'.repeat(4096)}`, { halfClose: false });

        expect(reply.split('\r\n')[0], say('the streamed upload cannot be retried: 502', 'retries.ts')).toBe('HTTP/1.1 502 Bad Gateway');
        expect(reply, say('the rest of the body was never read: say Connection: close and close, or the next request on this connection would be read from the middle of the upload', 'error-response.ts')).toMatch(/\r\nconnection: close\r\n/i);
      });

      it('stops retrying as soon as the client disconnects', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave({ kind: 'reset' });
        const clock = controlledSleep({ autoResolve: false });
        const { url, http: client } = await startBalancer(step, { backends: [backend.url], sleep: clock.sleep });

        const req = requestToAbandon(url, '/gone');
        await expect.poll(() => clock.waits.length, { message: say('the balancer should pause before retrying', 'retries.ts') }).toBe(1);
        req.destroy();

        await expect.poll(() => clock.waits[0].signal.aborted, { message: say('the wait should be aborted when the client goes away (pass ctx.clientGone to sleep)', 'retries.ts') }).toBe(true);
        clock.waits[0].resolve(); // even if the timer fired now, nothing more should be tried
        backend.behave(answer());
        await client.get('/after').expect(200);
        expect(backend.requests.filter((r) => r.url === '/gone'), say('no try may follow once the client has gone', 'retries.ts')).toHaveLength(1);
      });

      it('ends a request whose client gives up mid-upload: logged, nothing sent, nothing kept', async () => {
        const backend = await startFakeBackend('backend-1');
        const onRequest = vi.fn();
        const { lb, url } = await startBalancer(step, { backends: [backend.url], onRequest, ...RETRY_OPTIONS });
        const { hostname, port } = new URL(url);
        const arrived = once(lb.server, 'request');
        const req = http.request({ hostname, port, method: 'POST', path: '/upload', agent: false, headers: { 'content-length': 100_000 } });
        req.on('error', () => {});
        req.write(randomBytes(10_000));
        await arrived; // the balancer has the headers and is reading the body
        req.destroy();

        await expect.poll(() => onRequest.mock.calls.length, { message: say('an upload the client abandons must still end (and be logged)', 'request-body.ts') }).toBe(1);
        const gone = expectations.abandonedStatuses ?? [0];
        expect(onRequest.mock.calls[0]?.[0], say(`the abandoned upload is logged with status ${gone.join(' or ')}`, 'load-balancer.ts')).toMatchObject({ url: '/upload', status: expect.toBeOneOf([...gone]) });
        expect(backend.requests, say('a body that never completed must not be forwarded', 'request-body.ts')).toHaveLength(0);
      });
    });
  });
}

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { LoadBalancer } from '../../tools/contract.js';
import { startBalancer } from '../helpers/balancer.js';
import { answer, startFakeBackend, startFakeBackends } from '../helpers/fake-backend.js';
import { because } from '../helpers/learner-messages.js';
import { rawRequest, requestToAbandon } from '../helpers/raw-http.js';
import { describeBehaviour, type Target } from '../helpers/suite.js';
import type { BackendLike, PoolLike, RoundRobinModule } from './round-robin.js';

/** The step 3 exports these checks need (described by shape, so every later step fits). */
interface RetriesModule extends RoundRobinModule {
  createLoadBalancer(options: RetryOptions): LoadBalancer & { pool: PoolLike };
  RequestContext: new (inbound: http.IncomingMessage, res: http.ServerResponse) => {
    attempts: number;
    retries: number;
    backend: unknown;
    startAttempt(backend: BackendLike): void;
  };
  failureKind(err: Error): 'not-sent' | 'reset' | 'other';
  mayRetry(err: Error, method: string, body: { kind: 'buffered'; bytes: Buffer } | { kind: 'streamed'; stream: Readable }, res: http.ServerResponse): boolean;
  ConnectTimeoutError: new (timeoutMs: number) => Error;
  BackendTimeoutError: new (timeoutMs: number) => Error;
}

interface RetryOptions {
  backends: readonly string[];
  maxRetries?: number;
  maxAttempts?: number;
  retryDelayMs?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const say = (behaviour: string) => because('step3', behaviour);

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

export function retries(target: Target<unknown> & { module: RetriesModule }): void {
  const step = target.module;
  const { RequestContext, ServerPool, failureKind, mayRetry, ConnectTimeoutError, BackendTimeoutError } = step;

  describeBehaviour('step3', 'retries with per-request context counters', target, () => {
    describe('the pieces', () => {
      it('RequestContext counts attempts and resets retries for every new backend', () => {
        const [first, second] = new ServerPool([new URL('http://127.0.0.1:9001'), new URL('http://127.0.0.1:9002')]).backends;
        const res = new http.ServerResponse(new http.IncomingMessage(null as never));
        const ctx = new RequestContext(new http.IncomingMessage(null as never), res);

        ctx.startAttempt(first);
        ctx.retries = 3;
        ctx.startAttempt(second);

        expect(ctx.attempts, say('startAttempt() should count one more attempt')).toBe(2);
        expect(ctx.retries, say('startAttempt() must reset retries to 0 — the Go original forgets, so later backends get one try')).toBe(0);
        expect(ctx.backend, say('startAttempt() should remember the backend')).toBe(second);
      });

      it('failureKind tells "never sent" from "reset" from anything else', () => {
        expect(failureKind(errno('ECONNREFUSED')), say('a refused connection never carried the request')).toBe('not-sent');
        expect(failureKind(new ConnectTimeoutError(10)), say('a connect timeout never carried the request')).toBe('not-sent');
        expect(failureKind(errno('ECONNRESET')), say('a reset connection may have carried the request')).toBe('reset');
        expect(failureKind(new BackendTimeoutError(10)), say('a silent backend is neither')).toBe('other');
      });

      it('mayRetry allows only what is safe to send again', () => {
        const buffered = { kind: 'buffered' as const, bytes: Buffer.from('x') };
        const streamed = { kind: 'streamed' as const, stream: null as never };
        expect(mayRetry(errno('ECONNREFUSED'), 'POST', buffered, fakeResponse(false)), say('a POST that was never sent may go again')).toBe(true);
        expect(mayRetry(errno('ECONNRESET'), 'GET', buffered, fakeResponse(false)), say('an idempotent GET may go again after a reset')).toBe(true);
        expect(mayRetry(errno('ECONNRESET'), 'POST', buffered, fakeResponse(false)), say('a POST the backend may have received must not be sent again')).toBe(false);
        expect(mayRetry(errno('ECONNREFUSED'), 'GET', streamed, fakeResponse(false)), say('a streamed body is gone: nothing to replay')).toBe(false);
        expect(mayRetry(errno('ECONNRESET'), 'GET', buffered, fakeResponse(true)), say('once the client has response bytes nothing is retried')).toBe(false);
        expect(mayRetry(new BackendTimeoutError(10), 'GET', buffered, fakeResponse(false)), say('a silent backend is not retried')).toBe(false);
      });
    });

    describe('the balancer', () => {
      it('retries a backend that resets its first two connections, on the same backend, after the retry delay', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.queue({ kind: 'reset' }, { kind: 'reset' });
        const clock = controlledSleep({ autoResolve: true });
        const { http: client } = await startBalancer(step, { backends: [backend.url], retryDelayMs: 50, sleep: clock.sleep });

        const res = await client.get('/flaky');

        expect(res.status, say('the third try should succeed and the client should never notice the first two')).toBe(200);
        expect(backend.connections, say('the backend should see exactly 3 connections: 2 reset, 1 answered')).toBe(3);
        expect(clock.waits.map((wait) => wait.ms), say('the balancer should wait retryDelayMs before each retry')).toEqual([50, 50]);
      });

      it('fails over from a refused backend to a healthy one and skips the refused one afterwards', async () => {
        const [down, up] = await startFakeBackends(2);
        await down.stop();
        const { lb, http: client } = await startBalancer(step, { backends: [down.url, up.url], retryDelayMs: 1 });

        const first = await client.get('/');
        expect(first.status, say('the request should be answered by the healthy backend')).toBe(200);
        expect(first.headers['x-backend']).toBe('backend-2');
        expect(lb.pool.backends[0].isAlive(), say('a backend that failed all its retries should be marked not alive')).toBe(false);

        for (let i = 0; i < 3; i += 1) await client.get('/').expect(200);
        expect(up.requests, say('with backend 1 down, every request should go to backend 2')).toHaveLength(4);
      });

      it('answers 503 after exactly maxAttempts × (maxRetries + 1) tries when every backend fails', async () => {
        const backends = await startFakeBackends(4);
        for (const backend of backends) backend.behave({ kind: 'reset' });
        const { http: client } = await startBalancer(step, { backends: backends.map((b) => b.url), maxAttempts: 3, maxRetries: 2, retryDelayMs: 1 });

        const res = await client.get('/');

        expect(res.status, say('when every attempt fails the client should get 503')).toBe(503);
        const tries = backends.map((b) => b.requests.length);
        expect(tries, say('3 backends × (1 try + 2 retries) = 9 tries, and the 4th backend untouched')).toEqual([3, 3, 3, 0]);
      });

      it('gives the second backend its full retries (the Go original does not reset the counter)', async () => {
        const backends = await startFakeBackends(2);
        backends[0].behave({ kind: 'reset' });
        backends[1].queue({ kind: 'reset' }, { kind: 'reset' }); // then answers
        const { http: client } = await startBalancer(step, { backends: backends.map((b) => b.url), maxRetries: 3, retryDelayMs: 1 });

        const res = await client.get('/');

        expect(res.headers['x-backend'], say('backend 2 should answer on its third try: its retries start again at 0')).toBe('backend-2');
        expect(backends.map((b) => b.requests.length), say('backend 1: 1 try + 3 retries; backend 2: 2 resets + 1 answer')).toEqual([4, 3]);
      });

      it('replays a POST body byte for byte after a connection failure', async () => {
        const [down, up] = await startFakeBackends(2);
        await down.stop();
        const { url } = await startBalancer(step, { backends: [down.url, up.url], retryDelayMs: 1 });
        const body = randomBytes(256 * 1024);

        const res = await rawRequest(url, { method: 'POST', path: '/orders', body, headers: { 'content-type': 'application/octet-stream' } });

        expect(res.status).toBe(200);
        expect(up.requests[0]?.body.equals(body), say('the retried POST must carry the whole body (buffer it: the stream was used up by the first try)')).toBe(true);
      });

      it('does not send a POST again once the backend received it', async () => {
        const backends = await startFakeBackends(2);
        backends[0].behave({ kind: 'reset' }); // reads the whole request, then resets
        const { http: client } = await startBalancer(step, { backends: backends.map((b) => b.url), retryDelayMs: 1 });

        const res = await client.post('/payments').send('charge 100');

        expect(res.status, say('a POST that failed after the backend got it should end in 502, not be retried')).toBe(502);
        expect(backends.map((b) => b.requests.length), say('the POST must reach exactly one backend, once')).toEqual([1, 0]);
      });

      it('stops retrying as soon as the client disconnects', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave({ kind: 'reset' });
        const clock = controlledSleep({ autoResolve: false });
        const { url, http: client } = await startBalancer(step, { backends: [backend.url], sleep: clock.sleep });

        const req = requestToAbandon(url, '/gone');
        await expect.poll(() => clock.waits.length, { message: say('the balancer should pause before retrying') }).toBe(1);
        req.destroy();

        await expect.poll(() => clock.waits[0].signal.aborted, { message: say('the wait should be aborted when the client goes away (pass ctx.clientGone to sleep)') }).toBe(true);
        clock.waits[0].resolve(); // even if the timer fired now, nothing more should be tried
        backend.behave(answer());
        await client.get('/after').expect(200);
        expect(backend.requests.filter((r) => r.url === '/gone'), say('no try may follow once the client has gone')).toHaveLength(1);
      });
    });
  });
}

import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { LoadBalancer } from '../../tools/shared/contract.js';
import { startBalancer } from '../helpers/balancer.js';
import { startBlackHole } from '../helpers/black-hole.js';
import { answer, startFakeBackend, startFakeBackends } from '../helpers/fake-backend.js';
import { messagesFor } from '../helpers/learner-messages.js';
import { rawExchange, rawRequest, requestToAbandon } from '../helpers/raw-http.js';
import { describeBehaviour, type Target } from '../helpers/suite.js';
import { closed, nextMessage, openWebSocket, startWebSocketBackend } from '../helpers/websocket-backend.js';

interface Entry {
  method: string;
  url: string;
  backend: string;
  status: number;
  tries: number;
}
interface Status {
  url: string;
  state: string;
  available: boolean;
  consecutiveFails: number;
  ejections: number;
}
interface EdgeOptions {
  backends: readonly string[];
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  tryTimeoutMs?: number;
  retryBudget?: { percent?: number; minConcurrency?: number };
  maxRetries?: number;
  maxAttempts?: number;
  retryDelayMs?: number;
  backendTimeoutMs?: number;
  maxConnections?: number;
  maxQueue?: number;
  queueTimeoutMs?: number;
  drainTimeoutMs?: number;
  healthCheck?: { intervalMs?: number; recoveryIntervalMs?: number; timeoutMs?: number; rise?: number; fall?: number };
  passiveHealth?: { maxFails?: number; baseEjectionMs?: number };
  onRequest?: (entry: Entry) => void;
}
type EdgeBalancer = LoadBalancer & {
  pool: { backends: readonly { load: { inFlight: number; costAt(now: number): number | undefined } }[] };
  health: { status(): Status[]; setMaintenance(backend: unknown, on: boolean): void };
  listenAdmin(port?: number, host?: string): Promise<{ url: string }>;
  metrics: { render(): Promise<{ body: string }> };
  budget: { retries: number; requests: number };
};

/** The step 6 exports these checks need (described by shape, so later steps fit too). */
interface EdgeModule {
  createLoadBalancer(options: EdgeOptions): EdgeBalancer;
  RetryBudget: new (options?: { percent?: number; minConcurrency?: number }) => { readonly percent: number; readonly minConcurrency: number; requests: number; retries: number; refused: number; readonly limit: number; startRetry(): boolean; endRetry(): void };
  toOriginForm(inbound: http.IncomingMessage): void;
  RequestTimeoutError: new (timeoutMs: number) => Error & { code: string; status: number };
  TryTimeoutError: new (timeoutMs: number) => Error & { code: string; status: number };
  failureKind(err: Error): string;
  Metrics: new (source: { backends(): []; queueLength(): number; retriesInFlight(): number; retriesRefused(): number; tunnelsOpen(): number }) => {
    observeRequest(sample: { method: string; backend: string; status: number; tries: number; durationMs: number }): void;
    render(): Promise<{ contentType: string; body: string }>;
  };
}

/** A request target and Host as toOriginForm sees them, without a socket. */
function target(url: string, host?: string, method = 'GET'): http.IncomingMessage {
  return { url, method, headers: host === undefined ? {} : { host } } as http.IncomingMessage;
}

/** Samples of a Prometheus text page: `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const sleepless = { retryDelayMs: 0 };

export function productionEdges(target_: Target<unknown> & { module: EdgeModule }): void {
  const step = target_.module;
  const say = messagesFor('step6', target_);

  describeBehaviour('step6', 'production edges', target_, () => {
    describe('client aborts', () => {
      it('a client that hangs up mid-wait aborts the request to the backend within 100 ms, is logged as 499, and the passive checks hear nothing', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave({ kind: 'hold' });
        const onRequest = vi.fn<(entry: Entry) => void>();
        const { lb, url } = await startBalancer(step, { backends: [backend.url], onRequest, passiveHealth: { maxFails: 1 } });

        const req = requestToAbandon(url, '/slow');
        await expect.poll(() => backend.held, { message: say('the request should reach the backend', 'proxy.ts') }).toBe(1);
        const left = performance.now();
        req.destroy();
        await expect.poll(() => backend.openConnections, { interval: 2, timeout: 1_000, message: say('when the client leaves, the request to the backend must be aborted (its connection closed)', 'proxy.ts') }).toBe(0);
        expect(performance.now() - left, say('the backend must hear of it within 100 ms', 'proxy.ts')).toBeLessThan(100);

        await expect.poll(() => onRequest.mock.calls.length, { message: say('the abandoned request is logged', 'load-balancer.ts') }).toBe(1);
        expect(onRequest.mock.calls[0][0], say('a client that left before any answer is logged as 499, nginx\'s "client closed request"', 'load-balancer.ts')).toMatchObject({ url: '/slow', status: 499 });
        expect(lb.health.status()[0], say('a client leaving says nothing about the backend: no failure for the passive checks', 'retries.ts')).toMatchObject({ consecutiveFails: 0, ejections: 0, available: true });
      });

      it('a client that half-closes (FIN) after a complete request is treated the same way', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave({ kind: 'hold' });
        const onRequest = vi.fn<(entry: Entry) => void>();
        const { url } = await startBalancer(step, { backends: [backend.url], onRequest });

        const { port } = new URL(url);
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.write('GET /fin HTTP/1.1\r\nHost: x\r\n\r\n'));
        socket.on('error', () => {});
        onTestFinished(() => void socket.destroy());
        await expect.poll(() => backend.held, { message: say('the request should reach the backend', 'proxy.ts') }).toBe(1);
        const left = performance.now();
        socket.end(); // FIN: Node's server takes it as the client leaving (no option here like HAProxy's abortonclose off)
        await expect.poll(() => backend.openConnections, { interval: 2, timeout: 1_000, message: say('a half-closed client must abort the request to the backend', 'proxy.ts') }).toBe(0);
        expect(performance.now() - left, say('within 100 ms', 'proxy.ts')).toBeLessThan(100);
        await expect.poll(() => onRequest.mock.calls[0]?.[0]?.status, { message: say('and be logged as 499', 'load-balancer.ts') }).toBe(499);
      });
    });

    describe('the deadline and the per-try timeout', () => {
      it('a deadline covers every try: two backends that never answer give 504 at the deadline, and neither is blamed', async () => {
        const backends = await startFakeBackends(2);
        for (const backend of backends) backend.behave({ kind: 'hang' });
        const onRequest = vi.fn<(entry: Entry) => void>();
        const { lb, url } = await startBalancer(step, { backends: backends.map((b) => b.url), requestTimeoutMs: 200, backendTimeoutMs: 5_000, passiveHealth: { maxFails: 1 }, onRequest, ...sleepless });

        const started = performance.now();
        const res = await rawRequest(url, { path: '/deadline' });
        const took = performance.now() - started;

        expect(res.status, say('a request whose deadline (200 ms here) runs out gets 504', 'retries.ts')).toBe(504);
        expect(took, say('the 504 comes at the deadline, not at backendTimeoutMs (5 s here)', 'retries.ts')).toBeLessThan(600);
        expect(took, say('not before the deadline', 'retries.ts')).toBeGreaterThanOrEqual(190);
        expect(
          lb.health.status().map((s) => s.consecutiveFails + s.ejections),
          say("the deadline is the client's budget, not evidence against the backend it cut: tell the passive checks nothing", 'retries.ts'),
        ).toEqual([0, 0]);
        await expect.poll(() => onRequest.mock.calls[0]?.[0]?.status).toBe(504);
        const costs = lb.pool.backends.map((b) => b.load.costAt(performance.now()) ?? 0);
        expect(costs.every((ms) => ms < 600), say(`a try the deadline cut only says "at least this long", like a client that left, not a failure's 1 s penalty (got ${costs.map(Math.round).join(', ')} ms)`, 'retries.ts')).toBe(true);
      });

      it('a per-try timeout ends a slow try, and an idempotent request goes on to the next backend while the deadline lasts', async () => {
        const [slow, fine] = await startFakeBackends(2);
        slow.behave({ kind: 'hang' });
        const { url } = await startBalancer(step, { backends: [slow.url, fine.url], tryTimeoutMs: 120, requestTimeoutMs: 2_000, maxRetries: 2, backendTimeoutMs: 5_000, ...sleepless });

        const started = performance.now();
        const res = await rawRequest(url, { path: '/pertry' });

        expect(res.status, say('after the per-try timeout (120 ms here) a GET fails over to the next backend', 'retries.ts')).toBe(200);
        expect(res.headers['x-backend'], say('the second backend answers', 'retries.ts')).toBe('backend-2');
        expect(slow.requests, say('a try that timed out goes to another backend, not again to the slow one (maxRetries 2 is for connection failures)', 'retries.ts')).toHaveLength(1);
        expect(performance.now() - started, say('the slow try is cut at tryTimeoutMs', 'retries.ts')).toBeLessThan(1_000);
      });

      it('a per-try timeout is not retried for a POST: 504 at once, and the slow backend is blamed', async () => {
        const [slow, fine] = await startFakeBackends(2);
        slow.behave({ kind: 'hang' });
        const { lb, url } = await startBalancer(step, { backends: [slow.url, fine.url], tryTimeoutMs: 120, passiveHealth: { maxFails: 1 }, backendTimeoutMs: 5_000, ...sleepless });

        const res = await rawRequest(url, { method: 'POST', path: '/order', body: 'x' });

        expect(res.status, say('a POST whose try timed out may have been processed: answer 504, never resend it', 'retry-policy.ts')).toBe(504);
        expect(fine.requests, say('the POST must not reach a second backend', 'retry-policy.ts')).toHaveLength(0);
        expect(lb.health.status()[0].available, say('a try timeout is the backend being slow: the passive checks are told', 'retries.ts')).toBe(false);
      });

      it('the deadline covers the time in the queue too: 504 at the deadline, not 503 at queueTimeoutMs', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave({ kind: 'hold' });
        const { url } = await startBalancer(step, { backends: [backend.url], maxConnections: 1, queueTimeoutMs: 5_000, requestTimeoutMs: 300, drainTimeoutMs: 50 });
        const first = rawRequest(url, { path: '/first' }).catch(() => undefined);
        await expect.poll(() => backend.held).toBe(1);

        const started = performance.now();
        const res = await rawRequest(url, { path: '/second' });

        expect(res.status, say('a request whose deadline passes while it waits in the queue gets 504', 'dispatcher.ts')).toBe(504);
        expect(performance.now() - started, say('at the deadline (300 ms), not at queueTimeoutMs (5 s)', 'dispatcher.ts')).toBeLessThan(1_000);
        backend.release();
        await first;
      });

      it('requestTimeoutMs 0 means no deadline', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave(answer({ delayMs: 60 }));
        const { url } = await startBalancer(step, { backends: [backend.url], requestTimeoutMs: 0 });

        expect((await rawRequest(url, { path: '/no-deadline' })).status, say('0 turns the deadline off; it is not a deadline of 0 ms', 'load-balancer.ts')).toBe(200);
      });

      it('an answer that has begun is not cut by the deadline', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave(answer({ body: 'slow but steady', bodyDelayMs: 250 }));
        const { url } = await startBalancer(step, { backends: [backend.url], requestTimeoutMs: 100 });

        const res = await rawRequest(url, { path: '/stream' });

        expect([res.status, res.body.toString()], say('the deadline ends the wait for an answer; a slow download is not a late answer', 'proxy.ts')).toEqual([200, 'slow but steady']);
      });

      it('refuses deadlines a timer cannot hold', () => {
        expect(() => step.createLoadBalancer({ backends: ['http://127.0.0.1:1'], requestTimeoutMs: 2 ** 31 }), say('requestTimeoutMs above 2³¹ − 1 ms must be refused', 'load-balancer.ts')).toThrow(/requestTimeoutMs/);
        expect(() => step.createLoadBalancer({ backends: ['http://127.0.0.1:1'], tryTimeoutMs: -1 }), say('a negative tryTimeoutMs must be refused', 'load-balancer.ts')).toThrow(/tryTimeoutMs/);
        expect(() => step.createLoadBalancer({ backends: ['http://127.0.0.1:1'], requestTimeoutMs: 1.5 }), say('a fractional requestTimeoutMs must be refused, by name', 'load-balancer.ts')).toThrow(/requestTimeoutMs/);
        expect(() => step.createLoadBalancer({ backends: ['http://127.0.0.1:1'], tryTimeoutMs: 2 ** 31 }), say('tryTimeoutMs above 2³¹ − 1 ms must be refused, by name', 'load-balancer.ts')).toThrow(/tryTimeoutMs/);
        expect(() => step.createLoadBalancer({ backends: ['http://127.0.0.1:1'], requestTimeoutMs: 2 ** 31 - 1, tryTimeoutMs: 0 }), say('2³¹ − 1 ms is the largest a timer holds, and is accepted', 'load-balancer.ts')).not.toThrow();
        expect(new step.TryTimeoutError(5), say('TryTimeoutError answers 504 with code TRY_TIMEOUT', 'errors.ts')).toMatchObject({ code: 'TRY_TIMEOUT', status: 504 });
        expect(new step.RequestTimeoutError(5), say('RequestTimeoutError answers 504 with code REQUEST_TIMEOUT', 'errors.ts')).toMatchObject({ code: 'REQUEST_TIMEOUT', status: 504 });
        expect(step.failureKind(new step.TryTimeoutError(5)), say('a try that timed out may have reached the backend: the same kind as a reset', 'retry-policy.ts')).toBe('reset');
      });
    });

    describe('the retry budget', () => {
      it('allows retries in flight up to percent of the requests in flight, and never fewer than minConcurrency', () => {
        const budget = new step.RetryBudget({ percent: 50, minConcurrency: 1 });
        budget.requests = 6;
        expect(budget.limit, say('50 % of 6 requests in flight is 3 retries', 'retry-budget.ts')).toBe(3);
        expect([budget.startRetry(), budget.startRetry(), budget.startRetry(), budget.startRetry()], say('the fourth retry at once is refused', 'retry-budget.ts')).toEqual([true, true, true, false]);
        expect([budget.retries, budget.refused], say('three retries in flight, one refused', 'retry-budget.ts')).toEqual([3, 1]);
        budget.endRetry();
        expect(budget.startRetry(), say('a retry that ended gives its place back', 'retry-budget.ts')).toBe(true);

        const quiet = new step.RetryBudget({ percent: 20, minConcurrency: 2 });
        quiet.requests = 1;
        expect([quiet.limit, quiet.startRetry(), quiet.startRetry(), quiet.startRetry()], say('with few requests, minConcurrency (2 here) retries may still run', 'retry-budget.ts')).toEqual([2, true, true, false]);
        const defaults = new step.RetryBudget();
        defaults.requests = 50;
        expect([defaults.percent, defaults.minConcurrency, defaults.limit], say("the defaults are Envoy's: 20 % and at least 3", 'retry-budget.ts')).toEqual([20, 3, 10]);
        for (const percent of [101, -1, Number.NaN]) expect(() => new step.RetryBudget({ percent }), say(`percent ${percent} is refused: 0 to 100`, 'retry-budget.ts')).toThrow(/percent/);
        for (const minConcurrency of [0.5, -1]) expect(() => new step.RetryBudget({ minConcurrency }), say(`minConcurrency ${minConcurrency} is refused: a whole number ≥ 0`, 'retry-budget.ts')).toThrow(/minConcurrency/);
        expect(new step.RetryBudget({ percent: 100, minConcurrency: 0 }).percent, say('100 % and 0 are the limits, both allowed', 'retry-budget.ts')).toBe(100);
      });

      it('asks the budget before a failover takes its backend: a refused failover leaves the next backend untouched', async () => {
        const [first, second] = await startFakeBackends(2);
        first.behave({ kind: 'reset' });
        const onRequest = vi.fn<(entry: Entry) => void>();
        const { lb, url } = await startBalancer(step, { backends: [first.url, second.url], retryBudget: { percent: 0, minConcurrency: 0 }, maxRetries: 0, onRequest, ...sleepless });

        const res = await rawRequest(url, { path: '/failover' });

        expect(res.status, say('with no budget, the reset is answered as it is: 502', 'retries.ts')).toBe(502);
        expect(second.requests, say('the failover was refused: the second backend gets nothing', 'retries.ts')).toHaveLength(0);
        await expect.poll(() => onRequest.mock.calls[0]?.[0]).toMatchObject({ backend: first.url, attempts: 1, tries: 1 });
        expect(lb.pool.backends.map((b) => b.load.inFlight), say('nothing stays counted in flight', 'retries.ts')).toEqual([0, 0]);
        expect(lb.pool.backends[0].load.costAt(performance.now()) ?? 0, say("a reset is a failure, with its 1 s penalty in the latency estimate (only a deadline's cut is not)", 'retries.ts')).toBeGreaterThan(900);
      });

      it('gives every place in the budget back: after a same-backend retry, a failover, and a failover with no backend left', async () => {
        const [flaky, steady, away] = await startFakeBackends(3);
        flaky.behave({ kind: 'reset' });
        const { lb, url } = await startBalancer(step, { backends: [flaky.url, steady.url, away.url], maxRetries: 1, passiveHealth: { maxFails: 5 }, ...sleepless });
        lb.health.setMaintenance((lb.pool.backends as unknown[])[2], true);

        expect((await rawRequest(url, { path: '/retried' })).status, say('a reset GET is retried, then failed over', 'retries.ts')).toBe(200);
        expect(lb.budget, say('the retry and the failover each gave their place back', 'retries.ts')).toMatchObject({ retries: 0, requests: 0 });
        steady.behave({ kind: 'reset' });
        expect((await rawRequest(url, { path: '/nowhere' })).status, say('when no backend is left to fail over to, 503', 'retries.ts')).toBe(503);
        expect(lb.budget, say('a failover that found no backend gives its place back too', 'retries.ts')).toMatchObject({ retries: 0, requests: 0 });
      });

      it('brakes a retry storm: past the budget a failed try is answered, not retried', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.queue({ kind: 'reset' }, { kind: 'reset' }, { kind: 'reset' });
        backend.behave({ kind: 'hold' });
        const { lb, url } = await startBalancer(step, { backends: [backend.url], retryBudget: { percent: 0, minConcurrency: 1 }, maxRetries: 1, maxAttempts: 1, retryDelayMs: 20, drainTimeoutMs: 50 });

        let answered = 0;
        const sent = [1, 2, 3].map((i) => rawRequest(url, { path: `/storm/${i}` }).finally(() => (answered += 1)));
        await expect.poll(() => backend.held, { message: say('one retry is within the budget (minConcurrency 1)', 'retries.ts') }).toBe(1);
        // The two past the budget must be answered while the retry is held: one that failed later (a
        // busy machine) would find the budget free again, retry, and wait for a release already done.
        await expect.poll(() => answered, { message: say('past the budget, a failed try is answered at once, not retried', 'retries.ts') }).toBe(2);
        backend.release();
        const statuses = (await Promise.all(sent)).map((res) => res.status).sort();

        expect(statuses, say('one request got its retry (200); the two past the budget were answered with their failure (502)', 'retries.ts')).toEqual([200, 502, 502]);
        expect(backend.requests, say('three first tries and one retry reached the backend', 'retries.ts')).toHaveLength(4);
        expect((lb as unknown as { budget: { retries: number; requests: number } }).budget, say('every retry and request gives its place back when it ends', 'retries.ts')).toMatchObject({ retries: 0, requests: 0 });
      });
    });

    describe('WebSockets', () => {
      it('tunnels a WebSocket: text and binary echo, counted in flight on its backend until it closes, logged as 101', async () => {
        const backend = await startWebSocketBackend('ws-1');
        const onRequest = vi.fn<(entry: Entry) => void>();
        const { lb, url } = await startBalancer(step, { backends: [backend.url], onRequest });

        const socket = await openWebSocket(url, '/chat?room=1', { 'x-forwarded-for': '203.0.113.7' });
        socket.send('hello');
        expect(await nextMessage(socket).catch((err: Error) => err.message), say('a text message should come back through the tunnel', 'websocket-tunnel.ts')).toBe('hello');
        socket.send(Buffer.from([0, 1, 2, 255]));
        expect(await nextMessage(socket).catch((err: Error) => err.message), say('a binary message should come back byte for byte', 'websocket-tunnel.ts')).toEqual(Buffer.from([0, 1, 2, 255]));
        expect(backend.handshakes[0].url, say('the handshake reaches the backend with its path', 'websocket-tunnel.ts')).toBe('/chat?room=1');
        const seen = backend.handshakes[0].headers;
        expect([seen['x-forwarded-for'], seen['x-forwarded-proto'], seen['x-forwarded-host']], say('the handshake carries X-Forwarded-* like any request', 'websocket-tunnel.ts')).toEqual(['203.0.113.7, 127.0.0.1', 'http', new URL(url).host]);
        expect(lb.pool.backends[0].load.inFlight, say('an open tunnel counts in flight on its backend', 'load-balancer.ts')).toBe(1);
        expect(samples((await lb.metrics.render()).body).get('lb_websocket_tunnels'), say('the tunnel gauge counts the open tunnel', 'load-balancer.ts')).toBe(1);

        socket.close(1000, 'bye');
        await expect.poll(() => backend.sockets[0]?.readyState, { message: say('a close from the client reaches the backend', 'websocket-tunnel.ts') }).toBe(3);
        await expect.poll(() => lb.pool.backends[0].load.inFlight, { message: say('a closed tunnel no longer counts in flight', 'load-balancer.ts') }).toBe(0);
        await expect.poll(() => onRequest.mock.calls[0]?.[0], { message: say('the tunnel is logged once it closes, with status 101 and one try', 'load-balancer.ts') }).toMatchObject({ status: 101, tries: 1 });
        expect(samples((await lb.metrics.render()).body).get('lb_websocket_tunnels'), say('and the gauge is back to 0', 'load-balancer.ts')).toBe(0);
      });

      it('requestTimeoutMs 0 means no deadline for a WebSocket handshake either', async () => {
        const sockets = await startWebSocketBackend('ws-1');
        const { url } = await startBalancer(step, { backends: [sockets.url], requestTimeoutMs: 0 });
        const socket = await openWebSocket(url);
        socket.send('still here');
        expect(await nextMessage(socket).catch((err: Error) => err.message), say('0 turns the deadline off for a handshake too', 'load-balancer.ts')).toBe('still here');
      });

      it('a close from the backend, and a backend that dies mid-stream, reach the client', async () => {
        const backend = await startWebSocketBackend('ws-1');
        const { url } = await startBalancer(step, { backends: [backend.url] });

        const polite = await openWebSocket(url);
        await expect.poll(() => backend.sockets.length).toBe(1);
        backend.sockets[0].close(4000, 'done');
        expect(await closed(polite), say("the backend's close frame reaches the client with its code", 'websocket-tunnel.ts')).toBe(4000);

        const rude = await openWebSocket(url);
        await expect.poll(() => backend.sockets.length).toBe(2);
        backend.sockets[1].terminate();
        expect(await closed(rude), say('a backend that dies mid-stream closes the client connection (1006: no close frame)', 'websocket-tunnel.ts')).toBe(1006);
      });

      it('relays a refused handshake as the backend answered it, and picks the backend through the health checks', async () => {
        const [down, refusing] = [await startWebSocketBackend('ws-1'), await startWebSocketBackend('ws-2')];
        refusing.refuse(403);
        const { lb, url } = await startBalancer(step, { backends: [down.url, refusing.url] });
        lb.health.setMaintenance((lb.pool.backends as unknown[])[0], true);

        const error = await openWebSocket(url).then(
          () => 'opened',
          (err: Error) => err.message,
        );

        expect(error, say('a handshake the backend refuses reaches the client with the backend\'s status', 'websocket-tunnel.ts')).toMatch(/403/);
        expect([down.handshakes.length, refusing.handshakes.length], say('a backend in maintenance gets no WebSocket either', 'load-balancer.ts')).toEqual([0, 1]);
      });

      it('serves any other upgrade (h2c) as a plain request, without the Upgrade header', async () => {
        const backend = await startWebSocketBackend('ws-1');
        const onRequest = vi.fn<(entry: Entry) => void>();
        const { url } = await startBalancer(step, { backends: [backend.url], onRequest });

        const reply = await rawExchange(url, 'GET /plain HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n', { halfClose: false });

        expect(reply, say('an upgrade we do not tunnel is answered as a plain request', 'load-balancer.ts')).toMatch(/^HTTP\/1\.1 200[^]*plain hello from ws-1/);
        expect(reply, say('and its connection closes after the answer: Node has handed it over, no parser reads a next request', 'load-balancer.ts')).toMatch(/\r\nconnection: close\r\n/i);
        expect(backend.plainRequests[0]?.headers.upgrade, say('Upgrade: h2c must not reach the backend (h2c smuggling)', 'load-balancer.ts')).toBeUndefined();
        const post = await rawExchange(url, 'POST /not-a-handshake HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 0\r\n\r\n', { halfClose: false });
        expect(post, say('a WebSocket handshake is a GET (RFC 6455 §4.1): a POST asking for one is a plain request', 'websocket-tunnel.ts')).toMatch(/^HTTP\/1\.1 200[^]*plain hello from ws-1/);
        expect(backend.handshakes, say('and no handshake reaches the backend', 'websocket-tunnel.ts')).toHaveLength(0);

        const withBody = await rawExchange(url, 'POST /upload HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 5\r\n\r\n', { halfClose: false });
        expect(withBody, say('an upgrade request with a body cannot be forwarded whole (the parser has stopped): 400', 'load-balancer.ts')).toMatch(/^HTTP\/1\.1 400/);
        const chunked = await rawExchange(url, 'POST /chunked HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nTransfer-Encoding: chunked\r\n\r\n', { halfClose: false });
        const trailing = await rawExchange(url, 'GET /trailing HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n', { halfClose: false });
        expect([chunked.slice(0, 12), trailing.slice(0, 12)], say('a chunked body, or bytes after the headers, are refused the same way', 'load-balancer.ts')).toEqual(['HTTP/1.1 400', 'HTTP/1.1 400']);
        expect(backend.plainRequests.map((r) => r.url), say('a truncated body must never reach a backend', 'load-balancer.ts')).toEqual(['/plain', '/not-a-handshake']);
        await expect.poll(() => onRequest.mock.calls.map(([entry]) => `${entry.url} ${entry.status}`).sort(), { message: say('every one is logged', 'load-balancer.ts') }).toEqual(['/chunked 400', '/not-a-handshake 200', '/plain 200', '/trailing 400', '/upload 400']);
      });

      it('an upgrade pipelined behind a request waits for its answer; a handshake may say Content-Length: 0', async () => {
        const backend = await startWebSocketBackend('ws-1');
        const { url } = await startBalancer(step, { backends: [backend.url] });
        const { port } = new URL(url);
        const handshake = 'GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 0\r\n\r\n';

        const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(`GET /first HTTP/1.1\r\nHost: x\r\n\r\n${handshake}`));
        socket.on('error', () => {});
        onTestFinished(() => void socket.destroy());
        let received = '';
        socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));

        await expect.poll(() => received, { message: say('both answers, in order: the 200, then the 101 (and the balancer must not crash)', 'load-balancer.ts') }).toMatch(/^HTTP\/1\.1 200[^]*plain hello from ws-1\r\n0\r\n\r\nHTTP\/1\.1 101 Switching Protocols\r\n/);
        expect(backend.handshakes, say('the handshake reaches the backend once', 'load-balancer.ts')).toHaveLength(1);
      });

      it('a client that half-closes a plain request on an upgraded connection has left: the backend request is aborted', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave({ kind: 'hold' });
        const onRequest = vi.fn<(entry: Entry) => void>();
        const { url } = await startBalancer(step, { backends: [backend.url], onRequest });
        const socket = net.connect(Number(new URL(url).port), '127.0.0.1', () => socket.write('GET /h2c HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n'));
        socket.on('error', () => {});
        onTestFinished(() => void socket.destroy());
        await expect.poll(() => backend.held).toBe(1);

        socket.end();

        await expect.poll(() => backend.openConnections, { message: say('Node no longer reads an upgraded connection: read it, so that a FIN is noticed and the backend request aborted', 'load-balancer.ts') }).toBe(0);
        await expect.poll(() => onRequest.mock.calls[0]?.[0]?.status).toBe(499);
      });

      it('a drain cuts a plain request served on an upgraded connection at its deadline', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave({ kind: 'hold' });
        const { lb, url } = await startBalancer(step, { backends: [backend.url], drainTimeoutMs: 100 });
        const reply = rawExchange(url, 'GET /h2c HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n', { halfClose: false }).catch(() => '');
        await expect.poll(() => backend.held).toBe(1);

        const started = performance.now();
        await lb.close();

        expect(performance.now() - started, say('close() cuts what is left at drainTimeoutMs (100 ms), upgraded connections included: Node no longer sees them', 'server-lifecycle.ts')).toBeLessThan(1_000);
        await reply;
      });

      it('relays a refused handshake under the clocks of any answer: a backend that goes silent mid-body is cut at backendTimeoutMs', async () => {
        const silent = net.createServer((conn) => {
          conn.on('error', () => {});
          conn.once('data', () => conn.write('HTTP/1.1 403 Forbidden\r\nContent-Length: 100\r\n\r\npartial'));
        });
        await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
        onTestFinished(() => new Promise<void>((resolve) => silent.close(() => resolve())));
        const { port } = silent.address() as net.AddressInfo;
        const { url } = await startBalancer(step, { backends: [`http://127.0.0.1:${port}`], backendTimeoutMs: 200 });

        const started = performance.now();
        const reply = await rawExchange(url, 'GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n', { halfClose: false });

        expect(reply, say('the refusal is relayed as far as it came, and says the connection closes after it', 'websocket-tunnel.ts')).toMatch(/^HTTP\/1\.1 403[^]*connection: close[^]*partial$/i);
        expect(performance.now() - started, say('and cut when the backend stays silent for backendTimeoutMs (200 ms here)', 'websocket-tunnel.ts')).toBeLessThan(1_500);

        let open = 0;
        silent.on('connection', (conn) => {
          open += 1;
          conn.resume();
          conn.on('close', () => (open -= 1));
        });
        const patient = await startBalancer(step, { backends: [`http://127.0.0.1:${port}`], backendTimeoutMs: 5_000 });
        const client = net.connect(Number(new URL(patient.url).port), '127.0.0.1', () => client.write('GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'));
        client.on('error', () => {});
        let got = '';
        client.on('data', (chunk: Buffer) => (got += chunk.toString('latin1')));
        await expect.poll(() => got).toMatch(/partial$/);
        client.destroy();
        await expect.poll(() => open, { message: say('a client that leaves mid-refusal takes the backend connection with it', 'websocket-tunnel.ts') }).toBe(0);
      });

      it('a handshake fails over past a refused and a never-accepting backend, and each is blamed; maxAttempts bounds it', async () => {
        const [stopped, working] = [await startWebSocketBackend('ws-1'), await startWebSocketBackend('ws-2')];
        const refused = await startFakeBackend('backend-1');
        await refused.stop();
        const hole = await startBlackHole();
        const onRequest = vi.fn<(entry: Entry) => void>();
        // Round robin over the untried: refused first (ticket 0), then the second of [working, hole] (ticket 1), then working.
        const { lb, url } = await startBalancer(step, { backends: [refused.url, working.url, hole.url], connectTimeoutMs: 100, passiveHealth: { maxFails: 1 }, onRequest });

        const socket = await openWebSocket(url);
        socket.close();
        expect(working.handshakes, say('a handshake is a GET: when a backend refuses or never accepts, it goes to the next', 'load-balancer.ts')).toHaveLength(1);
        await expect.poll(() => onRequest.mock.calls[0]?.[0], { message: say('three tries on three backends', 'load-balancer.ts') }).toMatchObject({ status: 101, attempts: 3, tries: 3 });
        expect(lb.health.status().map((s) => s.available), say('the two that failed the handshake are told to the passive checks', 'load-balancer.ts')).toEqual([false, true, false]);
        void stopped;

        const strict = await startBalancer(step, { backends: [refused.url, working.url], maxAttempts: 1 });
        const error = await openWebSocket(strict.url).then(() => 'opened', (err: Error) => err.message);
        expect(error, say('maxAttempts 1: no failover, the client gets 502', 'load-balancer.ts')).toMatch(/502/);
      });

      it('a handshake the backend never answers gets 504 at backendTimeoutMs, or at the deadline (not blamed); a client leaving it closes the backend connection', async () => {
        let accepted = 0;
        const conns = new Set<net.Socket>();
        const silent = net.createServer((conn) => {
          accepted += 1;
          conns.add(conn);
          conn.resume(); // read and drop: a socket nobody reads never notices the other side closing
          conn.on('close', () => conns.delete(conn));
          conn.on('error', () => {});
        });
        await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
        onTestFinished(() => new Promise<void>((resolve) => {
          for (const conn of conns) conn.destroy();
          silent.close(() => resolve());
        }));
        const backendUrl = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;

        const slow = await startBalancer(step, { backends: [backendUrl], backendTimeoutMs: 150, requestTimeoutMs: 5_000 });
        expect(await openWebSocket(slow.url).then(() => 'opened', (err: Error) => err.message), say('a silent backend: 504 after backendTimeoutMs, and no failover (it may have seen the request)', 'websocket-tunnel.ts')).toMatch(/504/);
        const late = await startBalancer(step, { backends: [backendUrl], backendTimeoutMs: 5_000, requestTimeoutMs: 150, passiveHealth: { maxFails: 1 } });
        const started = performance.now();
        expect(await openWebSocket(late.url).then(() => 'opened', (err: Error) => err.message), say('the deadline covers the handshake: 504', 'load-balancer.ts')).toMatch(/504/);
        expect(performance.now() - started, say('at the deadline (150 ms)', 'load-balancer.ts')).toBeLessThan(1_000);
        expect(late.lb.health.status()[0].consecutiveFails + late.lb.health.status()[0].ejections, say('the deadline blames nobody', 'load-balancer.ts')).toBe(0);

        const waiting = await startBalancer(step, { backends: [backendUrl], backendTimeoutMs: 5_000, passiveHealth: { maxFails: 1 } });
        const { port } = new URL(waiting.url);
        const before = accepted;
        const client = net.connect(Number(port), '127.0.0.1', () => client.write('GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'));
        client.on('error', () => {});
        await expect.poll(() => accepted).toBe(before + 1);
        client.resetAndDestroy();
        await expect.poll(() => conns.size, { message: say('a client that leaves during the handshake takes the backend connection with it', 'websocket-tunnel.ts') }).toBe(0);
        expect(waiting.lb.health.status()[0], say('and the backend is not blamed for it', 'load-balancer.ts')).toMatchObject({ consecutiveFails: 0, ejections: 0 });
        // The same with a FIN instead of a reset: Node no longer reads an upgraded connection, the tunnel must.
        const polite = net.connect(Number(port), '127.0.0.1', () => polite.write('GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'));
        polite.on('error', () => {});
        onTestFinished(() => void polite.destroy());
        await expect.poll(() => accepted).toBe(before + 2);
        polite.end();
        await expect.poll(() => conns.size, { message: say('a client that half-closes during the handshake has left too (FIN): the backend connection goes', 'websocket-tunnel.ts') }).toBe(0);
      });

      it('passes bytes that ride with either handshake, and refuses a backend that switches to something else', async () => {
        const raw = net.createServer((conn) => {
          conn.on('error', () => {});
          let seen = '';
          conn.on('data', function onData(chunk: Buffer) {
            seen += chunk.toString('latin1');
            const end = seen.indexOf('\r\n\r\n');
            if (end === -1) return;
            conn.off('data', onData);
            const protocol = /\/wrong/.test(seen) ? 'h2c' : 'websocket';
            conn.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${protocol}\r\nConnection: Upgrade\r\nX-Kept: yes\r\nKeep-Alive: timeout=5\r\n\r\nHELLO`);
            const early = seen.slice(end + 4);
            if (early) conn.write(`[${early}]`);
            conn.on('data', (more: Buffer) => conn.write(`[${more.toString('latin1')}]`));
          });
        });
        await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
        onTestFinished(() => new Promise<void>((resolve) => raw.close(() => resolve())));
        const { url } = await startBalancer(step, { backends: [`http://127.0.0.1:${(raw.address() as net.AddressInfo).port}`] });
        const handshake = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;

        const { port } = new URL(url);
        const client = net.connect(Number(port), '127.0.0.1', () => client.write(`${handshake('/chat')}EARLY`));
        client.on('error', () => {});
        onTestFinished(() => void client.destroy());
        let received = '';
        client.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
        await expect.poll(() => received, { message: say('the 101 (hop-by-hop headers re-made, the backend\'s own kept), the bytes the backend sent with it, and the bytes the client sent with its handshake', 'websocket-tunnel.ts') }).toMatch(
          /^HTTP\/1\.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nX-Kept: yes\r\n\r\nHELLO\[EARLY\]$/,
        );
        client.write('LATER');
        await expect.poll(() => received.endsWith('[LATER]'), { message: say('and everything after, both ways', 'websocket-tunnel.ts') }).toBe(true);

        const old = net.connect(Number(port), '127.0.0.1', () => old.write('GET /old HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'));
        old.on('error', () => {});
        onTestFinished(() => void old.destroy());
        let oldReply = '';
        old.on('data', (chunk: Buffer) => (oldReply += chunk.toString('latin1')));
        await expect.poll(() => oldReply, { message: say('a handshake without Host (HTTP/1.0) is tunnelled too, with no X-Forwarded-Host', 'websocket-tunnel.ts') }).toMatch(/^HTTP\/1\.1 101/);

        const wrong = await rawExchange(url, handshake('/wrong'), { halfClose: false });
        expect(wrong, say('a backend that switches to another protocol than websocket: 502, and the connection is not spliced', 'websocket-tunnel.ts')).toMatch(/^HTTP\/1\.1 502/);
      });

      it('refuses a WebSocket handshake with a body (400); during a drain, a handshake behind an answer is not tunnelled', async () => {
        const backend = await startWebSocketBackend('ws-1');
        const { url } = await startBalancer(step, { backends: [backend.url] });
        const handshake = 'GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
        for (const framing of ['Content-Length: 5\r\n\r\nhello', 'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n']) {
          expect((await rawExchange(url, `${handshake}${framing}`, { halfClose: false })).slice(0, 12), say('a handshake has no body: 400', 'load-balancer.ts')).toBe('HTTP/1.1 400');
        }

        const plain = await startFakeBackend('backend-1');
        plain.behave({ kind: 'hold' });
        const draining = await startBalancer(step, { backends: [plain.url, backend.url], drainTimeoutMs: 2_000 });
        // A GET that waits, and behind it on the same connection a handshake, which waits for the GET's answer.
        const reply = rawExchange(draining.url, `GET /held HTTP/1.1\r\nHost: x\r\n\r\n${handshake}\r\n`, { halfClose: false });
        await expect.poll(() => plain.held).toBe(1);
        const closing = draining.lb.close();
        plain.release();

        expect(await reply, say('during a drain the answer in flight says Connection: close, and the connection ends with it', 'server-lifecycle.ts')).toMatch(/^HTTP\/1\.1 200[^]*connection: close[^]*hello from backend-1 \(\/held\)\r\n0\r\n\r\n$/i);
        expect(backend.handshakes, say('so a handshake pipelined behind it opens no tunnel', 'load-balancer.ts')).toHaveLength(0);
        await closing;
      });

      it('a drain closes open tunnels at its deadline', async () => {
        const backend = await startWebSocketBackend('ws-1');
        const { lb, url } = await startBalancer(step, { backends: [backend.url], drainTimeoutMs: 100 });
        const socket = await openWebSocket(url);

        const started = performance.now();
        await lb.close();

        expect(performance.now() - started, say('close() cuts a tunnel at drainTimeoutMs (100 ms here), not when the tunnel ends by itself', 'server-lifecycle.ts')).toBeLessThan(1_000);
        expect(await closed(socket), say('the client sees the tunnel close', 'server-lifecycle.ts')).toBe(1006);

        const again = await lb.listen(0, '127.0.0.1');
        const reopened = await openWebSocket(again.url);
        reopened.send('again');
        expect(await nextMessage(reopened).catch((err: Error) => err.message), say('after close() and listen() again, tunnels work again (the drain is over)', 'server-lifecycle.ts')).toBe('again');
      });

      it('a tunnel that opens after the drain deadline is cut at once', async () => {
        const conns = new Set<net.Socket>();
        const late = net.createServer((conn) => {
          conns.add(conn);
          conn.on('close', () => conns.delete(conn));
          conn.on('error', () => {});
          conn.once('data', () => setTimeout(() => conn.writable && conn.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'), 300));
          conn.resume();
        });
        await new Promise<void>((resolve) => late.listen(0, '127.0.0.1', resolve));
        onTestFinished(() => new Promise<void>((resolve) => {
          for (const conn of conns) conn.destroy();
          late.close(() => resolve());
        }));
        const { lb, url } = await startBalancer(step, { backends: [`http://127.0.0.1:${(late.address() as net.AddressInfo).port}`], drainTimeoutMs: 100 });
        const reply = rawExchange(url, 'GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n', { halfClose: false, timeoutMs: 3_000 });
        await expect.poll(() => conns.size).toBe(1);

        const started = performance.now();
        await lb.close();

        expect(performance.now() - started, say('a handshake still waiting at the deadline is cut with the rest: close() must not wait for it', 'server-lifecycle.ts')).toBeLessThan(1_000);
        expect(await reply, say('the client connection closes', 'server-lifecycle.ts')).not.toMatch(/^HTTP\/1\.1 101/);
      });
    });

    describe('origin form', () => {
      it('rewrites an absolute-form target to origin form, with Host from the target', () => {
        const cases: [string, string | undefined, string, string | undefined][] = [
          ['http://shop.example:8080/cart?x=1', 'evil.example', '/cart?x=1', 'shop.example:8080'],
          ['http://shop.example', undefined, '/', 'shop.example'],
          ['HTTP://shop.example?q=1', 'shop.example', '/?q=1', 'shop.example'],
          ['https://shop.example//a/../b', 'x', '//a/../b', 'shop.example'],
          ['/already/origin?x', 'kept.example', '/already/origin?x', 'kept.example'],
          ['http://shop.example#top', 'x', '/', 'shop.example'],
          ['http://shop.example/a?b#c', 'x', '/a?b', 'shop.example'],
        ];
        for (const [url, host, path, newHost] of cases) {
          const inbound = target(url, host);
          step.toOriginForm(inbound);
          expect([inbound.url, inbound.headers.host], say(`${url} should become ${path} with Host ${newHost} (RFC 9112 §3.2.2)`, 'origin-form.ts')).toEqual([path, newHost]);
        }
        const star = target('*', 'x', 'OPTIONS');
        step.toOriginForm(star);
        expect(star.url, say('OPTIONS * passes unchanged', 'origin-form.ts')).toBe('*');
        const options = target('http://shop.example/x', 'y', 'OPTIONS');
        step.toOriginForm(options);
        expect(options.url, say('an OPTIONS with an absolute target is rewritten like any other', 'origin-form.ts')).toBe('/x');
      });

      it('refuses targets it cannot rewrite safely', () => {
        for (const url of ['http://user:secret@shop.example/', 'http:///nohost', 'ftp://shop.example/', 'shop.example/x', '*', 'xhttp://shop.example/']) {
          expect(() => step.toOriginForm(target(url, 'x')), say(`${url} must be refused with 400`, 'origin-form.ts')).toThrow(expect.objectContaining({ status: 400 }));
        }
      });

      it('only ever connects to configured backends, whatever host the target names', async () => {
        const [backend, stranger] = await startFakeBackends(2);
        const { url } = await startBalancer(step, { backends: [backend.url] });

        const reply = await rawExchange(url, `GET ${stranger.url}/secret HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, { halfClose: false });

        expect(reply, say('an absolute-form request is answered by a configured backend', 'origin-form.ts')).toMatch(/^HTTP\/1\.1 200/);
        expect(stranger.requests, say('the host named in the target must never be connected to', 'origin-form.ts')).toHaveLength(0);
        expect(backend.requests[0] && [backend.requests[0].url, backend.requests[0].headers.host, backend.requests[0].headers['x-forwarded-host']], say('the backend gets the origin form, and Host from the target', 'origin-form.ts')).toEqual([
          '/secret',
          new URL(stranger.url).host,
          new URL(stranger.url).host,
        ]);
      });
    });

    describe('fast recovery', () => {
      it('when no backend is available, a returning backend is readmitted by its first probe, within one recovery interval (injected clock)', async () => {
        vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
        onTestFinished(() => void vi.useRealTimers());
        const backend = await startFakeBackend('backend-1');
        await backend.stop();
        const { lb, http: client } = await startBalancer(step, { backends: [backend.url], healthCheck: { intervalMs: 60_000, recoveryIntervalMs: 700, timeoutMs: 500, rise: 3, fall: 1 } });
        await expect.poll(() => lb.health.status()[0].state, { message: say('the stopped backend goes down after fall (1) failed probe', 'health-checker.ts') }).toBe('down');

        await backend.start();
        await vi.advanceTimersByTimeAsync(690);
        expect(backend.count('/healthz'), say('no probe before the recovery interval (700 ms here) is over', 'health-checker.ts')).toBe(0);
        await vi.advanceTimersByTimeAsync(10);
        await expect.poll(() => backend.count('/healthz'), { message: say('with no backend available, probes come every recoveryIntervalMs, not every intervalMs (60 s here)', 'health-checker.ts') }).toBe(1);
        await expect.poll(() => lb.health.status()[0].available, { message: say('with no backend available, one passing probe readmits (rise 3 applies only while others serve)', 'health-checker.ts') }).toBe(true);
        await client.get('/').expect(200);
      });

      it('when the last backend goes, the others are probed at once, not after their long interval', async () => {
        vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
        onTestFinished(() => void vi.useRealTimers());
        const [last, sick] = await startFakeBackends(2);
        sick.behaveAt('/healthz', answer({ status: 503 }));
        const { lb } = await startBalancer(step, { backends: [last.url, sick.url], healthCheck: { intervalMs: 60_000, recoveryIntervalMs: 5_000, timeoutMs: 500, rise: 2, fall: 1 } });
        await expect.poll(() => lb.health.status().map((s) => s.state).join(' ')).toBe('up down');
        const probed = sick.count('/healthz');

        await last.stop();
        sick.behaveAt('/healthz', answer());
        await vi.advanceTimersByTimeAsync(60_000); // the last backend's next probe fails: nothing is available
        await expect.poll(() => lb.health.status()[0].state).toBe('down');
        await expect.poll(() => sick.count('/healthz'), { message: say('when the last available backend goes down, every probe loop should probe now (wake them)', 'health-checker.ts') }).toBe(probed + 1);
        await expect.poll(() => lb.health.status()[1].available, { message: say('and its first pass readmits it (rise 2 does not apply while nothing else serves)', 'health-checker.ts') }).toBe(true);
        const page = samples((await (lb as unknown as EdgeBalancer).metrics.render()).body);
        expect([page.get(`lb_ejections_total{backend="${last.url}"}`) ?? 0, page.get(`lb_health_transitions_total{backend="${last.url}",to="down"}`)], say('a backend taken down by probes is a health transition, not an ejection', 'metrics.ts')).toEqual([0, 1]);
      });
    });

    describe('metrics', () => {
      it('serves Prometheus metrics on the admin port: requests, latency, in flight, queue, health, retries, ejections, shed', async () => {
        const [good, bad] = await startFakeBackends(2);
        bad.behave({ kind: 'reset' });
        const { lb, http: client } = await startBalancer(step, { backends: [good.url, bad.url], passiveHealth: { maxFails: 1 }, maxRetries: 0, maxQueue: 0, maxConnections: 1, ...sleepless });
        const admin = await lb.listenAdmin(0, '127.0.0.1');
        for (let i = 0; i < 3; i += 1) await client.get('/').expect(200);

        const res = await rawRequest(admin.url, { path: '/lb/metrics' });
        const page = samples(res.body.toString());
        const [g, b] = [good.url, bad.url];

        expect([res.status, res.headers['content-type']], say('GET /lb/metrics answers in the Prometheus text format', 'admin-server.ts')).toEqual([200, 'text/plain; version=0.0.4; charset=utf-8']);
        expect(page.get(`lb_requests_total{backend="${g}",method="GET",code="200"}`), say('lb_requests_total counts requests by backend, method and status', 'metrics.ts')).toBe(3);
        expect(page.get(`lb_request_duration_seconds_count{backend="${g}"}`), say('the latency histogram counts every request', 'metrics.ts')).toBe(3);
        expect(page.get('lb_retries_total'), say('lb_retries_total counts the failover after the reset', 'metrics.ts')).toBe(1);
        expect(page.get(`lb_ejections_total{backend="${b}"}`), say('lb_ejections_total counts the ejection of the resetting backend', 'metrics.ts')).toBe(1);
        expect([page.get(`lb_backend_up{backend="${g}"}`), page.get(`lb_backend_up{backend="${b}"}`)], say('lb_backend_up is 1 for a backend that takes traffic', 'metrics.ts')).toEqual([1, 0]);
        expect([page.get(`lb_backend_health_state{backend="${b}",state="down"}`), page.get(`lb_backend_health_state{backend="${b}",state="up"}`)], say('lb_backend_health_state marks the current state with 1, the others with 0', 'metrics.ts')).toEqual([1, 0]);
        expect(page.get(`lb_health_transitions_total{backend="${b}",to="down"}`), say('lb_health_transitions_total counts the move to down', 'metrics.ts')).toBe(1);
        expect([page.get(`lb_backend_in_flight{backend="${g}"}`), page.get('lb_queue_length'), page.get('lb_shed_requests_total')], say('in flight and queue gauges, and no request shed yet', 'metrics.ts')).toEqual([0, 0, 0]);

        good.behave({ kind: 'hold' });
        const held = rawRequest(lb.server.address() ? `http://127.0.0.1:${(lb.server.address() as { port: number }).port}` : '', { path: '/held' });
        await expect.poll(() => good.held).toBe(1);
        const shed = await client.get('/shed');
        const during = samples((await rawRequest(admin.url, { path: '/lb/metrics' })).body.toString());
        good.release();
        await held;
        expect(shed.status, say('with the only backend full and no queue, the request is shed', 'dispatcher.ts')).toBe(503);
        expect([during.get(`lb_backend_in_flight{backend="${g}"}`), during.get('lb_shed_requests_total')], say('the gauge shows the request in flight, and the shed request is counted', 'metrics.ts')).toEqual([1, 1]);
      });

      it('counts a WebSocket tunnel as a request with code 101, but keeps its lifetime out of the latency histogram', async () => {
        const metrics = new step.Metrics({ backends: () => [], queueLength: () => 0, retriesInFlight: () => 0, retriesRefused: () => 0, tunnelsOpen: () => 1 });
        metrics.observeRequest({ method: 'GET', backend: 'http://b', status: 101, tries: 1, durationMs: 3_600_000 });
        metrics.observeRequest({ method: 'GET', backend: 'http://b', status: 200, tries: 3, durationMs: 20 });
        const page = samples((await metrics.render()).body);

        expect(page.get('lb_requests_total{backend="http://b",method="GET",code="101"}'), say('a tunnel is a request like any other in the count', 'metrics.ts')).toBe(1);
        expect([page.get('lb_request_duration_seconds_count{backend="http://b"}'), page.get('lb_request_duration_seconds_sum{backend="http://b"}')], say("an hour-long WebSocket is not an hour's latency", 'metrics.ts')).toEqual([1, 0.02]);
        expect([page.get('lb_retries_total'), page.get('lb_websocket_tunnels')], say('tries after the first are retries; the tunnel gauge reads its source', 'metrics.ts')).toEqual([2, 1]);
        expect(page.get('lb_request_duration_seconds_bucket{le="0.025",backend="http://b"}'), say('20 ms falls in the 25 ms bucket', 'metrics.ts')).toBe(1);
      });

      it('counts retries the budget refused, and answers only GET and HEAD on /lb/metrics', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave({ kind: 'reset' });
        const { lb, http: client } = await startBalancer(step, { backends: [backend.url], retryBudget: { percent: 0, minConcurrency: 0 }, maxRetries: 2, ...sleepless });
        const admin = await lb.listenAdmin(0, '127.0.0.1');
        await client.get('/').expect(502);

        const page = samples((await rawRequest(admin.url, { path: '/lb/metrics' })).body.toString());
        expect([page.get('lb_retry_budget_exhausted_total'), page.get('lb_retries_in_flight')], say('a retry refused by the budget is counted', 'metrics.ts')).toEqual([1, 0]);
        expect((await rawExchange(lb.server.address() ? `http://127.0.0.1:${(lb.server.address() as net.AddressInfo).port}` : '', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', { halfClose: false })).slice(0, 12)).toBe('HTTP/1.1 400');
        expect(samples((await rawRequest(admin.url, { path: '/lb/metrics' })).body.toString()).get('lb_shed_requests_total'), say('a 502 or a refused request (400) is not a shed request', 'load-balancer.ts')).toBe(0);
        await client.get('/').expect(502);
        const later = samples((await rawRequest(admin.url, { path: '/lb/metrics' })).body.toString());
        expect(later.get('lb_retry_budget_exhausted_total'), say('the counter keeps counting from one scrape to the next', 'metrics.ts')).toBe(2);
        expect((await rawRequest(admin.url, { path: '/lb/metrics', method: 'HEAD' })).status, say('HEAD /lb/metrics works too', 'admin-server.ts')).toBe(200);
        expect((await rawRequest(admin.url, { path: '/lb/metrics', method: 'POST' })).status, say('other methods get 405', 'admin-server.ts')).toBe(405);
      });
    });
  });
}

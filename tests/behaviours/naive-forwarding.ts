import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { LoadBalancer } from '../../tools/shared/contract.js';
import { startBalancer } from '../helpers/balancer.js';
import { startBlackHole } from '../helpers/black-hole.js';
import { answer, startFakeBackend } from '../helpers/fake-backend.js';
import { leakedSince, openHandles } from '../helpers/leaks.js';
import { messagesFor } from '../helpers/learner-messages.js';
import { failOnNotImplemented } from '../helpers/not-implemented.js';
import { rawExchange, rawRequest, requestToAbandon } from '../helpers/raw-http.js';
import { describeBehaviour, type Target } from '../helpers/suite.js';

/** The options every step accepts, as step 1 defines them. */
interface ForwardingOptions {
  backends: readonly string[];
  backendTimeoutMs?: number;
  connectTimeoutMs?: number;
  clientTimeoutMs?: number;
  drainTimeoutMs?: number;
  onRequest?: (entry: { method: string; url: string; backend: string; status: number }) => void;
}

/** What a step's module must export for these checks. */
interface ForwardingModule {
  createLoadBalancer(options: ForwardingOptions): LoadBalancer;
  HOP_BY_HOP_HEADERS: readonly string[];
  BackendTimeoutError: new (timeoutMs: number) => Error;
  ConnectTimeoutError: new (timeoutMs: number) => Error;
  NotImplementedError: new (folder: string, task: string) => Error;
  ClientTimeoutError: new (timeoutMs: number) => Error;
  UnexpectedUpgradeError: new () => Error;
  BadRequestError: new (reason: string) => Error;
  UnsupportedTransferCodingError: new (codings: string) => Error;
  TooManyHeadersError: new (count: number, limit: number) => Error;
  MAX_REQUEST_HEADERS: number;
  checkInbound(inbound: http.IncomingMessage): unknown;
  applyFraming(outbound: http.ClientRequest, framing: { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' }): void;
  sendError(res: http.ServerResponse, err: Error): void;
  blamesBackend(err: Error): boolean;
  statusFor(err: Error): number;
}

/** A whole second request, hidden in a body: what a smuggler wants the backend to read as a request. */
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: evil.example\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n';
/** `text` as one chunk of a chunked body, then the last chunk. */
const asChunked = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`;

export interface ForwardingExpectations {
  /**
   * Statuses accepted for a backend that refuses connections: 502 in step 1. From step 3 on, a refused
   * backend is retried and failed over, and exhausted failover is 503 — that step's own tests say when.
   */
  refusedStatuses: readonly number[];
  /** Statuses accepted for a backend that never accepts the connection: 504 in step 1, 503 once step 3 retries it. */
  connectTimeoutStatuses: readonly number[];
  /** What the log may say of a request whose client left before any answer: 0 ("no status line"); step 6 logs nginx's 499, and its own suite insists on it. */
  abandonedStatuses?: readonly number[];
}

/**
 * The hop-by-hop headers, written here from the standards rather than imported from the code under
 * test: RFC 9110 §7.6.1 names Connection, Proxy-Connection, Keep-Alive, TE, Transfer-Encoding and
 * Upgrade; RFC 2616 §13.5.1 (and Go's ReverseProxy) add Proxy-Authenticate, Proxy-Authorization and
 * Trailer. Each comes with a value a client may really send on a plain request.
 */
const REQUEST_HOP_HEADERS: Record<string, string> = {
  'keep-alive': 'timeout=5',
  'proxy-connection': 'keep-alive',
  'proxy-authorization': 'Basic c2VjcmV0',
  te: 'trailers',
  trailer: 'x-checksum',
  upgrade: 'h2c',
};
/** Sent by a backend; Node writes its own Connection, Keep-Alive and Transfer-Encoding, so those are checked by value. */
const RESPONSE_HOP_HEADERS: Record<string, string> = {
  'keep-alive': 'timeout=99, max=7',
  'proxy-authenticate': 'Basic realm="backend"',
  trailer: 'x-checksum',
  upgrade: 'h2c',
};

export function naiveForwarding(
  target: Target<ForwardingOptions> & { module: ForwardingModule },
  expectations: ForwardingExpectations = { refusedStatuses: [502], connectTimeoutStatuses: [504] },
): void {
  const { module: step } = target;
  const say = messagesFor('step1', target);
  // The slowest checks of the client clocks run on step 1 only: every later step inherits
  // client-clocks.ts, backend-response.ts and outbound-request.ts unchanged (a check fails
  // otherwise), and from step 3 on the table of try endings checks how the retry loop uses them.
  const clocksAreNew = target.id === 'step1';

  describeBehaviour('step1', 'naive forwarding', target, () => {
    describe('forwarding', () => {
      it.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])('forwards a %s with its raw path, query and headers', async (method) => {
        const backend = await startFakeBackend('backend-1');
        const { url } = await startBalancer(step, { backends: [backend.url] });
        const path = '/a//b/%7Euser/./c?x=1&y=%20&x=2';

        const res = await rawRequest(url, { method, path, headers: { 'x-custom': 'kept', 'user-agent': 'test' } });

        expect(res.status, say(`a ${method} should reach the backend and come back with its status`, 'proxy.ts')).toBe(200);
        expect(backend.requests, say('the backend should receive exactly one request', 'proxy.ts')).toHaveLength(1);
        const [seen] = backend.requests;
        expect(seen.method, say('the method must reach the backend unchanged', 'proxy.ts')).toBe(method);
        expect(seen.url, say('the path and query must reach the backend byte for byte (http-proxy rewrites them unless you pass inbound.url on)', 'outbound-request.ts')).toBe(path);
        expect(seen.headers['x-custom'], say('end-to-end headers must reach the backend', 'proxy.ts')).toBe('kept');
        // node:http sends a bodiless GET or DELETE with no framing at all (a POST, PUT or PATCH with Content-Length: 0).
        const framing = [seen.headers['content-length'], seen.headers['transfer-encoding']];
        const sent = method === 'GET' || method === 'DELETE' ? [undefined, undefined] : ['0', undefined];
        expect(framing, say(`a ${method} must reach the backend framed as it was sent: ${JSON.stringify(sent)}`, 'framing.ts')).toEqual(sent);
      });

      it('forwards a binary request body unchanged', async () => {
        const backend = await startFakeBackend('backend-1');
        const { url } = await startBalancer(step, { backends: [backend.url] });
        const body = Buffer.concat([Buffer.from([0, 255, 0, 13, 10]), randomBytes(64 * 1024)]);

        const res = await rawRequest(url, { method: 'POST', path: '/upload', headers: { 'content-type': 'application/octet-stream' }, body });

        expect(res.status, say('a POST should reach the backend and come back with its status', 'proxy.ts')).toBe(200);
        expect(backend.requests[0]?.body.equals(body), say('the backend should receive the request body unchanged', 'proxy.ts')).toBe(true);
      });

      it('forwards a request that expects 100-continue like any other', async () => {
        const backend = await startFakeBackend('backend-1');
        const { url } = await startBalancer(step, { backends: [backend.url] });

        const res = await rawRequest(url, { method: 'PUT', path: '/a//b', headers: { expect: '100-continue' }, body: 'payload' });

        expect(res.status, say('an upload with Expect: 100-continue should reach the backend', 'proxy.ts')).toBe(200);
        const [seen] = backend.requests;
        expect(seen?.url, say('the raw path must survive an Expect: 100-continue request too', 'proxy.ts')).toBe('/a//b');
        expect(seen?.headers['x-forwarded-for'], say('X-Forwarded-For must be added to an Expect: 100-continue request too', 'proxy.ts')).toBe('127.0.0.1');
        expect(seen?.body.toString(), say('the body of an Expect: 100-continue request must arrive', 'proxy.ts')).toBe('payload');
      });

      it('streams a large request body instead of buffering it', async () => {
        const backend = await startFakeBackend('backend-1');
        const { url } = await startBalancer(step, { backends: [backend.url] });
        const first = randomBytes(2 * 1024 * 1024); // more than any sensible retry buffer (step 3 keeps up to 1 MiB)
        const rest = randomBytes(1024 * 1024);
        const { hostname, port } = new URL(url);
        const req = http.request({ hostname, port, method: 'POST', path: '/big', agent: false });
        const response = new Promise<http.IncomingMessage>((resolve, reject) => req.on('response', resolve).on('error', reject));

        req.write(first);
        // A buffering proxy would wait for the whole body; a streaming one passes the first MiB on now.
        const bytesArrive = expect
          .poll(() => backend.bytesReceived, { timeout: 2_000, message: say('the backend should see body bytes before the client has sent them all (stream, do not buffer a large body)', 'proxy.ts') })
          .toBeGreaterThan(0);
        // An answer before the body was passed on (a starter's 501, say) fails the test at once.
        const answeredEarly = response.then(async (res) => {
          const text = (await res.toArray()).join('');
          failOnNotImplemented(res.statusCode ?? 0, text);
          throw new Error(say(`the balancer answered ${res.statusCode} before passing the body on`, 'proxy.ts'));
        });
        answeredEarly.catch(() => {}); // it only matters when it wins the race below
        await Promise.race([bytesArrive, answeredEarly]);
        req.end(rest);

        expect((await response).statusCode).toBe(200);
        expect(backend.requests[0]?.body.equals(Buffer.concat([first, rest])), say('a multi-MiB body should arrive complete and in order', 'proxy.ts')).toBe(true);
      });

      it('relays status, headers (several Set-Cookie lines too) and body back unchanged', async () => {
        const backend = await startFakeBackend('backend-1');
        const payload = randomBytes(1024 * 1024); // many chunks on the way, in both sockets
        backend.behave(answer({ status: 201, headers: { 'set-cookie': ['a=1; Path=/', 'b=2; HttpOnly'], 'x-reply': 'yes' }, body: payload }));
        const { url } = await startBalancer(step, { backends: [backend.url] });

        const res = await rawRequest(url, { path: '/' });

        expect(res.status, say("the client should get the backend's status", 'proxy.ts')).toBe(201);
        expect(res.headers['set-cookie'], say('every Set-Cookie line must reach the client', 'proxy.ts')).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
        expect(res.headers['x-reply'], say('response headers must reach the client', 'proxy.ts')).toBe('yes');
        expect(res.body.equals(payload), say('the response body must reach the client unchanged', 'proxy.ts')).toBe(true);
      });

      it("keeps a client's keep-alive connection open, says so, and closes it when the client asks", async () => {
        const backend = await startFakeBackend('backend-1');
        const { url } = await startBalancer(step, { backends: [backend.url] });

        const reply = await rawExchange(url, 'GET /one HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, x-client-hop\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { halfClose: false });

        const [first, second] = reply.split(/(?=HTTP\/1\.1 )/);
        expect(first, say('the first answer on a keep-alive connection should say Connection: keep-alive — ours, not an echo of the client\'s', 'backend-response.ts')).toMatch(/\r\nconnection: keep-alive\r\n/i);
        expect(second, say('the second request on the same connection should be answered, then the connection closed', 'backend-response.ts')).toMatch(/^HTTP\/1\.1 200[\s\S]*\r\nconnection: close\r\n/i);
        expect(backend.requests.map((r) => r.url), say('both requests should reach the backend', 'proxy.ts')).toEqual(['/one', '/two']);
      });

      it('reuses upstream connections (keep-alive) across requests', async () => {
        const backend = await startFakeBackend('backend-1');
        const { http: client } = await startBalancer(step, { backends: [backend.url] });

        for (let i = 0; i < 5; i += 1) await client.get('/').expect(200);

        expect(backend.connections, say('five sequential requests should share one upstream connection (use a keep-alive agent)', 'proxy.ts')).toBe(1);
      });
    });

    describe('headers', () => {
      it('adds X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host', async () => {
        const backend = await startFakeBackend('backend-1');
        const { url } = await startBalancer(step, { backends: [backend.url] });

        const res = await rawRequest(url, { headers: { host: 'shop.example' } });
        expect(res.status, say('the request should reach the backend', 'proxy.ts')).toBe(200);

        const { headers } = backend.requests[0] ?? { headers: {} };
        expect(headers['x-forwarded-for'], say('X-Forwarded-For should carry the client address', 'forwarded-headers.ts')).toBe('127.0.0.1');
        expect(headers['x-forwarded-proto'], say('X-Forwarded-Proto should say how the client reached the balancer', 'forwarded-headers.ts')).toBe('http');
        expect(headers['x-forwarded-host'], say('X-Forwarded-Host should carry the Host the client asked for', 'forwarded-headers.ts')).toBe('shop.example');
      });

      it('appends to an existing X-Forwarded-For and overwrites a claimed X-Forwarded-Proto and X-Forwarded-Host', async () => {
        const backend = await startFakeBackend('backend-1');
        const { url } = await startBalancer(step, { backends: [backend.url] });

        const res = await rawRequest(url, { headers: { host: 'shop.example', 'x-forwarded-for': '203.0.113.7, 198.51.100.2', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' } });
        expect(res.status, say('the request should reach the backend', 'proxy.ts')).toBe(200);

        const { headers, rawHeaders } = backend.requests[0] ?? { headers: {}, rawHeaders: [] };
        expect(headers['x-forwarded-for'], say('append the client address to an existing X-Forwarded-For: "earlier, client"', 'forwarded-headers.ts')).toBe('203.0.113.7, 198.51.100.2, 127.0.0.1');
        expect(headers['x-forwarded-proto'], say('X-Forwarded-Proto describes this hop; do not trust what the client claims', 'forwarded-headers.ts')).toBe('http');
        expect(headers['x-forwarded-host'], say('X-Forwarded-Host describes this hop; do not trust what the client claims', 'forwarded-headers.ts')).toBe('shop.example');
        const lines = rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
        expect(lines.filter((name) => name.startsWith('x-forwarded-')).sort(), say('each X-Forwarded-* header must arrive exactly once (set it, do not add a second line)', 'forwarded-headers.ts')).toEqual([
          'x-forwarded-for',
          'x-forwarded-host',
          'x-forwarded-proto',
        ]);
      });

      it('removes the hop-by-hop headers of RFC 9110 §7.6.1, and those Connection names, on the way to the backend', async () => {
        const backend = await startFakeBackend('backend-1');
        const { url } = await startBalancer(step, { backends: [backend.url] });
        const lines = Object.entries({ ...REQUEST_HOP_HEADERS, connection: 'close, x-client-hop', 'x-client-hop': '1', 'x-end-to-end': 'kept' }).map(([name, value]) => `${name}: ${value}\r\n`);

        // Raw bytes: node:http refuses to send some of these (a Trailer header without a chunked body).
        const reply = await rawExchange(url, `GET /hop HTTP/1.1\r\nhost: x\r\n${lines.join('')}\r\n`, { halfClose: false });

        expect(reply, say('the request should reach the backend', 'proxy.ts')).toMatch(/^HTTP\/1\.1 200/);
        const { headers } = backend.requests[0] ?? { headers: {} };
        for (const name of [...Object.keys(REQUEST_HOP_HEADERS), 'x-client-hop']) {
          expect(headers[name], say(`the backend must not receive the hop-by-hop header ${name}`, 'hop-by-hop.ts')).toBeUndefined();
        }
        expect(headers['x-end-to-end'], say('headers that Connection does not name must still arrive', 'hop-by-hop.ts')).toBe('kept');
      });

      it('removes hop-by-hop headers, and those Connection names, on the way back to the client', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave(answer({ headers: { ...RESPONSE_HOP_HEADERS, connection: 'keep-alive, x-backend-hop', 'x-backend-hop': '1', 'x-end-to-end': 'kept' } }));
        const { url } = await startBalancer(step, { backends: [backend.url] });

        const res = await rawRequest(url);

        expect(res.status, say('the request should reach the backend', 'proxy.ts')).toBe(200);
        for (const [name, value] of Object.entries(RESPONSE_HOP_HEADERS)) {
          expect(res.headers[name], say(`the client must not receive the backend's hop-by-hop header ${name}: ${value}`, 'hop-by-hop.ts')).not.toBe(value);
        }
        expect(res.headers['x-backend-hop'], say("headers named in the backend's Connection header must not reach the client", 'hop-by-hop.ts')).toBeUndefined();
        expect(res.headers['x-end-to-end'], say('end-to-end response headers must still arrive', 'hop-by-hop.ts')).toBe('kept');
      });

      it('exports its hop-by-hop list, and the list covers the standard one', () => {
        const listed = step.HOP_BY_HOP_HEADERS.map((name) => name.toLowerCase());
        const standard = ['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization', 'trailer'];
        expect(standard.filter((name) => !listed.includes(name)), say('HOP_BY_HOP_HEADERS is missing standard hop-by-hop headers', 'hop-by-hop.ts')).toEqual([]);
      });
    });

    describe('framing: what reaches a backend is framed by the balancer, or not sent at all', () => {
      it.each(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'POST'])('re-frames a chunked %s body: a request hidden in it reaches no backend as a request', async (method) => {
        const backend = await startFakeBackend('backend-1');
        const { url, http: client } = await startBalancer(step, { backends: [backend.url] });

        const reply = await rawExchange(url, `${method} /front HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n${asChunked(SMUGGLED)}`, { halfClose: false });
        await client.get('/after').expect(200); // on the same upstream connection, after anything smuggled

        expect(reply, say(`a chunked ${method} should be forwarded and answered`, 'framing.ts')).toMatch(/^HTTP\/1\.1 200/);
        expect(backend.requests.map((r) => `${r.method} ${r.url}`), say(`the body of a ${method} must reach the backend with framing of our own (Transfer-Encoding: chunked), or the backend reads it as a second request`, 'framing.ts')).toEqual([
          `${method} /front`,
          'GET /after',
        ]);
        expect(backend.requests[0].body.toString(), say('the backend should receive the body as a body, byte for byte', 'framing.ts')).toBe(SMUGGLED);
      });

      it('keeps the Content-Length a client names in Connection: naming it does not make a body unframed', async () => {
        const backend = await startFakeBackend('backend-1');
        const { url, http: client } = await startBalancer(step, { backends: [backend.url] });

        const reply = await rawExchange(url, `GET /front HTTP/1.1\r\nHost: x\r\nConnection: close, Content-Length\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`, { halfClose: false });
        await client.get('/after').expect(200);

        expect(reply, say('the request should be forwarded and answered', 'framing.ts')).toMatch(/^HTTP\/1\.1 200/);
        expect(backend.requests.map((r) => `${r.method} ${r.url}`), say('hop-by-hop stripping must not remove the framing: re-apply Content-Length after it', 'outbound-request.ts')).toEqual(['GET /front', 'GET /after']);
        expect(backend.requests[0].body.toString(), say('the body should arrive as a body', 'framing.ts')).toBe(SMUGGLED);
      });

      it('applyFraming leaves exactly one framing header, of our own making', () => {
        const headersAfter = (framing: Parameters<ForwardingModule['applyFraming']>[1]) => {
          const outbound = http.request({ host: '127.0.0.1', port: 9, headers: { 'content-length': '99', 'transfer-encoding': 'gzip, chunked' } });
          outbound.on('error', () => {});
          step.applyFraming(outbound, framing);
          const seen = { 'content-length': outbound.getHeader('content-length'), 'transfer-encoding': outbound.getHeader('transfer-encoding') };
          outbound.destroy();
          return seen;
        };
        expect(headersAfter({ kind: 'length', length: 5 }), say('a body of known length goes out with that Content-Length and no Transfer-Encoding', 'framing.ts')).toEqual({ 'content-length': 5, 'transfer-encoding': undefined });
        expect(headersAfter({ kind: 'chunked' }), say('a chunked body goes out chunked, with no Content-Length', 'framing.ts')).toEqual({ 'content-length': undefined, 'transfer-encoding': 'chunked' });
        expect(headersAfter({ kind: 'none' }), say('no body, no framing headers', 'framing.ts')).toEqual({ 'content-length': undefined, 'transfer-encoding': undefined });
      });

      it('keeps Host when a client names it in Connection', async () => {
        const backend = await startFakeBackend('backend-1');
        const { url } = await startBalancer(step, { backends: [backend.url] });

        await rawExchange(url, 'GET / HTTP/1.1\r\nHost: shop.example\r\nConnection: close, Host\r\n\r\n', { halfClose: false });

        expect(backend.requests[0]?.headers.host, say('a client must not be able to make the balancer drop Host', 'hop-by-hop.ts')).toBe('shop.example');
      });

      const refusals = [
        { what: 'Content-Length and Transfer-Encoding together', status: 400, bytes: 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' },
        { what: 'two different Content-Lengths', status: 400, bytes: 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nAB' },
        { what: 'Transfer-Encoding in an HTTP/1.0 request', status: 400, bytes: `POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${asChunked('x')}` },
        { what: 'a transfer coding other than chunked (gzip, chunked)', status: 501, bytes: `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${asChunked('x')}` },
        { what: 'two Host headers', status: 400, bytes: 'GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n' },
        { what: 'more headers than MAX_REQUEST_HEADERS', status: 431, bytes: `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 100 }, (_, i) => `x-h${i}: ${i}\r\n`).join('')}\r\n` },
      ];
      it.each(refusals)('refuses $what with $status, sends nothing on, and closes the connection', async ({ bytes, status }) => {
        const backend = await startFakeBackend('backend-1');
        const { url } = await startBalancer(step, { backends: [backend.url] });

        const reply = await rawExchange(url, bytes, { halfClose: false });

        expect(reply.split('\r\n')[0], say(`answer ${status}: the request cannot be forwarded faithfully`, 'request-checks.ts')).toBe(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}`);
        expect(backend.requests, say('a refused request must never reach a backend', 'request-checks.ts')).toHaveLength(0);
      });

      it('forwards every header of a request with exactly MAX_REQUEST_HEADERS of them', async () => {
        const backend = await startFakeBackend('backend-1');
        const { url } = await startBalancer(step, { backends: [backend.url] });
        const extra = Array.from({ length: step.MAX_REQUEST_HEADERS - 2 }, (_, i) => `x-h${i}: ${i}\r\n`).join('');

        const reply = await rawExchange(url, `GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${extra}\r\n`, { halfClose: false });

        expect(reply, say('a request at the header limit is forwarded', 'request-checks.ts')).toMatch(/^HTTP\/1\.1 200/);
        const headers = backend.requests[0]?.headers ?? {};
        expect(headers[`x-h${step.MAX_REQUEST_HEADERS - 3}`], say('no header may be dropped on the way', 'server-lifecycle.ts')).toBe(String(step.MAX_REQUEST_HEADERS - 3));
        expect(headers['x-forwarded-for'], say('X-Forwarded-For must survive a request with many headers', 'forwarded-headers.ts')).toBe('127.0.0.1');
      });
    });

    describe('the one error path (sendError)', () => {
      /** A server whose handler does `act` with the response, for checking sendError on its own. */
      async function serverDoing(act: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
        const server = http.createServer(act);
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        onTestFinished(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
        return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      }

      it('gives every error its status: 400, 431, 501, 504, and 502 for anything else', () => {
        const cases: [Error, number][] = [
          [new step.BadRequestError('x'), 400],
          [new step.TooManyHeadersError(200, 100), 431],
          [new step.UnsupportedTransferCodingError('gzip'), 501],
          [new step.NotImplementedError('step9-x', 'y'), 501],
          [new step.BackendTimeoutError(1), 504],
          [new step.ClientTimeoutError(1), 408],
          [new step.UnexpectedUpgradeError(), 502],
          [new step.ConnectTimeoutError(1), 504],
          [Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 502],
          [Object.assign(new Error('out of file descriptors'), { code: 'EMFILE' }), 503],
          [Object.assign(new Error('system-wide out of file descriptors'), { code: 'ENFILE' }), 503],
          [Object.assign(new Error('out of memory'), { code: 'ENOMEM' }), 503],
          [Object.assign(new Error('out of buffers'), { code: 'ENOBUFS' }), 503],
          [new Error('anything'), 502],
        ];
        expect(cases.map(([err]) => step.statusFor(err)), say("statusFor() should give each error its own status, 503 when the balancer's own resources ran out, and 502 to the rest", 'error-response.ts')).toEqual(
          cases.map(([, status]) => status),
        );
        const blamed = cases.map(([err]) => step.blamesBackend(err));
        expect(blamed, say("the balancer's own shortages (EMFILE, ENFILE, ENOMEM, ENOBUFS) and a client's stall (408) say nothing about the backend", 'error-response.ts')).toEqual(
          cases.map(([, status]) => status !== 503 && status !== 408),
        );
      });

      it('answers a fresh response with a short text, and without headers a backend set before it failed', async () => {
        const url = await serverDoing((_req, res) => {
          res.setHeader('set-cookie', 'session=backend');
          step.sendError(res, new step.BackendTimeoutError(5));
        });
        const res = await rawRequest(url);
        expect(res.status, say('the status comes from the error', 'error-response.ts')).toBe(504);
        expect(res.body.toString(), say('the body names the status', 'error-response.ts')).toBe('504 Gateway Timeout\n');
        expect(res.headers['set-cookie'], say("a backend's headers must not leak into our error answer", 'error-response.ts')).toBeUndefined();
      });

      it('cuts a response that has started, and leaves a finished one alone', async () => {
        const url = await serverDoing((req, res) => {
          if (req.url === '/started') {
            res.writeHead(200, { 'content-length': 100 });
            res.write('partial', () => step.sendError(res, new Error('backend died')));
          } else {
            res.end('done');
            step.sendError(res, new Error('too late'));
          }
        });
        await expect(rawRequest(url, { path: '/started' }), say('a started response can only be cut: the client must see it break, not hang', 'error-response.ts')).rejects.toThrow();
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        onTestFinished(() => agent.destroy());
        const fetchText = (path: string) =>
          new Promise<{ text: string; reused: boolean }>((resolve, reject) => {
            const req = http.get(`${url}${path}`, { agent }, async (res) => resolve({ text: Buffer.concat(await res.toArray()).toString(), reused: req.reusedSocket }));
            req.on('error', reject);
          });
        expect((await fetchText('/finished')).text, say('sendError after the end changes nothing', 'error-response.ts')).toBe('done');
        expect(await fetchText('/finished'), say('…and does not cut the keep-alive connection either', 'error-response.ts')).toEqual({ text: 'done', reused: true });
      });

      it('ignores a response whose client is gone', async () => {
        const handled = new Promise<void>((resolve, reject) => {
          void serverDoing((req, res) => {
            req.socket.destroy();
            try {
              step.sendError(res, new Error('nobody listens'));
              resolve();
            } catch (err) {
              reject(err);
            }
          }).then((url) => rawRequest(url).catch(() => undefined));
        });
        await expect(handled, say('sendError on a destroyed response must do nothing', 'error-response.ts')).resolves.toBeUndefined();
      });

      it('closes the connection after a refused request, even one it read completely', async () => {
        const url = await serverDoing((req, res) => {
          req.resume(); // read to the end first
          req.once('end', () => step.sendError(res, new step.BadRequestError('two Host headers')));
        });
        const reply = await rawExchange(url, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { halfClose: false });
        expect(reply.split('\r\n')[0], say('a refused request gets its status', 'error-response.ts')).toBe('HTTP/1.1 400 Bad Request');
        expect(reply, say('after a refused request nothing more on that connection can be trusted: close it', 'error-response.ts')).toMatch(/\r\nconnection: close\r\n/i);
      });

      it('closes the connection after answering a request whose body it did not read', async () => {
        const url = await serverDoing((_req, res) => step.sendError(res, new Error('refused early')));
        const { hostname, port } = new URL(url);
        const reply = await new Promise<http.IncomingMessage>((resolve, reject) => {
          const req = http.request({ hostname, port, method: 'POST', agent: false, headers: { 'content-length': 1_000_000 } }, resolve);
          req.on('error', reject);
          req.write('x'.repeat(1000)); // the rest never comes: the server must not wait for it on this connection
        });
        reply.resume();
        expect(reply.headers.connection, say('unread body bytes would be taken for the next request: say Connection: close', 'error-response.ts')).toBe('close');
      });
    });

    describe('failures', () => {
      it(`answers ${expectations.refusedStatuses.join(' or ')} quickly when the backend refuses connections, and keeps serving`, async () => {
        const backend = await startFakeBackend('backend-1');
        await backend.stop();
        const { http: client } = await startBalancer(step, { backends: [backend.url] });

        const started = performance.now();
        const first = await client.get('/');
        expect(expectations.refusedStatuses, say(`a refused connection must give the client a gateway error, not a crash or a hang (got ${first.status})`, 'proxy.ts')).toContain(first.status);
        expect(performance.now() - started, say('the gateway error should come within a second', 'proxy.ts')).toBeLessThan(1_000);
        expect(first.headers['content-type'], say('the error body should be short plain text', 'error-response.ts')).toMatch(/^text\/plain/);
        expect(first.text.length, say('the error body should be short plain text', 'error-response.ts')).toBeLessThan(200);

        const second = await client.get('/');
        expect(expectations.refusedStatuses, say(`the balancer must keep serving after a failed request (handle http-proxy's "error" event; got ${second.status})`, 'proxy.ts')).toContain(second.status);
      });

      it('keeps the client connection open after a gateway error on a request it read completely', async () => {
        const backend = await startFakeBackend('backend-1');
        await backend.stop();
        const { url } = await startBalancer(step, { backends: [backend.url] });

        const reply = await rawExchange(url, 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { halfClose: false });

        expect(reply.match(/^HTTP\/1\.1 50\d/gm), say('a backend failure is no reason to drop the client: both requests get their answer on one connection', 'error-response.ts')).toHaveLength(2);
      });

      it('answers 504 once the backend has stayed silent for backendTimeoutMs, not before', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave({ kind: 'hang' });
        const { http: client } = await startBalancer(step, { backends: [backend.url], backendTimeoutMs: 150 });

        const started = performance.now();
        const res = await client.get('/slow');
        const waited = performance.now() - started;

        expect(res.status, say('a backend that never answers should give the client 504 Gateway Timeout', 'outbound-request.ts')).toBe(504);
        expect(waited, say('the 504 should come after backendTimeoutMs (150 ms here), not earlier', 'outbound-request.ts')).toBeGreaterThanOrEqual(140);
        expect(waited, say('the 504 should come soon after backendTimeoutMs (150 ms here): use the option, not a fixed value', 'outbound-request.ts')).toBeLessThan(1_500);
      });

      it(`answers ${expectations.connectTimeoutStatuses.join(' or ')} when the backend does not accept the connection within connectTimeoutMs`, async () => {
        const hole = await startBlackHole();
        const { http: client } = await startBalancer(step, { backends: [hole.url], connectTimeoutMs: 100, backendTimeoutMs: 60_000 });

        const started = performance.now();
        const res = await client.get('/');

        expect(expectations.connectTimeoutStatuses, say(`a connection that is never accepted should end in a gateway timeout (got ${res.status})`, 'outbound-request.ts')).toContain(res.status);
        expect(performance.now() - started, say('give up connecting after connectTimeoutMs (100 ms here); the socket timeout does not run while connecting', 'outbound-request.ts')).toBeLessThan(2_000);
      });

      it('stops the connect clock once connected: a slow answer after a fast connect is no connect timeout', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave(answer({ delayMs: 300 }));
        const { http: client } = await startBalancer(step, { backends: [backend.url], connectTimeoutMs: 100 });

        const res = await client.get('/');

        expect(res.status, say('connectTimeoutMs (100 ms) limits connecting only: clear its timer on connect', 'outbound-request.ts')).toBe(200);
      });

      it("relays a backend's early answer to a large upload (413) instead of turning it into a 502", async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave({ kind: 'answer-early', status: 413 });
        const { url } = await startBalancer(step, { backends: [backend.url] });

        const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
        socket.on('error', () => {});
        onTestFinished(() => void socket.destroy());
        socket.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${8 * 1024 * 1024}\r\n\r\n`); // a keep-alive client
        socket.write(Buffer.alloc(8 * 1024 * 1024, 1));
        const [reply] = (await once(socket, 'data')) as [Buffer];
        const head = reply.toString('latin1');

        expect(head.split('\r\n')[0], say('the backend answered 413 before reading the body: once its answer has begun, upload errors (EPIPE) must not end it', 'outbound-request.ts')).toBe('HTTP/1.1 413 Payload Too Large');
        expect(head, say('an answer before the whole request closes the connection: the rest of the upload must not pass for a new request', 'backend-response.ts')).toMatch(/\r\nconnection: close\r\n/i);
      });

      it('answers 502 when the backend switches protocols although nobody asked for an upgrade', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.queue({ kind: 'switch-protocols' });
        const { url, http: client } = await startBalancer(step, { backends: [backend.url] });

        const reply = await rawExchange(url, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { halfClose: false });

        expect(reply.split('\r\n')[0], say('Node drops a request answered by an unasked-for 101 without a word: answer 502, or the client waits forever', 'backend-response.ts')).toBe('HTTP/1.1 502 Bad Gateway');
        await client.get('/').expect(200);
      });

      it("answers 408 to a client that stops sending its upload for clientTimeoutMs, and lets the backend off", async () => {
        const backend = await startFakeBackend('backend-1');
        const { url, http: client } = await startBalancer(step, { backends: [backend.url], clientTimeoutMs: 200, backendTimeoutMs: 100 });
        const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
        socket.on('error', () => {});
        onTestFinished(() => void socket.destroy());

        socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\npartial');
        const [reply] = (await once(socket, 'data')) as [Buffer];

        expect(reply.toString('latin1').split('\r\n')[0], say('a stalled upload is the client\'s fault: 408 after clientTimeoutMs, not a 504 blaming the backend (whose clock must rest while the upload is under way)', 'client-clocks.ts')).toBe(
          'HTTP/1.1 408 Request Timeout',
        );
        await client.get('/').expect(200);
      });

      it.runIf(clocksAreNew)('lets a slow but steady upload through, and waits for a slow backend once the upload is complete', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave(answer({ delayMs: 300 }));
        const before = openHandles();
        const lb = step.createLoadBalancer({ backends: [backend.url], clientTimeoutMs: 250, backendTimeoutMs: 5_000 });
        const { url } = await lb.listen(0, '127.0.0.1');
        const { hostname, port } = new URL(url);
        const status = new Promise<number>((resolve, reject) => {
          const req = http.request({ hostname, port, method: 'POST', path: '/slow-upload', agent: false, headers: { 'content-length': 3 } }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
          req.on('error', reject);
          let sent = 0;
          const drip = setInterval(() => {
            req.write('x');
            sent += 1;
            if (sent === 3) (clearInterval(drip), req.end());
          }, 100); // a byte every 100 ms: 300 ms in all, more than 250 ms, but never 250 ms of silence
        });

        expect(await status, say('bytes that keep coming are progress: only silence for clientTimeoutMs is a stall; and once the body is complete, the client clock stops', 'client-clocks.ts')).toBe(200);
        expect(backend.requests[0]?.body.toString(), say('the slow upload should arrive whole', 'client-clocks.ts')).toBe('xxx');
        await lb.close();
        await backend.stop();
        expect(await leakedSince(before), say('the client clock must stop with its request', 'client-clocks.ts')).toEqual({});
      });

      it('answers 504 when the backend stops reading an upload: then the silence is the backend\'s, not the client\'s', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave({ kind: 'stop-reading' });
        const { url } = await startBalancer(step, { backends: [backend.url], clientTimeoutMs: 200, backendTimeoutMs: 60_000 });

        const res = await rawRequest(url, { method: 'PUT', path: '/big', body: Buffer.alloc(32 * 1024 * 1024, 1) }).catch((err: NodeJS.ErrnoException) => ({ status: err.code }));

        expect(res.status, say('the client kept sending, the backend stopped taking: a gateway timeout, not 408', 'outbound-request.ts')).toBe(504);
      });

      it.runIf(clocksAreNew)('keeps a slow but steady reader, and drops one that stops reading for clientTimeoutMs, and its answer with it', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave(answer({ body: Buffer.alloc(32 * 1024 * 1024, 1) }));
        backend.behaveAt('/steady', answer({ body: Buffer.alloc(1024 * 1024, 1) }));
        const { url } = await startBalancer(step, { backends: [backend.url], clientTimeoutMs: 500, backendTimeoutMs: 5_000 });
        const { hostname, port } = new URL(url);

        const received = await new Promise<number>((resolve, reject) => {
          http.get({ hostname, port, path: '/steady', agent: false }, (res) => {
            let bytes = 0;
            res.on('data', (chunk: Buffer) => {
              bytes += chunk.length;
              res.pause();
              setTimeout(() => res.resume(), 5); // slow, but never half a second without reading
            });
            res.on('end', () => resolve(bytes)).on('error', reject);
          }).on('error', reject);
        });
        expect(received, say('a client that keeps reading, however slowly, gets the whole answer', 'client-clocks.ts')).toBe(1024 * 1024);

        const socket = net.connect(Number(port), hostname);
        socket.on('error', () => {});
        onTestFinished(() => void socket.destroy());
        socket.write('GET /stalled HTTP/1.1\r\nHost: x\r\n\r\n');
        await once(socket, 'data');
        socket.pause();
        await expect.poll(() => backend.openConnections, { timeout: 3_000, message: say('once the client is dropped, the backend connection serving it must close too', 'backend-response.ts') }).toBe(0);
      });

      it.runIf(clocksAreNew)('drops a client that stops reading its answer for clientTimeoutMs, without waiting for the backend', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave(answer({ body: Buffer.alloc(32 * 1024 * 1024, 1) }));
        const onRequest = vi.fn();
        const { url } = await startBalancer(step, { backends: [backend.url], clientTimeoutMs: 200, backendTimeoutMs: 100, onRequest });
        const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
        socket.on('error', () => {});
        onTestFinished(() => void socket.destroy());

        socket.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
        await once(socket, 'data');
        socket.pause(); // the client takes nothing more

        await expect.poll(() => onRequest.mock.calls.length, { timeout: 3_000, message: say('a client that reads nothing for clientTimeoutMs is dropped', 'client-clocks.ts') }).toBe(1);
        expect(onRequest.mock.calls[0]?.[0].durationMs, say('…after clientTimeoutMs (200 ms here), not before', 'client-clocks.ts')).toBeGreaterThanOrEqual(190);
      });

      it('cuts the client connection when the backend dies mid-body, and keeps serving', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.queue({ kind: 'die-mid-body' });
        const { url, http: client } = await startBalancer(step, { backends: [backend.url] });

        await expect(rawRequest(url), say('a half-sent response must end in a reset connection, not a hang', 'backend-response.ts')).rejects.toMatchObject({ code: 'ECONNRESET' });
        await client.get('/').expect(200);
      });

      it('cuts the client connection when the backend goes silent mid-body for backendTimeoutMs', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.queue({ kind: 'stall-mid-body' });
        const { url, http: client } = await startBalancer(step, { backends: [backend.url], backendTimeoutMs: 100 });

        await expect(rawRequest(url), say('a response that stops halfway must end in a reset connection once backendTimeoutMs passes', 'outbound-request.ts')).rejects.toMatchObject({ code: 'ECONNRESET' });
        await client.get('/').expect(200);
      });

      it('survives a client that disconnects before the backend answers', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.queue(answer({ delayMs: 50 }));
        const { url, http: client } = await startBalancer(step, { backends: [backend.url] });

        const req = requestToAbandon(url, '/');
        await expect.poll(() => backend.requests.length, { message: say('the request should reach the backend', 'proxy.ts') }).toBe(1);
        req.destroy();

        await client.get('/').expect(200);
      });

      it('answers 400 to a malformed request and 431 to oversized headers, and keeps serving', async () => {
        const backend = await startFakeBackend('backend-1');
        const { url, http: client } = await startBalancer(step, { backends: [backend.url] });

        expect(await rawExchange(url, 'GET / HTTP/1.1\r\nthis is not a header\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
        expect(await rawExchange(url, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431/);
        await client.get('/').expect(200);
        expect(backend.requests, say('malformed requests must never reach a backend', 'load-balancer.ts')).toHaveLength(1);
      });
    });

    describe('the request log', () => {
      it('reports a finished request to onRequest: method, url, backend, status', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave(answer({ status: 202, delayMs: 60 }));
        const onRequest = vi.fn();
        const { http: client } = await startBalancer(step, { backends: [backend.url], onRequest });

        const started = performance.now();
        await client.get('/logged?x=1').expect(202);
        const elapsed = performance.now() - started;

        await expect.poll(() => onRequest.mock.calls.length, { message: say('onRequest should be called once the response is done', 'load-balancer.ts') }).toBe(1);
        const entry = onRequest.mock.calls[0]?.[0];
        expect(entry, say('the log entry should describe the request and its answer', 'load-balancer.ts')).toMatchObject({ method: 'GET', url: '/logged?x=1', backend: backend.url, status: 202 });
        expect(entry.durationMs, say('durationMs is how long the request took (the backend waited 60 ms)', 'load-balancer.ts')).toBeGreaterThanOrEqual(55);
        expect(entry.durationMs, say('durationMs is how long the request took, no more', 'load-balancer.ts')).toBeLessThanOrEqual(elapsed + 5);
      });

      it('reports a failed request with the status the client got, and an abandoned one with status 0 (499 from step 6)', async () => {
        const [down, slow] = [await startFakeBackend('backend-1'), await startFakeBackend('backend-2')];
        await down.stop();
        slow.behave({ kind: 'hang' });
        const failed = vi.fn();
        const { http: failing } = await startBalancer(step, { backends: [down.url], onRequest: failed });
        const abandoned = vi.fn();
        const { url } = await startBalancer(step, { backends: [slow.url], onRequest: abandoned });

        const res = await failing.post('/fail');
        await expect.poll(() => failed.mock.calls.length, { message: say('a failed request is logged too', 'load-balancer.ts') }).toBe(1);
        expect(failed.mock.calls[0]?.[0], say('the log shows the status the client got', 'load-balancer.ts')).toMatchObject({ method: 'POST', url: '/fail', status: res.status });

        const req = requestToAbandon(url, '/gone');
        await expect.poll(() => slow.requests.length, { message: say('the request should reach the backend', 'proxy.ts') }).toBe(1);
        req.destroy();
        await expect.poll(() => abandoned.mock.calls.length, { message: say('a request whose client left is logged too', 'load-balancer.ts') }).toBe(1);
        const gone = expectations.abandonedStatuses ?? [0];
        expect(abandoned.mock.calls[0]?.[0], say(`status ${gone.join(' or ')} means the client left before it got a status line`, 'load-balancer.ts')).toMatchObject({ url: '/gone', status: expect.toBeOneOf([...gone]) });
      });
    });

    describe('lifecycle', () => {
      it('rejects options it cannot work with at construction, saying what is wrong', () => {
        const cases: [string[], RegExp][] = [
          [[], /at least one backend/],
          [['not a url'], /not a url/],
          [['https://127.0.0.1:1'], /https:\/\/127\.0\.0\.1:1/],
          [['ftp://127.0.0.1:1'], /ftp:\/\/127\.0\.0\.1:1/],
          [['http://admin:s3cret@127.0.0.1:1'], /credentials/],
          [['http://admin@127.0.0.1:1'], /credentials/],
          [['http://:s3cret@127.0.0.1:1'], /credentials/],
          [['http://127.0.0.1:1/api'], /path.*\/api/],
          [['http://127.0.0.1:1/?x=1'], /query/],
        ];
        for (const [backends, names] of cases) {
          expect(() => step.createLoadBalancer({ backends }), say(`createLoadBalancer should refuse backends ${JSON.stringify(backends)}, and the message should say which`, 'backend-url.ts')).toThrow(
            expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringMatching(names) }),
          );
        }
        expect(() => step.createLoadBalancer({ backends: ['http://admin:s3cret@127.0.0.1:1'] }), say('the error must never echo a password', 'backend-url.ts')).toThrow(
          expect.objectContaining({ message: expect.not.stringContaining('s3cret') }),
        );
        expect(() => step.createLoadBalancer({ backends: ['http://127.0.0.1:1/'] }), say('a trailing slash is no path', 'backend-url.ts')).not.toThrow();
      });

      it('refuses timeouts that cannot work, naming the option', () => {
        const refused: [Record<string, number>, RegExp][] = [
          [{ backendTimeoutMs: 0 }, /backendTimeoutMs/],
          [{ connectTimeoutMs: 1.5 }, /connectTimeoutMs/],
          [{ clientTimeoutMs: 0 }, /clientTimeoutMs/],
          [{ drainTimeoutMs: -1 }, /drainTimeoutMs/],
        ];
        for (const [options, names] of refused) {
          expect(() => step.createLoadBalancer({ backends: ['http://127.0.0.1:1'], ...options }), say(`${JSON.stringify(options)} should be refused at construction, by name`, 'load-balancer.ts')).toThrow(
            expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringMatching(names) }),
          );
        }
        for (const options of [{ backendTimeoutMs: 1 }, { connectTimeoutMs: 1 }, { clientTimeoutMs: 1 }, { drainTimeoutMs: 0 }]) {
          expect(() => step.createLoadBalancer({ backends: ['http://127.0.0.1:1'], ...options }), say(`${JSON.stringify(options)} is a valid setting`, 'load-balancer.ts')).not.toThrow();
        }
      });

      it('says what went wrong in its errors: a stable code, the status it answers, a message with the details', () => {
        const cases: [Error, string, number, string][] = [
          [new step.BackendTimeoutError(150), 'BACKEND_TIMEOUT', 504, '150 ms'],
          [new step.ConnectTimeoutError(70), 'CONNECT_TIMEOUT', 504, '70 ms'],
          [new step.BadRequestError('more than one Host header'), 'BAD_REQUEST', 400, 'more than one Host header'],
          [new step.TooManyHeadersError(120, 100), 'TOO_MANY_HEADERS', 431, '120 request headers'],
          [new step.UnsupportedTransferCodingError('gzip, chunked'), 'UNSUPPORTED_TRANSFER_CODING', 501, 'gzip, chunked'],
          [new step.ClientTimeoutError(300), 'CLIENT_TIMEOUT', 408, '300 ms'],
          [new step.UnexpectedUpgradeError(), 'UNEXPECTED_UPGRADE', 502, 'switched protocols'],
        ];
        for (const [err, code, status, detail] of cases) {
          expect(err, say(`${err.constructor.name} should carry code ${code}, status ${status}, and say "${detail}"`, 'errors.ts')).toMatchObject({ code, status, message: expect.stringContaining(detail) });
        }
        expect(new step.NotImplementedError('step9-example', 'TODO 1 of 2 in x.ts: do it'), say('a TODO says which step, what, and which chapter', 'errors.ts')).toMatchObject({
          code: 'NOT_IMPLEMENTED',
          status: 501,
          message: 'NotImplemented: step9 — TODO 1 of 2 in x.ts: do it (see docs/step9-example.md)',
        });
      });

      it('explains a refused request in the thrown error, before anything is sent', () => {
        const message = (headers: string[], version = '1.1') => {
          const inbound = Object.assign(new http.IncomingMessage(new net.Socket()), { httpVersion: version, rawHeaders: headers, headers: Object.fromEntries(headers.flatMap((v, i) => (i % 2 === 0 ? [[v.toLowerCase(), headers[i + 1]]] : []))) });
          try {
            step.checkInbound(inbound);
            return 'accepted';
          } catch (err) {
            return (err as Error).message;
          }
        };
        expect(message(['Host', 'a', 'Host', 'b']), say('two Host headers are refused, and the error says so', 'request-checks.ts')).toMatch(/more than one Host/);
        expect(message(['Host', 'a', 'Transfer-Encoding', 'chunked'], '1.0'), say('Transfer-Encoding in HTTP/1.0 is refused, and the error says so', 'framing.ts')).toMatch(/HTTP\/1\.0/);
        expect(message(['Host', 'a', 'Transfer-Encoding', 'Chunked']), say('chunked is case-insensitive (RFC 9112 §7)', 'framing.ts')).toBe('accepted');
      });

      it('survives an accept error (EMFILE: out of file descriptors) on its server', async () => {
        const backend = await startFakeBackend('backend-1');
        const { lb, http: client } = await startBalancer(step, { backends: [backend.url] });
        const emfile = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' });

        expect(() => lb.server.emit('error', emfile), say("an 'error' on the traffic server must not crash the process: give it a listener", 'server-lifecycle.ts')).not.toThrow();
        await client.get('/').expect(200);
      });

      it('listens on 127.0.0.1 by default and leaves no listener behind on the server', async () => {
        const backend = await startFakeBackend('backend-1');
        const lb = step.createLoadBalancer({ backends: [backend.url] });
        const listeners = lb.server.listenerCount('error');

        const address = await lb.listen();

        expect(address, say('listen() with no arguments should take a free port on 127.0.0.1', 'load-balancer.ts')).toMatchObject({ host: '127.0.0.1', url: `http://127.0.0.1:${address.port}` });
        expect(address.port).toBeGreaterThan(0);
        expect(lb.server.listenerCount('error'), say("listen() should remove the 'error' listener it added once it is listening", 'server-lifecycle.ts')).toBe(listeners);
        await lb.close();
      });

      it('leaves no timer behind after a refused connection', async () => {
        const backend = await startFakeBackend('backend-1');
        await backend.stop();
        const before = openHandles();
        const lb = step.createLoadBalancer({ backends: [backend.url], connectTimeoutMs: 60_000 });
        const { url } = await lb.listen(0, '127.0.0.1');

        await rawRequest(url).catch(() => undefined); // refused: a gateway error, whatever the step
        await lb.close();

        expect(await leakedSince(before), say('a connection that failed must clear its connect timer', 'outbound-request.ts')).toEqual({});
      });

      it('rejects listen() on a port that is taken', async () => {
        const backend = await startFakeBackend('backend-1');
        const lb = step.createLoadBalancer({ backends: [backend.url] });
        const taken = Number(new URL(backend.url).port);

        await expect(lb.listen(taken, '127.0.0.1'), say('listen() must reject when the port is in use', 'server-lifecycle.ts')).rejects.toMatchObject({ code: 'EADDRINUSE' });
        await lb.close();
      });

      it('close() lets a request in flight finish, tells its client Connection: close, closes that connection, and refuses new ones', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave(answer({ delayMs: 200 }));
        const lb = step.createLoadBalancer({ backends: [backend.url], drainTimeoutMs: 5_000 });
        const { url, port } = await lb.listen(0, '127.0.0.1');
        // A keep-alive client: it asks for nothing, so the connection would stay open after the answer.
        const inFlight = rawExchange(url, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n', { halfClose: false });
        await expect.poll(() => backend.requests.length, { message: say('the request should reach the backend', 'proxy.ts') }).toBe(1);

        const started = performance.now();
        const closing = [lb.close(), lb.close()];
        let closed = false;
        void closing[1].then(() => (closed = true));
        const refused = await new Promise<string>((resolve) => net.connect(port, '127.0.0.1').once('connect', () => resolve('accepted')).once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? '')));
        await new Promise((resolve) => setImmediate(resolve));
        expect(closed, say('close() (the second call too) must wait for the request in flight', 'server-lifecycle.ts')).toBe(false);
        const reply = await inFlight; // resolves when the balancer closes the connection
        await Promise.all(closing);

        expect(refused, say('a draining balancer accepts no new connection', 'server-lifecycle.ts')).toBe('ECONNREFUSED');
        expect(reply, say('a request in flight when close() began should be answered in full', 'server-lifecycle.ts')).toMatch(/^HTTP\/1\.1 200/);
        expect(reply, say('…with Connection: close, so the client opens its next connection elsewhere', 'server-lifecycle.ts')).toMatch(/\r\nconnection: close\r\n/i);
        expect(performance.now() - started, say('close() resolves once the last connection is done, well before drainTimeoutMs', 'server-lifecycle.ts')).toBeLessThan(2_000);
      });

      it('close() finishes an answer that had begun as keep-alive, then closes that connection at once', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave(answer({ bodyDelayMs: 300 }));
        const lb = step.createLoadBalancer({ backends: [backend.url], drainTimeoutMs: 5_000 });
        const { port } = await lb.listen(0, '127.0.0.1');
        const socket = net.connect(port, '127.0.0.1');
        onTestFinished(() => void socket.destroy());
        let reply = '';
        socket.on('data', (chunk: Buffer) => (reply += chunk.toString('latin1')));
        socket.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
        await expect.poll(() => reply, { message: say('the answer should begin', 'proxy.ts') }).toMatch(/^HTTP\/1\.1 200/);

        const started = performance.now();
        await lb.close(); // its headers said keep-alive: only closing the connection ends it
        await once(socket, 'close');

        expect(reply, say('the answer that had begun is finished as it began', 'server-lifecycle.ts')).toMatch(/keep-alive[\s\S]*hello from backend-1/i);
        expect(performance.now() - started, say('once its last answer is done, a draining connection closes at once, not at drainTimeoutMs', 'server-lifecycle.ts')).toBeLessThan(2_000);
      });

      it('close() tells an HTTP/1.0 keep-alive client Connection: close too', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave(answer({ delayMs: 200 }));
        const lb = step.createLoadBalancer({ backends: [backend.url], drainTimeoutMs: 5_000 });
        const { url } = await lb.listen(0, '127.0.0.1');
        const reply = rawExchange(url, 'GET /old HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n', { halfClose: false });
        await expect.poll(() => backend.requests.length, { message: say('the request should reach the backend', 'proxy.ts') }).toBe(1);

        await lb.close();

        expect(await reply, say('Node writes Connection from shouldKeepAlive; a header copied from the client (http-proxy does that for HTTP/1.0) must not override it', 'backend-response.ts')).toMatch(/\r\nconnection: close\r\n/i);
      });

      it('close() cuts what is still running at drainTimeoutMs, and leaves nothing behind', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave({ kind: 'hang' });
        const hole = await startBlackHole();
        const before = openHandles();
        const lb = step.createLoadBalancer({ backends: [backend.url], drainTimeoutMs: 100, backendTimeoutMs: 60_000 });
        const { url } = await lb.listen(0, '127.0.0.1');
        const connecting = step.createLoadBalancer({ backends: [hole.url], drainTimeoutMs: 100, connectTimeoutMs: 60_000 });
        const { url: holeUrl } = await connecting.listen(0, '127.0.0.1');
        const stuck = rawRequest(url, { path: '/forever' }).then(() => 'answered', (err: NodeJS.ErrnoException) => err.code ?? err.message);
        const stuckConnecting = rawRequest(holeUrl).then(() => 'answered', (err: NodeJS.ErrnoException) => err.code ?? err.message);
        await expect.poll(() => backend.requests.length, { message: say('the request should reach the backend', 'proxy.ts') }).toBe(1);

        const started = performance.now();
        await Promise.all([lb.close(), connecting.close()]);

        expect(performance.now() - started, say('close() must end at drainTimeoutMs (100 ms here) at the latest', 'server-lifecycle.ts')).toBeLessThan(1_000);
        expect([await stuck, await stuckConnecting], say('requests still running at the deadline are cut', 'server-lifecycle.ts')).toEqual(['ECONNRESET', 'ECONNRESET']);
        expect(await leakedSince(before), say('after the deadline no timer or socket may remain (a connect still under way included)', 'outbound-request.ts')).toEqual({});
      });

      it('close() closes idle keep-alive connections at once, may be called twice, and leaves no socket or timer behind', async () => {
        const backend = await startFakeBackend('backend-1');
        const before = openHandles();
        const lb = step.createLoadBalancer({ backends: [backend.url] });
        const { port } = await lb.listen(0, '127.0.0.1');
        const client = net.connect(port, '127.0.0.1');
        client.on('error', () => {}).resume(); // read and drop the response
        client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'); // then stays open, idle, as browsers do
        await expect.poll(() => backend.requests.length, { message: say('the request should reach the backend', 'proxy.ts') }).toBe(1);
        const clientClosed = new Promise((resolve) => client.once('close', resolve));

        await lb.close();
        await expect(lb.close(), say('a second close() should resolve too', 'load-balancer.ts')).resolves.toBeUndefined();
        await clientClosed;

        // The backend still runs: a keep-alive connection the balancer forgot would still be open.
        // (Its pooled sockets are unref'd, so the handle count alone would not show them.)
        await expect.poll(() => backend.openConnections, { message: say('close() must close the pooled connections to the backends (destroy the keep-alive agent)', 'proxy.ts') }).toBe(0);
        expect(await leakedSince(before), say('after close() no timer, socket or server of the balancer may remain', 'load-balancer.ts')).toEqual({});
      });
    });
  });
}

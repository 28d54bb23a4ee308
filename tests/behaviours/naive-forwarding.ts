import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { expect, it, vi } from 'vitest';
import type { LoadBalancer } from '../../tools/contract.js';
import { startBalancer } from '../helpers/balancer.js';
import { answer, startFakeBackend } from '../helpers/fake-backend.js';
import { because } from '../helpers/learner-messages.js';
import { failOnNotImplemented } from '../helpers/not-implemented.js';
import { rawExchange, rawRequest, requestToAbandon } from '../helpers/raw-http.js';
import { describeBehaviour, type Target } from '../helpers/suite.js';

/** The options every step accepts, as step 1 defines them. */
interface ForwardingOptions {
  backends: readonly string[];
  backendTimeoutMs?: number;
  onRequest?: (entry: { method: string; url: string; backend: string; status: number }) => void;
}

/** What a step's module must export for these checks. */
interface ForwardingModule {
  createLoadBalancer(options: ForwardingOptions): LoadBalancer;
  HOP_BY_HOP_HEADERS: readonly string[];
}

export interface ForwardingExpectations {
  /**
   * Statuses accepted for a backend that refuses connections: 502 in step 1. From step 3 on, a refused
   * backend is retried and failed over, and exhausted failover is 503 — that step's own tests say when.
   */
  refusedStatuses: readonly number[];
}

const say = (behaviour: string) => because('step1', behaviour);

export function naiveForwarding(
  target: Target<ForwardingOptions> & { module: ForwardingModule },
  expectations: ForwardingExpectations = { refusedStatuses: [502] },
): void {
  const { module: step } = target;

  describeBehaviour('step1', 'naive forwarding', target, () => {
    it.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])('forwards a %s with its raw path, query and headers', async (method) => {
      const backend = await startFakeBackend('backend-1');
      const { url } = await startBalancer(step, { backends: [backend.url] });
      const path = '/a//b/%7Euser/./c?x=1&y=%20&x=2';

      const res = await rawRequest(url, { method, path, headers: { 'x-custom': 'kept', 'user-agent': 'test' } });

      expect(res.status, say(`a ${method} should reach the backend and come back with its status`)).toBe(200);
      expect(backend.requests, say('the backend should receive exactly one request')).toHaveLength(1);
      const [seen] = backend.requests;
      expect(seen.method, say('the method must reach the backend unchanged')).toBe(method);
      expect(seen.url, say('the path and query must reach the backend byte for byte (http-proxy rewrites them unless you pass inbound.url on)')).toBe(path);
      expect(seen.headers['x-custom'], say('end-to-end headers must reach the backend')).toBe('kept');
    });

    it('forwards a binary request body unchanged', async () => {
      const backend = await startFakeBackend('backend-1');
      const { url } = await startBalancer(step, { backends: [backend.url] });
      const body = Buffer.concat([Buffer.from([0, 255, 0, 13, 10]), randomBytes(64 * 1024)]);

      const res = await rawRequest(url, { method: 'POST', path: '/upload', headers: { 'content-type': 'application/octet-stream' }, body });

      expect(res.status, say('a POST should reach the backend and come back with its status')).toBe(200);
      expect(backend.requests[0]?.body.equals(body), say('the backend should receive the request body unchanged')).toBe(true);
    });

    it('forwards a request that expects 100-continue like any other', async () => {
      const backend = await startFakeBackend('backend-1');
      const { url } = await startBalancer(step, { backends: [backend.url] });

      const res = await rawRequest(url, { method: 'PUT', path: '/a//b', headers: { expect: '100-continue' }, body: 'payload' });

      expect(res.status, say('an upload with Expect: 100-continue should reach the backend')).toBe(200);
      const [seen] = backend.requests;
      expect(seen?.url, say('the raw path must survive an Expect: 100-continue request too')).toBe('/a//b');
      expect(seen?.headers['x-forwarded-for'], say('X-Forwarded-For must be added to an Expect: 100-continue request too')).toBe('127.0.0.1');
      expect(seen?.body.toString()).toBe('payload');
    });

    it('streams a large request body instead of buffering it', async () => {
      const backend = await startFakeBackend('backend-1');
      const { url } = await startBalancer(step, { backends: [backend.url] });
      const first = randomBytes(2 * 1024 * 1024); // more than any sensible retry buffer (step 3 keeps up to 1 MiB)
      const rest = randomBytes(8 * 1024 * 1024);
      const { hostname, port } = new URL(url);
      const req = http.request({ hostname, port, method: 'POST', path: '/big', agent: false });
      const response = new Promise<http.IncomingMessage>((resolve, reject) => req.on('response', resolve).on('error', reject));

      req.write(first);
      // A buffering proxy would wait for the whole body; a streaming one passes the first MiB on now.
      const bytesArrive = expect
        .poll(() => backend.bytesReceived, { timeout: 2_000, message: say('the backend should see body bytes before the client has sent them all (stream, do not buffer a large body)') })
        .toBeGreaterThan(0);
      // An answer before the body was passed on (a starter's 501, say) fails the test at once.
      const answeredEarly = response.then(async (res) => {
        const text = (await res.toArray()).join('');
        failOnNotImplemented(res.statusCode ?? 0, text);
        throw new Error(say(`the balancer answered ${res.statusCode} before passing the body on`));
      });
      answeredEarly.catch(() => {}); // it only matters when it wins the race below
      await Promise.race([bytesArrive, answeredEarly]);
      req.end(rest);

      expect((await response).statusCode).toBe(200);
      expect(backend.requests[0]?.body.equals(Buffer.concat([first, rest])), say('a multi-MiB body should arrive complete and in order')).toBe(true);
    });

    it('relays status, headers (several Set-Cookie lines too) and body back unchanged', async () => {
      const backend = await startFakeBackend('backend-1');
      const payload = randomBytes(3 * 1024 * 1024);
      backend.behave(answer({ status: 201, headers: { 'set-cookie': ['a=1; Path=/', 'b=2; HttpOnly'], 'x-reply': 'yes' }, body: payload }));
      const { url } = await startBalancer(step, { backends: [backend.url] });

      const res = await rawRequest(url, { path: '/' });

      expect(res.status, say('the client should get the backend\'s status')).toBe(201);
      expect(res.headers['set-cookie'], say('every Set-Cookie line must reach the client')).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
      expect(res.headers['x-reply'], say('response headers must reach the client')).toBe('yes');
      expect(res.body.equals(payload), say('the response body must reach the client unchanged')).toBe(true);
    });

    it('adds X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host', async () => {
      const backend = await startFakeBackend('backend-1');
      const { url } = await startBalancer(step, { backends: [backend.url] });

      const res = await rawRequest(url, { headers: { host: 'shop.example' } });
      expect(res.status, say('the request should reach the backend')).toBe(200);

      const { headers } = backend.requests[0] ?? { headers: {} };
      expect(headers['x-forwarded-for'], say('X-Forwarded-For should carry the client address')).toBe('127.0.0.1');
      expect(headers['x-forwarded-proto'], say('X-Forwarded-Proto should say how the client reached the balancer')).toBe('http');
      expect(headers['x-forwarded-host'], say('X-Forwarded-Host should carry the Host the client asked for')).toBe('shop.example');
    });

    it('appends to an existing X-Forwarded-For and overwrites a claimed X-Forwarded-Proto', async () => {
      const backend = await startFakeBackend('backend-1');
      const { url } = await startBalancer(step, { backends: [backend.url] });

      const res = await rawRequest(url, { headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' } });
      expect(res.status, say('the request should reach the backend')).toBe(200);

      const { headers } = backend.requests[0] ?? { headers: {} };
      expect(headers['x-forwarded-for'], say('append the client address to an existing X-Forwarded-For: "earlier, client"')).toBe('203.0.113.7, 127.0.0.1');
      expect(headers['x-forwarded-proto'], say('X-Forwarded-Proto describes this hop; do not trust what the client claims')).toBe('http');
    });

    it('removes hop-by-hop headers in both directions', async () => {
      const backend = await startFakeBackend('backend-1');
      backend.behave(answer({ headers: { connection: 'keep-alive, x-backend-hop', 'x-backend-hop': '1', 'proxy-authenticate': 'Basic' } }));
      const { url } = await startBalancer(step, { backends: [backend.url] });

      const res = await rawRequest(url, {
        headers: { connection: 'keep-alive, x-client-hop', 'x-client-hop': '1', 'keep-alive': 'timeout=5', 'proxy-authorization': 'secret', te: 'trailers' },
      });

      expect(res.status, say('the request should reach the backend')).toBe(200);
      const { headers } = backend.requests[0] ?? { headers: {} };
      for (const name of [...step.HOP_BY_HOP_HEADERS.filter((h) => h !== 'connection'), 'x-client-hop']) {
        expect(headers[name], say(`the backend must not receive the hop-by-hop header ${name}`)).toBeUndefined();
      }
      expect(res.headers['x-backend-hop'], say('headers named in the backend\'s Connection header must not reach the client')).toBeUndefined();
      expect(res.headers['proxy-authenticate'], say('Proxy-Authenticate is hop-by-hop and must not reach the client')).toBeUndefined();
    });

    it('reuses upstream connections (keep-alive) across requests', async () => {
      const backend = await startFakeBackend('backend-1');
      const { http: client } = await startBalancer(step, { backends: [backend.url] });

      for (let i = 0; i < 5; i += 1) await client.get('/').expect(200);

      expect(backend.connections, say('five sequential requests should share one upstream connection (use a keep-alive agent)')).toBe(1);
    });

    it(`answers ${expectations.refusedStatuses.join(' or ')} quickly when the backend refuses connections, and keeps serving`, async () => {
      const backend = await startFakeBackend('backend-1');
      await backend.stop();
      const { http: client } = await startBalancer(step, { backends: [backend.url] });

      const started = performance.now();
      const first = await client.get('/');
      expect(expectations.refusedStatuses, say(`a refused connection must give the client a gateway error, not a crash or a hang (got ${first.status})`)).toContain(first.status);
      expect(performance.now() - started, say('the gateway error should come within a second')).toBeLessThan(1_000);
      expect(first.headers['content-type'], say('the error body should be short plain text')).toMatch(/^text\/plain/);
      expect(first.text.length).toBeLessThan(200);

      const second = await client.get('/');
      expect(expectations.refusedStatuses, say(`the balancer must keep serving after a failed request (handle http-proxy's "error" event; got ${second.status})`)).toContain(second.status);
    });

    it('answers 504 when the backend stays silent longer than backendTimeoutMs', async () => {
      const backend = await startFakeBackend('backend-1');
      backend.behave({ kind: 'hang' });
      const { http: client } = await startBalancer(step, { backends: [backend.url], backendTimeoutMs: 100 });

      const res = await client.get('/slow');

      expect(res.status, say('a backend that never answers should give the client 504 Gateway Timeout')).toBe(504);
    });

    it('cuts the client connection when the backend dies mid-body, and keeps serving', async () => {
      const backend = await startFakeBackend('backend-1');
      backend.queue({ kind: 'die-mid-body' });
      const { url, http: client } = await startBalancer(step, { backends: [backend.url] });

      await expect(rawRequest(url), say('a half-sent response must end in a reset connection, not a hang')).rejects.toMatchObject({ code: 'ECONNRESET' });
      await client.get('/').expect(200);
    });

    it('survives a client that disconnects before the backend answers', async () => {
      const backend = await startFakeBackend('backend-1');
      backend.queue(answer({ delayMs: 50 }));
      const { url, http: client } = await startBalancer(step, { backends: [backend.url] });

      const req = requestToAbandon(url, '/');
      await expect.poll(() => backend.requests.length, { message: say('the request should reach the backend') }).toBe(1);
      req.destroy();

      await client.get('/').expect(200);
    });

    it('answers 400 to a malformed request and 431 to oversized headers, and keeps serving', async () => {
      const backend = await startFakeBackend('backend-1');
      const { url, http: client } = await startBalancer(step, { backends: [backend.url] });

      expect(await rawExchange(url, 'GET / HTTP/1.1\r\nthis is not a header\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
      expect(await rawExchange(url, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431/);
      await client.get('/').expect(200);
      expect(backend.requests, say('malformed requests must never reach a backend')).toHaveLength(1);
    });

    it('reports each finished request to onRequest (method, url, backend, status)', async () => {
      const backend = await startFakeBackend('backend-1');
      const onRequest = vi.fn();
      const { http: client } = await startBalancer(step, { backends: [backend.url], onRequest });

      await client.get('/logged?x=1').expect(200);

      await expect.poll(() => onRequest.mock.calls.length, { message: say('onRequest should be called once the response is done') }).toBe(1);
      expect(onRequest.mock.calls[0]?.[0]).toMatchObject({ method: 'GET', url: '/logged?x=1', backend: backend.url, status: 200 });
    });

    it('rejects options it cannot work with at construction', () => {
      expect(() => step.createLoadBalancer({ backends: [] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
      expect(() => step.createLoadBalancer({ backends: ['not a url'] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    });
  });
}

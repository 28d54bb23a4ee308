import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { expect, it, onTestFinished, vi } from 'vitest';
import { findStep } from '../../tools/shared/curriculum.js';
import { startBalancer } from '../helpers/balancer.js';
import { answer, startFakeBackend } from '../helpers/fake-backend.js';
import { implRoot } from '../helpers/impl-root.js';
import { messagesFor } from '../helpers/learner-messages.js';
import { rawExchange, rawRequest } from '../helpers/raw-http.js';
import { describeBehaviour, type Target } from '../helpers/suite.js';

type Body = { kind: 'buffered'; bytes: Buffer; framing: { kind: 'none' } | { kind: 'length'; length: number } } | { kind: 'streamed'; stream: PassThrough; framing: { kind: 'chunked' } | { kind: 'length'; length: number } };

/** The step 7 exports these checks need (described by shape, so later steps fit too). */
interface EngineModule {
  createLoadBalancer(options: { backends: readonly string[]; maxRetries?: number; maxAttempts?: number; retryDelayMs?: number; onRequest?: (entry: { status: number; tries: number }) => void }): import('../../tools/shared/contract.js').LoadBalancer;
  outboundRequest(inbound: http.IncomingMessage, body: Body): { method: string; path: string; headers: Record<string, string | string[] | undefined>; body: unknown };
  asOurs(err: Error): Error & { code?: string };
  failureKind(err: Error): string;
  BackendTimeoutError: new (timeoutMs: number) => Error & { code: string };
}

/** An inbound request as outboundRequest sees it, without a server. */
function inbound(method: string, url: string, headers: http.IncomingHttpHeaders, remoteAddress = '198.51.100.2'): http.IncomingMessage {
  return { method, url, headers, socket: { remoteAddress } } as unknown as http.IncomingMessage;
}

/** A backend that answers each request with its own method, target and body, so answers cannot be mixed up unseen. */
async function startEchoBackend(): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => res.end(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`));
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, connections: () => connections };
}

export function fastEngine(target: Target<unknown> & { module: EngineModule }): void {
  const step = target.module;
  const say = messagesFor('step7', target);
  const folder = findStep(target.id)?.folder ?? target.id;

  describeBehaviour('step7', 'a faster engine', target, () => {
    it('builds the request for undici from our own parts: no hop-by-hop header, our framing, X-Forwarded-*, the target as sent', () => {
      const headers = {
        host: 'shop.example',
        connection: 'keep-alive, x-secret',
        'x-secret': 'for this hop only',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        upgrade: 'h2c',
        'proxy-connection': 'keep-alive',
        expect: '100-continue',
        'content-length': '999',
        'x-forwarded-for': '203.0.113.7',
        'x-forwarded-proto': 'https',
        accept: 'text/plain',
      };
      const request = step.outboundRequest(inbound('PUT', '/a//b?x=%7e', headers), { kind: 'buffered', bytes: Buffer.from('abc'), framing: { kind: 'length', length: 3 } });
      expect(request.method, say('the method goes out as the client sent it', 'outbound-request.ts')).toBe('PUT');
      expect(request.path, say('the target goes out exactly as the client sent it', 'outbound-request.ts')).toBe('/a//b?x=%7e');
      expect(request.headers, say('only end-to-end headers go out, with a Content-Length of our own and X-Forwarded-* (undici refuses Expect, Upgrade, Keep-Alive and Transfer-Encoding)', 'outbound-request.ts')).toEqual({
        host: 'shop.example',
        accept: 'text/plain',
        'content-length': '3',
        'x-forwarded-for': '203.0.113.7, 198.51.100.2',
        'x-forwarded-proto': 'http',
        'x-forwarded-host': 'shop.example',
      });
      expect(request.body, say('a buffered body goes out as its bytes', 'outbound-request.ts')).toEqual(Buffer.from('abc'));
      expect(headers['x-forwarded-for'], say("the client's headers are copied, not edited: a retry builds the same request again", 'outbound-request.ts')).toBe('203.0.113.7');
    });

    it('frames a streamed body by its length, or in chunks of undici’s making; a request without a body has none', () => {
      const stream = new PassThrough();
      const chunked = step.outboundRequest(inbound('POST', '/up', { host: 'h', 'transfer-encoding': 'chunked' }), { kind: 'streamed', stream, framing: { kind: 'chunked' } });
      expect([chunked.headers['transfer-encoding'], chunked.headers['content-length']], say('a chunked upload goes out with neither header: undici chunks a stream of unknown length itself', 'outbound-request.ts')).toEqual([undefined, undefined]);
      expect(chunked.body, say('a streamed body is handed over as the stream', 'outbound-request.ts')).toBe(stream);
      const long = step.outboundRequest(inbound('POST', '/up', { host: 'h', 'content-length': '5000000' }), { kind: 'streamed', stream, framing: { kind: 'length', length: 5_000_000 } });
      expect(long.headers['content-length'], say('a streamed body with a length keeps that length', 'outbound-request.ts')).toBe('5000000');
      const none = step.outboundRequest(inbound('GET', '/', { host: 'h' }, '192.0.2.1'), { kind: 'buffered', bytes: Buffer.alloc(0), framing: { kind: 'none' } });
      expect([none.body, none.headers['content-length'], none.headers['x-forwarded-for']], say('a GET without a body sends no body and no Content-Length', 'outbound-request.ts')).toEqual([null, undefined, '192.0.2.1']);
      const bare = step.outboundRequest(inbound('GET', '/', {}), { kind: 'buffered', bytes: Buffer.alloc(0), framing: { kind: 'none' } });
      expect('x-forwarded-host' in bare.headers, say('an HTTP/1.0 request without Host gets no X-Forwarded-Host', 'forwarded-headers.ts')).toBe(false);
    });

    it('keeps a pool of keep-alive connections per backend: 20 requests in a row share one connection', async () => {
      const backend = await startEchoBackend();
      const { url } = await startBalancer(step, { backends: [backend.url] });
      for (let i = 0; i < 20; i += 1) {
        expect((await rawRequest(url, { path: `/n${i}` })).body.toString(), say('each request gets its own answer', 'proxy.ts')).toBe(`GET /n${i} `);
      }
      expect(backend.connections(), say('the engine reuses its connection to the backend: an idle one is taken before a new one is opened', 'upstream-pool.ts')).toBe(1);
    });

    it('is built on undici, not http-proxy', () => {
      const dir = path.join(implRoot(), folder);
      const sources = readdirSync(dir).filter((file) => file.endsWith('.ts')).map((file) => readFileSync(path.join(dir, file), 'utf8'));
      expect(sources.some((source) => /from 'http-proxy'/.test(source)), say('no file of the step imports http-proxy any more', 'proxy.ts')).toBe(false);
      expect(sources.some((source) => /from 'undici'/.test(source)), say('the connections to the backends are undici Clients', 'upstream-pool.ts')).toBe(true);
    });

    it('relays 60 requests in flight at once, each answer to its own client, status, headers and body', async () => {
      const backend = await startEchoBackend();
      const { url } = await startBalancer(step, { backends: [backend.url] });
      const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => rawRequest(url, { method: 'POST', path: `/r${i}`, body: `body-${i}` })));
      expect(
        answers.map((res) => res.body.toString()),
        say('every client gets exactly the answer to its own request', 'response-relay.ts'),
      ).toEqual(Array.from({ length: 60 }, (_, i) => `POST /r${i} body-${i}`));
      expect(answers.every((res) => res.status === 200), say('with the status the backend sent', 'response-relay.ts')).toBe(true);
    });

    it('refuses OPTIONS * (undici sends origin-form targets only) with 501, and blames no backend', async () => {
      const backend = await startFakeBackend('backend-1');
      const { url, lb } = await startBalancer(step, { backends: [backend.url], passiveHealth: { maxFails: 1 } } as never);
      const reply = await rawExchange(url, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { halfClose: false });
      expect(reply, say('OPTIONS * is answered 501: the engine cannot send it', 'load-balancer.ts')).toMatch(/^HTTP\/1\.1 501/);
      expect(backend.requests, say('nothing reaches the backend', 'load-balancer.ts')).toHaveLength(0);
      const status = (lb as unknown as { health: { status(): { consecutiveFails: number; available: boolean }[] } }).health.status()[0];
      expect(status, say("a request we cannot forward is refused before any backend is tried", 'load-balancer.ts')).toMatchObject({ consecutiveFails: 0, available: true });
    });

    it("relays a backend's answer whose reason phrase Node cannot send, and drops what a second Connection line names", async () => {
      const server = net.createServer((socket) => {
        socket.on('error', () => {});
        socket.once('data', () =>
          socket.end(
            Buffer.from('HTTP/1.1 200 \u00c7a va \u2713\r\nConnection: keep-alive\r\nConnection: x-internal\r\nX-Internal: secret\r\nX-Kept: yes\r\nContent-Length: 2\r\n\r\nok', 'utf8'),
          ),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
      const { url } = await startBalancer(step, { backends: [`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`], maxRetries: 0, maxAttempts: 1 });
      const res = await rawRequest(url, { path: '/phrase' });
      expect([res.status, res.body.toString()], say('an odd reason phrase is no reason to fail the answer: Node writes its own', 'response-relay.ts')).toEqual([200, 'ok']);
      expect([res.headers['x-internal'], res.headers['x-kept']], say('a header named by any Connection line stays on the backend hop', 'response-relay.ts')).toEqual([undefined, 'yes']);
    });

    it('relays the status line and headers as the backend sent them, minus its hop-by-hop headers', async () => {
      const backend = await startFakeBackend('backend-1');
      backend.behave(answer({ status: 203, headers: { 'set-cookie': ['a=1', 'b=2'], 'x-kept': 'yes', connection: 'x-private', 'x-private': 'no', 'keep-alive': 'timeout=99' }, body: 'relayed' }));
      const { url } = await startBalancer(step, { backends: [backend.url] });
      const res = await rawRequest(url, { path: '/h' });
      expect([res.status, res.body.toString()], say('status and body as the backend sent them', 'response-relay.ts')).toEqual([203, 'relayed']);
      expect([res.headers['set-cookie'], res.headers['x-kept']], say('end-to-end headers pass, a repeated Set-Cookie as two', 'response-relay.ts')).toEqual([['a=1', 'b=2'], 'yes']);
      expect([res.headers['x-private'], res.headers['keep-alive']], say("the backend's hop-by-hop headers stay on its hop", 'response-relay.ts')).toEqual([undefined, undefined]);
    });

    it('passes backpressure on: a client that does not read makes the backend wait, instead of the balancer buffering the answer', async () => {
      const total = 64 * 1024 * 1024;
      let written = 0;
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let dropped = false;
      const server = http.createServer((_req, res) => {
        res.once('close', () => (dropped = !res.writableFinished));
        // Bounded: 64 MB at most, far more than all the socket buffers between here and the client.
        const pump = () => {
          while (written < total) {
            written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      onTestFinished(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
      const { url } = await startBalancer(step, { backends: [`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`] });

      const client = net.connect(Number(new URL(url).port), '127.0.0.1');
      onTestFinished(() => void client.destroy());
      client.pause(); // reads nothing: the answer backs up
      client.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
      await expect.poll(() => written > 0, { message: say('the request should reach the backend', 'proxy.ts') }).toBe(true);
      // The backend writes until every buffer on the way is full, then waits. Poll until it has stopped.
      let last = -1;
      let still = 0;
      await expect
        .poll(
          () => {
            still = written === last && written > 0 ? still + 1 : 0;
            last = written;
            return still >= 3 || written === total;
          },
          { interval: 50, timeout: 4_000 },
        )
        .toBe(true);
      expect(dropped, say("a full client socket is no reason to drop the backend's answer: pause undici while res.write returns false", 'response-relay.ts')).toBe(false);
      expect(written, say('a client that reads nothing must make the backend wait: pause undici while res.write returns false', 'response-relay.ts')).toBeLessThan(total);

      let received = 0;
      client.on('data', (data: Buffer) => (received += data.length));
      client.resume();
      await expect.poll(() => written, { timeout: 4_000, message: say('once the client reads, the backend may write again (resume undici on drain)', 'response-relay.ts') }).toBe(total);
      await expect.poll(() => received, { timeout: 4_000, message: say('and every byte reaches the client', 'response-relay.ts') }).toBeGreaterThan(total);
    });

    it("says undici's errors in the retry policy's words", () => {
      const closed = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
      expect(step.failureKind(step.asOurs(closed)), say('a connection the backend closed before any answer may have carried the request: a reset (retried only if idempotent)', 'response-relay.ts')).toBe('reset');
      const upgrade = Object.assign(new Error('bad upgrade'), { code: 'UND_ERR_SOCKET' });
      expect(step.asOurs(upgrade).code, say('a 101 nobody asked for is the backend failing (UNEXPECTED_UPGRADE)', 'response-relay.ts')).toBe('UNEXPECTED_UPGRADE');
      const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      expect(step.asOurs(refused), say("the system's errors pass as they are", 'response-relay.ts')).toBe(refused);
      const ours = new step.BackendTimeoutError(100);
      expect(step.asOurs(ours), say('and so do our own', 'response-relay.ts')).toBe(ours);
      const stray = Object.assign(new Error('bad response'), { code: 'UND_ERR_SOCKET' });
      expect(step.failureKind(step.asOurs(stray)), say('a malformed answer (a stray 100) is the backend failing, not a broken connection: not retried', 'response-relay.ts')).toBe('other');
      const unsendable = Object.assign(new Error('invalid upgrade header'), { code: 'UND_ERR_INVALID_ARG' });
      expect([step.asOurs(unsendable).code, (step.asOurs(unsendable) as Error & { status?: number }).status], say('a request undici will not send is ours to refuse (501), not a backend failure', 'response-relay.ts')).toEqual(['NOT_FORWARDABLE', 501]);
    });

    it('a backend that closes the connection without an answer: a GET is tried again, a POST is answered 502 and never resent', async () => {
      // Every first request on a connection is read and then the connection is closed (FIN, no answer);
      // the second one is answered. undici calls that "other side closed".
      const seen: string[] = [];
      const server = net.createServer((socket) => {
        socket.on('data', (chunk: Buffer) => {
          const line = chunk.toString().split('\r\n')[0];
          if (!line.includes('HTTP/1.1')) return; // a body arriving after its headers
          seen.push(line);
          if (seen.length % 2 === 1) socket.end();
          else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\nsecond time lucky');
        });
        socket.on('error', () => {});
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
      const backendUrl = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      const onRequest = vi.fn<(entry: { status: number; tries: number }) => void>();
      const { url } = await startBalancer(step, { backends: [backendUrl], maxRetries: 1, maxAttempts: 1, retryDelayMs: 0, onRequest });

      expect((await rawRequest(url, { path: '/get' })).body.toString(), say('a GET whose connection closed before any answer is sent again', 'response-relay.ts')).toBe('second time lucky');
      expect((await rawRequest(url, { method: 'POST', path: '/post', body: 'pay' })).status, say('a POST whose connection closed before any answer gets 502', 'response-relay.ts')).toBe(502);
      expect(seen.filter((line) => line.startsWith('POST')), say('and reaches the backend once', 'response-relay.ts')).toHaveLength(1);
      await expect.poll(() => onRequest.mock.calls.map(([entry]) => [entry.status, entry.tries])).toEqual([
        [200, 2],
        [502, 1],
      ]);
    });
  });
}

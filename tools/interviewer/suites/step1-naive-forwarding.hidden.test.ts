/**
 * Hidden interviewer checks for step 1 (naive forwarding). They pin down what the visible suite
 * leaves open: how a header that comes on several lines is forwarded, how bodiless answers (HEAD,
 * 204, 304) and an HTTP/1.0 client are framed, what a backend answer that cannot be framed gets, and
 * listen()/close() called out of order. Expected values come from RFC 9110 / RFC 9112 and
 * docs/step1-naive-forwarding.md, never from the code under test.
 */
import * as step1 from '@impl/step1-naive-forwarding/index.js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startBalancer } from '../../../tests/helpers/balancer.js';
import { answer, startFakeBackend } from '../../../tests/helpers/fake-backend.js';
import { openHandles } from '../../../tests/helpers/leaks.js';
import { rawExchange, rawRequest } from '../../../tests/helpers/raw-http.js';
import { leftBehind, parts, responses, startRawBackend, until, watchTimers } from './support.js';

const FOLDER = 'step1-naive-forwarding';
const SUITE = 'tools/interviewer/suites/step1-naive-forwarding.hidden.test.ts';
/** `behaviour — look at <folder>/<file> (hidden check in <suite>)` */
const say = (behaviour: string, file: string) => `step1 hidden: ${behaviour} — look at ${FOLDER}/${file} (${SUITE})`;

describe('step1 hidden: what is forwarded, and how it is framed', () => {
  it('[framing] combines X-Forwarded-For lines in their order and appends the client once, on one line', async () => {
    const backend = await startFakeBackend('backend-1');
    const { url } = await startBalancer(step1, { backends: [backend.url] });

    // RFC 9110 §5.3: several lines of a list field mean the same as one line, values in order.
    const reply = await rawExchange(url, 'GET /xff HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.7\r\nX-Forwarded-For: 198.51.100.2\r\nConnection: close\r\n\r\n', { halfClose: false });

    expect(reply, say('the request should be forwarded and answered', 'proxy.ts')).toMatch(/^HTTP\/1\.1 200/);
    const seen = backend.requests[0];
    expect(seen?.headers['x-forwarded-for'], say('both earlier hops, in order, then the client address: "203.0.113.7, 198.51.100.2, 127.0.0.1"', 'forwarded-headers.ts')).toBe('203.0.113.7, 198.51.100.2, 127.0.0.1');
    const lines = (seen?.rawHeaders ?? []).filter((_, i) => i % 2 === 0).filter((name) => name.toLowerCase() === 'x-forwarded-for');
    expect(lines, say('X-Forwarded-For must reach the backend as one line (set it, do not add a line per hop)', 'forwarded-headers.ts')).toHaveLength(1);
  });

  it('[framing] strips every header a Connection header names, in any case and on any of several Connection lines', async () => {
    const backend = await startFakeBackend('backend-1');
    const { url } = await startBalancer(step1, { backends: [backend.url] });

    // RFC 9110 §7.6.1: connection options are case-insensitive; RFC 9110 §5.3: two Connection lines are one list.
    const reply = await rawExchange(
      url,
      'GET /hop HTTP/1.1\r\nHost: x\r\nConnection: X-Hop-A\r\nConnection: x-hop-b ,  close\r\nX-Hop-A: 1\r\nx-HOP-b: 2\r\nX-End-To-End: kept\r\n\r\n',
      { halfClose: false },
    );

    expect(reply, say('the request should be forwarded and answered', 'proxy.ts')).toMatch(/^HTTP\/1\.1 200/);
    const { headers } = backend.requests[0] ?? { headers: {} };
    expect([headers['x-hop-a'], headers['x-hop-b']], say('a header named by the first or the second Connection line (X-Hop-A, x-hop-b) is for this hop only', 'hop-by-hop.ts')).toEqual([undefined, undefined]);
    expect(headers['x-end-to-end'], say('a header no Connection line names must still arrive', 'hop-by-hop.ts')).toBe('kept');
  });

  it("[framing] relays a HEAD answer's Content-Length unchanged, sends no body, and serves the next request on the same connection", async () => {
    const backend = await startFakeBackend('backend-1');
    // RFC 9110 §9.3.2 and §8.6: a HEAD answer carries the Content-Length a GET would have, and no body.
    backend.behaveAt('/report', answer({ headers: { 'content-length': 1234 } }));
    const { url } = await startBalancer(step1, { backends: [backend.url] });

    const reply = await rawExchange(url, 'HEAD /report HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { halfClose: false });

    const [head, next] = responses(reply);
    expect(parts(head ?? '').head, say('the HEAD answer keeps the Content-Length the backend sent (1234)', 'backend-response.ts')).toMatch(/\r\ncontent-length: 1234(\r\n|$)/i);
    expect(parts(head ?? '').raw, say('not a byte may follow a HEAD answer, whatever its Content-Length says', 'proxy.ts')).toBe('');
    expect(next, say('the next request on the connection is answered (a balancer waiting for 1234 body bytes would hang here)', 'proxy.ts')).toMatch(/^HTTP\/1\.1 200/);
    expect(parts(next ?? '').body, say('…with its own body', 'proxy.ts')).toBe('hello from backend-1');
  });

  it('[framing] relays 204 and 304 answers without a body or framing headers, and keeps the connection usable', async () => {
    const backend = await startFakeBackend('backend-1');
    backend.behaveAt('/unchanged', answer({ status: 304, headers: { etag: '"v1"' } }));
    backend.behaveAt('/deleted', answer({ status: 204 }));
    const { url } = await startBalancer(step1, { backends: [backend.url] });

    const reply = await rawExchange(
      url,
      'GET /unchanged HTTP/1.1\r\nHost: x\r\nIf-None-Match: "v1"\r\n\r\nDELETE /deleted HTTP/1.1\r\nHost: x\r\n\r\nGET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      { halfClose: false },
    );

    const [unchanged, deleted, last] = responses(reply).map(parts);
    expect(unchanged?.head, say('the 304 is relayed with its validator (ETag)', 'proxy.ts')).toMatch(/^HTTP\/1\.1 304[\s\S]*\r\netag: "v1"/i);
    expect(deleted?.head, say('the 204 is relayed', 'proxy.ts')).toMatch(/^HTTP\/1\.1 204/);
    // RFC 9110 §15.3.5 and §15.4.5: neither has content; RFC 9112 §6.1: a 204 has no Transfer-Encoding.
    expect([unchanged?.raw, deleted?.raw], say('a 304 and a 204 end at their headers: no body, not even a chunked terminator', 'backend-response.ts')).toEqual(['', '']);
    expect([unchanged?.head, deleted?.head].filter((head) => /transfer-encoding/i.test(head ?? '')), say('a 304 or a 204 must not be framed with Transfer-Encoding', 'backend-response.ts')).toEqual([]);
    expect(last?.body, say('the request after them is answered on the same connection', 'proxy.ts')).toBe('hello from backend-1');
  });

  it('[framing] re-frames a chunked answer for an HTTP/1.0 client: no Transfer-Encoding, the body intact, the connection closed to end it', async () => {
    const backend = await startFakeBackend('backend-1');
    // Headers first, the body later: Node sends this answer to the balancer chunked.
    backend.behaveAt('/stream', answer({ body: 'streamed body', bodyDelayMs: 20 }));
    const { url } = await startBalancer(step1, { backends: [backend.url] });

    const reply = await rawExchange(url, 'GET /stream HTTP/1.0\r\nHost: x\r\n\r\n', { halfClose: false });

    const { head, body } = parts(reply);
    expect(head, say('the answer should be relayed', 'proxy.ts')).toMatch(/^HTTP\/1\.[01] 200/);
    // RFC 9112 §6.1: Transfer-Encoding is hop-by-hop, and never sent to a client that did not say HTTP/1.1.
    expect(head, say('an HTTP/1.0 client cannot read chunked framing: strip Transfer-Encoding and let Node frame the answer', 'hop-by-hop.ts')).not.toMatch(/transfer-encoding/i);
    expect(body, say('the body reaches the HTTP/1.0 client as plain bytes, without chunk sizes', 'backend-response.ts')).toBe('streamed body');
  });

  it('[failure-handling] answers 502 to a backend answer it cannot frame — not HTTP, Content-Length with Transfer-Encoding, or no answer at all — and keeps serving', async () => {
    const { url: garbage } = await startRawBackend('SMTP READY\r\n\r\n');
    // RFC 9112 §6.3: both framing headers in one message is a smuggling signature; it must never be passed on as it is.
    const { url: ambiguous } = await startRawBackend('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\n');
    const { url: silent } = await startRawBackend(null); // reads the request, then closes without a word
    const healthy = await startFakeBackend('backend-1');

    for (const [name, backendUrl] of [['not HTTP', garbage], ['Content-Length with Transfer-Encoding', ambiguous], ['closed without an answer', silent]] as const) {
      const { url } = await startBalancer(step1, { backends: [backendUrl] });
      const res = await rawRequest(url, { path: '/broken' });
      expect(res.status, say(`a backend answer that is "${name}" is an invalid answer from upstream: 502 (RFC 9110 §15.6.3)`, 'error-response.ts')).toBe(502);
      expect(res.body.toString(), say(`the client never sees the bytes of a "${name}" answer`, 'error-response.ts')).not.toMatch(/SMTP|0123456789/);
    }
    const { url } = await startBalancer(step1, { backends: [healthy.url] });
    expect((await rawRequest(url, { path: '/after' })).status, say('the process goes on serving after broken backends', 'proxy.ts')).toBe(200);
  });

  it('[lifecycle] close() before listen() resolves; a second listen() is refused while the first keeps serving; close() twice leaves nothing behind', async () => {
    const backend = await startFakeBackend('backend-1');
    const before = openHandles();
    const timers = watchTimers();

    const neverListened = step1.createLoadBalancer({ backends: [backend.url] });
    await expect(neverListened.close(), say('close() on a balancer that never listened should resolve, not hang or throw', 'load-balancer.ts')).resolves.toBeUndefined();

    const lb = step1.createLoadBalancer({ backends: [backend.url], drainTimeoutMs: 500 });
    onTestFinished(() => lb.close()); // also when a check fails halfway
    const { url } = await lb.listen(0, '127.0.0.1');
    await expect(lb.listen(0, '127.0.0.1'), say('a second listen() on a listening balancer should reject', 'server-lifecycle.ts')).rejects.toThrow();
    expect((await rawRequest(url, { path: '/still' })).status, say('a refused second listen() must not stop the first one', 'server-lifecycle.ts')).toBe(200);

    await lb.close();
    await expect(lb.close(), say('a second close() should resolve too', 'load-balancer.ts')).resolves.toBeUndefined();
    await until(() => backend.openConnections === 0, say('close() closes the pooled connections to the backend (destroy the keep-alive agent)', 'proxy.ts'));
    expect(await leftBehind(before, timers), say('after close() no timer, socket or server of the balancer may remain', 'load-balancer.ts')).toEqual({ timers: [], sockets: 0, servers: 0 });
  });
});

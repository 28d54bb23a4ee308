/**
 * Hidden interviewer checks for step 7 (a faster engine). Step 7 rewrites the relay of answers by
 * hand on undici, so these check what http-proxy and Node used to get right for free: the framing of
 * bodiless answers (HEAD, 204, 304) and of an answer to an HTTP/1.0 client, header lines that come
 * twice, a malformed answer, and a connection whose answer was cut, which must never go back to the
 * pool. Expected values come from RFC 9110 / RFC 9112 and docs/step7-fast-engine.md, never from the
 * code under test.
 */
import * as step7 from '@impl/step7-fast-engine/index.js';
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startBalancer } from '../../../tests/helpers/balancer.js';
import { answer, startFakeBackend } from '../../../tests/helpers/fake-backend.js';
import { rawExchange, rawRequest } from '../../../tests/helpers/raw-http.js';
import { parts, responses, startRawBackend } from './support.js';

const FOLDER = 'step7-fast-engine';
const SUITE = 'tools/interviewer/suites/step7-fast-engine.hidden.test.ts';
const say = (behaviour: string, file: string) => `step7 hidden: ${behaviour} — look at ${FOLDER}/${file} (${SUITE})`;

describe('step7 hidden: the relay undici leaves to us', () => {
  it("[framing] relays a HEAD answer's Content-Length unchanged, sends no body, and serves the next request on the same connection", async () => {
    const backend = await startFakeBackend('backend-1');
    // RFC 9110 §9.3.2 and §8.6: a HEAD answer carries the Content-Length a GET would have, and no body.
    backend.behaveAt('/report', answer({ headers: { 'content-length': 1234 } }));
    const { url } = await startBalancer(step7, { backends: [backend.url] });

    const reply = await rawExchange(url, 'HEAD /report HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { halfClose: false });

    const [head, next] = responses(reply).map(parts);
    expect(head?.head, say('the HEAD answer keeps the Content-Length the backend sent (1234): do not drop or recompute it', 'response-relay.ts')).toMatch(/\r\ncontent-length: 1234(\r\n|$)/i);
    expect(head?.raw, say('not a byte may follow a HEAD answer', 'response-relay.ts')).toBe('');
    expect(next?.body, say('the next request on the connection is answered (a relay waiting for 1234 body bytes hangs here)', 'response-relay.ts')).toBe('hello from backend-1');
  });

  it('[framing] relays 204 and 304 answers without a body or framing headers, and keeps the connection usable', async () => {
    const backend = await startFakeBackend('backend-1');
    backend.behaveAt('/unchanged', answer({ status: 304, headers: { etag: '"v1"' } }));
    backend.behaveAt('/deleted', answer({ status: 204 }));
    const { url } = await startBalancer(step7, { backends: [backend.url] });

    const reply = await rawExchange(
      url,
      'GET /unchanged HTTP/1.1\r\nHost: x\r\nIf-None-Match: "v1"\r\n\r\nDELETE /deleted HTTP/1.1\r\nHost: x\r\n\r\nGET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      { halfClose: false },
    );

    const [unchanged, deleted, last] = responses(reply).map(parts);
    expect([unchanged?.head.slice(0, 12), deleted?.head.slice(0, 12)], say('the 304 and the 204 are relayed with their status', 'response-relay.ts')).toEqual(['HTTP/1.1 304', 'HTTP/1.1 204']);
    expect(unchanged?.head, say('the 304 keeps its validator (ETag)', 'response-relay.ts')).toMatch(/\r\netag: "v1"/i);
    // RFC 9110 §15.3.5 and §15.4.5: neither has content; RFC 9112 §6.1: a 204 has no Transfer-Encoding.
    expect([unchanged?.raw, deleted?.raw], say('a 304 and a 204 end at their headers: no body, not even a chunked terminator', 'response-relay.ts')).toEqual(['', '']);
    expect([unchanged?.head, deleted?.head].filter((head) => /transfer-encoding/i.test(head ?? '')), say('a 304 or a 204 must not be framed with Transfer-Encoding', 'response-relay.ts')).toEqual([]);
    expect(last?.body, say('the request after them is answered on the same connection', 'response-relay.ts')).toBe('hello from backend-1');
  });

  it('[framing] re-frames an answer of unknown length for an HTTP/1.0 client: no Transfer-Encoding, the body intact', async () => {
    const backend = await startFakeBackend('backend-1');
    backend.behaveAt('/stream', answer({ body: 'streamed body', bodyDelayMs: 20 })); // chunked from the backend
    const { url } = await startBalancer(step7, { backends: [backend.url] });

    const reply = await rawExchange(url, 'GET /stream HTTP/1.0\r\nHost: x\r\n\r\n', { halfClose: false });

    const { head, raw } = parts(reply);
    expect(head, say('the answer should be relayed', 'response-relay.ts')).toMatch(/^HTTP\/1\.[01] 200/);
    // RFC 9112 §6.1: never Transfer-Encoding to a client that did not say HTTP/1.1.
    expect(head, say("the backend's Transfer-Encoding is hop-by-hop: strip it, and let Node frame the answer for the client's version", 'response-relay.ts')).not.toMatch(/transfer-encoding/i);
    expect(raw, say('the HTTP/1.0 client reads the body as plain bytes, up to the close', 'response-relay.ts')).toBe('streamed body');
  });

  it('[framing] forwards header lines that come twice as one list: X-Forwarded-For in order plus the client, and every Connection line honoured', async () => {
    const backend = await startFakeBackend('backend-1');
    const { url } = await startBalancer(step7, { backends: [backend.url] });

    // RFC 9110 §5.3: two lines of a list field are one list, in order.
    const reply = await rawExchange(
      url,
      'GET /lists HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.7\r\nX-Forwarded-For: 198.51.100.2\r\nConnection: X-Hop-A\r\nConnection: x-hop-b, close\r\nX-Hop-A: 1\r\nX-Hop-B: 2\r\nAccept: text/plain\r\nAccept: application/json\r\n\r\n',
      { halfClose: false },
    );

    expect(reply, say('the request should be forwarded and answered', 'outbound-request.ts')).toMatch(/^HTTP\/1\.1 200/);
    const seen = backend.requests[0];
    expect(seen?.headers['x-forwarded-for'], say('both earlier hops in order, then the client: "203.0.113.7, 198.51.100.2, 127.0.0.1"', 'outbound-request.ts')).toBe('203.0.113.7, 198.51.100.2, 127.0.0.1');
    expect([seen?.headers['x-hop-a'], seen?.headers['x-hop-b']], say('a header named by either Connection line stays on the client hop', 'outbound-request.ts')).toEqual([undefined, undefined]);
    expect(seen?.headers.accept, say('an end-to-end list header that came on two lines arrives whole', 'outbound-request.ts')).toBe('text/plain, application/json');
  });

  it('[failure-handling] answers 502 to a malformed answer without sending the GET again', async () => {
    const garbled = await startRawBackend('HTTP/1.1 abc Not A Status\r\n\r\n');
    const { url } = await startBalancer(step7, { backends: [garbled.url], maxRetries: 2, retryDelayMs: 0 });

    const res = await rawRequest(url, { path: '/garbled' });

    expect(res.status, say("undici's parse error is the backend failing with an answer: 502 (asOurs must not call it a reset)", 'response-relay.ts')).toBe(502);
    expect(garbled.requests(), say('an answer came, so the request was processed: a malformed one is not retried', 'response-relay.ts')).toBe(1);
  });

  it('[lifecycle] never gives a connection whose answer was cut back to the pool: the next request gets its own answer', async () => {
    const backend = await startFakeBackend('backend-1');
    // Headers and 500 of 1000 body bytes, then silence: the connection is in the middle of an answer.
    backend.behaveAt('/half', { kind: 'stall-mid-body' });
    const { url } = await startBalancer(step7, { backends: [backend.url], backendTimeoutMs: 1_500 });

    // The client reads the start of the body of /half, then hangs up.
    const client = net.connect(Number(new URL(url).port), '127.0.0.1');
    client.on('error', () => {});
    onTestFinished(() => void client.destroy());
    let received = '';
    client.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    client.write('GET /half HTTP/1.1\r\nHost: x\r\n\r\n');
    await expect.poll(() => received, { message: say('the answer to /half should begin, body bytes included', 'response-relay.ts') }).toMatch(/^HTTP\/1\.1 200[\s\S]*\r\n\r\n[\s\S]*x{10}/);
    client.destroy();

    await expect.poll(() => backend.openConnections, { message: say('a client that leaves mid-answer ends the backend request: its connection is closed (discarded), not kept half-read', 'response-relay.ts') }).toBe(0);
    const next = await rawRequest(url, { path: '/next' });
    expect([next.status, next.body.toString()], say('the next request gets exactly its own answer on a sound connection, never the rest of the cut one', 'upstream-pool.ts')).toEqual([200, 'hello from backend-1']);
  });
});

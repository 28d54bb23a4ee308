/**
 * Every way one try can end, as a table the retry suite (step 3) and the health-check suite (step 4)
 * both walk. Each row sets backend A (the first in rotation) misbehaving and backend B healthy, sends
 * one request, and states what must happen: the status the client gets, how many requests each
 * backend received (which says whether it was retried and failed over), whether A stays in rotation
 * in step 3, and whether the passive health checks of step 4 are told about A.
 *
 * The expected values are written here from the rules in the chapters, never computed by the code
 * under test.
 */
import { once } from 'node:events';
import net from 'node:net';
import { expect, vi } from 'vitest';
import type { LoadBalancer } from '../../tools/shared/contract.js';
import { startBalancer, type StepModule } from '../helpers/balancer.js';
import { startBlackHole } from '../helpers/black-hole.js';
import { answer, startFakeBackends, type Behaviour, type FakeBackend } from '../helpers/fake-backend.js';
import { rawRequest, requestToAbandon } from '../helpers/raw-http.js';

export interface Ending {
  /** Test title: how the try ends. */
  name: string;
  method: string;
  /** What backend A does; 'refuse' stops it, 'black-hole' never accepts the connection. */
  a: Behaviour | 'refuse' | 'black-hole';
  /** The client abandons the request once A has it. */
  clientLeaves?: boolean;
  /** Size of the request body (default: a short text; none for GET and DELETE). */
  bodyBytes?: number;
  /** The client sends this many body bytes of a larger upload, then nothing more. */
  clientStallsAfter?: number;
  /** The client reads the first bytes of the answer, then stops reading. */
  clientStopsReading?: boolean;
  /** Extra balancer options for this row (step 4 adds unhealthyStatuses). */
  options?: Record<string, unknown>;
  expected: {
    /** The status the client gets; 'reset' when its connection is cut, 'none' when it left first, 'dropped' when the balancer dropped a client that stopped reading. */
    status: number | 'reset' | 'none' | 'dropped';
    /** Requests that reached A and B. Refused and never-accepted connections reach nobody: null. */
    requests: [number | null, number];
    /** Tries the request log reports (every try on every backend). */
    tries: number;
    /** Step 3: A is still in rotation afterwards (only exhausted retries take it out). */
    aStaysInRotation: boolean;
    /** Step 4: the passive checks are told A failed (with maxFails 1, A is ejected). */
    aBlamed: boolean;
  };
}

/**
 * maxRetries 2 and maxAttempts 2 (not the defaults 3 and 3), so the counts below prove the options are
 * used. The clocks are short enough to keep the table fast and long enough that a busy machine does
 * not trip them where nothing is wrong. The client's clock (600 ms) runs longer than the backend's
 * (300 ms): a client that stalls must still not be taken for a silent backend.
 */
export const RETRY_OPTIONS = { maxRetries: 2, maxAttempts: 2, retryDelayMs: 1, backendTimeoutMs: 300, connectTimeoutMs: 200, clientTimeoutMs: 600 };

export const ENDINGS: readonly Ending[] = [
  {
    name: 'answered',
    method: 'POST',
    a: answer({ status: 201 }),
    expected: { status: 201, requests: [1, 0], tries: 1, aStaysInRotation: true, aBlamed: false },
  },
  {
    name: 'refused (never sent): retried, then failed over',
    method: 'POST',
    a: 'refuse',
    expected: { status: 200, requests: [null, 1], tries: 4, aStaysInRotation: false, aBlamed: true },
  },
  {
    name: 'connection never accepted within connectTimeoutMs (never sent): retried, then failed over',
    method: 'PATCH',
    a: 'black-hole',
    expected: { status: 200, requests: [null, 1], tries: 4, aStaysInRotation: false, aBlamed: true },
  },
  {
    name: 'reset of an idempotent GET: retried, then failed over',
    method: 'GET',
    a: { kind: 'reset' },
    expected: { status: 200, requests: [3, 1], tries: 4, aStaysInRotation: false, aBlamed: true },
  },
  {
    name: 'reset of an idempotent DELETE: retried, then failed over',
    method: 'DELETE',
    a: { kind: 'reset' },
    expected: { status: 200, requests: [3, 1], tries: 4, aStaysInRotation: false, aBlamed: true },
  },
  {
    name: 'reset of a POST the backend may have processed: 502, not sent again',
    method: 'POST',
    a: { kind: 'reset' },
    expected: { status: 502, requests: [1, 0], tries: 1, aStaysInRotation: true, aBlamed: true },
  },
  {
    name: 'reset of a PATCH: 502, not sent again',
    method: 'PATCH',
    a: { kind: 'reset' },
    expected: { status: 502, requests: [1, 0], tries: 1, aStaysInRotation: true, aBlamed: true },
  },
  {
    name: 'backend silent for backendTimeoutMs: 504, not retried',
    method: 'GET',
    a: { kind: 'hang' },
    expected: { status: 504, requests: [1, 0], tries: 1, aStaysInRotation: true, aBlamed: true },
  },
  {
    name: 'backend dies mid-body: client connection cut, not retried',
    method: 'GET',
    a: { kind: 'die-mid-body' },
    expected: { status: 'reset', requests: [1, 0], tries: 1, aStaysInRotation: true, aBlamed: true },
  },
  {
    name: 'backend goes silent mid-body: client connection cut after backendTimeoutMs, not retried',
    method: 'GET',
    a: { kind: 'stall-mid-body' },
    expected: { status: 'reset', requests: [1, 0], tries: 1, aStaysInRotation: true, aBlamed: true },
  },
  {
    name: 'backend answers 413 before reading a large upload: the client gets the 413, nobody blamed',
    method: 'POST',
    a: { kind: 'answer-early', status: 413 },
    bodyBytes: 8 * 1024 * 1024,
    expected: { status: 413, requests: [1, 0], tries: 1, aStaysInRotation: true, aBlamed: false },
  },
  {
    name: 'backend answers 101 Switching Protocols to a plain request: 502, not a hang',
    method: 'GET',
    a: { kind: 'switch-protocols' },
    expected: { status: 502, requests: [1, 0], tries: 1, aStaysInRotation: true, aBlamed: true },
  },
  {
    name: 'client stops sending its upload for clientTimeoutMs: 408, the backend not blamed',
    method: 'POST',
    a: answer(),
    clientStallsAfter: 2 * 1024 * 1024, // past the 1 MiB a retry may buffer, so the backend has the request
    expected: { status: 408, requests: [1, 0], tries: 1, aStaysInRotation: true, aBlamed: false },
  },
  {
    name: 'client stops reading a large answer for clientTimeoutMs: dropped, the backend not blamed',
    method: 'GET',
    a: answer({ body: Buffer.alloc(32 * 1024 * 1024, 1) }),
    clientStopsReading: true,
    expected: { status: 'dropped', requests: [1, 0], tries: 1, aStaysInRotation: true, aBlamed: false },
  },
  {
    name: 'client leaves before the answer: nothing retried, nobody blamed',
    method: 'GET',
    a: { kind: 'hang' },
    clientLeaves: true,
    expected: { status: 'none', requests: [1, 0], tries: 1, aStaysInRotation: true, aBlamed: false },
  },
];

export interface EndingRun {
  status: Ending['expected']['status'];
  /** Requests A and B received; null for A when it refuses or never accepts. */
  requests: [number | null, number];
  entry: { tries?: number; attempts?: number; status: number } | undefined;
  lb: LoadBalancer & { pool: { backends: readonly { isAlive(): boolean }[] } };
  backends: FakeBackend[];
}

/** Plays one row: starts A and B, a balancer in front, sends the request, and reports what happened. */
export async function playEnding<Options>(
  step: StepModule<Options, LoadBalancer & { pool: { backends: readonly { isAlive(): boolean }[] } }>,
  ending: Ending,
  extraOptions: Record<string, unknown> = {},
): Promise<EndingRun> {
  const backends = await startFakeBackends(2);
  const [a, b] = backends;
  let aUrl = a.url;
  if (ending.a === 'refuse') await a.stop();
  else if (ending.a === 'black-hole') aUrl = (await startBlackHole()).url;
  else a.behave(ending.a);
  const onRequest = vi.fn();
  const options = { backends: [aUrl, b.url], ...RETRY_OPTIONS, ...extraOptions, ...ending.options, onRequest } as Options;
  const { lb, url } = await startBalancer(step, options);

  let status: EndingRun['status'];
  if (ending.clientStallsAfter !== undefined) {
    status = await stallingUpload(url, ending.clientStallsAfter);
    // The backend records a request once its body ends or breaks off: a moment after the 408.
    await expect.poll(() => a.requests.length, { message: 'the streamed upload should have reached backend A' }).toBe(1);
  } else if (ending.clientStopsReading) {
    const client = net.connect(Number(new URL(url).port), '127.0.0.1');
    client.on('error', () => {});
    client.write('GET /ending HTTP/1.1\r\nHost: x\r\n\r\n');
    await firstBytes(client); // the answer has begun
    client.pause(); // …and from now on nobody reads it
    await expect.poll(() => onRequest.mock.calls.length, { timeout: 3_000, message: 'the balancer should drop a client that reads nothing for clientTimeoutMs' }).toBe(1);
    client.destroy();
    status = 'dropped';
  } else if (ending.clientLeaves) {
    const req = requestToAbandon(url, '/ending');
    await expect.poll(() => a.requests.length, { message: 'the request should reach backend A' }).toBe(1);
    req.destroy();
    status = 'none';
  } else {
    const body = ending.bodyBytes !== undefined ? Buffer.alloc(ending.bodyBytes, 1) : ending.method === 'GET' || ending.method === 'DELETE' ? undefined : 'order #1';
    status = await rawRequest(url, { method: ending.method, path: '/ending', body }).then(
      (res) => res.status,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ECONNRESET' || err.message === 'socket hang up') return 'reset' as const;
        throw err;
      },
    );
  }
  await expect.poll(() => onRequest.mock.calls.length, { message: 'the request log should report the request once it has ended' }).toBe(1);
  const requests: [number | null, number] = [ending.a === 'refuse' || ending.a === 'black-hole' ? null : a.requests.length, b.requests.length];
  return { status, requests, entry: onRequest.mock.calls[0]?.[0], lb, backends };
}

/** Sends `afterBytes` of a larger upload, then nothing; resolves with the status the balancer answers. */
async function stallingUpload(url: string, afterBytes: number): Promise<number> {
  const client = net.connect(Number(new URL(url).port), '127.0.0.1');
  client.on('error', () => {});
  client.write(`POST /ending HTTP/1.1\r\nHost: x\r\nContent-Length: ${afterBytes + 1000}\r\n\r\n`);
  client.write(Buffer.alloc(afterBytes, 1));
  const reply = await firstBytes(client);
  client.destroy();
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(reply.toString('latin1'))?.[1] ?? 0);
}

/**
 * The first bytes the balancer sends on `client`. Rejects at once if it closes the connection first,
 * so that a balancer that cuts the client fails the row instead of leaving it waiting for the test's timeout.
 */
async function firstBytes(client: net.Socket): Promise<Buffer> {
  const closed = once(client, 'close').then(() => {
    throw new Error('the balancer closed the connection before sending a byte');
  });
  closed.catch(() => {}); // once the race is decided, a later close is expected
  const [chunk] = (await Promise.race([once(client, 'data'), closed])) as [Buffer];
  return chunk;
}

/**
 * Plays every row, `parallel` at a time (each row has its own backends and balancer), and returns the
 * runs in the table's order. One row after another, the table alone would take longer than a learner
 * should wait for the whole suite.
 */
export async function playEndings<Options>(
  step: Parameters<typeof playEnding<Options>>[0],
  endings: readonly Ending[],
  extraOptions: Record<string, unknown> = {},
  parallel = 6,
): Promise<EndingRun[]> {
  const runs: EndingRun[] = new Array(endings.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < endings.length; i = next++) runs[i] = await playEnding(step, endings[i], extraOptions);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return runs;
}

/**
 * What several hidden suites share: waiting without vitest's timers, watching the timers the code
 * under test starts (a leak check vitest's own timers cannot hide), and reading raw HTTP answers.
 * Not a test file itself (no `.test.ts`), so vitest only loads it through the suites.
 */
import { createHook } from 'node:async_hooks';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { onTestFinished } from 'vitest';
import { openHandles, type Handles } from '../../../tests/helpers/leaks.js';

/**
 * Waits (bounded) until `check()` holds. Not expect.poll: it upsets the process's timer count that
 * the leak checks compare against, and a leaked timer would go unseen.
 */
export async function until(check: () => boolean, message: string, timeoutMs = 2_000): Promise<void> {
  for (const deadline = performance.now() + timeoutMs; !check(); await delay(5)) {
    if (performance.now() > deadline) throw new Error(`${message} (waited ${timeoutMs} ms)`);
  }
}

/**
 * Watches the timers started from now on, outside vitest itself, and reports those still pending
 * that keep the process alive. An async hook sees each timer's birth and end; the process's Timeout
 * count (tests/helpers/leaks.ts) cannot be used for timers here, since vitest's own timers come and go
 * during a test and can hide exactly one leaked timer. Sockets and servers are counted with leaks.ts.
 */
export function watchTimers(): { pending(): string[] } {
  const live = new Map<number, NodeJS.Timeout>();
  const hook = createHook({
    init(asyncId, type, _trigger, resource) {
      if (type !== 'Timeout') return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 12;
      const stack = new Error().stack ?? '';
      Error.stackTraceLimit = limit;
      if (!/[\\/]node_modules[\\/](vitest|@vitest|tinypool|birpc)[\\/]/.test(stack)) live.set(asyncId, resource as NodeJS.Timeout);
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
  onTestFinished(() => void hook.disable());
  return {
    pending: () => [...live.values()].filter((timer) => timer.hasRef()).map((timer) => `a ${(timer as unknown as { _idleTimeout?: number })._idleTimeout} ms timer`),
  };
}

/** What the code under test left behind since `before`: pending timers (see watchTimers), sockets and listening servers. */
export async function leftBehind(before: Handles, timers: { pending(): string[] }): Promise<{ timers: string[]; sockets: number; servers: number }> {
  const now = () => {
    const handles = openHandles();
    return { timers: timers.pending(), sockets: Math.max(0, handles.TCPSocketWrap - before.TCPSocketWrap), servers: Math.max(0, handles.TCPServerWrap - before.TCPServerWrap) };
  };
  // Sockets close a few ticks after close() resolves: give them a moment (bounded).
  await until(() => {
    const left = now();
    return left.timers.length + left.sockets + left.servers === 0;
  }, 'nothing should be left', 1_000).catch(() => undefined);
  return now();
}

/** Splits what a connection received into its responses (each starts with a status line). */
export const responses = (reply: string) => reply.split(/(?=HTTP\/1\.[01] \d{3} )/);

/** One raw response: its head (status line and headers), the bytes after it, and its body with any chunked framing undone. */
export function parts(response: string): { head: string; raw: string; body: string } {
  const at = response.indexOf('\r\n\r\n');
  const head = response.slice(0, at);
  const raw = response.slice(at + 4);
  return { head, raw, body: /\r\ntransfer-encoding: chunked/i.test(head) ? unchunk(raw) : raw };
}

/** The payload of a chunked body (RFC 9112 §7.1); what follows the last chunk is dropped. */
export function unchunk(raw: string): string {
  let out = '';
  for (let at = 0; ; ) {
    const lineEnd = raw.indexOf('\r\n', at);
    const size = Number.parseInt(raw.slice(at, lineEnd), 16);
    if (lineEnd < 0 || !(size > 0)) return out;
    out += raw.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/**
 * A TCP server playing a broken backend: for each request it receives, it writes `reply` and closes
 * (`null`: closes without a word). `requests()` counts the requests that reached it.
 */
export async function startRawBackend(reply: string | null): Promise<{ url: string; requests(): number }> {
  let requests = 0;
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      requests += 1;
      if (reply === null) socket.end();
      else socket.end(reply, 'latin1');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, requests: () => requests };
}

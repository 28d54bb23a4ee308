import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { onTestFinished } from 'vitest';

/** What a fake backend saw: one entry per request that reached it, body included. */
export interface RecordedRequest {
  method: string;
  /** The request target exactly as it arrived, e.g. `/a//b?x=1`. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Header names and values in arrival order, duplicates kept. */
  rawHeaders: string[];
  body: Buffer;
}

/** How a fake backend treats a request. */
export type Behaviour =
  /** Answer with this status, extra headers and body (default 200 and `hello from <name>`), after `delayMs`; with `bodyDelayMs`, the headers go first and the body that much later. */
  | { kind: 'answer'; status?: number; headers?: OutgoingHttpHeaders; body?: string | Buffer; delayMs?: number; bodyDelayMs?: number }
  /** Read the request, then never answer. */
  | { kind: 'hang' }
  /** Read the request, then reset the TCP connection (the client sees ECONNRESET, no response). */
  | { kind: 'reset' }
  /** Send the status line, headers and half of a promised body, then reset the connection. */
  | { kind: 'die-mid-body' }
  /** Send the status line, headers and half of a promised body, then go silent (never finish). */
  | { kind: 'stall-mid-body' }
  /**
   * Answer `status` as soon as the headers arrive, stop reading the body, and reset the connection
   * 500 ms later: a backend refusing a large upload (an early 413). The sender's next write fails.
   */
  | { kind: 'answer-early'; status: number }
  /** Answer `101 Switching Protocols` although nobody asked for an upgrade. */
  | { kind: 'switch-protocols' }
  /** Stop reading the request body at once, and never answer: a backend that takes no more of an upload. */
  | { kind: 'stop-reading' }
  /** Read the request, then wait until the test calls `release()`: a slow backend whose pace the test sets. */
  | { kind: 'hold' };

export const answer = (reply: Omit<Extract<Behaviour, { kind: 'answer' }>, 'kind'> = {}): Behaviour => ({
  kind: 'answer',
  ...reply,
});

export interface FakeBackend {
  readonly name: string;
  /** `http://127.0.0.1:<port>`; stays the same across stop() and start(). */
  readonly url: string;
  /** Every request that reached the backend, in order. */
  readonly requests: RecordedRequest[];
  /** TCP connections accepted so far (a retry on a fresh connection counts again). */
  readonly connections: number;
  /** Request body bytes received so far, counted as they arrive (before a request is complete). */
  readonly bytesReceived: number;
  /** TCP connections open right now. */
  readonly openConnections: number;
  /** Sets how every following request is treated. */
  behave(behaviour: Behaviour): void;
  /** Queues behaviours for the next requests, one each; afterwards the `behave()` default applies again. */
  queue(...behaviours: Behaviour[]): void;
  /**
   * Treats requests for exactly `path` (e.g. `/healthz`) differently from all others: one behaviour per
   * request in the given order, the last one repeating. Replaces what was set for `path` before.
   */
  behaveAt(path: string, ...behaviours: Behaviour[]): void;
  /** How many requests for exactly `path` arrived so far. */
  count(path: string): number;
  /** Requests held (see the `hold` behaviour) and not released yet. */
  readonly held: number;
  /** Answers the `count` oldest held requests (default all) with 200 and `hello from <name>`. */
  release(count?: number): void;
  /** Stops listening and drops open connections: new connections are refused (ECONNREFUSED). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/**
 * Starts a real HTTP server on 127.0.0.1 (a free port) that plays a backend. It answers with
 * `x-backend: <name>` and the body `hello from <name>` so tests can see who answered, and it is
 * closed automatically when the current test finishes.
 */
export async function startFakeBackend(name: string): Promise<FakeBackend> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const pending: Behaviour[] = [];
  const routes = new Map<string, Behaviour[]>();
  let fallback: Behaviour = answer();
  let connections = 0;
  let bytesReceived = 0;
  let port = 0;
  const holding: { url: string; res: http.ServerResponse }[] = [];

  const server = http.createServer(async (req, res) => {
    const behaviour = nextBehaviour(req.url ?? '');
    if (behaviour.kind === 'stop-reading') {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.alloc(0) });
      req.socket.pause(); // the kernel's buffers fill, and the sender has to wait
      return;
    }
    if (behaviour.kind === 'answer-early') {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.alloc(0) });
      // Raw bytes on the socket: a ServerResponse would wait to read the body first.
      const text = `refused early by ${name}`;
      req.socket.write(`HTTP/1.1 ${behaviour.status} ${http.STATUS_CODES[behaviour.status]}\r\nx-backend: ${name}\r\ncontent-length: ${text.length}\r\n\r\n${text}`);
      req.socket.pause();
      // The reset must come after the balancer has read the answer: a reset that overtakes it turns
      // the 413 into a 502 on every step (shown by blocking the event loop for 150 ms after the write).
      // CI, busy with four test workers, once took longer than the 100 ms this used to wait.
      setTimeout(() => req.socket.resetAndDestroy(), 500);
      return;
    }
    const body = await readBody(req, (n) => (bytesReceived += n));
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body });
    if (behaviour.kind === 'hold') {
      const entry = { url: req.url ?? '', res };
      holding.push(entry);
      res.once('close', () => holding.includes(entry) && holding.splice(holding.indexOf(entry), 1));
      return;
    }
    play(behaviour, name, req, res);
  });
  server.on('connection', (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const nextBehaviour = (path: string): Behaviour => {
    const route = routes.get(path);
    if (route) return route.length > 1 ? (route.shift() as Behaviour) : route[0];
    return pending.shift() ?? fallback;
  };

  const start = async (): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  };
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });

  await start();
  onTestFinished(stop);

  return {
    name,
    url: `http://127.0.0.1:${port}`,
    requests,
    get connections() {
      return connections;
    },
    get bytesReceived() {
      return bytesReceived;
    },
    get openConnections() {
      return sockets.size;
    },
    behave: (behaviour) => {
      fallback = behaviour;
    },
    queue: (...behaviours) => {
      pending.push(...behaviours);
    },
    behaveAt: (path, ...behaviours) => {
      routes.set(path, behaviours.length > 0 ? behaviours : [answer()]);
    },
    count: (path) => requests.filter((request) => request.url === path).length,
    get held() {
      return holding.length;
    },
    release: (count = holding.length) => {
      for (const { url, res } of holding.splice(0, count)) res.writeHead(200, { 'x-backend': name }).end(`hello from ${name} (${url})`);
    },
    stop,
    start,
  };
}

/** Starts `count` fake backends named backend-1, backend-2, … */
export function startFakeBackends(count: number): Promise<FakeBackend[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => startFakeBackend(`backend-${i + 1}`)));
}

function play(behaviour: Behaviour, name: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  switch (behaviour.kind) {
    case 'answer': {
      const send = () => {
        const body = behaviour.body ?? `hello from ${name}`;
        res.writeHead(behaviour.status ?? 200, { 'x-backend': name, ...behaviour.headers });
        if (behaviour.bodyDelayMs === undefined) return void res.end(body);
        res.flushHeaders();
        setTimeout(() => res.end(body), behaviour.bodyDelayMs);
      };
      if (behaviour.delayMs) setTimeout(send, behaviour.delayMs);
      else send();
      return;
    }
    case 'hang':
    case 'hold': // parked in the request handler
      return;
    case 'reset':
      req.socket.resetAndDestroy();
      return;
    case 'die-mid-body':
      res.writeHead(200, { 'x-backend': name, 'content-length': 1000 });
      res.write('x'.repeat(500), () => req.socket.resetAndDestroy());
      return;
    case 'answer-early': // answered before the body was read, in the request handler
      return;
    case 'stop-reading': // handled before the body is read
      return;
    case 'switch-protocols':
      req.socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n');
      return;
    case 'stall-mid-body':
      res.writeHead(200, { 'x-backend': name, 'content-length': 1000 });
      res.write('x'.repeat(500));
      return;
  }
}

function readBody(req: http.IncomingMessage, onBytes: (n: number) => void): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      onBytes(chunk.length);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    // A client that gives up mid-body still leaves a record of what arrived.
    req.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

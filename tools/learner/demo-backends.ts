/** Tiny HTTP servers for `npm start`, so the balancer has something to balance — and to lose. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface DemoBackend {
  name: string;
  url: string;
  readonly running: boolean;
  /** Stops listening and drops connections: the balancer now sees refused connections. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** stop() when running, start() when stopped. */
  toggle(): Promise<void>;
}

/**
 * How long the demo backends take: `even` answers at once; `heavy-tail` makes 1 request in 20 a
 * hundred times dearer (2 ms → 200 ms), and the third backend twice as slow as the others, so that
 * `--policy` makes a difference you can watch.
 */
export type DemoCosts = 'even' | 'heavy-tail';

/**
 * Starts `count` demo backends on free ports of 127.0.0.1. Each answers `hello from backend-N` (and
 * `x-backend: backend-N`) so you can see who served a request, and `/healthz` with `ok`; a WebSocket
 * (any path) echoes every message as `backend-N: <message>`, for step 6's tunnels.
 */
export function startDemoBackends(count = 3, costs: DemoCosts = 'even'): Promise<DemoBackend[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => startDemoBackend(`backend-${i + 1}`, costs === 'even' ? () => 0 : heavyTail(i === 2 ? 2 : 1))));
}

/** 2 ms, and every 20th request 200 ms, times `slowness`. A counter, not a dice: the same run twice is the same. */
function heavyTail(slowness: number): () => number {
  let served = 0;
  return () => (++served % 20 === 0 ? 200 : 2) * slowness;
}

async function startDemoBackend(name: string, costOf: () => number): Promise<DemoBackend> {
  const server = http.createServer((req, res) => {
    req.resume(); // read and drop any body
    const body = req.url === '/healthz' ? 'ok\n' : `hello from ${name} (${req.method} ${req.url})\n`;
    const answer = () => res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-backend': name }).end(body);
    const ms = req.url === '/healthz' ? 0 : costOf();
    if (ms === 0) answer();
    else setTimeout(answer, ms);
  });
  const sockets = new WebSocketServer({ server });
  sockets.on('connection', (socket) => {
    socket.on('error', () => {});
    socket.on('message', (data, isBinary) => socket.send(isBinary ? data : `${name}: ${data.toString()}`, { binary: isBinary }));
  });
  let port = 0;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
      // A WebSocket has left HTTP, so closeAllConnections() does not see it: cut those by hand.
      for (const socket of sockets.clients) socket.terminate();
    });
  await start();
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    get running() {
      return server.listening;
    },
    start,
    stop,
    toggle: () => (server.listening ? stop() : start()),
  };
}

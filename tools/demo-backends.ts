/** Tiny HTTP servers for `npm start`, so the balancer has something to balance — and to lose. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

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
 * Starts `count` demo backends on free ports of 127.0.0.1. Each answers `hello from backend-N` (and
 * `x-backend: backend-N`) so you can see who served a request, and `/healthz` with `ok`.
 */
export function startDemoBackends(count = 3): Promise<DemoBackend[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => startDemoBackend(`backend-${i + 1}`)));
}

async function startDemoBackend(name: string): Promise<DemoBackend> {
  const server = http.createServer((req, res) => {
    req.resume(); // read and drop any body
    const body = req.url === '/healthz' ? 'ok\n' : `hello from ${name} (${req.method} ${req.url})\n`;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-backend': name });
    res.end(body);
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

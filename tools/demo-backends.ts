/** Three tiny HTTP servers for `npm start`, so the balancer has something to balance. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoBackend {
  name: string;
  url: string;
  close(): Promise<void>;
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

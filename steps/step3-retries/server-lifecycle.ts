import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where `listen()` ended up listening. */
export interface ListenAddress {
  host: string;
  port: number;
  /** `http://host:port`, ready to use. */
  url: string;
}

/** The server clients talk to. */
export function createTrafficServer(handler: http.RequestListener): http.Server {
  const server = http.createServer(handler);
  // No count limit: Node would drop the headers past its default of 2000 silently. checkInbound
  // (request-checks.ts) refuses too many with 431 instead; Node's 16 KiB limit on the head still applies.
  server.maxHeadersCount = 0;
  return server;
}

/** Starts `server` listening and resolves with the address it got; rejects if the port is taken. */
export function listen(server: http.Server, port: number, host: string): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      resolve({ host: address.address, port: address.port, url: `http://${address.address}:${address.port}` });
    });
  });
}

/** Stops accepting and closes every connection; resolves when the server has closed. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    // close() stops accepting but waits for open keep-alive connections; closing them makes it prompt.
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

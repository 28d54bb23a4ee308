import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where `listen()` ended up listening. */
export interface ListenAddress {
  host: string;
  port: number;
  /** `http://host:port`, ready to use. */
  url: string;
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

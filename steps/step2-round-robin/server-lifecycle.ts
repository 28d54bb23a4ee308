import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendError } from './error-response.js';

/** Where `listen()` ended up listening. */
export interface ListenAddress {
  host: string;
  port: number;
  /** `http://host:port`, ready to use. */
  url: string;
}

/** The server clients talk to, and the way to stop it without cutting anyone off. */
export interface TrafficServer {
  readonly server: http.Server;
  /**
   * Stops gracefully, as nginx (SIGQUIT), HAProxy (soft-stop) and Envoy (drain) do: no new
   * connections; idle keep-alive connections closed at once; requests in flight may finish for up to
   * `deadlineMs`, and their responses say `Connection: close`; whatever is left then is cut. Resolves
   * when every connection is closed. Calling it again while it drains waits for the same drain.
   */
  drain(deadlineMs: number): Promise<void>;
}

export function createTrafficServer(handler: http.RequestListener): TrafficServer {
  const inFlight = new Set<http.ServerResponse>();
  const server = http.createServer((inbound, res) => {
    // A request that arrives while we drain (its client was still sending it) is answered, then its
    // connection closes.
    if (!server.listening) res.shouldKeepAlive = false;
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    try {
      handler(inbound, res);
    } catch (err) {
      // A bug that throws before the handler's own error path would escape into Node's HTTP parser:
      // the process would crash, or the client would wait for an answer that never comes.
      sendError(res, err as Error);
    }
  });
  // No count limit: Node would drop the headers past its default of 2000 silently. checkInbound
  // (request-checks.ts) refuses too many with 431 instead; Node's 16 KiB limit on the head still applies.
  server.maxHeadersCount = 0;
  // Node's own limit on a whole request (300 s by default) would cut a long, steady upload: our
  // client clocks (client-clocks.ts) judge stalls instead. The 60 s limit on the headers
  // (`headersTimeout`) stays: it is what stops a slow-loris client that trickles its header lines.
  server.requestTimeout = 0;
  // An accept that fails (EMFILE: out of file descriptors) is emitted as an 'error' on the server, and
  // without a listener it would crash the process. The client sees its connection fail; we carry on.
  server.on('error', () => {});

  let draining: Promise<void> | undefined;
  const drain = (deadlineMs: number): Promise<void> => {
    if (!server.listening) return draining ?? Promise.resolve();
    draining = new Promise((resolve) => {
      const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs);
      server.close(() => {
        clearTimeout(deadline);
        resolve();
      });
      // An answer whose headers are out keeps what they said; Node closes its connection once it is
      // done, since the server is closing.
      for (const res of inFlight) res.shouldKeepAlive = false;
      server.closeIdleConnections();
    });
    return draining;
  };
  return { server, drain };
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

import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parseBackends } from './backend-url.js';
import { sendError } from './error-response.js';
import { NoBackendAvailableError } from './errors.js';
import { Proxy } from './proxy.js';
import { createTrafficServer, listen, type ListenAddress } from './server-lifecycle.js';
import { wholeNumber } from './options.js';
import { ServerPool } from './server-pool.js';

/** What `createLoadBalancer` accepts. Later steps add fields; every new field has a default. */
export interface LoadBalancerOptions {
  /** Base URLs of the backends, e.g. `http://127.0.0.1:9001`, in rotation order. */
  backends: readonly string[];
  /** How long a connected backend may stay silent before the client gets 504, in ms (default 30000). */
  backendTimeoutMs?: number;
  /** How long opening a connection to a backend may take before the client gets 504, in ms (default 5000). */
  connectTimeoutMs?: number;
  /** How long a client may send nothing of its upload (then 408), or take nothing of its answer (then it is dropped), in ms (default 60000, nginx's `client_body_timeout` and `send_timeout`). */
  clientTimeoutMs?: number;
  /** How long close() lets requests in flight finish before it cuts them, in ms (default 10000). */
  drainTimeoutMs?: number;
  /** Called once per finished or aborted request, after the response (default: nothing is called). */
  onRequest?: (entry: RequestLogEntry) => void;
}

/** One line of the request log: who asked, which backend answered, how it ended. */
export interface RequestLogEntry {
  method: string;
  url: string;
  /** The backend the request was sent to; empty when none was available. */
  backend: string;
  /** The status the client received; 0 if the connection closed before a status was sent. */
  status: number;
  durationMs: number;
}

/** The contract every step exports, so tests, the CLI and later steps can drive any step. */
export interface LoadBalancer {
  readonly server: http.Server;
  /** The backends and the rotation; `pool.backends[i].markAlive(false)` takes one out. */
  readonly pool: ServerPool;
  /** Starts listening (default: a free port on 127.0.0.1) and resolves with the bound address. */
  listen(port?: number, host?: string): Promise<ListenAddress>;
  /** Stops accepting, lets requests in flight finish (up to drainTimeoutMs), closes every connection, and resolves when all is closed. */
  close(): Promise<void>;
}

export function createLoadBalancer(options: LoadBalancerOptions): LoadBalancer {
  const pool = new ServerPool(parseBackends(options.backends));
  const proxy = new Proxy({
    backendTimeoutMs: wholeNumber('backendTimeoutMs', options.backendTimeoutMs ?? 30_000, 1),
    connectTimeoutMs: wholeNumber('connectTimeoutMs', options.connectTimeoutMs ?? 5_000, 1),
    clientTimeoutMs: wholeNumber('clientTimeoutMs', options.clientTimeoutMs ?? 60_000, 1),
  });
  const drainTimeoutMs = wholeNumber('drainTimeoutMs', options.drainTimeoutMs ?? 10_000);
  const { onRequest } = options;

  const traffic = createTrafficServer((inbound, res) => {
    // #region exercise(step2, 4): send each request to the next alive backend in rotation instead of always the first — ask the pool
    const backend = pool.next();
    // #starter const backend = pool.backends.at(0); // step 1's choice: always the first
    // #endregion
    if (onRequest) logWhenDone(inbound, res, backend?.url, onRequest);
    if (!backend) return sendError(res, new NoBackendAvailableError());
    try {
      proxy.forward(inbound, res, backend.url);
    } catch (err) {
      // A throw here would be an uncaught exception: the whole process, every client, gone.
      sendError(res, err as Error);
    }
  });

  const { server } = traffic;
  return {
    server,
    pool,
    listen: (port = 0, host = '127.0.0.1') => listen(server, port, host),
    close: async () => {
      await traffic.drain(drainTimeoutMs);
      proxy.close();
    },
  };
}

function logWhenDone(
  inbound: http.IncomingMessage,
  res: http.ServerResponse,
  backend: URL | undefined,
  onRequest: (entry: RequestLogEntry) => void,
): void {
  const started = performance.now();
  // 'close' fires for every response: completed, failed, or abandoned by the client.
  res.once('close', () => {
    onRequest({
      // Stryker disable next-line StringLiteral: Node sets method and url on every request it parsed
      method: inbound.method ?? '',
      // Stryker disable next-line StringLiteral: the same
      url: inbound.url ?? '',
      backend: backend?.origin ?? '',
      status: res.headersSent ? res.statusCode : 0,
      durationMs: performance.now() - started,
    });
  });
}

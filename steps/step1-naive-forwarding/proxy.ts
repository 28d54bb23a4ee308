import http from 'node:http';
import httpProxy from 'http-proxy';
import { refuseUnaskedUpgrade, watchBackendResponse } from './backend-response.js';
import { sendError } from './error-response.js';
import type { Framing } from './framing.js';
import { prepareOutbound, type OutboundTimeouts } from './outbound-request.js';
import { checkInbound } from './request-checks.js';
import { NotImplementedError } from './errors.js';

/**
 * Forwards requests to backends: our counterpart of Go's httputil.ReverseProxy, built on http-proxy.
 * One instance serves every backend; the target is chosen per request.
 */
export class Proxy {
  /**
   * http-proxy's default is `agent: false` plus `Connection: close`: a new TCP connection for every
   * request, about three times slower. A keep-alive agent reuses upstream connections instead.
   */
  readonly #agent = new http.Agent({ keepAlive: true });
  readonly #proxy: httpProxy;
  /** How each request's body is framed, decided before http-proxy touches its headers (see framing.ts). */
  readonly #framings = new WeakMap<http.IncomingMessage, Framing>();

  constructor(timeouts: OutboundTimeouts) {
    this.#proxy = httpProxy.createProxyServer({ agent: this.#agent });
    this.#proxy.on('proxyReq', (outbound, inbound, res) => {
      // http-proxy emits this from a socket callback, where a throw would crash the process.
      // Failing just this request sends the error down the one error path instead.
      try {
        prepareOutbound(outbound, inbound, this.#framings.get(inbound) as Framing, timeouts);
        refuseUnaskedUpgrade(outbound, res);
      } catch (err) {
        outbound.destroy(err as Error);
      }
    });
    this.#proxy.on('proxyRes', (backendRes, _inbound, res) => watchBackendResponse(backendRes, res, timeouts));
    // TODO(step1) 2 of 3: answer a failed forward so that the client gets 502 or 504, not a crash (the placeholder below only keeps the process alive) (recipe: npm run hint -- step1 --todo 2)
    // A placeholder. Without any 'error' listener Node throws the event's error, and the first
    // refused connection kills the whole process (try it: delete these lines and run the tests).
    this.#proxy.on('error', (_err, _inbound, res) => {
      if (res instanceof http.ServerResponse) sendError(res, new NotImplementedError('step1-naive-forwarding', 'TODO 2 of 3 in proxy.ts: answer a failed forward so that the client gets 502 or 504, not a crash (the placeholder below only keeps the process alive)'));
    });
  }

  /**
   * Sends `inbound` to `backend` and streams the backend's answer into `res`. Throws, before anything
   * is sent, for a request that cannot be forwarded faithfully (see request-checks.ts).
   */
  forward(inbound: http.IncomingMessage, res: http.ServerResponse, backend: URL): void {
    this.#framings.set(inbound, checkInbound(inbound));
    // Node has already answered `100 Continue` to the client, and with Expect set http-proxy skips its
    // 'proxyReq' event, which we need for the path, the framing, the X-Forwarded-* headers and the timeout.
    delete inbound.headers.expect;
    // TODO(step1) 1 of 3: forward the inbound request to the backend (recipe: npm run hint -- step1 --todo 1)
    throw new NotImplementedError('step1-naive-forwarding', 'TODO 1 of 3 in proxy.ts: forward the inbound request to the backend');
  }

  /** Closes the pooled upstream connections. */
  close(): void {
    this.#agent.destroy();
  }
}

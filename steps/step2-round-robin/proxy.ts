import http from 'node:http';
import httpProxy from 'http-proxy';
import { refuseUnaskedUpgrade, watchBackendResponse } from './backend-response.js';
import { sendError } from './error-response.js';
import type { Framing } from './framing.js';
import { prepareOutbound, type OutboundTimeouts } from './outbound-request.js';
import { checkInbound } from './request-checks.js';

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
    this.#proxy.on('error', (err, _inbound, res) => {
      // For plain HTTP requests `res` is the ServerResponse (it is a Socket only for WebSocket upgrades).
      if (res instanceof http.ServerResponse) sendError(res, err);
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
    this.#proxy.web(inbound, res, { target: backend });
  }

  /** Closes the pooled upstream connections. */
  close(): void {
    this.#agent.destroy();
  }
}

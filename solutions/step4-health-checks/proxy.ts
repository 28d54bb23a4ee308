import http from 'node:http';
import httpProxy from 'http-proxy';
import { sendError } from './error-response.js';
import { BackendTimeoutError, ConnectTimeoutError } from './errors.js';
import { addForwardedHeaders } from './forwarded-headers.js';
import { stripHopByHop } from './hop-by-hop.js';
import { bodyStream, type RequestBody } from './request-body.js';

/** Settings for the proxy part of the balancer. */
export interface ProxyOptions {
  /** How long a backend may stay silent before the client gets 504, in ms. */
  backendTimeoutMs: number;
  /** How long opening a new connection to a backend may take, in ms. */
  connectTimeoutMs: number;
}

/** How one try ended: the response is under way (or done), or the try failed before it began. */
export type TryOutcome = { ok: true } | { ok: false; error: Error };

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

  constructor(options: ProxyOptions) {
    this.#proxy = httpProxy.createProxyServer({ agent: this.#agent });
    this.#proxy.on('proxyReq', (outbound, inbound) => {
      // http-proxy emits this from a socket callback, where a throw would crash the process.
      // Failing just this request sends the error down the one error path instead.
      try {
        prepareOutbound(outbound, inbound, options);
      } catch (err) {
        outbound.destroy(err as Error);
      }
    });
    this.#proxy.on('proxyRes', (backendRes, _inbound, res) => watchBackendResponse(backendRes, res));
    // No 'error' listener any more: every try passes a callback to web(), and http-proxy then reports
    // the error there instead of emitting it. The retry loop decides what the client gets.
  }

  /**
   * One try: sends `inbound` with `body` to `backend` and streams the answer into `res`. Resolves
   * `{ ok: true }` when the response is complete or the client has gone, `{ ok: false, error }` when the
   * try failed first. Never rejects.
   */
  tryOnce(inbound: http.IncomingMessage, res: http.ServerResponse, backend: URL, body: RequestBody): Promise<TryOutcome> {
    // Strip here, not on the outbound request: http-proxy copies these headers over, and once a header
    // like Transfer-Encoding is removed from a ClientRequest, Node stops framing the body itself.
    stripHopByHop(inbound.headers);
    // Node has already answered `100 Continue` to the client, and with Expect set http-proxy skips its
    // 'proxyReq' event, which we need for the path, the X-Forwarded-* headers and the timeout.
    delete inbound.headers.expect;
    return new Promise((resolve) => {
      const done = () => resolve({ ok: true });
      const failed = (error: Error) => {
        res.off('close', done);
        resolve({ ok: false, error });
      };
      res.once('close', done);
      try {
        this.#proxy.web(inbound, res, { target: backend, buffer: bodyStream(body) }, failed);
      } catch (error) {
        failed(error as Error);
      }
    });
  }

  /** Closes the pooled upstream connections. */
  close(): void {
    this.#agent.destroy();
  }
}

/** Shapes the request to the backend before its first byte is written. */
function prepareOutbound(outbound: http.ClientRequest, inbound: http.IncomingMessage, options: ProxyOptions): void {
  // http-proxy rebuilds the path with its own urlJoin, which merges `//` and re-escapes some characters.
  // A proxy should pass the request target on exactly as the client sent it.
  outbound.path = inbound.url ?? '/';
  addForwardedHeaders(outbound, inbound);
  outbound.setTimeout(options.backendTimeoutMs, () => {
    outbound.destroy(new BackendTimeoutError(options.backendTimeoutMs));
  });
  // setTimeout above only starts once the socket is connected; a new connection needs its own limit.
  const socket = outbound.socket;
  if (socket?.connecting) {
    const timer = setTimeout(() => outbound.destroy(new ConnectTimeoutError(options.connectTimeoutMs)), options.connectTimeoutMs);
    socket.once('connect', () => clearTimeout(timer));
    outbound.once('close', () => clearTimeout(timer));
  }
}

/**
 * Runs when the backend's status line and headers arrived, before http-proxy copies them to the client.
 * A backend that dies halfway through the body would otherwise leave the client waiting forever:
 * http-proxy pipes the body but never passes on the error.
 */
function watchBackendResponse(backendRes: http.IncomingMessage, res: http.ServerResponse): void {
  stripHopByHop(backendRes.headers);
  backendRes.on('error', (err) => sendError(res, err));
}

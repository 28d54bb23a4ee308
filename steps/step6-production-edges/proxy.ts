import http from 'node:http';
import httpProxy from 'http-proxy';
import { refuseUnaskedUpgrade, watchBackendResponse } from './backend-response.js';
import { TryTimeoutError } from './errors.js';
import type { Deadline } from './request-context.js';
import type { Framing } from './framing.js';
import { prepareOutbound, type OutboundTimeouts } from './outbound-request.js';
import { bodyStream, type RequestBody } from './request-body.js';

/** How one try ended. The retry loop, and from step 4 the passive health checks, decide by it. */
export type TryOutcome =
  /** The backend's whole response reached the client. */
  | { kind: 'answered'; status: number }
  /** The backend failed: refused, reset, too slow, or it broke off its response halfway. */
  | { kind: 'failed'; error: Error }
  /** The client went away first. That says nothing about the backend. */
  | { kind: 'client-gone' };

/** The time limits of one try (step 6). */
export interface TryLimits {
  /** The request's deadline: when it runs out, its error ends a try that has no answer yet. */
  deadline: Deadline;
  /** A try whose answer has not begun after this many ms fails with TryTimeoutError; 0 = no limit. */
  tryTimeoutMs: number;
}

/** No deadline that ever runs out, and no per-try timeout: how steps 1-5 called tryOnce. */
const NO_LIMITS: TryLimits = { deadline: { expired: undefined, listen: () => () => {}, signal: new AbortController().signal }, tryTimeoutMs: 0 };

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
  /** How each request's body goes out, decided before http-proxy touches its headers (see framing.ts). */
  readonly #framings = new WeakMap<http.IncomingMessage, Framing>();
  /** Why a backend broke off a response it had begun, per client response: the try reports it. */
  readonly #brokenOff = new WeakMap<http.ServerResponse, Error>();
  /** The request to the backend of each try in flight, per client response: so a try can be cut short. */
  readonly #outbound = new WeakMap<http.ServerResponse, http.ClientRequest>();
  /** Client responses whose backend's answer has begun (its headers arrived): no clock of the try cuts it any more. */
  readonly #answering = new WeakSet<http.ServerResponse>();

  constructor(readonly timeouts: OutboundTimeouts) {
    this.#proxy = httpProxy.createProxyServer({ agent: this.#agent });
    this.#proxy.on('proxyReq', (outbound, inbound, res) => {
      // http-proxy emits this from a socket callback, where a throw would crash the process.
      // Failing just this request sends the error down the one error path instead.
      this.#outbound.set(res, outbound);
      try {
        prepareOutbound(outbound, inbound, this.#framings.get(inbound) as Framing, timeouts);
        refuseUnaskedUpgrade(outbound, res, (err) => this.#brokenOff.set(res, err));
      } catch (err) {
        outbound.destroy(err as Error);
      }
    });
    this.#proxy.on('proxyRes', (backendRes, _inbound, res) => {
      this.#answering.add(res);
      // Registered before watchBackendResponse cuts the client off, so the try knows whose fault it was.
      backendRes.once('error', (err) => this.#brokenOff.set(res, err));
      watchBackendResponse(backendRes, res, timeouts);
    });
    // No 'error' listener any more: every try passes a callback to web(), and http-proxy then reports
    // the error there instead of emitting it. The retry loop decides what the client gets.
  }

  /**
   * One try: sends `inbound` with `body` to `backend` and streams the answer into `res`. Resolves with
   * how the try ended (see TryOutcome) and never rejects. It does not answer the client on failure:
   * the caller decides between another try and the error path.
   */
  tryOnce(inbound: http.IncomingMessage, res: http.ServerResponse, backend: URL, body: RequestBody, limits: TryLimits = NO_LIMITS): Promise<TryOutcome> {
    this.#framings.set(inbound, body.framing);
    // Node has already answered `100 Continue` to the client, and with Expect set http-proxy skips its
    // 'proxyReq' event, which we need for the path, the framing, the X-Forwarded-* headers and the timeout.
    delete inbound.headers.expect;
    // What an earlier try of this request left behind says nothing about this one.
    this.#brokenOff.delete(res);
    this.#outbound.delete(res);
    return new Promise((resolve) => {
      const settle = (outcome: TryOutcome) => {
        res.off('finish', answered).off('close', closed);
        clearTimeout(timer);
        stopListening();
        resolve(outcome);
      };
      // Ends this try with `error`, unless the backend's answer has begun: then it runs its course.
      const cut = (error: Error) => {
        if (this.#answering.has(res)) return;
        this.#brokenOff.set(res, error);
        this.#outbound.get(res)?.destroy(error);
      };
      const timer = limits.tryTimeoutMs > 0 ? setTimeout(() => cut(new TryTimeoutError(limits.tryTimeoutMs)), limits.tryTimeoutMs) : undefined;
      const stopListening = limits.deadline.listen(cut);
      // Finished: the backend's whole answer went out — or our 502 for an answer we could not relay.
      const answered = () => {
        const error = this.#brokenOff.get(res);
        settle(error ? { kind: 'failed', error } : { kind: 'answered', status: res.statusCode });
      };
      // Closed before finishing: either the backend broke off (we cut the client) or the client left.
      const closed = () => {
        const error = this.#brokenOff.get(res);
        // The client left: nobody will read the answer, so stop the backend's work on it now (nginx
        // logs this as 499). http-proxy only does so for a client that leaves mid-upload.
        // TODO(step6) 1 of 7: (same task) the client left: destroy this try's request to the backend (this.#outbound), so the backend stops working for nobody
        settle(error ? { kind: 'failed', error } : { kind: 'client-gone' });
      };
      // http-proxy reports errors of both sides here; a client whose socket is gone caused its own.
      const failed = (error: Error) => settle(inbound.socket.destroyed ? { kind: 'client-gone' } : { kind: 'failed', error: this.#brokenOff.get(res) ?? error });
      res.once('finish', answered).once('close', closed);
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

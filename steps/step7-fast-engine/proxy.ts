import type http from 'node:http';
import type { Deadline } from './request-context.js';
import { outboundRequest, type OutboundTimeouts } from './outbound-request.js';
import type { RequestBody } from './request-body.js';
import { ResponseRelay } from './response-relay.js';
import { UpstreamPools } from './upstream-pool.js';

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
 * Forwards requests to backends. Steps 1-6 built this on http-proxy; step 7 keeps the contract (the
 * constructor, tryOnce and close, and every behaviour the earlier suites check) and changes the engine
 * underneath to undici: keep-alive connections per backend (upstream-pool.ts), and a handler (ResponseRelay)
 * that undici calls as the answer arrives, instead of a stack of streams and events per request.
 */
export class Proxy {
  readonly #pools: UpstreamPools;

  constructor(readonly timeouts: OutboundTimeouts) {
    this.#pools = new UpstreamPools(timeouts.connectTimeoutMs);
  }

  /**
   * One try: sends `inbound` with `body` to `backend` and streams the answer into `res`. Resolves with
   * how the try ended (see TryOutcome) and never rejects. It does not answer the client on failure:
   * the caller decides between another try and the error path.
   */
  tryOnce(inbound: http.IncomingMessage, res: http.ServerResponse, backend: URL, body: RequestBody, limits: TryLimits = NO_LIMITS): Promise<TryOutcome> {
    return new Promise((resolve) => {
      let relay: ResponseRelay | undefined;
      try {
        const request = outboundRequest(inbound, body);
        const pool = this.#pools.of(backend);
        const client = pool.take();
        relay = new ResponseRelay(inbound, res, this.timeouts, pool, client, request, limits, resolve);
        client.dispatch(request, relay);
      } catch (error) {
        // undici refuses what it cannot send (a header it does not allow, a target such as `*`); and
        // a bug in building the request fails this try like any other failure, it does not reject.
        if (relay) relay.onResponseError(undefined as never, error as Error);
        else resolve({ kind: 'failed', error: error as Error });
      }
    });
  }

  /** Closes the pooled upstream connections. */
  close(): void {
    this.#pools.close();
  }
}

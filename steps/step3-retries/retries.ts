import { sendError } from './error-response.js';
import { NoBackendAvailableError, NotImplementedError } from './errors.js';
import type { Proxy } from './proxy.js';
import type { RequestBody } from './request-body.js';
import type { RequestContext } from './request-context.js';
import { mayRetry } from './retry-policy.js';
import type { ServerPool } from './server-pool.js';

/** How hard one request tries before the client gets 503. */
export interface RetryOptions {
  /** Extra tries on the same backend after a connection failure. */
  maxRetries: number;
  /** Backends to try, the first one included. */
  maxAttempts: number;
  /** Pause between two tries on the same backend, in ms. */
  retryDelayMs: number;
  /** Waits `ms`; rejects early when `signal` aborts. Tests pass their own clock. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Tries a backend, retries it on connection failures, then fails over to the next alive backend:
 *
 *     attempt 1: backend A — try, wait, retry, wait, retry … → mark A down
 *     attempt 2: backend B — try → answered
 *
 * Answers 503 when `maxAttempts` backends have failed or none is alive. A failure that must not be
 * retried (see retry-policy.ts) goes straight to the error path.
 */
export async function forwardWithRetries(ctx: RequestContext, pool: ServerPool, proxy: Proxy, body: RequestBody, options: RetryOptions): Promise<void> {
  // TODO(step3): loop over attempts (pool.next(), ctx.startAttempt) and tries (proxy.tryOnce, mayRetry, options.sleep with ctx.clientGone); mark a backend down when its retries run out; end with 503
  throw new NotImplementedError('step3-retries', 'loop over attempts (pool.next(), ctx.startAttempt) and tries (proxy.tryOnce, mayRetry, options.sleep with ctx.clientGone); mark a backend down when its retries run out; end with 503');
}

import { sendError } from './error-response.js';
import { NoBackendAvailableError } from './errors.js';
import type { Proxy } from './proxy.js';
import type { RequestBody } from './request-body.js';
import type { RequestContext } from './request-context.js';
import { mayRetry } from './retry-policy.js';
import type { ServerPool } from './server-pool.js';

/** The parts of the balancer a request moves through. */
export interface Route {
  pool: ServerPool;
  proxy: Proxy;
}

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
 * Tries a backend, retries it on connection failures, then fails over to the next alive backend it
 * has not tried yet:
 *
 *     attempt 1: backend A — try, wait, retry, wait, retry … → mark A down
 *     attempt 2: backend B — try → answered
 *
 * Answers 503 when `maxAttempts` backends have failed or none is left. A failure that must not be
 * retried (see retry-policy.ts) goes straight to the error path, and leaves the backend in rotation:
 * one timeout or one reset POST is no proof that a backend is dead.
 */
export async function forwardWithRetries(ctx: RequestContext, { pool, proxy }: Route, body: RequestBody, options: RetryOptions): Promise<void> {
  // TODO(step3) 4 of 4: retry on the same backend, then fail over, then answer 503 (recipe: npm run hint -- step3 --todo 4)
  // Step 2's behaviour until you write the loop: one backend, one try.
  const backend = pool.next();
  if (!backend) return sendError(ctx.res, new NoBackendAvailableError());
  ctx.backend = backend;
  const outcome = await proxy.tryOnce(ctx.inbound, ctx.res, backend.url, body);
  if (outcome.kind === 'failed') sendError(ctx.res, outcome.error);
}

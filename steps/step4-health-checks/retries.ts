import { blamesBackend, sendError } from './error-response.js';
import { NoBackendAvailableError } from './errors.js';
import type { HealthChecker } from './health-checker.js';
import type { Proxy } from './proxy.js';
import type { RequestBody } from './request-body.js';
import type { RequestContext } from './request-context.js';
import { mayRetry } from './retry-policy.js';
import type { ServerPool } from './server-pool.js';

/** The parts of the balancer a request moves through; step 4 adds the health checks. */
export interface Route {
  pool: ServerPool;
  proxy: Proxy;
  health: HealthChecker;
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
 *     attempt 1: backend A — try, wait, retry, wait, retry … → tell the health checks (A is ejected)
 *     attempt 2: backend B — try → answered
 *
 * Answers 503 when `maxAttempts` backends have failed or none is left. A failure that must not be
 * retried (see retry-policy.ts) goes straight to the error path. Every way a try ends is reported to
 * the passive health checks, which decide whether a backend is ejected, except a client that left.
 */
export async function forwardWithRetries(ctx: RequestContext, { pool, proxy, health }: Route, body: RequestBody, options: RetryOptions): Promise<void> {
  while (ctx.attempts < options.maxAttempts) {
    const backend = pool.next(ctx.tried);
    if (!backend) break;
    ctx.startAttempt(backend);
    let lastError: Error | undefined;
    for (;;) {
      ctx.tries += 1;
      const outcome = await proxy.tryOnce(ctx.inbound, ctx.res, backend.url, body);
      if (outcome.kind === 'client-gone') return; // a client that left says nothing about the backend
      if (outcome.kind === 'answered') {
        // TODO(step4) 3 of 3: tell the passive checks how the try ended (recipe: npm run hint -- step4 --todo 3)
        return;
      }
      if (!mayRetry(outcome.error, ctx.inbound.method ?? '', body, ctx.res)) {
        // TODO(step4) 3 of 3: (same task) a failure that is not retried, unless it was the balancer's own (blamesBackend)
        return sendError(ctx.res, outcome.error);
      }
      lastError = outcome.error;
      if (ctx.retries >= options.maxRetries) break;
      ctx.retries += 1;
      await options.sleep(options.retryDelayMs, ctx.clientGone).catch(() => {}); // rejects when the client leaves
      if (ctx.clientGone.aborted) return; // nobody is waiting for the answer any more
    }
    // TODO(step4) 3 of 3: (same task) retries exhausted
    backend.markAlive(false); // step 3's behaviour: down until the end of time
  }
  sendError(ctx.res, new NoBackendAvailableError());
}

/** `ECONNREFUSED`, or the message when there is no code: short enough for a log line. */
function describe(err: Error): string {
  return (err as NodeJS.ErrnoException).code ?? err.message;
}

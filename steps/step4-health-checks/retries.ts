import { sendError } from './error-response.js';
import { NoBackendAvailableError } from './errors.js';
import type { HealthChecker } from './health-checker.js';
import type { Proxy } from './proxy.js';
import type { RequestBody } from './request-body.js';
import type { RequestContext } from './request-context.js';
import { mayRetry } from './retry-policy.js';
import type { ServerPool } from './server-pool.js';

/** The parts of the balancer a request moves through. */
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
 * Tries a backend, retries it on connection failures, then fails over to the next alive backend:
 *
 *     attempt 1: backend A — try, wait, retry, wait, retry … → tell the health checks (A is ejected)
 *     attempt 2: backend B — try → answered
 *
 * Answers 503 when `maxAttempts` backends have failed or none is alive. A failure that must not be
 * retried (see retry-policy.ts) goes straight to the error path. Every outcome is reported to the
 * passive health checks, which decide whether a backend is ejected.
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
      if (outcome.ok) {
        // TODO(step4): if the response finished (res.writableFinished), report its status to the passive checks with health.reportResponse()
        return;
      }
      if (ctx.clientGone.aborted) return; // a client that left says nothing about the backend
      if (!mayRetry(outcome.error, ctx.inbound.method ?? '', body, ctx.res)) {
        // TODO(step4): report this failure to the passive checks with health.reportFailure()
        return sendError(ctx.res, outcome.error);
      }
      lastError = outcome.error;
      if (ctx.retries >= options.maxRetries) break;
      ctx.retries += 1;
      const waited = await options.sleep(options.retryDelayMs, ctx.clientGone).then(
        () => true,
        () => false,
      );
      if (!waited || ctx.clientGone.aborted) return; // nobody is waiting for the answer any more
    }
    // TODO(step4): retries exhausted: report the failure to the passive checks instead of marking the backend down for good
    backend.markAlive(false); // step 3's behaviour: down until the end of time
  }
  sendError(ctx.res, new NoBackendAvailableError());
}

/** `ECONNREFUSED`, or the message when there is no code: short enough for a log line. */
function describe(err: Error | undefined): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? err?.message ?? 'unknown error';
}

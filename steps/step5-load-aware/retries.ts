import type { Dispatcher } from './dispatcher.js';
import { blamesBackend, sendError } from './error-response.js';
import { NoBackendAvailableError } from './errors.js';
import type { HealthChecker } from './health-checker.js';
import type { Proxy } from './proxy.js';
import type { RequestBody } from './request-body.js';
import type { RequestContext } from './request-context.js';
import { mayRetry } from './retry-policy.js';

/** The parts of the balancer a request moves through; step 5 picks backends through the dispatcher. */
export interface Route {
  dispatcher: Dispatcher;
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
 * Tries a backend, retries it on connection failures, then fails over to another backend it has not
 * tried yet:
 *
 *     attempt 1: backend A — try, wait, retry, wait, retry … → tell the health checks (A is ejected)
 *     attempt 2: backend B — try → answered
 *
 * Each attempt holds a place on its backend from `dispatcher.acquire()` to `dispatcher.release()`,
 * the retries and their pauses included, so the backend's in-flight count is exact on every way out.
 * Answers 503 when `maxAttempts` backends have failed or none is left. A failure that must not be
 * retried (see retry-policy.ts) goes straight to the error path. Every way a try ends is reported to
 * the passive health checks, which decide whether a backend is ejected, except a client that left.
 */
export async function forwardWithRetries(ctx: RequestContext, { dispatcher, proxy, health }: Route, body: RequestBody, options: RetryOptions): Promise<void> {
  while (ctx.attempts < options.maxAttempts) {
    const backend = await dispatcher.acquire(ctx); // may wait for room, or reject with 503 when overloaded
    if (!backend) break;
    ctx.startAttempt(backend);
    try {
      let lastError: Error | undefined;
      for (;;) {
        ctx.tries += 1;
        const startedAt = dispatcher.now();
        const outcome = await proxy.tryOnce(ctx.inbound, ctx.res, backend.url, body);
        dispatcher.record(backend, outcome, startedAt);
        if (outcome.kind === 'client-gone') return; // a client that left says nothing about the backend
        if (outcome.kind === 'answered') {
          health.reportResponse(backend, outcome.status);
          return;
        }
        if (!mayRetry(outcome.error, ctx.inbound.method ?? '', body, ctx.res)) {
          if (blamesBackend(outcome.error)) health.reportFailure(backend, describe(outcome.error));
          return sendError(ctx.res, outcome.error);
        }
        lastError = outcome.error;
        if (ctx.retries >= options.maxRetries) break;
        ctx.retries += 1;
        await options.sleep(options.retryDelayMs, ctx.clientGone).catch(() => {}); // rejects when the client leaves
        if (ctx.clientGone.aborted) return; // nobody is waiting for the answer any more
      }
      health.reportFailure(backend, describe(lastError as Error)); // set by every failed try before the break
    } finally {
      dispatcher.release(backend);
    }
  }
  sendError(ctx.res, new NoBackendAvailableError());
}

/** `ECONNREFUSED`, or the message when there is no code: short enough for a log line. */
function describe(err: Error): string {
  return (err as NodeJS.ErrnoException).code ?? err.message;
}

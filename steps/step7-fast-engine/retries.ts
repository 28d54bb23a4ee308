import type { Backend } from './backend.js';
import type { Dispatcher } from './dispatcher.js';
import { blamesBackend, sendError } from './error-response.js';
import { NoBackendAvailableError } from './errors.js';
import type { HealthChecker } from './health-checker.js';
import type { Proxy } from './proxy.js';
import type { RequestBody } from './request-body.js';
import type { RequestContext } from './request-context.js';
import type { RetryBudget } from './retry-budget.js';
import { mayRetry } from './retry-policy.js';

/** The parts of the balancer a request moves through; step 6 adds the retry budget. */
export interface Route {
  dispatcher: Dispatcher;
  proxy: Proxy;
  health: HealthChecker;
  budget: RetryBudget;
}

/** How hard one request tries before the client gets 503. */
export interface RetryOptions {
  /** Extra tries on the same backend after a connection failure. */
  maxRetries: number;
  /** Backends to try, the first one included. */
  maxAttempts: number;
  /** Pause between two tries on the same backend, in ms. */
  retryDelayMs: number;
  /** A try whose answer has not begun after this many ms fails (and may be retried); 0 = no limit. */
  tryTimeoutMs: number;
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
 * Each attempt holds a place on its backend from `dispatcher.acquire()` to `dispatcher.release()`. Step 6
 * bounds it all three ways: the request's deadline (ctx.deadline) ends the queue wait, the try and the
 * pauses, with 504; a try may take at most `tryTimeoutMs`; and every try after the first — a retry or a
 * failover — needs room in the retry budget, or the failure is answered as it is.
 */
export async function forwardWithRetries(ctx: RequestContext, route: Route, body: RequestBody, options: RetryOptions): Promise<void> {
  route.budget.requests += 1;
  try {
    await tryBackends(ctx, route, body, options);
  } finally {
    route.budget.requests -= 1;
  }
}

async function tryBackends(ctx: RequestContext, { dispatcher, proxy, health, budget }: Route, body: RequestBody, options: RetryOptions): Promise<void> {
  let lastError: Error | undefined;
  while (ctx.attempts < options.maxAttempts) {
    // A failover is a retry too. It asks the budget before it takes a backend: a refused one must not
    // touch a backend it will never try.
    let budgeted = false;
    if (ctx.tries > 0) {
      if (!budget.startRetry()) return sendError(ctx.res, lastError as Error); // the failed backend was told already
      budgeted = true;
    }
    let backend: Backend | undefined;
    try {
      backend = await dispatcher.acquire(ctx); // may wait for room; rejects with 503 when overloaded, 504 past the deadline
    } finally {
      if (!backend && budgeted) budget.endRetry(); // no try follows
    }
    if (!backend) break;
    ctx.startAttempt(backend);
    try {
      for (;;) {
        if (ctx.retries > 0) {
          if (!budget.startRetry()) return refuseRetry(health, backend, lastError as Error, ctx);
          budgeted = true;
        }
        ctx.tries += 1;
        const startedAt = dispatcher.now();
        const outcome = await proxy.tryOnce(ctx.inbound, ctx.res, backend.url, body, { deadline: ctx.deadline, tryTimeoutMs: options.tryTimeoutMs }).finally(() => {
          if (budgeted) budget.endRetry();
          budgeted = false;
        });
        // A try the deadline cut only says the backend took at least that long, as when a client leaves.
        const cutByDeadline = outcome.kind === 'failed' && outcome.error === ctx.deadline.expired;
        dispatcher.record(backend, cutByDeadline ? { kind: 'client-gone' } : outcome, startedAt);
        if (outcome.kind === 'client-gone') return; // a client that left says nothing about the backend
        if (outcome.kind === 'answered') {
          health.reportResponse(backend, outcome.status);
          return;
        }
        if (ctx.deadline.expired) return sendError(ctx.res, ctx.deadline.expired);
        if (!mayRetry(outcome.error, ctx.inbound.method ?? '', body, ctx.res)) {
          if (blamesBackend(outcome.error)) health.reportFailure(backend, describe(outcome.error));
          return sendError(ctx.res, outcome.error);
        }
        lastError = outcome.error;
        // A try that timed out goes to another backend: the same one is slow right now.
        if (ctx.retries >= options.maxRetries || isTryTimeout(outcome.error)) break;
        ctx.retries += 1;
        await options.sleep(options.retryDelayMs, waitingEnds(ctx)).catch(() => {}); // rejects when the client leaves or the deadline passes
        if (ctx.clientGone.aborted) return; // nobody is waiting for the answer any more
        if (ctx.deadline.expired) return sendError(ctx.res, ctx.deadline.expired);
      }
      health.reportFailure(backend, describe(lastError)); // set by every failed try before the break
    } finally {
      dispatcher.release(backend);
    }
  }
  sendError(ctx.res, new NoBackendAvailableError());
}

/** The budget has no room to retry `backend`: its attempt ends as a failure, and the client gets that failure as it is. */
function refuseRetry(health: HealthChecker, backend: Backend, lastError: Error, ctx: RequestContext): void {
  if (blamesBackend(lastError)) health.reportFailure(backend, describe(lastError));
  sendError(ctx.res, lastError);
}

function isTryTimeout(err: Error): boolean {
  return (err as { code?: unknown }).code === 'TRY_TIMEOUT';
}

/** What ends a pause between tries: the client leaving, or the deadline. */
function waitingEnds(ctx: RequestContext): AbortSignal {
  return AbortSignal.any([ctx.clientGone, ctx.deadline.signal]);
}

/** `ECONNREFUSED`, or the message when there is no code: short enough for a log line. */
function describe(err: Error | undefined): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? err?.message ?? '';
}

import type { Backend } from './backend.js';
import { sampleOf } from './backend-load.js';
import { NotImplementedError, OverloadedError } from './errors.js';
import type { BalancingPolicy } from './policy.js';
import type { TryOutcome } from './proxy.js';
import type { RequestContext } from './request-context.js';
import type { ServerPool } from './server-pool.js';

/** How much the balancer lets each backend take, and how long a request may wait for room. */
export interface Limits {
  /** Requests in flight per backend; 0 means no limit (HAProxy's `maxconn`, which counts requests in HTTP mode). */
  maxConnections: number;
  /** Requests that may wait for room; one more gets 503 at once. 0 means no waiting at all. */
  maxQueue: number;
  /** How long a request may wait in the queue before it gets 503, in ms (HAProxy's `timeout queue`). */
  queueTimeoutMs: number;
}

/** A request waiting for room on a backend. */
interface Waiter {
  ctx: RequestContext;
  /** Hands the waiter its backend (counted in flight already), or undefined when none is left to try. */
  admit(backend: Backend | undefined): void;
  /** Ends the wait with an error: the policy threw while picking for it. */
  fail(error: Error): void;
}

/**
 * Admits requests to backends: asks the policy for a backend that has room, counts the request in flight
 * on it until `release()`, and queues the request, in arrival order, while every candidate is full.
 *
 *     request → candidates (available, untried) → those with room → policy.select → backend, inFlight + 1
 *                                                 ↘ none with room → queue (bounded, timed) → 503
 */
export class Dispatcher {
  readonly #waiting: Waiter[] = [];

  constructor(
    private readonly pool: ServerPool,
    readonly policy: BalancingPolicy,
    readonly limits: Limits,
    /** A monotonic clock in ms, for latency samples. */
    readonly now: () => number,
  ) {}

  /** Requests waiting for room right now. */
  get queueLength(): number {
    return this.#waiting.length;
  }

  /**
   * The backend for the next attempt of `ctx`, counted in flight: call `release()` when the attempt
   * ends, however it ends. Undefined when no backend is left to try (or the client left while waiting).
   * Rejects with OverloadedError when every candidate is full and the queue is full too, or the wait
   * took longer than `queueTimeoutMs`.
   */
  acquire(ctx: RequestContext): Promise<Backend | undefined> {
    // Its abort event has fired already and will not again: such a request would never leave the queue.
    if (ctx.clientGone.aborted) return Promise.resolve(undefined);
    const pick = this.#pick(ctx);
    if (pick !== 'full') return Promise.resolve(pick);
    // TODO(step5) 7 of 7: back-pressure (recipe: npm run hint -- step5 --todo 7)
    throw new NotImplementedError('step5-load-aware', 'TODO 7 of 7 in dispatcher.ts: back-pressure');
  }

  /** Ends the attempt that `acquire()` began: one request fewer in flight, and room for a waiting one. */
  release(backend: Backend): void {
    // TODO(step5) 6 of 7: count requests in flight (recipe: npm run hint -- step5 --todo 6)
    this.wake();
  }

  /** Feeds the latency estimate with how long a try took (see sampleOf for failures and departed clients). */
  record(backend: Backend, outcome: TryOutcome, startedAt: number): void {
    const now = this.now();
    const elapsed = now - startedAt;
    // A client that gave up only tells us the backend took at least this long. That is news when it
    // is more than the estimate: a backend that hangs until every client leaves must not look fast.
    if (outcome.kind === 'client-gone') {
      if (elapsed > (backend.load.costAt(now) ?? 0)) backend.load.observe(elapsed, now);
      return;
    }
    const sample = sampleOf(outcome, elapsed);
    if (sample !== undefined) backend.load.observe(sample, now);
  }

  /** A backend for `ctx` now (counted in flight); undefined when it has no candidate left; 'full' when every candidate is at its limit. */
  #pick(ctx: RequestContext): Backend | undefined | 'full' {
    const candidates = this.pool.backends.filter((backend) => backend.isAlive() && !ctx.tried.has(backend));
    if (candidates.length === 0) return undefined;
    const roomy = candidates.filter((backend) => this.#hasRoom(backend));
    if (roomy.length === 0) return 'full';
    let backend: Backend | undefined;
    try {
      backend = this.policy.select(roomy, ctx.inbound);
    } catch (error) {
      // Your own policy may throw anything, `null` included; the error path needs an Error.
      throw error instanceof Error ? error : new Error(`policy ${this.policy.name} threw ${String(error)}`);
    }
    // A policy may only pick among what it was offered: a tried, down or full backend, or a stranger,
    // would break the rules of steps 3-5. That counts as no pick.
    if (!backend || !roomy.includes(backend)) return undefined;
    // TODO(step5) 6 of 7: (same task) one more request in flight on the picked backend
    return backend;
  }

  #hasRoom(backend: Backend): boolean {
    return this.limits.maxConnections === 0 || backend.load.inFlight < this.limits.maxConnections;
  }

  /**
   * Lets waiting requests in, first come first served, as long as there is room for them. `release()`
   * calls it, and so does whatever else changes who has room: a backend that came back (or went down:
   * then a waiter with no candidate left gets its 503 now, not at the timeout).
   */
  wake(): void {
    for (const waiter of [...this.#waiting]) {
      let pick: Backend | undefined | 'full';
      try {
        pick = this.#pick(waiter.ctx);
      } catch (error) {
        // A policy that throws fails the request it was picking for — not the one whose release got us here.
        waiter.fail(error as Error);
        continue;
      }
      if (pick !== 'full') waiter.admit(pick);
    }
  }
}

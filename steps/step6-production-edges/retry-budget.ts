import { InvalidOptionsError } from './errors.js';

/** How many retries may be in flight at once (Envoy's `retry_budget`). */
export interface RetryBudgetOptions {
  /** Retries in flight, as a percentage of the requests in flight (default 20, Envoy's `budget_percent`). */
  percent?: number;
  /** Retries always allowed in flight, however few requests there are (default 3, Envoy's `min_retry_concurrency`). */
  minConcurrency?: number;
}

/**
 * A brake on retry storms. When a backend fails slowly under load, every request retries, each retry
 * adds load, and the failure spreads: a count per request ("3 retries") cannot see that. A budget looks
 * at the whole balancer instead: retries in flight may be at most `percent` % of the requests in flight
 * (but `minConcurrency` always, or a quiet balancer could never retry). Past it, a failed try is
 * answered as it failed — a fast 502 instead of a retry that makes things worse.
 *
 *     requests in flight: 40, percent 20 → at most 8 retries in flight at once
 */
export class RetryBudget {
  readonly percent: number;
  readonly minConcurrency: number;
  /** Requests being forwarded right now (each counted once, however many tries it makes). */
  requests = 0;
  /** Tries after a request's first, in flight right now. */
  retries = 0;
  /** Retries refused so far because the budget was spent: for the metrics. */
  refused = 0;

  constructor({ percent = 20, minConcurrency = 3 }: RetryBudgetOptions = {}) {
    if (!(percent >= 0 && percent <= 100)) throw new InvalidOptionsError(`retryBudget.percent must be from 0 to 100, got ${percent}`);
    if (!Number.isInteger(minConcurrency) || minConcurrency < 0) throw new InvalidOptionsError(`retryBudget.minConcurrency must be a whole number ≥ 0, got ${minConcurrency}`);
    this.percent = percent;
    this.minConcurrency = minConcurrency;
  }

  /** How many retries may be in flight now. */
  get limit(): number {
    return Math.max(this.minConcurrency, Math.floor((this.requests * this.percent) / 100));
  }

  /** Asks to start one retry: true (and counted until `endRetry()`) while the budget has room. */
  startRetry(): boolean {
    // TODO(step6) 3 of 7: the retry budget (recipe: npm run hint -- step6 --todo 3)
    return true;
  }

  /** A retry that `startRetry()` allowed has ended, however it ended. */
  endRetry(): void {
    this.retries -= 1;
  }
}

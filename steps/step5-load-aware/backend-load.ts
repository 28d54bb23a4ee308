import { blamesBackend } from './error-response.js';
import type { TryOutcome } from './proxy.js';

/** Finagle's decay time for the latency estimate: a sample loses about 63 % of its weight in 10 s. */
export const DEFAULT_DECAY_MS = 10_000;

/**
 * What a failed try counts as, at least, in ms. A refused connection fails in a millisecond; timed
 * as it is, a dying backend would look like the fastest one and draw all the traffic ("errors are
 * quick"). An answer with a 5xx status counts the same.
 */
export const FAILURE_PENALTY_MS = 1_000;

/**
 * How loaded one backend is right now: the requests in flight on it, and a latency estimate in the
 * style of Finagle's peak EWMA. It lives in this process only; worker threads do not share it.
 */
export class BackendLoad {
  /** Requests admitted to this backend whose attempt has not ended yet. The dispatcher counts them. */
  inFlight = 0;
  #cost = 0;
  #stamp = 0;
  #sampled = false;

  /** @param decayMs how fast old latency samples fade (τ): a sample's weight is `exp(-age / decayMs)` */
  constructor(readonly decayMs = DEFAULT_DECAY_MS) {}

  /**
   * Adds one latency sample taken at `now` (ms on any monotonic clock), with Finagle's arithmetic: a
   * sample above the stored estimate replaces it at once (the peak); otherwise the stored estimate
   * keeps weight `exp(-elapsed / decayMs)`, elapsed since it was last stored, and the sample gets the rest.
   */
  observe(latencyMs: number, now: number): void {
    // TODO(step5) 4 of 7: peak EWMA (recipe: npm run hint -- step5 --todo 4)
  }

  /**
   * The latency estimate at `now`, in ms, or undefined before the first sample. With no new samples it
   * decays towards 0, so a backend that was slow once and then got no traffic looks better and better
   * until it is tried again: it cannot starve (traefik#12306 is what happens otherwise).
   *
   * Reading stores the decayed estimate, as Finagle's does (it reads by observing a 0 ms sample): the
   * next sample is then compared with, and blended into, what the policy last saw.
   */
  costAt(now: number): number | undefined {
    // TODO(step5) 4 of 7: (same task) undefined before any sample; otherwise decay the stored estimate to `now` (× weight), store it with `now` as its stamp, and return it
    return undefined;
  }

  /** How much of the estimate is left after the time since the last sample. */
  #weightAt(now: number): number {
    return Math.exp(-Math.max(now - this.#stamp, 0) / this.decayMs);
  }
}

/**
 * The latency sample a try gives, or undefined when it gives none: the client left (the dispatcher
 * treats that as a lower bound, see Dispatcher.record), or the failure was the client's stall or the
 * balancer's own shortage (EMFILE), which say nothing about the backend.
 */
export function sampleOf(outcome: TryOutcome, elapsedMs: number): number | undefined {
  if (outcome.kind === 'client-gone') return undefined;
  if (outcome.kind === 'failed' && !blamesBackend(outcome.error)) return undefined;
  if (outcome.kind === 'failed' || outcome.status >= 500) return Math.max(elapsedMs, FAILURE_PENALTY_MS);
  return elapsedMs;
}

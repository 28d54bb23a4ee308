import type { Backend } from './backend.js';
import { lowest, type BalancingPolicy } from './policy.js';
import { NotImplementedError } from './errors.js';

/**
 * The smallest cost a backend can have, in ms. Without a floor, backends whose estimates are 0 (no
 * samples anywhere yet, or an estimate faded to nothing) would all tie whatever their requests in
 * flight; with it, they are compared by requests in flight, like least connections.
 */
export const MIN_COST_MS = 0.001;

/**
 * Latency-aware balancing, Finagle's peak EWMA: each backend's load is its latency estimate times
 * (requests in flight + 1), and the lowest load wins. A backend that turns slow is avoided at once
 * (the estimate jumps to the peak), and it gets traffic back as the estimate decays.
 */
export class PeakEwma implements BalancingPolicy {
  readonly name = 'ewma';
  #turn = 0;

  /** @param now a monotonic clock in ms (performance.now by default); tests pass their own */
  constructor(private readonly now: () => number) {}

  select(candidates: readonly Backend[]): Backend | undefined {
    // TODO(step5) 5 of 7: pick the backend with the lowest expected wait (recipe: npm run hint -- step5 --todo 5)
    throw new NotImplementedError('step5-load-aware', 'TODO 5 of 7 in peak-ewma.ts: pick the backend with the lowest expected wait');
  }
}

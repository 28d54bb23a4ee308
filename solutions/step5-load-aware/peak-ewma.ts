import type { Backend } from './backend.js';
import { lowest, type BalancingPolicy } from './policy.js';

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
    // #region exercise(step5, 5): pick the backend with the lowest expected wait — load = latency estimate (backend.load.costAt(now), at least MIN_COST_MS) × (inFlight + 1); a backend with no estimate yet costs the average of the others' (0 if none has one); lowest load wins, ties spread by lowest() and this.#turn
    const now = this.now();
    const costs = candidates.map((backend) => backend.load.costAt(now));
    const known = costs.filter((cost) => cost !== undefined);
    // A backend with no samples yet is neither favoured nor avoided: it costs what the others cost on average.
    const neutral = known.length > 0 ? known.reduce((sum, cost) => sum + cost, 0) / known.length : 0;
    const cost = new Map(candidates.map((backend, i) => [backend, Math.max(costs[i] ?? neutral, MIN_COST_MS)]));
    return lowest(candidates, (backend) => (cost.get(backend) as number) * (backend.load.inFlight + 1), this.#turn++);
    // #endregion
  }
}

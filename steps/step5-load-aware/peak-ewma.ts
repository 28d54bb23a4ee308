import type { Backend } from './backend.js';
import { lowest, type BalancingPolicy } from './policy.js';
import { NotImplementedError } from './errors.js';

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
    // TODO(step5) 5 of 7: load = latency estimate (backend.load.costAt(now)) × (inFlight + 1); a backend with no estimate yet costs the average of the others' (0 if none has one); lowest load wins, ties in turn
    throw new NotImplementedError('step5-load-aware', "TODO 5 of 7 in peak-ewma.ts: load = latency estimate (backend.load.costAt(now)) × (inFlight + 1); a backend with no estimate yet costs the average of the others' (0 if none has one); lowest load wins, ties in turn");
  }
}

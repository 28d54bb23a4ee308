import type { Backend } from './backend.js';
import type { BalancingPolicy } from './policy.js';

/**
 * Power of two random choices (Envoy's `least_request`, HAProxy `random(2)`, nginx `random two
 * least_conn`): draw two different candidates at random, take the one with fewer requests in flight.
 * Nearly as good as scanning every backend for the least loaded, but it needs no scan, and balancers
 * that each see stale counts do not all stampede to the same "least loaded" backend.
 */
export class PowerOfTwoChoices implements BalancingPolicy {
  readonly name = 'p2c';

  /** @param random returns a number in [0, 1), like Math.random (the default); tests pass their own */
  constructor(private readonly random: () => number = Math.random) {}

  select(candidates: readonly Backend[]): Backend | undefined {
    // #region exercise(step5, 2): power of two choices: two different random candidates, keep the less busy — this.random() twice without drawing the same one; fewer in flight wins, the first drawn on a tie; with one candidate, take it
    if (candidates.length < 2) return candidates[0];
    const first = Math.floor(this.random() * candidates.length);
    // The second draw is among the others: HAProxy draws with replacement, and then sometimes
    // compares a backend with itself, which is no choice at all.
    let second = Math.floor(this.random() * (candidates.length - 1));
    if (second >= first) second += 1;
    const [a, b] = [candidates[first], candidates[second]];
    return b.load.inFlight < a.load.inFlight ? b : a;
    // #endregion
  }
}

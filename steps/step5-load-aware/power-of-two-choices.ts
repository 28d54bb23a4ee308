import type { Backend } from './backend.js';
import type { BalancingPolicy } from './policy.js';
import { NotImplementedError } from './errors.js';

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
    // TODO(step5) 2 of 7: power of two choices: two different random candidates, keep the less busy (recipe: npm run hint -- step5 --todo 2)
    throw new NotImplementedError('step5-load-aware', 'TODO 2 of 7 in power-of-two-choices.ts: power of two choices: two different random candidates, keep the less busy');
  }
}

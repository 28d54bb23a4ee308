import { InvalidOptionsError } from './errors.js';
import { LeastConnections } from './least-connections.js';
import { PeakEwma } from './peak-ewma.js';
import { POLICY_NAMES, type BalancingPolicy, type PolicyName } from './policy.js';
import { PowerOfTwoChoices } from './power-of-two-choices.js';
import { RoundRobin } from './round-robin.js';
import type { ServerPool } from './server-pool.js';
import { SmoothWeighted } from './smooth-weighted.js';

/** What the shipped policies may need besides the pool. */
export interface PolicyNeeds {
  /** One whole number ≥ 1 per backend; only the weighted policy takes them (default: all 1). */
  weights?: readonly number[];
  /** For p2c: a number in [0, 1). */
  random: () => number;
  /** For ewma: a monotonic clock in ms. */
  now: () => number;
}

/** The policy the options ask for: a shipped one by name, or the caller's own object, checked once. */
export function createPolicy(choice: PolicyName | BalancingPolicy, pool: ServerPool, needs: PolicyNeeds): BalancingPolicy {
  if (typeof choice === 'object') {
    if (typeof choice.select !== 'function') throw new InvalidOptionsError('a policy needs a select(candidates, request) method');
    if (needs.weights) throw new InvalidOptionsError('weights apply to the weighted policy only');
    return choice;
  }
  if (!POLICY_NAMES.includes(choice)) throw new InvalidOptionsError(`policy must be one of ${POLICY_NAMES.join(', ')}, got ${String(choice)}`);
  if (needs.weights && choice !== 'weighted') throw new InvalidOptionsError('weights apply to the weighted policy only');
  switch (choice) {
    case 'round-robin':
      return new RoundRobin(() => pool.nextTicket());
    case 'least-conn':
      return new LeastConnections();
    case 'p2c':
      return new PowerOfTwoChoices(needs.random);
    case 'ewma':
      return new PeakEwma(needs.now);
    case 'weighted':
      return new SmoothWeighted(checkWeights(needs.weights ?? pool.backends.map(() => 1), pool.backends.length));
  }
}

/** nginx's rule: every weight a whole number ≥ 1, and one per backend. */
function checkWeights(weights: readonly number[], backends: number): readonly number[] {
  if (weights.length !== backends) throw new InvalidOptionsError(`weights must give one weight per backend: ${backends} backends, ${weights.length} weights`);
  for (const weight of weights) {
    if (!Number.isInteger(weight) || weight < 1) throw new InvalidOptionsError(`every weight must be a whole number ≥ 1, got ${weight}`);
  }
  return weights;
}

import type { Backend } from './backend.js';
import type { BalancingPolicy } from './policy.js';

/** Step 2's rotation as a policy: every candidate in turn, from the pool's shared ticket counter. */
export class RoundRobin implements BalancingPolicy {
  readonly name = 'round-robin';

  /** @param nextTicket hands out 0, 1, 2, … (the pool's `nextTicket`, so worker threads share the turn) */
  constructor(private readonly nextTicket: () => number) {}

  select(candidates: readonly Backend[]): Backend | undefined {
    return candidates[this.nextTicket() % candidates.length];
  }
}

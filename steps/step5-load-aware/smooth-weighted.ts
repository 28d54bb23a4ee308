import type { Backend } from './backend.js';
import type { BalancingPolicy } from './policy.js';
import { NotImplementedError } from './errors.js';

/**
 * nginx's smooth weighted round robin. Every pick adds each candidate's weight to its running score,
 * takes the highest score (the first in pool order on a tie, as nginx does), and takes the total of
 * the weights off the winner. Weights 5, 1, 1 give `a a b a c a a`: the heavy backend gets its share
 * spread out, not in a burst of five.
 */
export class SmoothWeighted implements BalancingPolicy {
  readonly name = 'weighted';
  readonly #score = new Map<Backend, number>();

  /** @param weights one whole number ≥ 1 per backend, in pool order */
  constructor(private readonly weights: readonly number[]) {}

  select(candidates: readonly Backend[]): Backend | undefined {
    // TODO(step5) 3 of 7: smooth weighted round robin (nginx's) (recipe: npm run hint -- step5 --todo 3)
    throw new NotImplementedError('step5-load-aware', "TODO 3 of 7 in smooth-weighted.ts: smooth weighted round robin (nginx's)");
  }

  #scoreOf(backend: Backend): number {
    return this.#score.get(backend) ?? 0;
  }
}

import type { Backend } from './backend.js';
import type { BalancingPolicy } from './policy.js';

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
    // #region exercise(step5, 3): smooth weighted round robin (nginx's) — add each candidate's weight (this.weights[backend.index]) to its score in this.#score, pick the highest score (strictly higher wins, so ties go to the first), then take the sum of the candidates' weights off the winner's score
    let total = 0;
    let best: Backend | undefined;
    for (const backend of candidates) {
      const weight = this.weights[backend.index];
      this.#score.set(backend, this.#scoreOf(backend) + weight);
      total += weight;
      if (!best || this.#scoreOf(backend) > this.#scoreOf(best)) best = backend;
    }
    if (best) this.#score.set(best, this.#scoreOf(best) - total);
    return best;
    // #endregion
  }

  #scoreOf(backend: Backend): number {
    return this.#score.get(backend) ?? 0;
  }
}

import type { Backend } from './backend.js';
import { lowest, type BalancingPolicy } from './policy.js';

/**
 * The candidate with the fewest requests in flight (nginx `least_conn`, HAProxy `leastconn`). A slow
 * backend holds on to its requests, its count grows, and new requests go elsewhere: load, not
 * request counts, is balanced.
 */
export class LeastConnections implements BalancingPolicy {
  readonly name = 'least-conn';
  #turn = 0;

  select(candidates: readonly Backend[]): Backend | undefined {
    // #region exercise(step5, 1): least connections: the candidate with the fewest requests in flight, ties broken in turn — backend.load.inFlight; lowest() with this.#turn, not list order
    return lowest(candidates, (backend) => backend.load.inFlight, this.#turn++);
    // #endregion
  }
}

import type { Backend } from './backend.js';
import { lowest, type BalancingPolicy } from './policy.js';
import { NotImplementedError } from './errors.js';

/**
 * The candidate with the fewest requests in flight (nginx `least_conn`, HAProxy `leastconn`). A slow
 * backend holds on to its requests, its count grows, and new requests go elsewhere: load, not
 * request counts, is balanced.
 */
export class LeastConnections implements BalancingPolicy {
  readonly name = 'least-conn';
  #turn = 0;

  select(candidates: readonly Backend[]): Backend | undefined {
    // TODO(step5) 1 of 7: least connections: the candidate with the fewest requests in flight, ties broken in turn (recipe: npm run hint -- step5 --todo 1)
    throw new NotImplementedError('step5-load-aware', 'TODO 1 of 7 in least-connections.ts: least connections: the candidate with the fewest requests in flight, ties broken in turn');
  }
}

import type { IncomingMessage } from 'node:http';
import type { Backend } from './backend.js';

/**
 * How the balancer picks a backend: one method. `candidates` are the backends this request may use
 * right now — available, not yet tried by this request, and below their `maxConnections` — in pool
 * order, never empty. Each one's `load` tells its requests in flight and its latency estimate.
 * Return one of them; anything else counts as no pick, and the client gets 503.
 *
 * Write your own in a file of its own and run it with `npm start -- --policy ./my-policy.ts`.
 */
export interface BalancingPolicy {
  /** For the status API and the log, e.g. `least-conn`. */
  readonly name: string;
  select(candidates: readonly Backend[], request: IncomingMessage): Backend | undefined;
}

/** The policies the balancer ships, by the name `--policy` takes. */
export const POLICY_NAMES = ['round-robin', 'least-conn', 'p2c', 'ewma', 'weighted'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/**
 * The candidate with the lowest `score`. Ties are spread by the caller's counter (`turn`): taking
 * the first in list order would pile every tie onto backend 1 — and at an idle moment, every backend
 * ties.
 */
export function lowest(candidates: readonly Backend[], score: (backend: Backend) => number, turn: number): Backend {
  const scores = candidates.map(score);
  const best = Math.min(...scores);
  const tied = candidates.filter((_, i) => scores[i] === best);
  return tied[turn % tied.length];
}

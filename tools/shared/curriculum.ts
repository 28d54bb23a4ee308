/**
 * The curriculum: the one list of steps. The README table, the tests' failure messages, the starter
 * generator, the CLI and the checks all read it, so they cannot drift apart.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface Step {
  /** Also the filter a learner types: `npm test -- step2`. */
  id: `step${number}`;
  number: number;
  /** Folder name under steps/, and the chapter's name under docs/. */
  folder: string;
  title: string;
  /** One line for the README table. */
  summary: string;
  difficulty: 'easy' | 'medium' | 'hard';
  /** The guided level's planned time, in minutes. */
  minutes: number;
  /**
   * The challenge level's planned time, in minutes. Estimated, not measured on people: half of a
   * step's time is reading and understanding, which the level does not change; the other half scales
   * with the lines to write (challenge ÷ guided, measured from the starters), plus 30 min of design,
   * rounded to 15 min.
   * The one timed attempt of both levels (step 3) took 1.4 times as long at challenge; the estimate
   * gives 105 ÷ 75 = 1.4 (README, "Two levels").
   */
  challengeMinutes: number;
  /**
   * The files this step writes: the ones it adds and the ones whose code it changes. Every other
   * file of the step is inherited: copied from the step before,
   * with that step's exercise markers removed. A fix to step 1's
   * hop-by-hop.ts then reaches every later step with one command, and the diff between two steps is
   * exactly the new concept.
   */
  owns: readonly string[];
  /**
   * The files a challenge starter leaves to the learner's design: cut to their exported contract
   * by the starter generator. The guided starter keeps their structure and marks TODOs in them.
   */
  designs?: readonly string[];
  /** The earlier steps' checks run in this many test files of their own, beside the step's (see testFilesOf). */
  earlierCheckFiles?: number;
  /** Files of the step before that this step no longer has (step 7's engine leaves http-proxy's helpers behind). */
  drops?: readonly string[];
  /**
   * The step rebuilds what the earlier steps built (step 7 swaps the engine under them), so their
   * checks are its exercise: its starter fails them too, with its own NotImplemented, and turns them
   * green TODO by TODO. The checks expect that instead of "keeps the earlier steps' behaviour".
   */
  rebuildsEarlierSteps?: boolean;
}

export const STEPS: readonly Step[] = [
  {
    id: 'step1',
    number: 1,
    folder: 'step1-naive-forwarding',
    title: 'Naive forwarding',
    summary: 'A reverse proxy in front of one backend: forward, add X-Forwarded-*, answer 502 instead of crashing.',
    difficulty: 'easy',
    minutes: 45,
    challengeMinutes: 105,
    owns: ['backend-response.ts', 'backend-url.ts', 'client-clocks.ts', 'error-response.ts', 'errors.ts', 'forwarded-headers.ts', 'framing.ts', 'hop-by-hop.ts', 'index.ts', 'load-balancer.ts', 'options.ts', 'outbound-request.ts', 'proxy.ts', 'request-checks.ts', 'server-lifecycle.ts'],
    designs: ['proxy.ts', 'forwarded-headers.ts'],
  },
  {
    id: 'step2',
    number: 2,
    folder: 'step2-round-robin',
    title: 'Round robin, safe under concurrency',
    summary: 'Rotate over many backends with an atomic ticket counter, skip dead ones, and learn where races come from in Node.',
    difficulty: 'medium',
    minutes: 60,
    challengeMinutes: 120,
    owns: ['backend.ts', 'errors.ts', 'index.ts', 'load-balancer.ts', 'mutex.ts', 'server-pool.ts', 'shared-counter.ts'],
    designs: ['backend.ts', 'mutex.ts', 'server-pool.ts', 'shared-counter.ts'],
  },
  {
    id: 'step3',
    number: 3,
    folder: 'step3-retries',
    title: 'Retries and failover, done safely',
    summary: 'Retry a failing backend, then fail over — without replaying an empty body or charging a card twice.',
    difficulty: 'hard',
    minutes: 75,
    challengeMinutes: 105,
    owns: ['index.ts', 'load-balancer.ts', 'proxy.ts', 'request-body.ts', 'request-context.ts', 'retries.ts', 'retry-policy.ts', 'server-pool.ts'],
    designs: ['request-context.ts', 'retries.ts', 'retry-policy.ts'],
  },
  {
    id: 'step4',
    number: 4,
    folder: 'step4-health-checks',
    title: 'Active and passive health checks',
    summary: 'Probe backends on a timer, judge real traffic, eject and readmit — with the terms the right way round.',
    difficulty: 'hard',
    minutes: 90,
    challengeMinutes: 225,
    owns: ['admin-server.ts', 'backend-health.ts', 'health-checker.ts', 'index.ts', 'load-balancer.ts', 'probes.ts', 'retries.ts'],
    designs: ['backend-health.ts', 'health-checker.ts'],
    earlierCheckFiles: 1,
  },
  {
    id: 'step5',
    number: 5,
    folder: 'step5-load-aware',
    title: 'Balance load, not requests',
    summary: 'Count requests in flight, pick by least connections, two random choices, peak EWMA or smooth weights, and shed load with a bounded queue.',
    difficulty: 'hard',
    minutes: 90,
    challengeMinutes: 150,
    owns: ['admin-server.ts', 'backend-load.ts', 'backend.ts', 'dispatcher.ts', 'error-response.ts', 'errors.ts', 'index.ts', 'least-connections.ts', 'load-balancer.ts', 'peak-ewma.ts', 'policies.ts', 'policy.ts', 'power-of-two-choices.ts', 'retries.ts', 'round-robin.ts', 'server-pool.ts', 'smooth-weighted.ts'],
    designs: ['backend-load.ts', 'dispatcher.ts', 'least-connections.ts', 'peak-ewma.ts', 'power-of-two-choices.ts', 'smooth-weighted.ts'],
    earlierCheckFiles: 1,
  },
  {
    id: 'step6',
    number: 6,
    folder: 'step6-production-edges',
    title: 'Production edges',
    summary: 'Tunnel WebSockets, abort the backend when the client leaves (499), bound every request with a deadline and a retry budget, recover fast when all is down, and export Prometheus metrics.',
    difficulty: 'hard',
    minutes: 120,
    challengeMinutes: 210,
    owns: ['admin-server.ts', 'backend-health.ts', 'dispatcher.ts', 'errors.ts', 'health-checker.ts', 'index.ts', 'load-balancer.ts', 'metrics.ts', 'origin-form.ts', 'proxy.ts', 'request-context.ts', 'retries.ts', 'retry-budget.ts', 'retry-policy.ts', 'server-lifecycle.ts', 'websocket-tunnel.ts'],
    designs: ['origin-form.ts', 'retry-budget.ts', 'websocket-tunnel.ts'],
    earlierCheckFiles: 2,
  },
  {
    id: 'step7',
    number: 7,
    folder: 'step7-fast-engine',
    title: 'A faster engine',
    summary: 'Measure, profile, then swap http-proxy for an undici pool behind the same Proxy contract, with every earlier test as the safety net; serve from every core.',
    difficulty: 'hard',
    minutes: 120,
    challengeMinutes: 270,
    owns: ['dispatcher.ts', 'forwarded-headers.ts', 'index.ts', 'load-balancer.ts', 'outbound-request.ts', 'proxy.ts', 'request-context.ts', 'response-relay.ts', 'upstream-pool.ts'],
    designs: ['outbound-request.ts', 'response-relay.ts', 'upstream-pool.ts'],
    drops: ['backend-response.ts'],
    earlierCheckFiles: 3,
    rebuildsEarlierSteps: true,
  },
];

/** The step for `step3`, `3` or 3; undefined if there is no such step. */
export function findStep(idOrNumber: string | number): Step | undefined {
  const id = /^\d+$/.test(String(idOrNumber)) ? `step${idOrNumber}` : idOrNumber;
  return STEPS.find((step) => step.id === id);
}

/** The steps whose folder exists under `root`/steps (a take-home repository may ship only some). */
export function installedSteps(root: string): Step[] {
  return STEPS.filter((step) => existsSync(path.join(root, 'steps', step.folder)));
}

/**
 * The suites `npm test -- stepN` runs: `tests/<folder>.test.ts` with the step's own tests, and for
 * steps with `earlierCheckFiles`, the earlier steps' checks in `tests/<folder>.earlier.test.ts` (then
 * `.earlier-2.test.ts`, … when there are more). Files run in parallel, so a learner waits for the
 * longest one, not for all of them.
 */
export function testFilesOf(step: Step): string[] {
  const extra = Array.from({ length: step.earlierCheckFiles ?? 0 }, (_, i) => `tests/${step.folder}.earlier${i === 0 ? '' : `-${i + 1}`}.test.ts`);
  return [`tests/${step.folder}.test.ts`, ...extra];
}

/** The step before `step`, whose code it inherits; undefined for the first. */
export function previousStep(step: Step): Step | undefined {
  return STEPS.find((other) => other.number === step.number - 1);
}

/** `docs/step1-naive-forwarding.md`: where a learner reads about `step`. */
export function chapterOf(step: Step): string {
  return `docs/${step.folder}.md`;
}

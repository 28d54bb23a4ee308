import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import type { LoadBalancer } from '../../tools/shared/contract.js';
import { startBalancer } from '../helpers/balancer.js';
import { answer, startFakeBackend, startFakeBackends, type FakeBackend } from '../helpers/fake-backend.js';
import { messagesFor } from '../helpers/learner-messages.js';
import { rawRequest, requestToAbandon } from '../helpers/raw-http.js';
import { describeBehaviour, type Target } from '../helpers/suite.js';
import { ENDINGS, playEndings } from './try-endings.js';

interface LoadLike {
  inFlight: number;
  readonly decayMs: number;
  observe(latencyMs: number, now: number): void;
  costAt(now: number): number | undefined;
}
interface BackendLike {
  readonly url: URL;
  readonly index: number;
  readonly load: LoadLike;
  isAlive(): boolean;
}
interface PolicyLike {
  readonly name: string;
  select(candidates: readonly BackendLike[], request: http.IncomingMessage): BackendLike | undefined;
}
type Outcome = { kind: 'answered'; status: number } | { kind: 'failed'; error: Error } | { kind: 'client-gone' };

interface LoadAwareOptions {
  backends: readonly string[];
  policy?: string | PolicyLike;
  weights?: readonly number[];
  maxConnections?: number;
  maxQueue?: number;
  queueTimeoutMs?: number;
  ewmaDecayMs?: number;
  random?: () => number;
  now?: () => number;
  backendTimeoutMs?: number;
  maxRetries?: number;
  maxAttempts?: number;
  drainTimeoutMs?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  passiveHealth?: { maxFails?: number; baseEjectionMs?: number };
}
type LoadAwareBalancer = LoadBalancer & {
  pool: { backends: readonly BackendLike[] };
  dispatcher: { readonly queueLength: number; readonly policy: PolicyLike };
  listenAdmin(port?: number, host?: string): Promise<{ url: string }>;
};

/** The step 5 exports these checks need (described by shape, so later steps fit too). */
interface LoadAwareModule {
  createLoadBalancer(options: LoadAwareOptions): LoadAwareBalancer;
  ServerPool: new (urls: readonly URL[], sharedState?: SharedArrayBuffer, decayMs?: number) => { backends: readonly BackendLike[]; nextTicket(): number };
  BackendLoad: new (decayMs?: number) => LoadLike;
  sampleOf(outcome: Outcome, elapsedMs: number): number | undefined;
  RoundRobin: new (nextTicket: () => number) => PolicyLike;
  LeastConnections: new () => PolicyLike;
  PowerOfTwoChoices: new (random?: () => number) => PolicyLike;
  PeakEwma: new (now: () => number) => PolicyLike;
  SmoothWeighted: new (weights: readonly number[]) => PolicyLike;
  ClientTimeoutError: new (timeoutMs: number) => Error;
  OverloadedError: new (reason: string) => Error & { code: string; status: number; retryAfterSeconds: number };
  /** Built from a ServerPool and a policy of this module; `never` keeps the shape loose enough for any step's own types. */
  Dispatcher: new (
    pool: never,
    policy: never,
    limits: { maxConnections: number; maxQueue: number; queueTimeoutMs: number },
    now: () => number,
  ) => {
    acquire(ctx: never): Promise<BackendLike | undefined>;
    record(backend: never, outcome: Outcome, startedAt: number): void;
  };
}

const REQUEST = {} as http.IncomingMessage;
type Sent = Promise<{ status: number; headers: http.IncomingHttpHeaders }> & { settled: boolean };

/**
 * A request the test may never await when it fails early: its rejection must not surface as an
 * unhandled error. `settled` says whether it has been answered (or failed) yet.
 */
function send(url: string, path: string): Sent {
  const sent = Object.assign(rawRequest(url, { path }), { settled: false });
  const settle = () => (sent.settled = true);
  sent.then(settle, settle);
  return sent;
}

/**
 * Waits until `length()` is `count` — or until `request` is answered, which means the balancer did
 * not make it wait: then the check fails at once instead of after a poll timeout. At most 2 s.
 */
async function waitsInQueue(length: () => number, count: number, request: { readonly settled: boolean }, message: string): Promise<void> {
  await expect.poll(() => length() === count || request.settled, { timeout: 2_000, message }).toBe(true);
  expect(length(), message).toBe(count);
}

/** `settled` turns true once `request` (one a test means to abandon) gets an answer: for waitsInQueue. */
function answeredFlag(request: http.ClientRequest): { readonly settled: boolean } {
  const flag = { settled: false };
  request.once('response', () => (flag.settled = true));
  return flag;
}

/** Balancers of these tests drain briefly: a failing check must not wait out the default 500 ms for each held request. */
const QUICK_DRAIN = { drainTimeoutMs: 50 };

const names = (picks: readonly (BackendLike | undefined)[]) => picks.map((backend) => (backend ? 'abcdef'[backend.index] : '-')).join(' ');

export function loadAware(target: Target<unknown> & { module: LoadAwareModule }): void {
  const step = target.module;
  const say = messagesFor('step5', target);
  /** Every back-pressure check starts by filling a backend: this names the TODO that makes "full" possible. */
  const counted = say('count requests in flight: a full backend is how a queue begins', 'dispatcher.ts');

  /** Three (or `n`) backends on ports nobody listens on: the policies only look at their load. */
  const backendsOf = (n = 3, decayMs?: number) => new step.ServerPool(Array.from({ length: n }, (_, i) => new URL(`http://127.0.0.1:${9101 + i}`)), undefined, decayMs).backends;
  const withInFlight = (counts: readonly number[]) => {
    const backends = backendsOf(counts.length);
    counts.forEach((count, i) => (backends[i].load.inFlight = count));
    return backends;
  };
  const pick = (policy: PolicyLike, candidates: readonly BackendLike[], times: number) => names(Array.from({ length: times }, () => policy.select(candidates, REQUEST)));

  describeBehaviour('step5', 'load-aware balancing and back-pressure', target, () => {
    describe('the policies, one pick at a time', () => {
      it('least connections takes the backend with the fewest requests in flight, and breaks ties in turn, not by list order', () => {
        const policy = new step.LeastConnections();
        expect(pick(policy, withInFlight([3, 1, 2]), 2), say('least-conn should pick the backend with the fewest requests in flight', 'least-connections.ts')).toBe('b b');
        expect(pick(policy, withInFlight([0, 0, 0]), 6), say('when every backend ties, least-conn should take them in turn (list order piles the load on backend 1)', 'least-connections.ts')).toMatch(/^(a b c|b c a|c a b) \1$/);
        expect(pick(policy, withInFlight([2, 0, 0]), 4), say('ties among the least loaded should go round those, and never to a busier one', 'least-connections.ts')).toMatch(/^(b c|c b) \1$/);
      });

      it('power of two choices compares two different backends and keeps the one with fewer requests in flight', () => {
        // A random source that runs out: a policy that draws again until it finds a different backend
        // would loop for ever on a constant; this one fails instead, and says so.
        const draws = (...values: number[]) => () => {
          const value = values.shift();
          if (value === undefined) throw new Error('p2c asked for a third random number: draw the second among the others, do not redraw');
          return value;
        };
        expect(names([new step.PowerOfTwoChoices(draws(0, 0)).select(withInFlight([5, 1, 9]), REQUEST)]), say('draws 0 and 0 are backends a and b (the second draw skips the first): b has fewer in flight', 'power-of-two-choices.ts')).toBe('b');
        expect(names([new step.PowerOfTwoChoices(draws(0.99, 0.99)).select(withInFlight([5, 1, 9]), REQUEST)]), say('draws 0.99 and 0.99 are backends c and b: b has fewer in flight', 'power-of-two-choices.ts')).toBe('b');
        expect(names([new step.PowerOfTwoChoices(draws(0.99, 0.99)).select(withInFlight([5, 1, 1]), REQUEST)]), say('on a tie, keep the first drawn', 'power-of-two-choices.ts')).toBe('c');
        // With replacement, draws 0.5 and 0.5 of two backends would both be b, and b would be picked though a is idle.
        expect(names([new step.PowerOfTwoChoices(draws(0.5, 0.5)).select(withInFlight([0, 9]), REQUEST)]), say('the second draw must be a different backend: never compare a backend with itself', 'power-of-two-choices.ts')).toBe('a');
        const lone = withInFlight([4]);
        expect(new step.PowerOfTwoChoices(draws(0.5, 0.5)).select(lone, REQUEST), say('with one candidate, take it', 'power-of-two-choices.ts')).toBe(lone[0]);
      });

      it('smooth weighted round robin gives nginx’s exact sequence, ties to the first in list order', () => {
        expect(pick(new step.SmoothWeighted([5, 1, 1]), backendsOf(3), 14), say('weights 5, 1, 1 should give a a b a c a a, twice (nginx)', 'smooth-weighted.ts')).toBe('a a b a c a a a a b a c a a');
        expect(pick(new step.SmoothWeighted([3, 2]), backendsOf(2), 10), say('weights 3, 2 should give a b a b a, twice', 'smooth-weighted.ts')).toBe('a b a b a a b a b a');
        expect(pick(new step.SmoothWeighted([1, 1, 1]), backendsOf(3), 6), say('equal weights are plain round robin from the first backend', 'smooth-weighted.ts')).toBe('a b c a b c');
        const [a, , c] = backendsOf(3);
        // Only the candidates take part: with b left out (tried or down), 5 and 1 share the picks.
        expect(pick(new step.SmoothWeighted([5, 1, 1]), [a, c], 6), say('only the candidates take part in a pick', 'smooth-weighted.ts')).toBe('a a a c a a');
      });

      it('round robin takes the candidates in turn from the pool’s ticket counter', () => {
        let ticket = 7;
        expect(pick(new step.RoundRobin(() => ticket++), backendsOf(3), 4), say('tickets 7, 8, 9, 10 over three candidates are b c a b', 'round-robin.ts')).toBe('b c a b');
      });
    });

    describe('the latency estimate (peak EWMA)', () => {
      it('jumps to a new peak at once, decays by exp(-Δt/τ), and blends lower samples in, as Finagle does', () => {
        const e = Math.exp;
        const load = new step.BackendLoad(1_000);
        expect(load.costAt(0), say('a backend with no sample has no estimate yet (undefined)', 'backend-load.ts')).toBeUndefined();
        load.observe(100, 0);
        expect(load.costAt(0), say('the first sample is the estimate', 'backend-load.ts')).toBe(100);
        load.observe(50, 0);
        expect(load.costAt(0), say('a lower sample at the same moment changes nothing: the peak holds', 'backend-load.ts')).toBe(100);
        load.observe(300, 0);
        expect(load.costAt(0), say('a higher sample replaces the estimate at once', 'backend-load.ts')).toBe(300);
        expect(load.costAt(1_000), say('after τ (decayMs) with no sample, the estimate is 300·e⁻¹', 'backend-load.ts')).toBeCloseTo(300 * e(-1), 6);
        expect(load.costAt(2_000), say('reading again decays from where it was: 300·e⁻²', 'backend-load.ts')).toBeCloseTo(300 * e(-2), 6);

        const unread = new step.BackendLoad(1_000);
        unread.observe(100, 0);
        unread.observe(50, 1_000);
        expect(unread.costAt(1_000), say('a lower sample τ later, with no read between, blends: 100·e⁻¹ + 50·(1 − e⁻¹)', 'backend-load.ts')).toBeCloseTo(100 * e(-1) + 50 * (1 - e(-1)), 6);

        const read = new step.BackendLoad(1_000);
        read.observe(100, 0);
        expect(read.costAt(1_000), say('100·e⁻¹ after τ', 'backend-load.ts')).toBeCloseTo(100 * e(-1), 6);
        read.observe(50, 1_000);
        expect(read.costAt(1_000), say('a read stores the decayed estimate (Finagle reads by observing 0 ms): 50 is now a new peak', 'backend-load.ts')).toBe(50);
        read.observe(20, 1_500);
        expect(read.costAt(1_500), say('a lower sample half a τ later blends: 50·e^(−½) + 20·(1 − e^(−½))', 'backend-load.ts')).toBeCloseTo(50 * e(-0.5) + 20 * (1 - e(-0.5)), 6);

        const standard = new step.BackendLoad();
        standard.observe(100, 0);
        expect(standard.costAt(10_000), say('τ defaults to 10 s (Finagle’s)', 'backend-load.ts')).toBeCloseTo(100 * e(-1), 6);
      });

      it('counts a failure or a 5xx as at least 1000 ms, so a failing backend never looks fast; a departed client is no sample', () => {
        expect(step.sampleOf({ kind: 'answered', status: 200 }, 3), say('an answer is timed as it is', 'backend-load.ts')).toBe(3);
        expect(step.sampleOf({ kind: 'answered', status: 404 }, 3), say('a 4xx is the client’s business: timed as it is', 'backend-load.ts')).toBe(3);
        expect(step.sampleOf({ kind: 'failed', error: new Error('ECONNREFUSED') }, 2), say('a quick failure counts as 1000 ms', 'backend-load.ts')).toBe(1_000);
        expect(step.sampleOf({ kind: 'answered', status: 503 }, 2), say('a quick 5xx counts as 1000 ms', 'backend-load.ts')).toBe(1_000);
        expect(step.sampleOf({ kind: 'answered', status: 500 }, 2), say('500 is a 5xx too', 'backend-load.ts')).toBe(1_000);
        expect(step.sampleOf({ kind: 'answered', status: 499 }, 2), say('499 is not', 'backend-load.ts')).toBe(2);
        expect(step.sampleOf({ kind: 'failed', error: new Error('timeout') }, 1_500), say('a slow failure counts as slow as it was', 'backend-load.ts')).toBe(1_500);
        expect(step.sampleOf({ kind: 'client-gone' }, 2), say('a client that left is no sample of its own (the dispatcher takes it as a lower bound)', 'backend-load.ts')).toBeUndefined();
        const emfile = Object.assign(new Error('too many open files'), { code: 'EMFILE' });
        expect(step.sampleOf({ kind: 'failed', error: emfile }, 2), say('the balancer running out of file descriptors says nothing about the backend', 'backend-load.ts')).toBeUndefined();
        expect(step.sampleOf({ kind: 'failed', error: new step.ClientTimeoutError(100) }, 2), say('a client that stalled its upload says nothing about the backend', 'backend-load.ts')).toBeUndefined();
      });

      it('takes a departed client as a lower bound: a backend that hangs until its clients leave must not look fast', () => {
        let now = 0;
        const pool = new step.ServerPool([new URL('http://127.0.0.1:9101')]);
        const dispatcher = new step.Dispatcher(pool as never, new step.RoundRobin(() => 0) as never, { maxConnections: 0, maxQueue: 0, queueTimeoutMs: 1 }, () => now);
        const [backend] = pool.backends;
        backend.load.observe(5, 0);
        now = 900;
        dispatcher.record(backend as never, { kind: 'client-gone' }, 0);
        expect(backend.load.costAt(900), say('a client that waited 900 ms before leaving, longer than the estimate: 900 is the new peak', 'dispatcher.ts')).toBe(900);
        now = 901;
        dispatcher.record(backend as never, { kind: 'client-gone' }, 900);
        expect(backend.load.costAt(901), say('an impatient client (1 ms) says nothing: the estimate only decays', 'dispatcher.ts')).toBeCloseTo(900 * Math.exp(-1 / 10_000), 6);
      });

      it('gives a request whose client already left no backend, and counts nothing', async () => {
        const pool = new step.ServerPool([new URL('http://127.0.0.1:9101')]);
        const dispatcher = new step.Dispatcher(pool as never, new step.RoundRobin(() => 0) as never, { maxConnections: 0, maxQueue: 0, queueTimeoutMs: 1 }, () => 0);
        const gone = { tried: new Set(), inbound: REQUEST, clientGone: AbortSignal.abort() };
        expect(await dispatcher.acquire(gone as never), say('check ctx.clientGone.aborted first: its abort event will not fire again', 'dispatcher.ts')).toBeUndefined();
        expect(pool.backends[0].load.inFlight, say('nothing is counted for a request nobody waits for', 'dispatcher.ts')).toBe(0);
      });

      it('peak EWMA weighs the estimate by requests in flight, treats a backend with no sample neutrally, and lets a slow backend win back traffic', () => {
        let now = 0;
        const policy = new step.PeakEwma(() => now);
        const [a, b, c] = backendsOf(3);
        a.load.observe(100, 0);
        b.load.observe(10, 0);
        expect(names([policy.select([a, b], REQUEST)]), say('the lower latency estimate wins', 'peak-ewma.ts')).toBe('b');
        b.load.inFlight = 20;
        expect(names([policy.select([a, b], REQUEST)]), say('load is the estimate × (in flight + 1): 10 × 21 > 100 × 1', 'peak-ewma.ts')).toBe('a');
        b.load.inFlight = 0;
        expect(names([policy.select([a, b, c], REQUEST)]), say('c has no sample: it counts as the average (55), more than b’s 10', 'peak-ewma.ts')).toBe('b');
        b.load.inFlight = 9;
        expect(names([policy.select([a, b, c], REQUEST)]), say('c counts as the average (55), less than a’s 100 and b’s 10 × 10', 'peak-ewma.ts')).toBe('c');
        const fresh = backendsOf(3);
        expect(pick(policy, fresh, 3), say('with no samples at all, every backend ties: take them in turn', 'peak-ewma.ts')).toMatch(/^(a b c|b c a|c a b)$/);
        expect(pick(policy, withInFlight([1, 0, 0]), 4), say('with no samples at all, requests in flight still count: a cost of 0 would hide them (use MIN_COST_MS)', 'peak-ewma.ts')).toMatch(/^(b c|c b) \1$/);

        // a was slow once (500 ms); b answers in 10 ms whenever it is picked, once a second. At each pick
        // b's estimate is a second old, 10·e^(−1/2) with τ = 2 s; a's is 500·e^(−t/2000). a wins once
        // 500·e^(−t/2) < 10·e^(−1/2), that is t > 8.8 s: first at t = 9 s on the 1 s grid.
        now = 0;
        const recovery = new step.PeakEwma(() => now);
        const [slow, steady] = backendsOf(2, 2_000);
        slow.load.observe(500, 0);
        steady.load.observe(10, 0);
        const firstPickOfSlow = Array.from({ length: 12 }, (_, second) => {
          now = second * 1_000;
          const chosen = recovery.select([slow, steady], REQUEST);
          if (chosen === steady) steady.load.observe(10, now);
          return chosen === slow;
        }).indexOf(true);
        expect(firstPickOfSlow, say('a backend that was slow once must win traffic back as its estimate decays (no starvation)', 'backend-load.ts')).toBe(9);
      });
    });

    describe('through the balancer', () => {
      /**
       * Sends `count` requests one after another: each one is either answered (and counted off its
       * backend) or held by `slow` before the next goes, so every pick sees the same load.
       */
      async function oneByOne(url: string, lb: LoadAwareBalancer, slow: FakeBackend, count: number): Promise<Promise<unknown>[]> {
        const pending: Promise<unknown>[] = [];
        const total = () => lb.pool.backends.reduce((sum, backend) => sum + backend.load.inFlight, 0);
        for (let i = 0; i < count; i += 1) {
          const held = slow.held;
          let answered = false;
          const sent = send(url, `/r${i}`);
          sent.then(
            () => (answered = true),
            () => (answered = true), // a starter's 501 fails the test below, where Promise.all(pending) rejects
          );
          pending.push(sent);
          await expect.poll(() => (answered && total() <= slow.held) || slow.held > held, { message: `request ${i} should be answered or held` }).toBe(true);
        }
        return pending;
      }

      const files: Record<string, string> = { 'round-robin': 'round-robin.ts', 'least-conn': 'least-connections.ts', p2c: 'power-of-two-choices.ts', ewma: 'peak-ewma.ts' };
      it.each([
        ['round-robin', 4],
        ['least-conn', 1],
        ['p2c', 1],
        ['ewma', 1],
      ])('sends a slow backend its share of 8 requests under %s: %i', async (policy, expected) => {
        const [slow, fast] = await startFakeBackends(2);
        slow.behave({ kind: 'hold' });
        // Alternating draws: a p2c that redraws until the second differs still ends, with the same picks.
        let draw = 0;
        const random = () => [0.3, 0.7][draw++ % 2];
        const { url, lb } = await startBalancer(step, { backends: [slow.url, fast.url], policy, random, ...QUICK_DRAIN });
        const pending = await oneByOne(url, lb, slow, 8);
        expect(lb.pool.backends.map((backend) => backend.load.inFlight), say('count requests in flight: the held ones on the slow backend, none on the one that answered', 'dispatcher.ts')).toEqual([slow.held, 0]);
        expect(slow.held, say(`under ${policy}, a backend that holds its requests should get ${expected} of 8`, files[policy])).toBe(expected);
        slow.release();
        await Promise.all(pending);
        await expect.poll(() => lb.pool.backends.map((backend) => backend.load.inFlight), { message: say('every request in flight should be counted off when its answer is done', 'dispatcher.ts') }).toEqual([0, 0]);
      });

      it('sends less to a backend that fails fast under ewma ("errors are quick")', async () => {
        const [failing, working] = await startFakeBackends(2);
        failing.behave(answer({ status: 503 }));
        working.behave(answer({ delayMs: 5 }));
        const { http } = await startBalancer(step, { backends: [failing.url, working.url], policy: 'ewma' });
        for (let i = 0; i < 10; i += 1) await http.get('/');
        expect(failing.requests.length, say('a backend answering 503 at once must not look like the fastest one', 'backend-load.ts')).toBeLessThanOrEqual(1);
      });

      it('uses the weights in order under the weighted policy', async () => {
        const backends = await startFakeBackends(3);
        const { http } = await startBalancer(step, { backends: backends.map((backend) => backend.url), policy: 'weighted', weights: [1, 3, 1] });
        const served: string[] = [];
        for (let i = 0; i < 5; i += 1) served.push((await http.get('/')).headers['x-backend'] as string);
        expect(served, say('weights 1, 3, 1 give b a b c b', 'smooth-weighted.ts')).toEqual(['backend-2', 'backend-1', 'backend-2', 'backend-3', 'backend-2']);
      });

      it('runs your own policy: it sees the candidates not yet tried, and may pick only among them', async () => {
        const [down, up] = await startFakeBackends(2);
        await down.stop();
        const seen: string[][] = [];
        const policy: PolicyLike = { name: 'mine', select: (candidates) => (seen.push(candidates.map((backend) => backend.url.port)), candidates[0]) };
        const { http } = await startBalancer(step, { backends: [down.url, up.url], policy, maxRetries: 0 });
        expect((await http.get('/')).headers['x-backend'], say('the request should fail over to the second backend', 'dispatcher.ts')).toBe('backend-2');
        const [downPort, upPort] = [down.url, up.url].map((u) => new URL(u).port);
        expect(seen, say('the policy should be asked again for the retry, without the backend already tried', 'dispatcher.ts')).toEqual([[downPort, upPort], [upPort]]);

        const outsider = new step.ServerPool([new URL(up.url)]).backends[0];
        const stranger: PolicyLike = { name: 'stranger', select: () => outsider };
        const { http: strange } = await startBalancer(step, { backends: [up.url], policy: stranger });
        expect((await strange.get('/')).status, say('a policy that picks a backend it was not offered gets no request through: 503', 'dispatcher.ts')).toBe(503);
      });

      it('fails only the request a throwing policy was picking for, also when it picks for a waiting request', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave({ kind: 'hold' });
        let calls = 0;
        const flaky: PolicyLike = {
          name: 'flaky',
          select: (candidates) => {
            calls += 1;
            // Your own policy may throw anything at all.
            if (calls === 2) throw null; // eslint-disable-line no-throw-literal
            return candidates[0];
          },
        };
        const { url, lb } = await startBalancer(step, { backends: [backend.url], policy: flaky, maxConnections: 1, ...QUICK_DRAIN });
        const first = send(url, '/1');
        await expect.poll(() => backend.held).toBe(1);
        expect(lb.pool.backends[0].load.inFlight, counted).toBe(1);
        const second = send(url, '/2');
        await waitsInQueue(() => lb.dispatcher.queueLength, 1, second, say('with maxConnections 1 taken, /2 should wait in the queue', 'dispatcher.ts'));
        backend.release(); // frees the place: the policy is asked for /2, and throws
        expect([(await first).status, (await second).status], say('the throw ends the waiting request (502), and the request that was answered keeps its 200', 'dispatcher.ts')).toEqual([200, 502]);
        await expect.poll(() => [lb.dispatcher.queueLength, lb.pool.backends[0].load.inFlight], { message: say('nothing is left waiting or in flight after a throwing policy', 'dispatcher.ts') }).toEqual([0, 0]);
        backend.behave(answer());
        expect((await rawRequest(url, { path: '/3' })).status, say('the balancer goes on serving', 'dispatcher.ts')).toBe(200);
      });

      it('refuses options that cannot work, naming them', () => {
        const backends = ['http://127.0.0.1:9101', 'http://127.0.0.1:9102', 'http://127.0.0.1:9103'];
        const refused = (options: Partial<LoadAwareOptions>) => {
          try {
            step.createLoadBalancer({ backends, ...options });
          } catch (err) {
            return `${(err as { code?: string }).code}: ${(err as Error).message}`;
          }
          return 'accepted';
        };
        expect(refused({ policy: 'fastest' }), say('an unknown policy name', 'policies.ts')).toMatch(/^INVALID_OPTIONS: .*policy/);
        expect(refused({ policy: 'weighted', weights: [1, 2] }), say('one weight per backend', 'policies.ts')).toMatch(/^INVALID_OPTIONS: .*weight/);
        expect(refused({ policy: 'weighted', weights: [1, 0, 1] }), say('weights are whole numbers ≥ 1', 'policies.ts')).toMatch(/^INVALID_OPTIONS: .*weight/);
        expect(refused({ policy: 'weighted', weights: [1, 1.5, 1] }), say('weights are whole numbers ≥ 1', 'policies.ts')).toMatch(/^INVALID_OPTIONS: .*weight/);
        expect(refused({ policy: 'least-conn', weights: [1, 2, 3] }), say('weights with another policy would be silently ignored', 'policies.ts')).toMatch(/^INVALID_OPTIONS: .*weight/);
        expect(refused({ policy: {} as PolicyLike }), say('a policy object needs select()', 'policies.ts')).toMatch(/^INVALID_OPTIONS: .*select/);
        expect(refused({ queueTimeoutMs: 2 ** 31 }), say('Node fires a timer above 2³¹ − 1 ms at once: refuse it', 'load-balancer.ts')).toMatch(/^INVALID_OPTIONS: queueTimeoutMs/);
        expect(refused({ queueTimeoutMs: 2 ** 31 - 1 }), say('2³¹ − 1 ms is the longest timer Node keeps', 'load-balancer.ts')).toBe('accepted');
        expect(refused({ policy: { name: 'mine', select: () => undefined }, weights: [1, 2, 3] }), say('weights with your own policy would be silently ignored too', 'policies.ts')).toMatch(/^INVALID_OPTIONS: .*weight/);
        expect(refused({ policy: 'fastest' }), say('the message lists the policies there are', 'policies.ts')).toContain('round-robin, least-conn, p2c, ewma, weighted');
        expect(refused({ maxConnections: -1 }), say('maxConnections is a whole number', 'load-balancer.ts')).toMatch(/^INVALID_OPTIONS: maxConnections/);
        expect(refused({ maxQueue: 1.5 }), say('maxQueue is a whole number', 'load-balancer.ts')).toMatch(/^INVALID_OPTIONS: maxQueue/);
        expect(refused({ queueTimeoutMs: 0 }), say('queueTimeoutMs is at least 1', 'load-balancer.ts')).toMatch(/^INVALID_OPTIONS: queueTimeoutMs/);
        expect(refused({ ewmaDecayMs: 0 }), say('ewmaDecayMs is at least 1', 'load-balancer.ts')).toMatch(/^INVALID_OPTIONS: ewmaDecayMs/);
        expect(refused({ policy: 'weighted', weights: [2, 1, 1] }), say('good weights are accepted', 'policies.ts')).toBe('accepted');
        const create = step.createLoadBalancer as LoadAwareModule['createLoadBalancer'];
        for (const name of ['round-robin', 'least-conn', 'p2c', 'ewma', 'weighted']) {
          expect(create({ backends, policy: name }).dispatcher.policy.name, say(`policy '${name}' should be the policy of that name`, 'policies.ts')).toBe(name);
        }
        expect(create({ backends }).dispatcher.policy.name, say('round robin is the default, as in steps 2-4', 'load-balancer.ts')).toBe('round-robin');
        expect(create({ backends, policy: null as unknown as string }).dispatcher.policy.name, say('null means no choice, as undefined does: round robin', 'load-balancer.ts')).toBe('round-robin');
        const overloaded = new step.OverloadedError('the queue is full');
        expect([overloaded.code, overloaded.status, overloaded.retryAfterSeconds, overloaded.message], say('OverloadedError: code OVERLOADED, 503, Retry-After 1 s, and the reason in its message', 'errors.ts')).toEqual(['OVERLOADED', 503, 1, expect.stringContaining('the queue is full')]);
      });
    });

    describe('back-pressure', () => {
      it('queues requests when every backend is full, admits them in arrival order, and sheds the one too many with 503 and Retry-After', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave({ kind: 'hold' });
        const { url, lb } = await startBalancer(step, { backends: [backend.url], maxConnections: 2, maxQueue: 2, queueTimeoutMs: 4_000, ...QUICK_DRAIN });
        const admin = await lb.listenAdmin();
        const sent: Sent[] = [];
        // One after another, so that the arrival order is known.
        for (const [path, held, waiting] of [['/1', 1, 0], ['/2', 2, 0], ['/3', 2, 1], ['/4', 2, 2]] as const) {
          const request = send(url, path);
          sent.push(request);
          if (waiting === 0) {
            await expect.poll(() => backend.held).toBe(held);
            expect(lb.pool.backends[0].load.inFlight, counted).toBe(held);
          } else {
            await waitsInQueue(() => lb.dispatcher.queueLength, waiting, request, say(`${path}: at most maxConnections (2) requests in flight, the others waiting`, 'dispatcher.ts'));
            expect(backend.held, say('a waiting request must not reach the backend', 'dispatcher.ts')).toBe(2);
          }
        }
        const shed = await rawRequest(url, { path: '/5' });
        expect([shed.status, shed.headers['retry-after']], say('with the queue full (maxQueue 2), the next request gets 503 and Retry-After at once', 'dispatcher.ts')).toEqual([503, '1']);

        const status = (await (await fetch(`${admin.url}/lb/status`)).json()) as { policy: string; queue: { length: number; max: number }; backends: { inFlight: number; costMs: number | null }[] };
        expect([status.policy, status.queue, status.backends.map((b) => [b.inFlight, b.costMs])], say('/lb/status should show the policy, the queue, and each backend’s requests in flight and latency estimate', 'load-balancer.ts')).toEqual([
          'round-robin',
          { length: 2, max: 2 },
          [[2, null]],
        ]);

        backend.release(1);
        await expect.poll(() => backend.requests.map((request) => request.url), { message: say('a freed place goes to the request that waited longest', 'dispatcher.ts') }).toEqual(['/1', '/2', '/3']);
        backend.release();
        await expect.poll(() => backend.requests.length).toBe(4);
        expect(backend.requests.map((request) => request.url), say('queued requests are admitted in the order they arrived', 'dispatcher.ts')).toEqual(['/1', '/2', '/3', '/4']);
        backend.release();
        expect((await Promise.all(sent)).map((res) => res.status), say('every admitted request is answered', 'dispatcher.ts')).toEqual([200, 200, 200, 200]);
        await expect.poll(() => lb.pool.backends[0].load.inFlight, { message: say('nothing is left in flight', 'dispatcher.ts') }).toBe(0);
      });

      it('answers 503 with Retry-After when a request waited queueTimeoutMs, and sheds at once with maxQueue 0', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave({ kind: 'hold' });
        const { url, lb } = await startBalancer(step, { backends: [backend.url], maxConnections: 1, queueTimeoutMs: 150, ...QUICK_DRAIN });
        const first = send(url, '/1');
        await expect.poll(() => backend.held).toBe(1);
        expect(lb.pool.backends[0].load.inFlight, counted).toBe(1);
        const waited = await send(url, '/2');
        expect([waited.status, waited.headers['retry-after']], say('a request that waited queueTimeoutMs gets 503 with Retry-After', 'dispatcher.ts')).toEqual([503, '1']);
        expect(lb.dispatcher.queueLength, say('a timed-out request leaves the queue', 'dispatcher.ts')).toBe(0);

        const { url: noQueue } = await startBalancer(step, { backends: [backend.url], maxConnections: 1, maxQueue: 0, ...QUICK_DRAIN });
        const second = send(noQueue, '/3');
        await expect.poll(() => backend.held).toBe(2);
        expect((await rawRequest(noQueue, { path: '/4' })).status, say('with maxQueue 0 nothing waits: 503 at once', 'dispatcher.ts')).toBe(503);
        backend.release();
        expect([(await first).status, (await second).status]).toEqual([200, 200]);
      });

      it('lets a waiting request in when a backend comes back, without waiting for a release', async () => {
        const [busy, returning] = await startFakeBackends(2);
        busy.behave({ kind: 'hold' });
        await returning.stop();
        const { url, lb } = await startBalancer(step, {
          backends: [busy.url, returning.url],
          maxConnections: 1,
          maxRetries: 0,
          maxAttempts: 1,
          queueTimeoutMs: 4_000,
          // Long enough that /3 is surely queued before the ejection ends, on a busy machine too
          // (at 100 ms a loaded CI run once readmitted backend-2 before /3 arrived).
          passiveHealth: { maxFails: 1, baseEjectionMs: 500 },
          ...QUICK_DRAIN,
        });
        const held = send(url, '/1');
        await expect.poll(() => busy.held).toBe(1);
        expect(lb.pool.backends[0].load.inFlight, counted).toBe(1);
        expect((await rawRequest(url, { path: '/2' })).status, say('the refused backend fails the request (one attempt): 503, and it is ejected', 'retries.ts')).toBe(503);
        await returning.start();
        const waiting = send(url, '/3'); // busy is full, returning is ejected: wait
        await waitsInQueue(() => lb.dispatcher.queueLength, 1, waiting, say('with backend-1 full and backend-2 ejected, /3 should wait in the queue', 'dispatcher.ts'));
        const answer3 = await waiting; // the ejection ends after 500 ms; the queue times out after 4 s
        expect([answer3.status, answer3.headers['x-backend']], say('a backend readmitted by the health checks should take a waiting request at once: call dispatcher.wake() on a health change', 'load-balancer.ts')).toEqual([200, 'backend-2']);
        busy.release();
        expect((await held).status).toBe(200);
      });

      it('shows each backend’s latency estimate in /lb/status, in ms to 0.01', async () => {
        const backend = await startFakeBackend('backend-1');
        let calls = 0;
        // Each reading of the clock is 12.3456 ms after the one before: a try takes exactly that long.
        const { http, lb } = await startBalancer(step, { backends: [backend.url], now: () => (calls += 1) * 12.3456, ewmaDecayMs: 1e12 });
        const admin = await lb.listenAdmin();
        await http.get('/').expect(200);
        const status = (await (await fetch(`${admin.url}/lb/status`)).json()) as { backends: { costMs: number | null }[] };
        expect(status.backends[0].costMs, say('costMs is the estimate rounded to 0.01 ms (12.3456 → 12.35; τ is so long that nothing decays)', 'load-balancer.ts')).toBe(12.35);
      });

      it('keeps the queue intact when a client leaves after its request was let in', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave({ kind: 'hold' });
        const { url, lb } = await startBalancer(step, { backends: [backend.url], maxConnections: 1, ...QUICK_DRAIN });
        const first = send(url, '/1');
        await expect.poll(() => backend.held).toBe(1);
        expect(lb.pool.backends[0].load.inFlight, counted).toBe(1);
        const admitted = requestToAbandon(url, '/2');
        await waitsInQueue(() => lb.dispatcher.queueLength, 1, answeredFlag(admitted), say('with maxConnections 1 taken, /2 should wait in the queue', 'dispatcher.ts'));
        const last = send(url, '/3');
        await waitsInQueue(() => lb.dispatcher.queueLength, 2, last, say('and /3 behind it', 'dispatcher.ts'));
        backend.release(1); // /1 answered: /2 is let in, /3 waits on
        await expect.poll(() => backend.requests.map((request) => request.url)).toEqual(['/1', '/2']);
        admitted.destroy(); // /2's client leaves after its wait ended, which frees its place for /3
        await expect.poll(() => backend.requests.length, { message: say('a request let in must stop listening for its client leaving the queue: /3 should be let in next', 'dispatcher.ts') }).toBe(3);
        backend.release();
        expect([(await first).status, (await last).status]).toEqual([200, 200]);
      });

      it('removes a queued request whose client leaves, and sends others to a backend with room', async () => {
        const [busy, roomy] = await startFakeBackends(2);
        busy.behave({ kind: 'hold' });
        roomy.behave({ kind: 'hold' });
        const { url, lb } = await startBalancer(step, { backends: [busy.url, roomy.url], policy: 'least-conn', maxConnections: 1, ...QUICK_DRAIN });
        const inFlight = [send(url, '/1'), send(url, '/2')];
        await expect.poll(() => [busy.held, roomy.held], { message: say('with maxConnections 1, one request each: a full backend is no candidate', 'dispatcher.ts') }).toEqual([1, 1]);
        expect(lb.pool.backends.map((backend) => backend.load.inFlight), counted).toEqual([1, 1]);
        const leaving = requestToAbandon(url, '/3');
        await waitsInQueue(() => lb.dispatcher.queueLength, 1, answeredFlag(leaving), say('with both backends full, /3 should wait in the queue', 'dispatcher.ts'));
        leaving.destroy();
        await expect.poll(() => lb.dispatcher.queueLength, { message: say('a queued request whose client left should leave the queue at once', 'dispatcher.ts') }).toBe(0);
        busy.release();
        roomy.release();
        await Promise.all(inFlight);
        expect(busy.requests.length + roomy.requests.length, say('the departed request never reaches a backend', 'dispatcher.ts')).toBe(2);
      });

      it('counts every request off its backend on every way a try ends', async () => {
        const runs = await playEndings(step as Parameters<typeof playEndings>[0], ENDINGS);
        for (const [i, run] of runs.entries()) {
          const balancer = run.lb as unknown as LoadAwareBalancer;
          await expect
            .poll(() => balancer.pool.backends.map((backend) => backend.load.inFlight), { message: say(`after a try that ends "${ENDINGS[i].name}", no request may stay in flight: release() on every way out`, 'retries.ts') })
            .toEqual([0, 0]);
        }
      });

      it('counts off a request cut by close() at the drain deadline, and one waiting in the queue', async () => {
        const backend = await startFakeBackend('backend-1');
        backend.behave({ kind: 'hold' });
        const { url, lb } = await startBalancer(step, { backends: [backend.url], maxConnections: 1, drainTimeoutMs: 100 });
        const first = send(url, '/1');
        await expect.poll(() => backend.held).toBe(1);
        expect(lb.pool.backends[0].load.inFlight, counted).toBe(1);
        const second = send(url, '/2');
        await waitsInQueue(() => lb.dispatcher.queueLength, 1, second, say('with maxConnections 1 taken, /2 should wait in the queue', 'dispatcher.ts'));
        const cut = [first.catch(() => 'cut'), second.catch(() => 'cut')];
        await lb.close();
        await Promise.all(cut);
        await expect.poll(() => [lb.pool.backends[0].load.inFlight, lb.dispatcher.queueLength], { message: say('requests cut by the drain deadline leave the backend and the queue', 'dispatcher.ts') }).toEqual([0, 0]);
      });
    });
  });
}

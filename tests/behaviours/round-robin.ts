import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { once } from 'node:events';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { LoadBalancer } from '../../tools/shared/contract.js';
import { startBalancer } from '../helpers/balancer.js';
import { startFakeBackends } from '../helpers/fake-backend.js';
import { implRoot } from '../helpers/impl-root.js';
import { messagesFor } from '../helpers/learner-messages.js';
import { describeBehaviour, type Target } from '../helpers/suite.js';
import { startTsWorker } from '../helpers/ts-worker.js';

/** A backend as step 2 defines it, described by shape so that every later step's Backend fits. */
export interface BackendLike {
  readonly url: URL;
  readonly index: number;
  isAlive(): boolean;
  markAlive(alive: boolean): void;
}

export interface PoolLike {
  readonly backends: readonly BackendLike[];
  readonly sharedState: SharedArrayBuffer;
  nextTicket(): number;
  next(skip?: ReadonlySet<BackendLike>): BackendLike | undefined;
}

interface MutexLike {
  lock(): Promise<() => void>;
  runExclusive<T>(section: () => Promise<T>): Promise<T>;
}

interface AsyncStore {
  get(): Promise<number>;
  set(value: number): Promise<void>;
}

/** The step 2 exports these checks need; every later step keeps them. */
export interface RoundRobinModule {
  createLoadBalancer(options: { backends: readonly string[]; onRequest?: (entry: { status: number; backend: string }) => void }): LoadBalancer & { pool: PoolLike };
  ServerPool: new (urls: readonly URL[], sharedState?: SharedArrayBuffer) => PoolLike;
  Mutex: new () => MutexLike;
  takeTicket(store: AsyncStore, mutex: MutexLike): Promise<number>;
  takeTicketRacy(store: AsyncStore): Promise<number>;
  NoBackendAvailableError: new () => Error;
}

const urls = (n: number) => Array.from({ length: n }, (_, i) => new URL(`http://127.0.0.1:${9001 + i}`));
const indexes = (picks: ({ index: number } | undefined)[]) => picks.map((backend) => (backend ? backend.index + 1 : 'none'));

/** Lets every promise callback that is ready run (a few rounds of the microtask queue and one macrotask). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A promise the test resolves by hand, so async code proceeds exactly when the test says. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export function roundRobin(target: Target<unknown> & { module: RoundRobinModule }, folder = 'step2-round-robin'): void {
  const { ServerPool, Mutex, takeTicket, takeTicketRacy } = target.module;
  const step = target.module;
  const say = messagesFor('step2', target);

  describeBehaviour('step2', 'round robin, safe under concurrency', target, () => {
    describe('Backend', () => {
      it('keeps alive flags in shared memory: a pool built on the same state sees markAlive', () => {
        const pool = new ServerPool(urls(3));
        const twin = new ServerPool(urls(3), pool.sharedState);
        expect(pool.backends.map((b) => b.isAlive()), say('every backend starts alive: isAlive() reads 1 from its slot', 'backend.ts')).toEqual([true, true, true]);

        pool.backends[1].markAlive(false);
        expect(twin.backends.map((b) => b.isAlive()), say('markAlive(false) should clear only this backend\'s slot, visibly to every pool on the same SharedArrayBuffer', 'backend.ts')).toEqual([true, false, true]);
        twin.backends[1].markAlive(true);
        expect(pool.backends.map((b) => b.isAlive()), say('markAlive(true) brings it back, for everyone', 'backend.ts')).toEqual([true, true, true]);
      });
    });

    describe('ServerPool', () => {
      it('hands out tickets 0, 1, 2, … in order', () => {
        const pool = new ServerPool(urls(3));
        const tickets = Array.from({ length: 5 }, () => pool.nextTicket());
        expect(tickets, say('nextTicket() should return 0, then 1, then 2, … (Atomics.add returns the old value)', 'server-pool.ts')).toEqual([0, 1, 2, 3, 4]);
      });

      it('counts tickets as unsigned 32-bit numbers that wrap to 0, and keeps picking backends across the wrap', () => {
        const pool = new ServerPool(urls(3));
        const state = new Int32Array(pool.sharedState);
        state[3] = 2 ** 31 - 1; // the ticket slot comes after the 3 alive flags: the largest signed value
        const tickets = [pool.nextTicket(), pool.nextTicket()];
        expect(tickets, say('past 2³¹ - 1 tickets must stay positive (read the slot as unsigned with >>> 0)', 'server-pool.ts')).toEqual([2 ** 31 - 1, 2 ** 31]);

        state[3] = -1; // 2³² - 1 as unsigned: the last ticket before the wrap
        expect([pool.nextTicket(), pool.nextTicket()], say('after 2³² - 1 the counter wraps to 0', 'server-pool.ts')).toEqual([2 ** 32 - 1, 0]);
        state[3] = 2 ** 31 - 1;
        const picks = Array.from({ length: 4 }, () => pool.next());
        expect(picks.every((backend) => backend !== undefined), say('next() must find a backend for every ticket, a negative remainder picks nothing', 'server-pool.ts')).toBe(true);
      });

      it('rotates over the backends starting with the first', () => {
        const pool = new ServerPool(urls(4));
        const picks = Array.from({ length: 9 }, () => pool.next());
        expect(indexes(picks), say('next() should give backend 1, 2, 3, 4, 1, 2, … (the Go original starts at 2)', 'server-pool.ts')).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1]);
      });

      it('skips backends marked down and splits evenly over the rest', () => {
        const pool = new ServerPool(urls(4));
        pool.backends[1].markAlive(false);
        const picks = Array.from({ length: 6 }, () => pool.next());
        expect(indexes(picks), say('with backend 2 of 4 down, traffic should go 1, 3, 4, 1, 3, 4 (not 1, 3, 3, 4, 1, 3)', 'server-pool.ts')).toEqual([1, 3, 4, 1, 3, 4]);
        pool.backends[1].markAlive(true);
        pool.backends[3].markAlive(false);
        expect(indexes(Array.from({ length: 3 }, () => pool.next())), say('next() should look at the alive flags on every call', 'server-pool.ts')).toHaveLength(3);
        expect(indexes(Array.from({ length: 6 }, () => pool.next())).filter((index) => index === 4), say('a backend marked down later gets nothing from then on', 'server-pool.ts')).toEqual([]);
      });

      it('returns undefined when every backend is down, without moving the rotation on', () => {
        const pool = new ServerPool(urls(3));
        for (const backend of pool.backends) backend.markAlive(false);
        expect([pool.next(), pool.next()], say('next() should return undefined when no backend is alive', 'server-pool.ts')).toEqual([undefined, undefined]);
        for (const backend of pool.backends) backend.markAlive(true);
        expect(indexes([pool.next(), pool.next()]), say('a pick that found nobody should not use up a ticket: the rotation resumes at backend 1', 'server-pool.ts')).toEqual([1, 2]);
      });

      it('refuses shared state made for a different number of backends, saying so', () => {
        const pool = new ServerPool(urls(3));
        expect(() => new ServerPool(urls(2), pool.sharedState), say('a pool of 2 backends cannot share the flags and counter of a pool of 3', 'server-pool.ts')).toThrow(RangeError);
        expect(() => new ServerPool(urls(2), pool.sharedState), say('the error names both sizes', 'server-pool.ts')).toThrow(/4 slots, 3 needed/);
      });

      it('NoBackendAvailableError answers 503 with a stable code', () => {
        expect(new step.NoBackendAvailableError(), say('no backend: code NO_BACKEND, status 503, and a message', 'errors.ts')).toMatchObject({ code: 'NO_BACKEND', status: 503, message: expect.stringMatching(/no backend/) });
      });

      // Step 2's own check only: starting four threads costs a second, and later steps keep step 2's
      // counter unchanged (their tests of it above still run).
      it.runIf(target.id === 'step2')('never hands out a ticket twice, even to worker threads drawing at the same moment', { timeout: 15_000 }, async () => {
        const workers = 4;
        // Enough that the threads overlap for milliseconds, not microseconds (25,000 caught a plain
        // read-then-write only 1 time in 3).
        const perWorker = 250_000;
        const pool = new ServerPool(urls(3));
        const startLine = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
        const modulePath = path.join(implRoot(), folder, 'index.ts');
        const worker = fileURLToPath(new URL('../helpers/ticket-worker.ts', import.meta.url));

        const results = await Promise.all(
          Array.from({ length: workers }, async () => {
            const thread = startTsWorker(worker, { modulePath, urls: urls(3).map(String), sharedState: pool.sharedState, startLine, workers, tickets: perWorker });
            onTestFinished(() => thread.terminate().then(() => undefined));
            const [drawn] = (await Promise.race([once(thread, 'message'), once(thread, 'error').then(([err]) => Promise.reject(err))])) as [Uint32Array];
            return drawn;
          }),
        );

        const total = workers * perWorker;
        const seen = new Uint8Array(total);
        let duplicates = 0;
        for (const drawn of results) {
          for (const ticket of drawn) {
            if (ticket >= total || seen[ticket] === 1) duplicates += 1;
            else seen[ticket] = 1;
          }
        }
        expect(duplicates, say(`${workers} threads × ${perWorker} tickets: no ticket may be handed out twice (a plain read-then-write loses updates; use Atomics.add)`, 'server-pool.ts')).toBe(0);
        expect(seen.indexOf(0), say('every ticket from 0 up should have been handed out', 'server-pool.ts')).toBe(-1);
      });
    });

    describe('the balancer', () => {
      it('sends sequential requests to backend 1, 2, 3, 1, 2, 3', async () => {
        const backends = await startFakeBackends(3);
        const { http } = await startBalancer(step, { backends: backends.map((b) => b.url) });

        const order: string[] = [];
        for (let i = 0; i < 6; i += 1) order.push((await http.get('/')).headers['x-backend']);

        expect(order, say('the balancer should ask pool.next() for every request', 'load-balancer.ts')).toEqual(['backend-1', 'backend-2', 'backend-3', 'backend-1', 'backend-2', 'backend-3']);
      });

      // 90 at once are plenty to expose a counter read and written across an await (the racy version
      // skews the split at any concurrency); 300 took 3-5 s per run, on every step that inherits this.
      it('splits 90 concurrent requests exactly 30/30/30', async () => {
        const backends = await startFakeBackends(3);
        const { http } = await startBalancer(step, { backends: backends.map((b) => b.url) });

        const responses = await Promise.all(Array.from({ length: 90 }, () => http.get('/')));

        expect(responses.filter((res) => res.status !== 200).map((res) => res.status), say('every request should be answered', 'load-balancer.ts')).toEqual([]);
        expect(backends.map((b) => b.requests.length), say('90 concurrent requests over 3 backends should land exactly 30 on each', 'load-balancer.ts')).toEqual([30, 30, 30]);
      });

      it('sends nothing to a backend marked down, and answers 503 when all are down', async () => {
        const backends = await startFakeBackends(3);
        const onRequest = vi.fn();
        const { lb, http } = await startBalancer(step, { backends: backends.map((b) => b.url), onRequest });

        lb.pool.backends[1].markAlive(false);
        for (let i = 0; i < 6; i += 1) await http.get('/').expect(200);
        expect(backends.map((b) => b.requests.length), say('a backend marked down should get no requests; the others share them', 'load-balancer.ts')).toEqual([3, 0, 3]);

        for (const backend of lb.pool.backends) backend.markAlive(false);
        const res = await http.get('/');
        expect(res.status, say('with every backend down the client should get 503 Service Unavailable', 'load-balancer.ts')).toBe(503);
        await expect.poll(() => onRequest.mock.calls.length, { message: say('a 503 is logged too', 'load-balancer.ts') }).toBe(7);
        expect(onRequest.mock.calls[6]?.[0], say('a request no backend was available for is logged with an empty backend', 'load-balancer.ts')).toMatchObject({ status: 503, backend: '' });
        expect(res.text.length, say('the 503 body should be short plain text', 'error-response.ts')).toBeLessThan(200);
        expect(backends.map((b) => b.requests.length), say('with every backend down nothing may be sent anywhere', 'load-balancer.ts')).toEqual([3, 0, 3]);
      });
    });

    describe('Mutex', () => {
      it('grants the lock to one holder at a time, first come first served', async () => {
        const mutex = new Mutex();
        const holding: string[] = [];
        const first = await mutex.lock();
        const second = mutex.lock().then((release) => (holding.push('second'), release));
        const third = mutex.lock().then((release) => (holding.push('third'), release));
        await flush();
        expect(holding, say('lock() must not resolve while another holder has not released', 'mutex.ts')).toEqual([]);

        first();
        const releaseSecond = await second;
        await flush();
        expect(holding, say('when the first holder releases, only the next waiter may get the lock — the third must keep waiting (swap #tail before you await the previous one)', 'mutex.ts')).toEqual([
          'second',
        ]);
        releaseSecond();
        (await third)();
        expect(holding, say('waiting lockers should get the lock in the order they asked', 'mutex.ts')).toEqual(['second', 'third']);
      });

      it('keeps out a locker that arrives while the lock is free but about to be taken', async () => {
        const mutex = new Mutex();
        const holders = new Set<string>();
        let overlap = false;
        const hold = async (name: string) => {
          const release = await mutex.lock();
          if (holders.size > 0) overlap = true;
          holders.add(name);
          await flush();
          holders.delete(name);
          release();
        };
        await Promise.all(['a', 'b', 'c', 'd'].map(hold));
        expect(overlap, say('two callers of lock() in the same tick must not both hold the lock', 'mutex.ts')).toBe(false);
      });

      it('releases the lock when the section throws', async () => {
        const mutex = new Mutex();
        await expect(mutex.runExclusive(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
        await expect(mutex.runExclusive(async () => 'next'), say('a throwing section must not keep the lock forever', 'mutex.ts')).resolves.toBe('next');
      });
    });

    describe('a read-modify-write split by await', () => {
      /** A store whose reads wait until the test opens the gate: every caller reads before anyone writes. */
      function gatedStore() {
        const gate = deferred();
        let value = 0;
        return { open: gate.resolve, store: { get: async () => (await gate.promise, value), set: async (v: number) => void (value = v) } };
      }

      it('shows the race: without the mutex, concurrent callers get the same ticket', async () => {
        const { open, store } = gatedStore();
        const taken = [takeTicketRacy(store), takeTicketRacy(store), takeTicketRacy(store)];
        open();
        expect(await Promise.all(taken), say('all three read 0 before anyone wrote 1: the race this step is about', 'shared-counter.ts')).toEqual([0, 0, 0]);
      });

      it('with the mutex, concurrent callers get distinct tickets in order', async () => {
        const { open, store } = gatedStore();
        const mutex = new Mutex();
        const taken = [takeTicket(store, mutex), takeTicket(store, mutex), takeTicket(store, mutex)];
        open();
        expect(await Promise.all(taken), say('takeTicket() should hold the mutex from get() to set(): 0, 1, 2', 'shared-counter.ts')).toEqual([0, 1, 2]);
      });
    });
  });
}

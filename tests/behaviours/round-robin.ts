import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { once } from 'node:events';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { LoadBalancer } from '../../tools/contract.js';
import { startBalancer } from '../helpers/balancer.js';
import { startFakeBackends } from '../helpers/fake-backend.js';
import { implRoot } from '../helpers/impl-root.js';
import { because } from '../helpers/learner-messages.js';
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
  next(): BackendLike | undefined;
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
  createLoadBalancer(options: { backends: readonly string[] }): LoadBalancer & { pool: PoolLike };
  ServerPool: new (urls: readonly URL[], sharedState?: SharedArrayBuffer) => PoolLike;
  Mutex: new () => MutexLike;
  takeTicket(store: AsyncStore, mutex: MutexLike): Promise<number>;
  takeTicketRacy(store: AsyncStore): Promise<number>;
}

const say = (behaviour: string) => because('step2', behaviour);
const urls = (n: number) => Array.from({ length: n }, (_, i) => new URL(`http://127.0.0.1:${9001 + i}`));
const indexes = (picks: ({ index: number } | undefined)[]) => picks.map((backend) => (backend ? backend.index + 1 : 'none'));

/** A promise the test resolves by hand, so async code proceeds exactly when the test says. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export function roundRobin(target: Target<unknown> & { module: RoundRobinModule }, folder = 'step2-round-robin'): void {
  const { ServerPool, Mutex, takeTicket, takeTicketRacy } = target.module;
  const step = target.module;

  describeBehaviour('step2', 'round robin, safe under concurrency', target, () => {
    describe('ServerPool', () => {
      it('hands out tickets 0, 1, 2, … in order', () => {
        const pool = new ServerPool(urls(3));
        const tickets = Array.from({ length: 5 }, () => pool.nextTicket());
        expect(tickets, say('nextTicket() should return 0, then 1, then 2, … (Atomics.add returns the old value)')).toEqual([0, 1, 2, 3, 4]);
      });

      it('rotates over the backends starting with the first', () => {
        const pool = new ServerPool(urls(3));
        const picks = Array.from({ length: 7 }, () => pool.next());
        expect(indexes(picks), say('next() should give backend 1, 2, 3, 1, 2, 3, … (the Go original starts at 2)')).toEqual([1, 2, 3, 1, 2, 3, 1]);
      });

      it('keeps alive flags in shared memory: a pool built on the same state sees markAlive', () => {
        const pool = new ServerPool(urls(3));
        const twin = new ServerPool(urls(3), pool.sharedState);
        expect(pool.backends.map((b) => b.isAlive()), say('every backend starts alive')).toEqual([true, true, true]);

        pool.backends[1].markAlive(false);
        expect(twin.backends[1].isAlive(), say('markAlive(false) should be visible to every pool on the same SharedArrayBuffer')).toBe(false);
        twin.backends[1].markAlive(true);
        expect(pool.backends[1].isAlive(), say('markAlive(true) brings it back, for everyone')).toBe(true);
      });

      it('skips backends marked down and splits evenly over the rest', () => {
        const pool = new ServerPool(urls(3));
        pool.backends[1].markAlive(false);
        const picks = Array.from({ length: 6 }, () => pool.next());
        expect(indexes(picks), say('with backend 2 down, traffic should alternate 1, 3, 1, 3 (not 1, 3, 3, 1, 3, 3)')).toEqual([1, 3, 1, 3, 1, 3]);
      });

      it('returns undefined when every backend is down', () => {
        const pool = new ServerPool(urls(2));
        for (const backend of pool.backends) backend.markAlive(false);
        expect(pool.next(), say('next() should return undefined when no backend is alive')).toBeUndefined();
      });

      it('never hands out a ticket twice, even to worker threads drawing at the same moment', { timeout: 15_000 }, async () => {
        const workers = 4;
        const perWorker = 250_000; // enough that the threads overlap for milliseconds, not microseconds
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
        expect(duplicates, say(`${workers} threads × ${perWorker} tickets: no ticket may be handed out twice (a plain read-then-write loses updates; use Atomics.add)`)).toBe(0);
        expect(seen.indexOf(0), say('every ticket from 0 up should have been handed out')).toBe(-1);
      });
    });

    describe('Mutex and a read-modify-write split by await', () => {
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
        expect(await Promise.all(taken), 'all three read 0 before anyone wrote 1: the race this step is about').toEqual([0, 0, 0]);
      });

      it('with the mutex, concurrent callers get distinct tickets in order', async () => {
        const { open, store } = gatedStore();
        const mutex = new Mutex();
        const taken = [takeTicket(store, mutex), takeTicket(store, mutex), takeTicket(store, mutex)];
        open();
        expect(await Promise.all(taken), say('takeTicket() should hold the mutex from get() to set(): 0, 1, 2')).toEqual([0, 1, 2]);
      });

      it('grants the lock to one holder at a time, first come first served', async () => {
        const mutex = new Mutex();
        const order: string[] = [];
        const first = await mutex.lock();
        const second = mutex.lock().then((release) => (order.push('second'), release));
        const third = mutex.lock().then((release) => (order.push('third'), release));
        await Promise.resolve();
        expect(order, say('lock() must not resolve while another holder has not released')).toEqual([]);

        first();
        (await second)();
        (await third)();
        expect(order, say('waiting lockers should get the lock in the order they asked')).toEqual(['second', 'third']);
      });

      it('releases the lock when the section throws', async () => {
        const mutex = new Mutex();
        await expect(mutex.runExclusive(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
        await expect(mutex.runExclusive(async () => 'next'), say('a throwing section must not keep the lock forever')).resolves.toBe('next');
      });
    });

    describe('the balancer', () => {
      it('sends sequential requests to backend 1, 2, 3, 1, 2, 3', async () => {
        const backends = await startFakeBackends(3);
        const { http } = await startBalancer(step, { backends: backends.map((b) => b.url) });

        const order: string[] = [];
        for (let i = 0; i < 6; i += 1) order.push((await http.get('/')).headers['x-backend']);

        expect(order, say('the balancer should ask pool.next() for every request')).toEqual(['backend-1', 'backend-2', 'backend-3', 'backend-1', 'backend-2', 'backend-3']);
      });

      it('splits 300 concurrent requests exactly 100/100/100', async () => {
        const backends = await startFakeBackends(3);
        const { http } = await startBalancer(step, { backends: backends.map((b) => b.url) });

        const responses = await Promise.all(Array.from({ length: 300 }, () => http.get('/')));

        expect(responses.every((res) => res.status === 200)).toBe(true);
        expect(backends.map((b) => b.requests.length), say('300 concurrent requests over 3 backends should land exactly 100 on each')).toEqual([100, 100, 100]);
      });

      it('sends nothing to a backend marked down, and answers 503 when all are down', async () => {
        const backends = await startFakeBackends(3);
        const { lb, http } = await startBalancer(step, { backends: backends.map((b) => b.url) });

        lb.pool.backends[1].markAlive(false);
        for (let i = 0; i < 6; i += 1) await http.get('/').expect(200);
        expect(backends.map((b) => b.requests.length), say('a backend marked down should get no requests; the others share them')).toEqual([3, 0, 3]);

        for (const backend of lb.pool.backends) backend.markAlive(false);
        const res = await http.get('/');
        expect(res.status, say('with every backend down the client should get 503 Service Unavailable')).toBe(503);
        expect(res.text.length).toBeLessThan(200);
      });
    });
  });
}

/**
 * Hidden interviewer checks for step 2 (round robin, safe under concurrency). The visible suite proves
 * the rotation with one pool and one balancer; these catch a counter kept in module scope or in the
 * object instead of the shared memory, an uneven split with a backend down under concurrency, and a
 * mutex or ticket store that only works for three callers. Expected values come from
 * docs/step2-round-robin.md, never from the code under test.
 */
import * as step2 from '@impl/step2-round-robin/index.js';
import { describe, expect, it } from 'vitest';
import { startBalancer } from '../../../tests/helpers/balancer.js';
import { startFakeBackends } from '../../../tests/helpers/fake-backend.js';
import { rawRequest } from '../../../tests/helpers/raw-http.js';

const FOLDER = 'step2-round-robin';
const SUITE = 'tools/interviewer/suites/step2-round-robin.hidden.test.ts';
const say = (behaviour: string, file: string) => `step2 hidden: ${behaviour} — look at ${FOLDER}/${file} (${SUITE})`;

const urls = (n: number) => Array.from({ length: n }, (_, i) => new URL(`http://127.0.0.1:${9201 + i}`));
/** Lets every ready callback run: a few turns of the microtask queue and one macrotask. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Waits `n` microtask turns: an await that takes a different time for each caller. */
const ticks = async (n: number) => {
  for (let i = 0; i < n; i += 1) await Promise.resolve();
};

describe('step2 hidden: one rotation per pool, shared only through its memory', () => {
  it('[concurrency] keeps one rotation per balancer: two balancers over the same backends each start at backend 1', async () => {
    const backends = await startFakeBackends(3);
    const first = await startBalancer(step2, { backends: backends.map((b) => b.url) });
    const second = await startBalancer(step2, { backends: backends.map((b) => b.url) });

    const order: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      order.push(`A:${(await rawRequest(first.url)).headers['x-backend']}`);
      order.push(`B:${(await rawRequest(second.url)).headers['x-backend']}`);
    }

    expect(order, say('each balancer has its own ServerPool and counter: a counter in module scope would make them share one rotation', 'server-pool.ts')).toEqual([
      'A:backend-1',
      'B:backend-1',
      'A:backend-2',
      'B:backend-2',
      'A:backend-3',
      'B:backend-3',
    ]);
  });

  it('[concurrency] keeps the ticket counter in the shared memory: pools on one state draw consecutive tickets between them', () => {
    const pool = new step2.ServerPool(urls(3));
    const twin = new step2.ServerPool(urls(3), pool.sharedState);

    const drawn = [pool.nextTicket(), twin.nextTicket(), twin.nextTicket(), pool.nextTicket()];
    expect(drawn, say('a pool built on pool.sharedState shares the counter itself, not only the alive flags: 0, 1, 2, 3 between them', 'server-pool.ts')).toEqual([0, 1, 2, 3]);
    expect([twin.next()?.index, pool.next()?.index], say('…and so one rotation: tickets 4 and 5 pick backends 2 and 3', 'server-pool.ts')).toEqual([1, 2]);
  });

  it('[concurrency] splits 90 concurrent requests exactly 30/0/30/30 with the second of four backends down', async () => {
    const backends = await startFakeBackends(4);
    const { lb, url } = await startBalancer(step2, { backends: backends.map((b) => b.url) });
    lb.pool.backends[1].markAlive(false);

    const answers = await Promise.all(Array.from({ length: 90 }, () => rawRequest(url)));

    expect(answers.filter((res) => res.status !== 200).length, say('every request should be answered by an alive backend', 'load-balancer.ts')).toBe(0);
    expect(backends.map((b) => b.requests.length), say('rotate over the alive backends only: the dead one\'s share must not all go to its neighbour (the Go original\'s walk)', 'server-pool.ts')).toEqual([30, 0, 30, 30]);
  });

  it('[correctness] gives a backend brought back with markAlive(true) its share again, from the next request on', async () => {
    const backends = await startFakeBackends(2);
    const { lb, url } = await startBalancer(step2, { backends: backends.map((b) => b.url) });

    lb.pool.backends[0].markAlive(false);
    for (let i = 0; i < 3; i += 1) expect((await rawRequest(url)).headers['x-backend'], say('while backend 1 is down everything goes to backend 2', 'server-pool.ts')).toBe('backend-2');
    lb.pool.backends[0].markAlive(true);
    const served: string[] = [];
    for (let i = 0; i < 4; i += 1) served.push((await rawRequest(url)).headers['x-backend'] as string);

    expect(served.filter((name) => name === 'backend-1'), say('next() reads the alive flags on every call: a backend that is back takes every other request', 'server-pool.ts')).toHaveLength(2);
  });

  it('[concurrency] serves 50 lockers that ask in the same tick one at a time, in the order they asked', async () => {
    const mutex = new step2.Mutex();
    const order: number[] = [];
    let holders = 0;
    let overlap = false;

    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        mutex.runExclusive(async () => {
          holders += 1;
          if (holders > 1) overlap = true;
          order.push(i);
          await ticks(i % 7); // every holder keeps the lock a different while
          await flush();
          holders -= 1;
        }),
      ),
    );

    expect(overlap, say('never two holders at once, however many lockers queue up in one tick', 'mutex.ts')).toBe(false);
    expect(order, say('the lock goes to the lockers in the order they called lock(): first come, first served', 'mutex.ts')).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('[concurrency] hands out 25 distinct tickets under the mutex when every read and write takes a different time', async () => {
    let value = 0;
    let reads = 0;
    // Each get() and set() awaits a different number of turns: callers would overtake each other without the lock.
    const store = {
      get: async () => {
        const wait = (reads += 1) % 5;
        await ticks(wait);
        return value;
      },
      set: async (next: number) => {
        await ticks(3 - (next % 4));
        value = next;
      },
    };
    const mutex = new step2.Mutex();

    const tickets = await Promise.all(Array.from({ length: 25 }, () => step2.takeTicket(store, mutex)));

    expect(tickets, say('takeTicket() holds the mutex from get() to set(): tickets 0 … 24, in call order', 'shared-counter.ts')).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(value, say('no increment may be lost: the store ends at 25', 'shared-counter.ts')).toBe(25);
  });

  it('[failure-handling] answers 503 to every request while all backends are down, sends nothing, and serves again once one is back', async () => {
    const backends = await startFakeBackends(2);
    const { lb, url } = await startBalancer(step2, { backends: backends.map((b) => b.url) });
    for (const backend of lb.pool.backends) backend.markAlive(false);

    const refused = await Promise.all(Array.from({ length: 6 }, () => rawRequest(url, { method: 'POST', body: 'order' })));
    expect(refused.map((res) => res.status), say('no backend alive: 503 Service Unavailable for every request, a POST with a body too', 'load-balancer.ts')).toEqual([503, 503, 503, 503, 503, 503]);
    expect(backends.map((b) => b.requests.length), say('with no backend alive nothing may be sent anywhere', 'load-balancer.ts')).toEqual([0, 0]);

    lb.pool.backends[1].markAlive(true);
    const res = await rawRequest(url, { method: 'POST', body: 'order' });
    expect([res.status, res.headers['x-backend']], say('a 503 round leaves nothing broken: the backend that is back answers', 'load-balancer.ts')).toEqual([200, 'backend-2']);
  });
});

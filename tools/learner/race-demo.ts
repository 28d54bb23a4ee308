/**
 * `npm run race-demo`: watch threads lose updates. Several worker threads add 1 to one shared counter,
 * first with a plain read-then-write (`counter[0] = counter[0] + 1`), then with `Atomics.add`.
 * The plain version ends short of the expected total: increments that overlapped overwrote each other.
 */
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

const THREADS = Math.max(2, Math.min(4, availableParallelism()));
const PER_THREAD = 1_000_000;

/** Runs in each worker: wait for the start signal, then increment PER_THREAD times. */
const WORKER = `
  const { workerData } = require('node:worker_threads');
  const { counter, start, atomic, times } = workerData;
  const flag = new Int32Array(start);
  const shared = new Int32Array(counter);
  Atomics.wait(flag, 0, 0, 2000); // everyone starts together, so the loops overlap
  if (atomic) for (let i = 0; i < times; i++) Atomics.add(shared, 0, 1);
  else for (let i = 0; i < times; i++) shared[0] = shared[0] + 1;
`;

async function race(atomic: boolean): Promise<number> {
  const counter = new SharedArrayBuffer(4);
  const start = new SharedArrayBuffer(4);
  const workers = Array.from({ length: THREADS }, () => new Worker(WORKER, { eval: true, workerData: { counter, start, atomic, times: PER_THREAD } }));
  await Promise.all(workers.map((worker) => once(worker, 'online')));
  const flag = new Int32Array(start);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  await Promise.all(workers.map((worker) => once(worker, 'exit')));
  return new Int32Array(counter)[0];
}

const expected = THREADS * PER_THREAD;
console.log(`${THREADS} threads × ${PER_THREAD.toLocaleString('en')} increments of one shared counter (expected ${expected.toLocaleString('en')})`);
for (const atomic of [false, true]) {
  const total = await race(atomic);
  const lost = expected - total;
  const label = atomic ? 'Atomics.add(counter, 0, 1)      ' : 'counter[0] = counter[0] + 1     ';
  console.log(`  ${label} → ${total.toLocaleString('en')}  (${lost.toLocaleString('en')} lost, ${((lost / expected) * 100).toFixed(1)} %)`);
}

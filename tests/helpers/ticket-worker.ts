/**
 * Runs in a worker thread (see tests/behaviours/round-robin.ts): rebuilds a ServerPool on the shared
 * state it is given, waits at a start line so all workers draw at the same moment, then draws tickets.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

interface TicketJob {
  /** Absolute path of the step's index.ts under test. */
  modulePath: string;
  urls: string[];
  sharedState: SharedArrayBuffer;
  /** Int32Array slot 0: workers count themselves in; the last one to arrive starts the race. */
  startLine: SharedArrayBuffer;
  workers: number;
  tickets: number;
}

const job = workerData as TicketJob;
const { ServerPool } = (await import(pathToFileURL(job.modulePath).href)) as {
  ServerPool: new (urls: URL[], sharedState: SharedArrayBuffer) => { nextTicket(): number };
};
const pool = new ServerPool(job.urls.map((url) => new URL(url)), job.sharedState);

const line = new Int32Array(job.startLine);
if (Atomics.add(line, 0, 1) + 1 === job.workers) Atomics.notify(line, 0);
else while (Atomics.load(line, 0) < job.workers) Atomics.wait(line, 0, Atomics.load(line, 0), 1_000);

const drawn = new Uint32Array(job.tickets);
for (let i = 0; i < job.tickets; i += 1) drawn[i] = pool.nextTicket();
parentPort?.postMessage(drawn);

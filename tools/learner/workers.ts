/**
 * `npm start -- --workers N` (step 7): the balancer in N processes that share one listening port,
 * with node:cluster. The primary process balances nothing itself: it forks the workers, hands them the
 * demo backends it started once, replaces a worker that dies, and on SIGTERM asks every worker to drain
 * and waits for them. Each worker runs the balancer as the single-process CLI does (tools/learner/cli.ts).
 *
 * The primary accepts every connection and hands it to the next worker in turn (cluster's round robin):
 * a connection stays with the worker that got it, so only new connections spread.
 */
import cluster, { type Worker } from 'node:cluster';

/** What a worker needs from the primary, beyond the command line they share. */
export interface WorkerSetup {
  /** 1 to N, kept by a replacement: the `w2` of the log and of the x-lb-worker header. */
  slot: number;
  /** The demo backends the primary started (none with --backends). */
  demo: { name: string; url: string }[];
  /** Set for a replacement of worker 1: the admin port its predecessor had, which may have been a free port (0). */
  adminPort?: number;
}

/** What a worker tells the primary. */
export type Report = { kind: 'listening'; url: string; adminUrl?: string } | { kind: 'stdout-closed' };

/** A worker's side of the line to the primary. */
export interface PrimaryLink extends WorkerSetup {
  /** Resolves once the primary asks this worker to drain. */
  readonly drainRequested: Promise<void>;
  report(report: Report): void;
}

/** The workers, as the primary sees them. */
export interface Workers {
  /** Resolves once every worker listens; rejects with a StartupError if one ended before it did. */
  readonly listening: Promise<{ url: string; adminUrl?: string; pids: number[] }>;
  /** Asks every worker to drain; resolves once all have ended, true if each ended with status 0. */
  drain(): Promise<boolean>;
  /** Ends every worker at once. */
  kill(): void;
}

export interface WorkerEvents {
  /** One line for whoever runs the balancer: a worker ended unexpectedly, and what happens now. */
  notice(line: string): void;
  /** A worker's stdout closed (`npm start | head -1`): nobody reads the log any more. */
  stdoutClosed(): void;
  /** Workers kept dying: the caller should stop. */
  gaveUp(): void;
}

/** A worker ended before it listened: a port taken or an option refused, which the next one would meet too. */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** More unexpected ends than this within the window, and the primary stops replacing workers. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 10_000;

const SETUP_VARIABLE = 'LB_WORKER_SETUP';

/** In a worker that startWorkers forked: its setup and its line to the primary; anywhere else undefined. */
export function joinPrimary(): PrimaryLink | undefined {
  const setup = process.env[SETUP_VARIABLE];
  if (!cluster.isWorker || setup === undefined) return undefined;
  // Listening before the worker reports that it listens: a message nobody listens to is lost.
  const drainRequested = new Promise<void>((resolve) => {
    process.on('message', (message: { kind?: unknown } | null) => {
      if (message?.kind === 'drain') resolve();
    });
  });
  // Without a line (the primary is gone) there is nobody to tell, and node:cluster ends this worker.
  const report = (message: Report) => void (process.connected && process.send?.(message));
  return { ...(JSON.parse(setup) as WorkerSetup), drainRequested, report };
}

/** In the primary: forks `count` workers of this same program, with the same flags. */
export function startWorkers(count: number, demo: WorkerSetup['demo'], events: WorkerEvents): Workers {
  // Round robin is Node's default except on Windows; said explicitly, it is what the help text promises.
  cluster.schedulingPolicy = cluster.SCHED_RR;
  const live = new Map<Worker, number>(); // each worker's slot
  const ready = new Set<Worker>(); // those that listen, and so hear a drain request (see joinPrimary)
  const restarts: number[] = []; // when workers ended unexpectedly, the last RESTART_WINDOW_MS
  let stopping = false;
  let clean = true; // every worker ended with status 0 so far
  let adminPort: number | undefined;
  let allGone = () => {};
  const gone = new Promise<void>((resolve) => (allGone = resolve));

  /** `initial`: one of the first N, whose end before it listens stops the start-up; a replacement is retried instead. */
  function fork(slot: number, initial: boolean): Promise<{ url: string; adminUrl?: string }> {
    return new Promise((resolve, reject) => {
      const setup: WorkerSetup = { slot, demo, adminPort: slot === 1 ? adminPort : undefined };
      const worker = cluster.fork({ [SETUP_VARIABLE]: JSON.stringify(setup) });
      const pid = worker.process.pid;
      let listened = false;
      live.set(worker, slot);
      worker.on('message', (report: Report) => {
        if (report.kind === 'stdout-closed') events.stdoutClosed();
        if (report.kind !== 'listening') return;
        listened = true;
        ready.add(worker);
        if (stopping) worker.send({ kind: 'drain' }); // it started up while the others drained
        if (report.adminUrl) adminPort = Number(new URL(report.adminUrl).port);
        if (!initial && !stopping) events.notice(`worker w${slot} is back (pid ${pid})`);
        resolve(report);
      });
      worker.on('exit', (code, signal) => {
        live.delete(worker);
        ready.delete(worker);
        const how = `worker w${slot} (pid ${pid}) ${signal ? `was killed by ${signal}` : `exited with status ${code}`}`;
        if (stopping) {
          if (code !== 0) clean = false;
          if (live.size === 0) allGone();
          return;
        }
        if (initial && !listened) return reject(new StartupError(`${how} before it listened`, code || 1));
        const now = Date.now();
        restarts.push(now);
        while (restarts[0] < now - RESTART_WINDOW_MS) restarts.shift();
        if (restarts.length > MAX_RESTARTS) {
          events.notice(`${how}; ${restarts.length} workers ended within ${RESTART_WINDOW_MS / 1000} s: no more restarts`);
          clean = false;
          return events.gaveUp();
        }
        events.notice(`${how}; starting a new w${slot}`);
        void fork(slot, false);
      });
    });
  }

  const started = (async () => {
    // Worker 1 first, the others once it listens: an option a worker refuses or a port that is taken
    // is then reported once, not N times. Worker 1 alone serves the admin API (see cli.ts).
    const first = await fork(1, true);
    if (!stopping) await Promise.all(Array.from({ length: count - 1 }, (_, i) => fork(i + 2, true)));
    const bySlot = [...live].sort(([, a], [, b]) => a - b);
    return { ...first, pids: bySlot.map(([worker]) => worker.process.pid as number) };
  })();

  return {
    listening: started,
    drain() {
      stopping = true;
      // One still starting up is asked once it listens. One whose line is closed is already on its way out.
      for (const worker of ready) if (worker.isConnected()) worker.send({ kind: 'drain' });
      if (live.size === 0) allGone();
      return gone.then(() => clean);
    },
    kill() {
      stopping = true;
      for (const worker of live.keys()) worker.process.kill('SIGKILL');
    },
  };
}

/**
 * `npm start`: runs a balancer in front of three demo backends, or in front of yours.
 *
 *   npm start                                   latest step, demo backends, port 3030
 *   npm start -- --backends http://127.0.0.1:9001,http://127.0.0.1:9002 --port 8080
 *   npm start -- --step 1                       an earlier step
 *   npm start -- --from steps                   your own code from steps/
 *
 * Which folder the step's code comes from is `--from`; `npm start` in package.json names the default.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BalancerOptions, HealthEvent, LoadBalancer, RequestLogEntry, StepModule } from '../shared/contract.js';
import { UsageError } from '../shared/command.js';
import { ROOT } from '../shared/files.js';
import { findStep, installedSteps, type Step } from '../shared/curriculum.js';
import { startDemoBackends, type DemoBackend, type DemoCosts } from './demo-backends.js';
import { createLineLog } from './request-log.js';
import { joinPrimary, startWorkers, StartupError } from './workers.js';

/** A take-home copy may ship only some steps; the CLI offers those. */
const STEPS = installedSteps(ROOT);
/** The request log writes at most every this many ms: one pipe write per burst cost 11 % of a fast balancer's CPU, measured. */
export const LOG_FLUSH_MS = 50;
const LATEST = STEPS[STEPS.length - 1];
/** The name the banner shows: the package's, so that a copy under another name says its own. */
const PRODUCT = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string }).name;

const ALL_FLAGS = `usage: npm start -- [options]
  --backends <urls>         comma-separated backend URLs (default: start 3 demo backends)
  --port <n>                port to listen on (default 3030)
  --host <address>          address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --step <n>                which step to run: ${STEPS.map((s) => s.number).join(', ')} (default ${LATEST.number}, the latest)
  --from <folder>           the folder to run the step's code from (steps: your own code)
  --retries <n>             step 3+: extra tries on the same backend (default 3)
  --attempts <n>            step 3+: backends to try per request (default 3)
  --health-mode <mode>      step 4+: active checks by http (default), tcp, or off
  --health-path <path>      step 4+: path an http check GETs (default /healthz)
  --health-interval <ms>    step 4+: time between two probes of a backend (default 10000)
  --health-timeout <ms>     step 4+: a slower probe fails (default 2000)
  --admin-port <n>          step 4+: port of GET /lb/status and, step 6+, GET /lb/metrics (default 3031)
  --admin-host <address>    step 4+: address of the admin API (default 127.0.0.1, whatever --host says)
  --policy <name|file>      step 5+: round-robin (default), least-conn, p2c, ewma, weighted, or
                            ./my-policy.ts, a module whose default export has select(candidates, request)
  --weights <list>          step 5+: with --policy weighted, one whole number per backend, e.g. 5,1,1
  --max-conns <n>           step 5+: requests in flight per backend before others queue (default 0, no limit)
  --max-queue <n>           step 5+: requests that may wait for a backend; one more gets 503 (default 100)
  --queue-timeout <ms>      step 5+: how long a request may wait in the queue before 503 (default 5000)
  --request-timeout <ms>    step 6+: deadline until an answer begins, every try included; then 504
                            (default 15000; 0 = none)
  --try-timeout <ms>        step 6+: one try's limit until its answer begins (default 0 = none)
  --retry-budget <percent>  step 6+: retries in flight, as a share of requests in flight (default 20)
  --health-recovery <ms>    step 6+: probe interval while no backend is available (default 1000)
  --demo-costs <mode>       even (default) or heavy-tail: 1 demo request in 20 takes 100 times longer,
                            and backend-3 is twice as slow as the others
  --workers <n|auto>        step 7+: serve from n processes sharing the port (node:cluster; new connections
                            go to each in turn), auto = one per core (default 1). A worker's log lines start
                            with w1, w2, …, its answers carry x-lb-worker. Each keeps its own health checks
                            and counts: the admin API is worker w1's alone, so it shows w1's share only
  --drain-timeout <ms>      on SIGTERM or Ctrl-C, how long in-flight requests may take to finish (default 10000)
  --quiet                   no per-request log lines
  --help                    show this help`;
/** The usage text without the flags of steps this copy does not have (`step 4+` lines in a step 3 copy). */
const USAGE = ALL_FLAGS.split(/\n(?=  --)/)
  .filter((flag) => Number(/^ {2}--\S+ +(?:<\S+> +)?step (\d+)\+:/.exec(flag)?.[1] ?? 0) <= LATEST.number)
  .join('\n');

export interface CliOptions {
  backends?: string[];
  port: number;
  host: string;
  adminHost: string;
  step: Step;
  from: string;
  maxRetries?: number;
  maxAttempts?: number;
  healthCheck?: { mode: 'http' | 'tcp'; path?: string; intervalMs?: number; timeoutMs?: number; recoveryIntervalMs?: number };
  adminPort: number;
  drainTimeoutMs?: number;
  /** A policy name, or the path of a module that default-exports one (loaded in main). */
  policy?: string;
  weights?: number[];
  maxConnections?: number;
  maxQueue?: number;
  queueTimeoutMs?: number;
  requestTimeoutMs?: number;
  tryTimeoutMs?: number;
  retryBudgetPercent?: number;
  recoveryIntervalMs?: number;
  demoCosts: DemoCosts;
  /** Processes that serve (step 7+); 1, the default, is this process alone. */
  workers: number;
  quiet: boolean;
}

export function parseCli(argv: readonly string[]): CliOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        backends: { type: 'string' },
        port: { type: 'string', default: '3030' },
        host: { type: 'string', default: '127.0.0.1' },
        'admin-host': { type: 'string', default: '127.0.0.1' },
        'request-timeout': { type: 'string' },
        'try-timeout': { type: 'string' },
        'retry-budget': { type: 'string' },
        'health-recovery': { type: 'string' },
        step: { type: 'string', default: String(LATEST.number) },
        from: { type: 'string', default: 'steps' },
        retries: { type: 'string' },
        attempts: { type: 'string' },
        'health-mode': { type: 'string', default: 'http' },
        'health-path': { type: 'string' },
        'health-interval': { type: 'string' },
        'health-timeout': { type: 'string' },
        'admin-port': { type: 'string', default: '3031' },
        'drain-timeout': { type: 'string' },
        policy: { type: 'string' },
        weights: { type: 'string' },
        'max-conns': { type: 'string' },
        'max-queue': { type: 'string' },
        'queue-timeout': { type: 'string' },
        'demo-costs': { type: 'string', default: 'even' },
        workers: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';

  const step = findStep(values.step);
  if (!step || !STEPS.includes(step)) throw new UsageError(`--step must be one of ${STEPS.map((s) => s.number).join(', ')}, got ${values.step}`);
  if (!existsSync(path.join(ROOT, values.from, step.folder, 'index.ts'))) throw new UsageError(`--from ${values.from}: there is no ${values.from}/${step.folder}/index.ts here`);
  const backends = values.backends?.split(',').map((url) => url.trim()).filter((url) => url !== '');
  if (backends && backends.length === 0) throw new UsageError('--backends needs at least one URL');
  const mode = values['health-mode'];
  if (mode !== 'http' && mode !== 'tcp' && mode !== 'off') throw new UsageError(`--health-mode must be http, tcp or off, got ${mode}`);
  const demoCosts = values['demo-costs'];
  if (demoCosts !== 'even' && demoCosts !== 'heavy-tail') throw new UsageError(`--demo-costs must be even or heavy-tail, got ${demoCosts}`);
  const weights = values.weights?.split(',').map((weight, i) => wholeNumber(`--weights (number ${i + 1})`, weight.trim(), 1) as number);
  const healthPath = values['health-path'];
  const retryBudgetPercent = values['retry-budget'] === undefined ? undefined : Number(values['retry-budget']);
  if (retryBudgetPercent !== undefined && !(retryBudgetPercent >= 0 && retryBudgetPercent <= 100)) throw new UsageError(`--retry-budget must be a percentage from 0 to 100, got ${values['retry-budget']}`);
  if (healthPath !== undefined && !healthPath.startsWith('/')) throw new UsageError(`--health-path must start with /, got ${healthPath}`);
  // Refused, not ignored with a warning: even --workers auto may mean one process or many, by machine.
  if (values.workers !== undefined && step.number < 7) throw new UsageError(`--workers needs step 7 or later; ${step.id} runs in one process`);
  const workers = values.workers === undefined ? 1 : values.workers === 'auto' ? availableParallelism() : Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`--workers must be a whole number ≥ 1 or auto, got ${values.workers}`);

  return {
    backends,
    port: portNumber('--port', values.port),
    host: values.host,
    adminHost: values['admin-host'],
    step,
    from: values.from,
    maxRetries: wholeNumber('--retries', values.retries, 0),
    maxAttempts: wholeNumber('--attempts', values.attempts, 1),
    healthCheck:
      mode === 'off'
        ? undefined
        : {
            mode,
            path: healthPath,
            intervalMs: wholeNumber('--health-interval', values['health-interval'], 1),
            timeoutMs: wholeNumber('--health-timeout', values['health-timeout'], 1),
            recoveryIntervalMs: wholeNumber('--health-recovery', values['health-recovery'], 1),
          },
    adminPort: portNumber('--admin-port', values['admin-port']),
    drainTimeoutMs: wholeNumber('--drain-timeout', values['drain-timeout'], 0),
    policy: values.policy,
    weights,
    maxConnections: wholeNumber('--max-conns', values['max-conns'], 0),
    maxQueue: wholeNumber('--max-queue', values['max-queue'], 0),
    queueTimeoutMs: wholeNumber('--queue-timeout', values['queue-timeout'], 1),
    requestTimeoutMs: wholeNumber('--request-timeout', values['request-timeout'], 0),
    tryTimeoutMs: wholeNumber('--try-timeout', values['try-timeout'], 0),
    retryBudgetPercent,
    recoveryIntervalMs: wholeNumber('--health-recovery', values['health-recovery'], 1),
    demoCosts,
    workers,
    quiet: values.quiet,
  };
}

function wholeNumber(flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`${flag} must be a whole number ≥ ${min}, got ${text}`);
  return value;
}

function portNumber(flag: string, text: string): number {
  const port = wholeNumber(flag, text, 0) as number;
  if (port > 65_535) throw new UsageError(`${flag} must be a whole number from 0 to 65535, got ${text}`);
  return port;
}

async function main(): Promise<void> {
  let options: CliOptions | 'help';
  try {
    options = parseCli(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`error: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(USAGE);
    return;
  }

  const { step, from } = options;
  // This process may be one of the --workers: the primary has warned already, and runs the show.
  const worker = options.workers > 1 ? joinPrimary() : undefined;
  if (!worker) for (const warning of unusedFlags(options)) console.error(`warning: ${warning}`);
  // From here on stdout may close under us (`npm start | head -1`). Its errors go to the log's handler
  // below; without a listener, the first EPIPE would be an uncaught exception.
  process.stdout.on('error', () => {});
  if (options.workers > 1 && !worker) return runPrimary(options);
  const module = (await import(pathToFileURL(path.join(ROOT, from, step.folder, 'index.ts')).href)) as StepModule;
  let policy: BalancerOptions['policy'];
  try {
    policy = await loadPolicy(options.policy);
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    process.exit(2);
  }
  // A worker uses the primary's demo backends: one set for all, so the workers balance the same three.
  const demo: DemoBackend[] = options.backends || worker ? [] : await startDemoBackends(3, options.demoCosts);
  const demoUrls = worker?.demo ?? demo;
  const backends = options.backends ?? demoUrls.map((backend) => backend.url);
  const names = new Map(demoUrls.map((backend) => [backend.url, backend.name]));
  const tag = worker ? `w${worker.slot} ` : '';
  // The reader of our stdout went away: nobody sees the log any more, so stop like any Unix tool
  // whose pipe closed — but gracefully. Any other stdout error only silences the log.
  const log = createLineLog(process.stdout, {
    flushEveryMs: LOG_FLUSH_MS,
    onError: (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'EPIPE') process.stderr.write(`warning: the request log stopped: ${err.message}\n`);
      else if (worker) worker.report({ kind: 'stdout-closed' }); // the primary stops every worker
      else void stop('stdout closed');
    },
  });

  let lb: LoadBalancer;
  try {
    lb = module.createLoadBalancer({
      backends,
      maxRetries: options.maxRetries,
      maxAttempts: options.maxAttempts,
      healthCheck: options.healthCheck,
      drainTimeoutMs: options.drainTimeoutMs,
      policy,
      weights: options.weights,
      maxConnections: options.maxConnections,
      maxQueue: options.maxQueue,
      queueTimeoutMs: options.queueTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      tryTimeoutMs: options.tryTimeoutMs,
      retryBudget: options.retryBudgetPercent === undefined ? undefined : { percent: options.retryBudgetPercent },
      onRequest: options.quiet ? undefined : (entry) => log.write(tag + formatEntry(entry, names)),
      onHealthChange: (event) => log.write(tag + formatHealthEvent(event, names)),
    });
  } catch (err) {
    await Promise.all(demo.map((backend) => backend.stop()));
    const code = (err as { code?: string }).code;
    console.error(`error: ${(err as Error).message}`);
    if (code === 'INVALID_OPTIONS') console.error(USAGE);
    process.exit(code === 'INVALID_OPTIONS' ? 2 : 1);
  }
  // Which worker answered, for `curl -i` and the tests. Set before the balancer's own handler runs;
  // its writeHead() keeps headers set this way.
  if (worker) lb.server.prependListener('request', (_req, res) => res.setHeader('x-lb-worker', `w${worker.slot}`));

  const failToListen = (port: number) => (err: Error) => {
    console.error(`error: cannot listen on port ${port}: ${err.message}`);
    process.exit(1);
  };
  const { url } = await lb.listen(options.port, options.host).catch(failToListen(options.port));
  // With --workers, worker 1 alone serves the admin API: a port every worker listened on would answer
  // each GET /lb/status from whichever worker the connection went to, a different view every time.
  const adminPort = worker?.adminPort ?? options.adminPort;
  const admin = worker && worker.slot !== 1 ? undefined : await lb.listenAdmin?.(adminPort, options.adminHost).catch(failToListen(adminPort));

  if (worker) {
    worker.report({ kind: 'listening', url, adminUrl: admin?.url }); // the primary prints the banner
  } else {
    console.log(`${PRODUCT} — ${step.id} (${step.title}) from ${from}/${step.folder}, pid ${process.pid}`);
    for (const backend of backends) console.log(`  ${names.get(backend) ?? 'backend'}  ${backend}`);
    console.log(`listening on ${url}`);
    if (admin) console.log(`status:     curl ${admin.url}/lb/status`);
    if (admin && step.number >= 6) console.log(`metrics:    curl ${admin.url}/lb/metrics`);
    console.log(`try:  curl -i ${url}/hello`);
  }
  const keys = demo.length > 0 && process.stdin.isTTY;
  if (!worker) console.log(keys ? `press 1-${demo.length} to stop/start a demo backend, q or Ctrl-C to quit\n` : 'Ctrl-C to stop\n');

  let stopping = false;
  let signalled = false;
  /**
   * Drains: in-flight requests finish (up to --drain-timeout), then the process exits 0. A second
   * signal (or key, or closed pipe) stops at once; a drain request from the primary is no signal. A
   * worker is quiet about it: the primary speaks for all of them.
   */
  async function stop(why: string, bySignal = true): Promise<void> {
    if (signalled && bySignal) {
      if (!worker) process.stderr.write(`${why} again: stopping now\n`);
      process.exit(130); // a second signal: do not wait any longer
    }
    signalled ||= bySignal;
    if (stopping) return;
    stopping = true;
    if (!worker) process.stderr.write(`${why}: finishing the requests in flight, then stopping\n`);
    await lb.close();
    await Promise.all(demo.map((backend) => backend.stop()));
    log.flush();
    // Let the last log lines reach the pipe before the process ends (a closed pipe answers at once),
    // but a reader that stopped reading must not keep us from ending: a second at most.
    process.stdout.write('', () => process.exit(0));
    setTimeout(() => process.exit(0), 1_000).unref();
  }
  // A worker heeds its own signals too: Ctrl-C reaches every process of the terminal's group at once,
  // so a worker gets it and the primary's drain request for it, in either order.
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (worker) {
    void worker.drainRequested.then(() => stop('asked by the primary', false));
  } else {
    watchParent(() => void stop('the parent process went away'));
    if (keys) listenForKeys(demo, () => stop('q'));
  }
}

/**
 * `--workers N`: this process serves nothing. It starts the demo backends once, forks N workers that
 * each run main() above with the same flags (tools/learner/workers.ts), prints the banner once they all
 * listen, and on a signal asks them all to drain.
 */
async function runPrimary(options: CliOptions): Promise<void> {
  const { step, from } = options;
  try {
    await loadPolicy(options.policy); // checked here too, so a bad --policy is reported once
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    process.exit(2);
  }
  const demo = options.backends ? [] : await startDemoBackends(3, options.demoCosts);
  const backends = options.backends ?? demo.map((backend) => backend.url);
  const names = new Map(demo.map((backend) => [backend.url, backend.name]));
  const workers = startWorkers(options.workers, demo.map(({ name, url }) => ({ name, url })), {
    notice: (line) => process.stderr.write(`${line}\n`),
    stdoutClosed: () => void stop('stdout closed', false),
    gaveUp: () => void stop('workers keep dying', false),
  });

  let stopping = false;
  let signalled = false;
  /**
   * Every worker drains (each as a single process would); the primary exits once they all have. A
   * second signal ends them all at once; a closed stdout or a crashing worker is no signal.
   */
  async function stop(why: string, bySignal = true): Promise<void> {
    if (signalled && bySignal) {
      process.stderr.write(`${why} again: stopping now\n`);
      workers.kill();
      process.exit(130);
    }
    signalled ||= bySignal;
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${why}: every worker finishes the requests in flight, then stops\n`);
    const clean = await workers.drain();
    await Promise.all(demo.map((backend) => backend.stop()));
    const status = clean ? 0 : 1;
    process.stdout.write('', () => process.exit(status));
    setTimeout(() => process.exit(status), 1_000).unref();
  }
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  watchParent(() => void stop('the parent process went away'));
  // The workers write the log; the primary's stdout carries the banner, and its EPIPE is what tells
  // that `| head -1` went away when no request has come yet.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') void stop('stdout closed', false);
  });

  let started;
  try {
    started = await workers.listening;
  } catch (err) {
    if (!(err instanceof StartupError)) throw err;
    // The worker said why on stderr (a port taken, an option refused).
    console.error(`error: ${err.message}`);
    workers.kill();
    await Promise.all(demo.map((backend) => backend.stop()));
    process.exit(err.exitCode);
  }
  if (stopping) return; // a signal came during start-up

  const { url, adminUrl } = started;
  console.log(`${PRODUCT} — ${step.id} (${step.title}) from ${from}/${step.folder}, pid ${process.pid}, ${options.workers} workers`);
  for (const backend of backends) console.log(`  ${names.get(backend) ?? 'backend'}  ${backend}`);
  console.log(`listening on ${url}`);
  console.log(`workers:    ${started.pids.map((pid, i) => `w${i + 1} pid ${pid}`).join(', ')}; each takes new connections in turn (see x-lb-worker)`);
  if (adminUrl) console.log(`status:     curl ${adminUrl}/lb/status   (worker w1's view: each worker checks and counts on its own)`);
  if (adminUrl && step.number >= 6) console.log(`metrics:    curl ${adminUrl}/lb/metrics   (worker w1's requests only)`);
  console.log(`try:  curl -i ${url}/hello`);
  const keys = demo.length > 0 && process.stdin.isTTY;
  console.log(keys ? `press 1-${demo.length} to stop/start a demo backend, q or Ctrl-C to quit\n` : 'Ctrl-C to stop\n');
  if (keys) listenForKeys(demo, () => stop('q'));
}

/** Flags the chosen step or setup ignores: silence would let you think they took effect. */
export function unusedFlags(options: CliOptions): string[] {
  const warnings: string[] = [];
  const step5 = [options.policy, options.weights, options.maxConnections, options.maxQueue, options.queueTimeoutMs];
  if (options.step.number < 5 && step5.some((value) => value !== undefined)) {
    warnings.push(`--policy, --weights, --max-conns, --max-queue and --queue-timeout need step 5 or later; ${options.step.id} ignores them`);
  }
  const step6 = [options.requestTimeoutMs, options.tryTimeoutMs, options.retryBudgetPercent, options.recoveryIntervalMs];
  if (options.step.number < 6 && step6.some((value) => value !== undefined)) {
    warnings.push(`--request-timeout, --try-timeout, --retry-budget and --health-recovery need step 6 or later; ${options.step.id} ignores them`);
  }
  if (options.backends && options.demoCosts !== 'even') warnings.push('--demo-costs applies to the demo backends only, and --backends replaces them');
  return warnings;
}

/**
 * `--policy`: a shipped policy's name is passed on as it is; anything that looks like a path
 * (`./my-policy.ts`, `/abs/policy.js`) is imported, relative to where you ran npm, and its default
 * export is the policy. The step checks that it has a `select()` method.
 */
export async function loadPolicy(choice: string | undefined): Promise<BalancerOptions['policy']> {
  if (choice === undefined || !/[./\\]/.test(choice)) return choice;
  // npm runs scripts in the package folder; INIT_CWD is where you typed the command.
  const file = path.resolve(process.env.INIT_CWD ?? process.cwd(), choice);
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    throw new Error(`--policy ${choice}: cannot load ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof module.default !== 'object' || module.default === null) throw new Error(`--policy ${choice}: the module needs a default export, an object with select(candidates, request)`);
  return module.default as BalancerOptions['policy'];
}

/**
 * Calls `onGone` once if this process is orphaned. `npm start` runs us under `sh -c`, and dash (the sh
 * of Debian and Ubuntu) passes no signal on: a SIGTERM to npm kills the shell and leaves us running,
 * with a new parent. Watching for that is how a SIGTERM to `npm start` still drains the balancer.
 */
function watchParent(onGone: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, 250);
  timer.unref(); // never what keeps the process alive
}

/** Raw keyboard input: a digit stops or restarts that demo backend, so you can watch failover live. */
function listenForKeys(demo: DemoBackend[], stop: () => Promise<void>): void {
  process.stdin.setRawMode(true);
  process.stdin.on('data', (key: Buffer) => {
    const text = key.toString();
    if (text === 'q' || text === '\u0003') return void stop(); // raw mode turns Ctrl-C into a key
    const backend = demo[Number(text) - 1];
    if (!backend) return;
    void backend.toggle().then(() => console.log(`[demo] ${backend.name} ${backend.running ? 'started' : 'stopped'}`));
  });
}

/** `GET /hello → backend-2 200 1.4 ms`, plus `(5 tries on 2 backends)` when step 3 retried. */
export function formatEntry(entry: RequestLogEntry, names: ReadonlyMap<string, string>): string {
  const who = names.get(entry.backend) ?? (entry.backend || 'no backend');
  const status = entry.status === 0 ? 'aborted' : String(entry.status);
  const retried = (entry.tries ?? 1) > 1 ? ` (${entry.tries} tries on ${entry.attempts} backend${entry.attempts === 1 ? '' : 's'})` : '';
  return `${entry.method} ${entry.url} → ${who} ${status} ${entry.durationMs.toFixed(1)} ms${retried}`;
}

/** `backend backend-2 (http://127.0.0.1:9002) is DOWN (3 failed probe(s): ECONNREFUSED)` */
export function formatHealthEvent(event: HealthEvent, names: ReadonlyMap<string, string>): string {
  const name = names.get(event.backend);
  const who = name ? `${name} (${event.backend})` : event.backend;
  return `backend ${who} is ${event.to.toUpperCase()} (${event.reason})`;
}

if (import.meta.filename === process.argv[1]) await main();

/**
 * `npm run bench`: requests per second, latency, CPU and memory of every step's reference balancer next
 * to minimal balancers and nginx (if installed), all in front of the same backend on this machine. Each
 * target runs in its own process (tools/maintainer/bench-target.ts); autocannon drives the load from this one.
 *
 *   npm run bench -- --duration 5 --connections 50 --only http-proxy-keepalive,undici-bare,step7
 *   npm run bench -- --only step7,step7-quiet          what the request log costs
 *   npm run bench -- --only step7 --profile             a CPU profile and flame graph of step 7 under load
 *
 * Numbers depend on the machine and on what else it is doing, so the table gives same-run ratios: a
 * row's requests/s divided by those of a baseline measured in the same run (× http-proxy-keepalive,
 * × undici-bare, and × nginx when nginx ran); a baseline that --only leaves out is not added, its
 * column shows –. Per row it also gives p50 and p99 latency, the CPU time the balancer process spent
 * per request and its resident memory after the run, both from /proc (Linux only). Compare ratios and
 * CPU µs/request across runs, not absolute requests/s.
 *
 * A step runs as `npm start` runs it: active health checks, the admin server, one request log line per
 * request written to stdout, which this process reads and discards. `stepN-quiet` (or --quiet) turns
 * the log off. --profile runs each Node target under `node --cpu-prof` and hands the profile of the
 * measured seconds to tools/maintainer/profile.ts for a flame graph and a table of the costliest functions.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { STEPS } from '../shared/curriculum.js';
import { ROOT } from '../shared/files.js';
import { formatReport, reportProfile, trimProfileFile } from './profile.js';

const LATEST = STEPS[STEPS.length - 1].id;
const STEP_TARGETS = STEPS.flatMap((step) => [step.id, `${step.id}-quiet`]);
const NODE_TARGETS = ['http-proxy-default', 'http-proxy-keepalive', 'node-http-bare', 'undici-bare', ...STEP_TARGETS];
const ALL_TARGETS = ['direct', ...NODE_TARGETS, 'nginx'];
/** A full run: every engine and step once, and the latest step without its log to show what the log costs. */
const DEFAULT_TARGETS = ['direct', 'http-proxy-default', 'http-proxy-keepalive', 'node-http-bare', 'undici-bare', ...STEPS.map((step) => step.id), `${LATEST}-quiet`, 'nginx'];
/** The rows every other row is divided by, when they ran. */
const BASELINES = ['http-proxy-keepalive', 'undici-bare', 'nginx'];
const LABELS: Record<string, string> = { direct: 'direct (no proxy)', nginx: 'nginx (1 worker, keepalive)' };

const USAGE = `usage: npm run bench -- [options]
  --duration <s>        seconds of load per target, after a 1 s warm-up (default 5, at most 60)
  --connections <n>     concurrent connections autocannon keeps open (default 50, at most 1000)
  --only <targets>      comma-separated, in the order to run; a target may repeat (default: ${DEFAULT_TARGETS.join(',')})
  --quiet               step targets run without the request log (stepN becomes stepN-quiet)
  --profile             write a CPU profile of each Node target under load, with a flame graph, into --profile-dir
  --profile-dir <path>  where --profile writes (default bench-profiles/<date and time>/); implies --profile
  --help                show this help
targets:
  direct                the backend itself, no proxy in between
  http-proxy-default    http-proxy as most blog posts use it: a new backend connection per request
  http-proxy-keepalive  the same with a keep-alive agent: the baseline of the × http-proxy-keepalive column
  node-http-bare        a bare forwarder on http.request and a keep-alive Agent, without http-proxy
  undici-bare           the same forwarder on an undici Pool: the baseline of the × undici-bare column
  ${`step1 … ${LATEST}`.padEnd(22)}a step's reference solution, every feature on, one request log line per request
  ${'step1-quiet …'.padEnd(22)}the same without the request log (e.g. ${LATEST}-quiet)
  nginx                 nginx, 1 worker, upstream keep-alive: the baseline of × nginx (skipped when not installed)`;

interface Options {
  seconds: number;
  connections: number;
  targets: string[];
  /** Where the CPU profiles go; undefined without --profile. */
  profileDir: string | undefined;
}

interface Row {
  target: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time the balancer's processes spent per request, in µs: steadier than requests/s on a busy machine. */
  cpuPerRequest: number | undefined;
  /** Resident memory of the balancer's processes after the run, in MB. */
  rssMb: number | undefined;
  /** When the measured seconds began and ended, in µs of the monotonic clock (the one V8's profiler stamps samples with). */
  loadUs: [number, number];
}

/** A balancer that runs in processes of its own. */
interface Running {
  url: string;
  /** The processes whose CPU and memory are the balancer's. */
  pids(): number[];
  /** Stops it and resolves once it has exited (so a profile it writes on exit is complete). */
  stop(): Promise<void>;
}

/** Field `name` of /proc/<pid>/status, e.g. VmRSS; undefined where /proc is missing or the process is gone. */
function procStatus(pid: number, name: string): string | undefined {
  const file = `/proc/${pid}/status`;
  if (!existsSync(file)) return undefined;
  return new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(readFileSync(file, 'utf8'))?.[1];
}

/** CPU time (user + system) a process has used so far, in ms; undefined where /proc is missing. */
function cpuMs(pid: number): number | undefined {
  if (!existsSync(`/proc/${pid}/stat`)) return undefined;
  // Fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux); the name in
  // field 2 may contain spaces, so count from the closing parenthesis.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')')[1].trim().split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resident memory of a process, in kB. */
function rssKb(pid: number): number | undefined {
  const value = procStatus(pid, 'VmRSS'); // "12345 kB"
  return value === undefined ? undefined : Number.parseInt(value, 10);
}

/** The sum over `pids`, or undefined when any of them cannot be read. */
function sumOf(pids: number[], read: (pid: number) => number | undefined): number | undefined {
  const values = pids.map(read);
  return pids.length === 0 || values.includes(undefined) ? undefined : (values as number[]).reduce((a, b) => a + b, 0);
}

/** A process and its children (nginx's master and its worker); just the process where /proc cannot tell. */
function withChildren(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  const children = existsSync(file) ? readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [];
  return [pid, ...children];
}

/** Sends SIGTERM (or `signal`), waits for the exit, and kills for good after 10 s. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts `tools/maintainer/bench-target.ts` and resolves once it announces its URL on its first line (gives up
 * after 15 s). Whatever it writes after that line, a step's request log, is read and thrown away:
 * the balancer really writes every line to a pipe, as `npm start | tee log` would make it.
 */
function startTarget(args: string[], nodeFlags: string[] = []): Promise<Running> {
  const script = path.join(import.meta.dirname, 'bench-target.ts');
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stdout = child.stdout!;
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${args[0]} ${why}`));
    };
    const timer = setTimeout(() => fail('did not start within 15 s'), 15_000);
    let head = '';
    const readFirstLine = (chunk: Buffer) => {
      head += chunk.toString();
      const end = head.indexOf('\n');
      if (end === -1) return head.length > 4096 ? fail('wrote no line') : undefined;
      stdout.off('data', readFirstLine);
      stdout.resume(); // from now on: read and discard
      const url = /^listening (\S+)$/.exec(head.slice(0, end).trim())?.[1];
      if (!url) return fail(`said ${JSON.stringify(head.slice(0, end))} instead of "listening <url>"`);
      clearTimeout(timer);
      resolve({ url, pids: () => [child.pid!], stop: () => stopChild(child) });
    };
    stdout.on('data', readFirstLine);
    child.once('exit', (code) => fail(`exited with ${code}`));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** nginx with one worker and upstream keep-alive, as its docs recommend for a reverse proxy; undefined when not installed. */
async function startNginx(backend: string): Promise<Running | undefined> {
  if (spawnSync('nginx', ['-v']).error) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'lb-bench-nginx-'));
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  upstream backend { server ${new URL(backend).host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
  );
  const child = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i += 1) {
    if (await fetch(url).then(() => true, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    // The master only manages; the worker does the proxying, and both count.
    pids: () => withChildren(child.pid!),
    stop: async () => {
      await stopChild(child, 'SIGQUIT'); // nginx's graceful shutdown
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

async function measure(target: string, url: string, { seconds, connections }: Options, pids: number[] = []): Promise<Row> {
  await autocannon({ url, connections, duration: 1 }); // warm-up: JIT, connection pools
  const cpuBefore = sumOf(pids, cpuMs);
  const from = monotonicUs();
  const result = await autocannon({ url, connections, duration: seconds });
  const to = monotonicUs();
  const cpuAfter = sumOf(pids, cpuMs);
  const rss = sumOf(pids, rssKb);
  return {
    target,
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    cpuPerRequest: cpuBefore === undefined || cpuAfter === undefined ? undefined : Math.round(((cpuAfter - cpuBefore) * 1000) / result.requests.total),
    rssMb: rss === undefined ? undefined : Math.round(rss / 1024),
    loadUs: [from, to],
  };
}

/** A profile written for a target (several when --only names the target more than once). */
interface Profile {
  target: string;
  file: string;
}

/** `step7.cpuprofile`, then `step7-2.cpuprofile` when --only names step7 twice. */
function profileName(target: string, profiles: Profile[]): string {
  const taken = new Set(profiles.map((profile) => path.basename(profile.file)));
  let name = `${target}.cpuprofile`;
  for (let n = 2; taken.has(name); n += 1) name = `${target}-${n}.cpuprofile`;
  return name;
}

/** Runs one target and measures it; undefined when it was skipped. */
async function run(target: string, backend: string, options: Options, profiles: Profile[]): Promise<Row | undefined> {
  if (target === 'direct') return measure(target, backend, options);
  if (target !== 'nginx') return runNodeTarget(target, backend, options, profiles);
  const nginx = await startNginx(backend);
  if (!nginx) {
    console.log('nginx is not installed; skipped (apt-get install nginx-light)');
    return undefined;
  }
  try {
    return await measure(target, nginx.url, options, nginx.pids());
  } finally {
    await nginx.stop();
  }
}

/** Runs a target of bench-target.ts; with --profile, under V8's CPU profiler, and keeps the profile of the measured seconds. */
async function runNodeTarget(target: string, backend: string, options: Options, profiles: Profile[]): Promise<Row> {
  // `node --cpu-prof` writes one file per thread when the process exits, and tsx's module loader runs
  // on a thread of its own: a folder per process tells which files are this one's.
  const threads = options.profileDir === undefined ? undefined : mkdtempSync(path.join(options.profileDir, `.${target}-`));
  const balancer = await startTarget([target, backend], threads ? ['--cpu-prof', '--cpu-prof-dir', threads] : []);
  let row: Row;
  try {
    row = await measure(target, balancer.url, options, balancer.pids());
  } finally {
    await balancer.stop();
  }
  if (threads && options.profileDir) {
    const file = keepMainThreadProfile(threads, path.join(options.profileDir, profileName(target, profiles)));
    trimProfileFile(file, ...row.loadUs);
    profiles.push({ target, file });
  }
  return row;
}

/** Moves the main thread's profile (`CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile`: thread 0) to `file`, and drops the rest. */
function keepMainThreadProfile(written: string, file: string): string {
  const main = readdirSync(written).find((name) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(name));
  if (!main) throw new Error(`node --cpu-prof wrote no profile of the main thread into ${written}`);
  renameSync(path.join(written, main), file);
  rmSync(written, { recursive: true, force: true });
  return file;
}

function parseOptions(argv: string[]): Options {
  const fail = (message: string): never => {
    console.error(`bench: ${message} (npm run bench -- --help shows every option)`);
    process.exit(2);
  };
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        duration: { type: 'string', default: '5' },
        connections: { type: 'string', default: '50' },
        only: { type: 'string', default: DEFAULT_TARGETS.join(',') },
        quiet: { type: 'boolean', default: false },
        profile: { type: 'boolean', default: false },
        'profile-dir': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    return fail((err as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const seconds = Number(values.duration);
  const connections = Number(values.connections);
  if (!(seconds > 0 && seconds <= 60)) fail(`--duration must be more than 0 and at most 60 s, got ${values.duration}`);
  if (!(Number.isInteger(connections) && connections > 0 && connections <= 1_000)) fail(`--connections must be 1-1000, got ${values.connections}`);
  let targets = values.only.split(',').map((target) => target.trim()).filter((target) => target !== '');
  const unknown = targets.filter((target) => !ALL_TARGETS.includes(target));
  if (unknown.length > 0 || targets.length === 0) fail(`unknown target(s) ${unknown.join(', ') || '(none given)'}; targets are ${ALL_TARGETS.join(', ')}`);
  if (values.quiet) targets = targets.map((target) => (STEP_TARGETS.includes(target) && !target.endsWith('-quiet') ? `${target}-quiet` : target));
  let profileDir: string | undefined;
  if (values.profile || values['profile-dir'] !== undefined) {
    if (!targets.some((target) => NODE_TARGETS.includes(target))) fail('--profile needs a Node target in --only (not direct or nginx)');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    profileDir = values['profile-dir'] === undefined ? path.join(ROOT, 'bench-profiles', stamp) : path.resolve(values['profile-dir']);
    mkdirSync(profileDir, { recursive: true });
  }
  return { seconds, connections, targets, profileDir };
}

/** Each baseline's requests/s in this run (the mean of its rows when it ran more than once). */
function baselineRates(rows: Row[]): Map<string, number> {
  const rates = new Map<string, number>();
  for (const baseline of BASELINES) {
    const own = rows.filter((row) => row.target === baseline);
    if (own.length > 0) rates.set(baseline, own.reduce((sum, row) => sum + row.requestsPerSecond, 0) / own.length);
  }
  return rates;
}

function ratio(row: Row, baseline: number | undefined): string {
  return baseline === undefined || baseline === 0 ? '–' : (row.requestsPerSecond / baseline).toFixed(2);
}

/** The markdown table; the × nginx column only when nginx ran. */
function formatTable(rows: Row[]): string {
  const rates = baselineRates(rows);
  const shown = BASELINES.filter((baseline) => baseline !== 'nginx' || rates.has('nginx'));
  const header = ['target', 'requests/s', ...shown.map((baseline) => `× ${baseline}`), 'p50 ms', 'p99 ms', 'errors', 'balancer CPU µs/request', 'balancer RSS MB'];
  const lines = [`| ${header.join(' | ')} |`, `| --- | ${header.slice(1).map(() => '---:').join(' | ')} |`];
  for (const row of rows) {
    const cells = [LABELS[row.target] ?? row.target, row.requestsPerSecond, ...shown.map((baseline) => ratio(row, rates.get(baseline))), row.p50, row.p99, row.errors, row.cpuPerRequest ?? '–', row.rssMb ?? '–'];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const backend = await startTarget(['backend']);
  const rows: Row[] = [];
  const profiles: Profile[] = [];
  try {
    for (const target of options.targets) {
      const row = await run(target, backend.url, options, profiles);
      if (!row) continue;
      rows.push(row);
      console.log(`measured ${target}`);
    }
  } finally {
    await backend.stop();
  }

  console.log(`\n${options.connections} connections, ${options.seconds} s per target after a 1 s warm-up, small GET responses`);
  console.log('step targets log every request to stdout as npm start does (a pipe this process drains); stepN-quiet does not\n');
  console.log(formatTable(rows));
  const missing = BASELINES.filter((baseline) => baseline !== 'nginx' && !rows.some((row) => row.target === baseline));
  console.log(`\n× X: requests/s of the row ÷ requests/s of X in this run (their mean if X ran more than once)`);
  if (missing.length > 0) console.log(`–: ${missing.join(' and ')} did not run; add ${missing.join(',')} to --only for that ratio`);
  console.log('CPU and RSS: the balancer process (nginx: master and worker together); direct has no balancer');
  if (!options.profileDir) return;
  console.log(`\nCPU profiles of the measured seconds (startup and warm-up cut off); the profiler slows the balancer, so the rows above are slower than without --profile:`);
  for (const { target, file } of profiles) console.log(`\n${target}\n${formatReport(reportProfile(file, target))}`);
}

await main();

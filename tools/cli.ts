/**
 * `npm start`: runs a reference balancer in front of three demo backends, or in front of yours.
 *
 *   npm start                                   latest step, demo backends, port 3030
 *   npm start -- --backends http://127.0.0.1:9001,http://127.0.0.1:9002 --port 8080
 *   npm start -- --step 1                       an earlier step's solution
 *   npm start -- --from steps                   your own code from steps/
 */
import { parseArgs } from 'node:util';
import type { LoadBalancer, LoadBalancerOptions, RequestLogEntry } from '../solutions/step1-naive-forwarding/index.js';
import { STEPS, findStep, type Step } from './curriculum.js';
import { startDemoBackends, type DemoBackend } from './demo-backends.js';
import { createLineLog } from './request-log.js';

const LATEST = STEPS[STEPS.length - 1];

const USAGE = `usage: npm start -- [options]
  --backends <urls>   comma-separated backend URLs (default: start 3 demo backends)
  --port <n>          port to listen on, on 127.0.0.1 (default 3030)
  --step <n>          which step to run, 1-${LATEST.number} (default ${LATEST.number}, the latest)
  --from <folder>     solutions (default) or steps, to run your own code
  --quiet             no per-request log lines
  --help              show this help`;

interface CliOptions {
  backends?: string[];
  port: number;
  step: Step;
  from: 'solutions' | 'steps';
  quiet: boolean;
}

/** A command-line mistake: reported in one line plus the usage, exit status 2. */
class UsageError extends Error {}

export function parseCli(argv: readonly string[]): CliOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        backends: { type: 'string' },
        port: { type: 'string', default: '3030' },
        step: { type: 'string', default: String(LATEST.number) },
        from: { type: 'string', default: 'solutions' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';

  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port must be a whole number from 0 to 65535, got ${values.port}`);
  const step = findStep(Number(values.step));
  if (!step) throw new UsageError(`--step must be one of ${STEPS.map((s) => s.number).join(', ')}, got ${values.step}`);
  if (values.from !== 'solutions' && values.from !== 'steps') throw new UsageError(`--from must be solutions or steps, got ${values.from}`);
  const backends = values.backends?.split(',').map((url) => url.trim()).filter((url) => url !== '');
  if (backends && backends.length === 0) throw new UsageError('--backends needs at least one URL');
  return { backends, port, step, from: values.from, quiet: values.quiet };
}

interface RunnableStep {
  createLoadBalancer(options: LoadBalancerOptions): LoadBalancer;
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
  const module = (await import(`../${from}/${step.folder}/index.ts`)) as RunnableStep;
  const demo: DemoBackend[] = options.backends ? [] : await startDemoBackends();
  const backends = options.backends ?? demo.map((backend) => backend.url);
  const names = new Map(demo.map((backend) => [backend.url, backend.name]));
  const log = createLineLog();

  let lb: LoadBalancer;
  try {
    lb = module.createLoadBalancer({
      backends,
      onRequest: options.quiet ? undefined : (entry) => log.write(formatEntry(entry, names)),
    });
  } catch (err) {
    await Promise.all(demo.map((backend) => backend.close()));
    const code = (err as { code?: string }).code;
    console.error(`error: ${(err as Error).message}`);
    if (code === 'INVALID_OPTIONS') console.error(USAGE);
    process.exit(code === 'INVALID_OPTIONS' ? 2 : 1);
  }

  const { url } = await lb.listen(options.port, '127.0.0.1').catch((err: Error) => {
    console.error(`error: cannot listen on port ${options.port}: ${err.message}`);
    process.exit(1);
  });

  console.log(`build-a-load-balancer — ${step.id} (${step.title}) from ${from}/${step.folder}`);
  for (const backend of backends) console.log(`  ${names.get(backend) ?? 'backend'}  ${backend}`);
  console.log(`listening on ${url}`);
  console.log(`try:  curl -i ${url}/hello`);
  console.log('Ctrl-C to stop\n');

  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(130); // a second Ctrl-C: do not wait any longer
    stopping = true;
    log.flush();
    await lb.close();
    await Promise.all(demo.map((backend) => backend.close()));
    console.log('\nstopped');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** `GET /hello → backend-2 200 1.4 ms` */
export function formatEntry(entry: RequestLogEntry, names: ReadonlyMap<string, string>): string {
  const who = names.get(entry.backend) ?? entry.backend;
  const status = entry.status === 0 ? 'aborted' : String(entry.status);
  return `${entry.method} ${entry.url} → ${who} ${status} ${entry.durationMs.toFixed(1)} ms`;
}

if (import.meta.filename === process.argv[1]) await main();

/**
 * `npm run bench`: requests per second and latency of the reference balancer next to a minimal
 * http-proxy balancer (with and without keep-alive) and nginx (if installed), all in front of the
 * same backend on this machine. Each target runs in its own process; autocannon drives the load.
 *
 *   npm run bench -- --duration 5 --connections 50 --only step1,step4
 *
 * Numbers depend on the machine; compare rows of one run, not runs of different machines.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { STEPS } from './curriculum.js';

const NODE_TARGETS = ['http-proxy-default', 'http-proxy-keepalive', ...STEPS.map((step) => step.id)];
const ALL_TARGETS = ['direct', ...NODE_TARGETS, 'nginx'];

interface Row {
  target: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time the balancer process spent per request, in µs: steadier than requests/s on a busy machine. */
  cpuPerRequest: number | undefined;
}

/** CPU time (user + system) a process has used so far, in ms; undefined where /proc is missing. */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return undefined;
  // Fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux); the name in
  // field 2 may contain spaces, so count from the closing parenthesis.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')')[1].trim().split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Starts `tools/bench-target.ts` and resolves with the URL it announces (gives up after 15 s). */
function startTarget(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'bench-target.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start within 15 s`)), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      const match = /listening (\S+)/.exec(chunk.toString());
      if (!match) return;
      clearTimeout(timer);
      resolve({ url: match[1], child });
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
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

/** nginx with one worker and upstream keep-alive, as its docs recommend for a reverse proxy. */
async function startNginx(backend: string): Promise<{ url: string; stop: () => void } | undefined> {
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
    stop: () => {
      child.kill('SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function measure(target: string, url: string, seconds: number, connections: number, pid?: number): Promise<Row> {
  await autocannon({ url, connections, duration: 1 }); // warm-up: JIT, connection pools
  const cpuBefore = cpuMs(pid);
  const result = await autocannon({ url, connections, duration: seconds });
  const cpuAfter = cpuMs(pid);
  return {
    target,
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    cpuPerRequest: cpuBefore === undefined || cpuAfter === undefined ? undefined : Math.round(((cpuAfter - cpuBefore) * 1000) / result.requests.total),
  };
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        duration: { type: 'string', default: '5' },
        connections: { type: 'string', default: '50' },
        only: { type: 'string', default: ALL_TARGETS.join(',') },
      },
    }));
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\nusage: npm run bench -- [--duration s] [--connections n] [--only ${ALL_TARGETS.join(',')}]`);
    process.exit(2);
  }
  const seconds = Number(values.duration);
  const connections = Number(values.connections);
  const only = values.only.split(',');
  const unknown = only.filter((target) => !ALL_TARGETS.includes(target));
  if (unknown.length > 0 || !(seconds > 0 && seconds <= 60) || !(connections > 0 && connections <= 1_000)) {
    console.error(`bench: targets are ${ALL_TARGETS.join(', ')}; --duration 1-60 s; --connections 1-1000`);
    process.exit(2);
  }

  const backend = await startTarget(['backend']);
  const rows: Row[] = [];
  try {
    for (const target of only) {
      if (target === 'direct') {
        rows.push(await measure('direct (no proxy)', backend.url, seconds, connections));
      } else if (target === 'nginx') {
        const nginx = await startNginx(backend.url);
        if (!nginx) console.log('nginx is not installed; skipped (apt-get install nginx-light)');
        else {
          rows.push(await measure('nginx (1 worker, keepalive)', nginx.url, seconds, connections));
          nginx.stop();
        }
      } else {
        const { url, child } = await startTarget([target, backend.url]);
        rows.push(await measure(target, url, seconds, connections, child.pid));
        child.kill();
      }
      console.log(`measured ${rows.at(-1)?.target ?? target}`);
    }
  } finally {
    backend.child.kill();
  }

  console.log(`\n${connections} connections, ${seconds} s per target, small GET responses\n`);
  console.log('| target | requests/s | p50 ms | p99 ms | errors | balancer CPU µs/request |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    console.log(`| ${row.target} | ${row.requestsPerSecond} | ${row.p50} | ${row.p99} | ${row.errors} | ${row.cpuPerRequest ?? '–'} |`);
  }
}

await main();

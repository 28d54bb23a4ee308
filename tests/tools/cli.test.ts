import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { answer, startFakeBackend } from '../helpers/fake-backend.js';
import { STEPS } from '../../tools/shared/curriculum.js';
import { WebSocket } from 'ws';
import { formatEntry, formatHealthEvent, parseCli, unusedFlags, type CliOptions } from '../../tools/learner/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('npm start (tools/learner/cli.ts)', () => {
  it('keeps the Go original\'s flags and defaults: --backends, --port 3030', () => {
    expect(parseCli([])).toMatchObject({ port: 3030, host: '127.0.0.1', adminHost: '127.0.0.1', from: 'steps', step: STEPS.at(-1), backends: undefined, adminPort: 3031, healthCheck: { mode: 'http' } });
    expect(parseCli(['--backends', 'http://127.0.0.1:9001, http://127.0.0.1:9002', '--port', '8080', '--step', '1', '--from', 'steps'])).toMatchObject({
      backends: ['http://127.0.0.1:9001', 'http://127.0.0.1:9002'],
      port: 8080,
      step: STEPS[0],
      from: 'steps',
    });
  });

  it('passes the retry and health flags on as options', () => {
    expect(parseCli(['--retries', '0', '--attempts', '2'])).toMatchObject({ maxRetries: 0, maxAttempts: 2 });
    expect(parseCli(['--health-mode', 'tcp', '--health-interval', '500', '--health-timeout', '100'])).toMatchObject({ healthCheck: { mode: 'tcp', intervalMs: 500, timeoutMs: 100 } });
    expect(parseCli(['--health-path', '/ready'])).toMatchObject({ healthCheck: { mode: 'http', path: '/ready' } });
    expect(parseCli(['--health-mode', 'off'])).toMatchObject({ healthCheck: undefined });
  });

  it.each([['--bogus'], ['--port', 'x'], ['--port', '70000'], ['--step', '99'], ['--from', 'elsewhere'], ['--backends', ','], ['--attempts', '0'], ['--retries', '-1'], ['--health-mode', 'ping'], ['--health-path', 'healthz'], ['--admin-port', '-3']])('rejects %s %s with a usage error', (...args) => {
    expect(() => parseCli(args.filter((arg) => arg !== undefined))).toThrow();
  });

  it('formats one log line per request: method, url, backend name, status, time', () => {
    const names = new Map([['http://127.0.0.1:9001', 'backend-1']]);
    expect(formatEntry({ method: 'GET', url: '/x', backend: 'http://127.0.0.1:9001', status: 200, durationMs: 1.234 }, names)).toBe('GET /x → backend-1 200 1.2 ms');
    expect(formatEntry({ method: 'GET', url: '/x', backend: 'http://127.0.0.1:9009', status: 0, durationMs: 3 }, names)).toBe('GET /x → http://127.0.0.1:9009 aborted 3.0 ms');
    expect(formatEntry({ method: 'GET', url: '/', backend: 'http://127.0.0.1:9001', status: 200, durationMs: 40, attempts: 2, tries: 5 }, names)).toBe('GET / → backend-1 200 40.0 ms (5 tries on 2 backends)');
    expect(formatEntry({ method: 'GET', url: '/', backend: '', status: 503, durationMs: 1, attempts: 0, tries: 0 }, names)).toBe('GET / → no backend 503 1.0 ms');
  });

  it('formats a health change as one line', () => {
    const names = new Map([['http://127.0.0.1:9002', 'backend-2']]);
    const event = { backend: 'http://127.0.0.1:9002', from: 'suspect' as const, to: 'down' as const, reason: '3 failed probe(s): ECONNREFUSED' };
    expect(formatHealthEvent(event, names)).toBe('backend backend-2 (http://127.0.0.1:9002) is DOWN (3 failed probe(s): ECONNREFUSED)');
  });

  it('serves through demo backends, logs the request, and stops cleanly on SIGINT', { timeout: 15_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tools/learner/cli.ts', '--from', 'solutions', '--port', '0', '--admin-port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));

    await expect.poll(() => output, { timeout: 10_000 }).toMatch(/listening on (http:\/\/\S+)/);
    const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
    const res = await fetch(`${url}/hello`);

    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^hello from backend-\d/);
    await expect.poll(() => output).toMatch(/GET \/hello → backend-\d 200 [\d.]+ ms/);
    const admin = /curl (http:\/\/\S+\/lb\/status)/.exec(output)?.[1];
    expect(await (await fetch(admin ?? 'http://127.0.0.1:1/missing')).json()).toMatchObject({ backends: [{ state: 'up' }, { state: 'up' }, { state: 'up' }] });
    // Step 6, the default: a WebSocket echo through the balancer, and the metrics.
    const socket = new WebSocket(`${url?.replace('http', 'ws')}/chat`);
    onTestFinished(() => socket.terminate());
    await once(socket, 'open');
    socket.send('hi');
    const [echo] = (await once(socket, 'message')) as [Buffer];
    expect(echo.toString()).toMatch(/^backend-\d: hi$/);
    socket.close();
    const metrics = /curl (http:\/\/\S+\/lb\/metrics)/.exec(output)?.[1];
    expect(await (await fetch(metrics ?? 'http://127.0.0.1:1/missing')).text()).toMatch(/^lb_requests_total\{backend="http:\/\/127\.0\.0\.1:\d+",method="GET",code="200"\} 1$/m);

    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    expect(code, output).toBe(0);
  });

  it('passes the step 5 flags on: --policy, --weights, --max-conns, --max-queue, --queue-timeout, --demo-costs', () => {
    expect(parseCli(['--policy', 'p2c', '--max-conns', '8', '--max-queue', '0', '--queue-timeout', '250'])).toMatchObject({ policy: 'p2c', maxConnections: 8, maxQueue: 0, queueTimeoutMs: 250 });
    expect(parseCli(['--policy', 'weighted', '--weights', '5, 1,1'])).toMatchObject({ policy: 'weighted', weights: [5, 1, 1] });
    expect(parseCli([])).toMatchObject({ policy: undefined, weights: undefined, maxConnections: undefined, demoCosts: 'even' });
    expect(parseCli(['--demo-costs', 'heavy-tail'])).toMatchObject({ demoCosts: 'heavy-tail' });
    for (const bad of [['--weights', '5,0'], ['--weights', '5,x'], ['--max-conns', '-1'], ['--queue-timeout', '0'], ['--demo-costs', 'spiky']]) expect(() => parseCli(bad), bad.join(' ')).toThrow();
  });

  it('passes the step 6 flags on: --host, --admin-host, --request-timeout, --try-timeout, --retry-budget, --health-recovery', () => {
    expect(parseCli(['--host', '0.0.0.0', '--request-timeout', '0', '--try-timeout', '250', '--retry-budget', '12.5', '--health-recovery', '300'])).toMatchObject({
      host: '0.0.0.0',
      adminHost: '127.0.0.1',
      requestTimeoutMs: 0,
      tryTimeoutMs: 250,
      retryBudgetPercent: 12.5,
      healthCheck: { mode: 'http', recoveryIntervalMs: 300 },
    });
    expect(parseCli(['--admin-host', '::1'])).toMatchObject({ host: '127.0.0.1', adminHost: '::1' });
    for (const bad of [['--retry-budget', '101'], ['--retry-budget', 'x'], ['--try-timeout', '-1'], ['--health-recovery', '0']]) expect(() => parseCli(bad), bad.join(' ')).toThrow();
    expect(unusedFlags(parseCli(['--step', '5', '--try-timeout', '100']) as CliOptions)).toEqual([expect.stringMatching(/need step 6 or later; step5 ignores them/)]);
  });

  it('warns about flags the chosen step or setup ignores', () => {
    const warn = (args: string[]) => unusedFlags(parseCli(args) as CliOptions);
    expect(warn(['--step', '4', '--policy', 'p2c'])).toEqual([expect.stringMatching(/need step 5 or later; step4 ignores them/)]);
    expect(warn(['--step', '5', '--policy', 'p2c', '--max-conns', '4'])).toEqual([]);
    expect(warn(['--backends', 'http://127.0.0.1:9001', '--demo-costs', 'heavy-tail'])).toEqual([expect.stringMatching(/demo backends only/)]);
    expect(warn([])).toEqual([]);
  });

  it('runs your own policy module (--policy ./file.ts) and shows it in /lb/status', { timeout: 15_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lb-policy-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    // Always the last candidate: easy to tell from every shipped policy.
    writeFileSync(path.join(dir, 'last-one.ts'), "export default { name: 'last-one', select: (candidates: readonly unknown[]) => candidates.at(-1) };\n");
    const child = spawn(process.execPath, ['--import', 'tsx', 'tools/learner/cli.ts', '--from', 'solutions', '--port', '0', '--admin-port', '0', '--policy', './last-one.ts', '--demo-costs', 'heavy-tail', '--quiet'], {
      cwd: ROOT,
      env: { ...process.env, INIT_CWD: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await expect.poll(() => output, { timeout: 10_000 }).toMatch(/status: +curl (http:\/\/\S+)/);
    const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
    const served = [];
    for (let i = 0; i < 3; i += 1) served.push((await fetch(`${url}/`)).headers.get('x-backend'));
    expect(served, output).toEqual(['backend-3', 'backend-3', 'backend-3']);
    const admin = /curl (http:\/\/\S+\/lb\/status)/.exec(output)?.[1];
    expect(await (await fetch(admin ?? 'http://127.0.0.1:1/missing')).json()).toMatchObject({ policy: 'last-one', queue: { length: 0 } });
    child.kill('SIGTERM');
    expect((await once(child, 'exit'))[0], output).toBe(0);
  });

  it('refuses a --policy module it cannot load, naming it', { timeout: 15_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tools/learner/cli.ts', '--from', 'solutions', '--port', '0', '--admin-port', '0', '--policy', './no-such-policy.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = await once(child, 'exit');
    expect([code, output]).toEqual([2, expect.stringMatching(/--policy \.\/no-such-policy\.ts: cannot load/)]);
  });

  it('passes --drain-timeout on', () => {
    expect(parseCli(['--drain-timeout', '2500'])).toMatchObject({ drainTimeoutMs: 2500 });
    expect(parseCli([])).toMatchObject({ drainTimeoutMs: undefined });
    expect(() => parseCli(['--drain-timeout', '-1'])).toThrow();
  });

  it.each([[''], [' --workers 2']])('ends cleanly when its stdout closes: npm start --%s | head -1', { timeout: 20_000 }, async (workers) => {
    const pipeline = spawn('sh', ['-c', `npm start -- --port 0 --admin-port 0 --health-mode off${workers} | head -1`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    onTestFinished(() => void (pipeline.exitCode === null && pipeline.kill('SIGKILL')));
    let stderr = '';
    pipeline.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(pipeline, 'exit');
    expect(code, stderr).toBe(0);
    expect(stderr, 'no crash, no stack trace').not.toMatch(/EPIPE|Error:|at .*\(/);
  });

  describe('drains on SIGTERM, wherever the signal lands', () => {
    /** Starts `npm start` in front of a backend that answers after 400 ms; resolves once it listens. */
    async function startSlowBalancer() {
      const backend = await startFakeBackend('slow');
      backend.behave(answer({ delayMs: 400 }));
      const npm = spawn('npm', ['start', '--', '--backends', backend.url, '--port', '0', '--admin-port', '0', '--health-mode', 'off', '--quiet'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      onTestFinished(() => void (npm.exitCode === null && npm.kill('SIGKILL')));
      let output = '';
      npm.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      npm.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await expect.poll(() => output, { timeout: 10_000 }).toMatch(/listening on http:\/\/\S+/);
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1] as string;
      const pid = Number(/, pid (\d+)/.exec(output)?.[1]);
      onTestFinished(() => {
        if (isRunning(pid)) process.kill(pid, 'SIGKILL');
      });
      return { npm, url, pid, backend, output: () => output };
    }

    async function fiveSlowRequestsThenSignal(target: (balancer: { npm: ChildProcess; pid: number }) => number) {
      const balancer = await startSlowBalancer();
      const requests = Array.from({ length: 5 }, (_, i) => fetch(`${balancer.url}/slow-${i}`).then((res) => res.status));
      await expect.poll(() => balancer.backend.requests.length, { timeout: 5_000 }).toBe(5);
      process.kill(target(balancer), 'SIGTERM');

      expect(await Promise.all(requests), 'every request in flight finishes').toEqual([200, 200, 200, 200, 200]);
      await expect.poll(() => isRunning(balancer.pid), { timeout: 5_000, message: 'the balancer exits once they are done' }).toBe(false);
      expect(balancer.output()).toMatch(/SIGTERM|parent process went away/);
    }

    it('sent to npm start (npm passes it to sh, which passes it nowhere)', { timeout: 30_000 }, async () => {
      await fiveSlowRequestsThenSignal(({ npm }) => npm.pid as number);
    });

    it('sent to the balancer itself, as Docker and systemd do', { timeout: 30_000 }, async () => {
      await fiveSlowRequestsThenSignal(({ pid }) => pid);
    });

    it('a second signal stops it at once', { timeout: 30_000 }, async () => {
      const balancer = await startSlowBalancer();
      balancer.backend.behave({ kind: 'hang' });
      const stuck = fetch(`${balancer.url}/stuck`).catch(() => 'cut');
      await expect.poll(() => balancer.backend.requests.length, { timeout: 5_000 }).toBe(1);
      process.kill(balancer.pid, 'SIGINT');
      await expect.poll(() => balancer.output()).toMatch(/SIGINT: finishing the requests in flight/);
      process.kill(balancer.pid, 'SIGINT');
      await expect.poll(() => isRunning(balancer.pid), { timeout: 3_000, message: 'the second signal ends it without waiting for the drain (10 s)' }).toBe(false);
      expect(await stuck).toBe('cut');
    });
  });

  it('passes --workers on: a number, or auto for one per core; step 7 and later only', () => {
    expect(parseCli([])).toMatchObject({ workers: 1 });
    expect(parseCli(['--workers', '2'])).toMatchObject({ workers: 2 });
    expect(parseCli(['--workers', 'auto'])).toMatchObject({ workers: availableParallelism() });
    for (const bad of [['--workers', '0'], ['--workers', 'x'], ['--workers', '1.5']]) expect(() => parseCli(bad), bad.join(' ')).toThrow(/--workers must be/);
    expect(() => parseCli(['--step', '6', '--workers', '1'])).toThrow(/--workers needs step 7 or later; step6/);
  });

  it('--workers 2: two processes share the port, each says who served, and SIGTERM drains both', { timeout: 30_000 }, async () => {
    const backend = await startFakeBackend('b');
    backend.behaveAt('/slow', { kind: 'hold' });
    const child = spawn(process.execPath, ['--import', 'tsx', 'tools/learner/cli.ts', '--from', 'solutions', '--workers', '2', '--backends', backend.url, '--port', '0', '--admin-port', '0', '--health-mode', 'off'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Killing the primary is enough: a worker whose primary is gone exits (node:cluster).
    onTestFinished(() => void (child.exitCode === null && child.kill('SIGKILL')));
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // Three processes start, worker 1 before worker 2 (see tools/learner/workers.ts).
    await expect.poll(() => output, { timeout: 15_000 }).toMatch(/^try:/m);
    expect(output).toMatch(/pid \d+, 2 workers$/m);
    const url = /listening on (http:\/\/\S+)/.exec(output)?.[1] as string;
    const pids = [...output.matchAll(/w\d pid (\d+)/g)].map((match) => Number(match[1]));
    expect(pids).toHaveLength(2);

    // Each request on a new connection: the primary hands connections to the workers in turn.
    const served = new Set<string | undefined>();
    for (let i = 0; i < 40 && served.size < 2; i += 1) served.add((await get(`${url}/hello-${i}`)).worker);
    expect([...served].sort(), output).toEqual(['w1', 'w2']);
    await expect.poll(() => output).toMatch(/^w1 GET \/hello-\d+ → http:\/\/127\.0\.0\.1:\d+ 200 /m);
    await expect.poll(() => output).toMatch(/^w2 GET \/hello-\d+ → http:\/\/127\.0\.0\.1:\d+ 200 /m);

    const slow = get(`${url}/slow`);
    await expect.poll(() => backend.held).toBe(1);
    child.kill('SIGTERM');
    // Both workers stop accepting: once neither listens, the shared port is closed.
    await expect.poll(() => get(`${url}/late`, 1_000).then(() => 'served', (err: NodeJS.ErrnoException) => err.code), { timeout: 5_000 }).toBe('ECONNREFUSED');
    backend.release();
    expect((await slow).status, 'the request in flight finishes').toBe(200);
    const [code] = child.exitCode === null ? await once(child, 'exit') : [child.exitCode];
    expect(code, output).toBe(0);
    expect(pids.filter(isRunning), 'the primary waited for its workers').toEqual([]);
  });
});

/**
 * One GET on a connection of its own (no keep-alive), and which worker answered it. `timeoutMs` ends
 * a silent one: a connection the primary accepted just as the last worker stopped listening is never
 * handed to anyone.
 */
function get(url: string, timeoutMs = 0): Promise<{ status: number; worker: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, worker: res.headers['x-lb-worker'] as string | undefined }));
    });
    req.once('error', reject);
    req.once('timeout', () => req.destroy(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' })));
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

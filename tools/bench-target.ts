/**
 * One process under benchmark, started by tools/bench.ts: prints `listening <url>` once ready.
 *
 *   tsx tools/bench-target.ts backend                        the upstream: a tiny fixed answer
 *   tsx tools/bench-target.ts http-proxy-default <backend>   http-proxy as most blog posts use it
 *   tsx tools/bench-target.ts http-proxy-keepalive <backend> the same plus a keep-alive agent
 *   tsx tools/bench-target.ts step<N> <backend>              the reference solution of step N
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import httpProxy from 'http-proxy';
import type { StepModule } from './contract.js';
import { findStep } from './curriculum.js';

const [kind, backend] = process.argv.slice(2);
// Exit normally on a signal, so that `node --cpu-prof` gets to write its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));

function announce(server: http.Server): void {
  const { port } = server.address() as AddressInfo;
  console.log(`listening http://127.0.0.1:${port}`);
}

function minimalProxy(agent: http.Agent | false): http.Server {
  const proxy = httpProxy.createProxyServer({ target: backend, agent });
  proxy.on('error', (_err, _req, res) => {
    if (res instanceof http.ServerResponse && !res.headersSent) res.writeHead(502).end();
  });
  return http.createServer((req, res) => proxy.web(req, res));
}

async function main(): Promise<void> {
  const body = Buffer.from('hello from the benchmark backend\n');
  if (kind === 'backend') {
    const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }).end(body));
    server.listen(0, '127.0.0.1', () => announce(server));
    return;
  }
  if (!backend) throw new Error(`usage: bench-target.ts <kind> <backend-url>`);
  if (kind === 'http-proxy-default' || kind === 'http-proxy-keepalive') {
    const server = minimalProxy(kind === 'http-proxy-keepalive' ? new http.Agent({ keepAlive: true }) : false);
    server.listen(0, '127.0.0.1', () => announce(server));
    return;
  }
  const step = findStep(kind);
  if (!step) throw new Error(`unknown target ${kind}`);
  const { createLoadBalancer } = (await import(`../solutions/${step.folder}/index.ts`)) as StepModule;
  const lb = createLoadBalancer({ backends: [backend] });
  await lb.listen(0, '127.0.0.1');
  announce(lb.server);
}

await main();

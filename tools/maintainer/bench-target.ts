/**
 * One process under benchmark, started by tools/maintainer/bench.ts: its first line on stdout is `listening <url>`.
 *
 *   tsx tools/maintainer/bench-target.ts backend                        the upstream: a tiny fixed answer
 *   tsx tools/maintainer/bench-target.ts http-proxy-default <backend>   http-proxy as most blog posts use it
 *   tsx tools/maintainer/bench-target.ts http-proxy-keepalive <backend> the same plus a keep-alive agent
 *   tsx tools/maintainer/bench-target.ts node-http-bare <backend>       a bare forwarder on http.request and a keep-alive Agent
 *   tsx tools/maintainer/bench-target.ts undici-bare <backend>          the same forwarder on an undici Pool: the Node ceiling
 *   tsx tools/maintainer/bench-target.ts step<N> <backend>              the reference solution of step N, every feature
 *                                                            on and one request log line per request on stdout
 *   tsx tools/maintainer/bench-target.ts step<N>-quiet <backend>        the same without the request log
 *
 * The three bare forwarders do what every proxy must and nothing else: copy method, path, status and
 * headers, drop the hop-by-hop headers, add X-Forwarded-For, answer 502 when the backend cannot be
 * reached. No retries, no health, no deadline: the cost of the engine alone, to set each step against.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import httpProxy from 'http-proxy';
import { Pool } from 'undici';
import { HOP_BY_HOP_HEADERS } from '../../solutions/step1-naive-forwarding/hop-by-hop.js';
import { LOG_FLUSH_MS, formatEntry, formatHealthEvent } from '../learner/cli.js';
import type { StepModule } from '../shared/contract.js';
import { findStep } from '../shared/curriculum.js';
import { createLineLog } from '../learner/request-log.js';

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

/** Headers that describe one connection, not the message: the list step 1 teaches (hop-by-hop.ts). */
const HOP_BY_HOP = new Set(HOP_BY_HOP_HEADERS);

function withoutHopByHop(headers: http.IncomingHttpHeaders): http.IncomingHttpHeaders {
  const copy: http.IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) copy[name] = value;
  return copy;
}

/** The request's headers for the backend: this hop's removed, the client's address appended to X-Forwarded-For. */
function headersForBackend(req: http.IncomingMessage): http.IncomingHttpHeaders {
  const headers = withoutHopByHop(req.headers);
  const earlier = req.headers['x-forwarded-for'];
  const client = req.socket.remoteAddress ?? '';
  headers['x-forwarded-for'] = earlier ? `${earlier}, ${client}` : client;
  return headers;
}

/** A backend that failed before its answer began gets a 502; one that failed halfway gets the connection cut. */
function badGateway(res: http.ServerResponse): void {
  if (res.headersSent) res.destroy();
  else res.writeHead(502).end();
}

/** A bare forwarder on node:http: http.request with a keep-alive Agent, as http-proxy uses it, without http-proxy. */
function nodeHttpBare(): http.Server {
  const agent = new http.Agent({ keepAlive: true });
  const { hostname, port } = new URL(backend);
  return http.createServer((req, res) => {
    const outbound = http.request({ agent, hostname, port, method: req.method, path: req.url, headers: headersForBackend(req) }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
      answer.on('error', () => badGateway(res)); // pipe() does not pass errors on
      answer.pipe(res);
    });
    outbound.on('error', () => badGateway(res));
    req.pipe(outbound);
  });
}

/** The same forwarder on undici: a Pool keeps connections to the backend alive and reuses them. */
function undiciBare(): http.Server {
  const pool = new Pool(backend);
  return http.createServer((req, res) => {
    // Only a request that announces a body hands undici a stream to read: a GET has nothing to wait for.
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const request = { method: req.method ?? 'GET', path: req.url ?? '/', headers: headersForBackend(req), body: hasBody ? req : undefined };
    // pool.stream calls the factory once the answer's head is in, then writes its body into what the
    // factory returns: our response, with no stream in between.
    pool
      .stream(request, ({ statusCode, headers }) => {
        res.writeHead(statusCode, withoutHopByHop(headers));
        return res;
      })
      .catch(() => badGateway(res));
  });
}

/** A step's reference solution set up as `npm start -- --backends <backend>` sets it up. */
async function startStep(id: string, quiet: boolean): Promise<http.Server> {
  const step = findStep(id);
  if (!step) throw new Error(`unknown target ${kind}`);
  const { createLoadBalancer } = (await import(`../solutions/${step.folder}/index.ts`)) as StepModule;
  // The CLI's own log: lines batched per burst of I/O and written to stdout, which bench.ts reads
  // and discards, so every line is really formatted and written to a pipe.
  const log = createLineLog(process.stdout, { flushEveryMs: LOG_FLUSH_MS });
  const names = new Map<string, string>();
  const lb = createLoadBalancer({
    backends: [backend],
    healthCheck: { mode: 'http' }, // active checks as the CLI runs them (steps 1-3 ignore it)
    onHealthChange: (event) => log.write(formatHealthEvent(event, names)),
    onRequest: quiet ? undefined : (entry) => log.write(formatEntry(entry, names)),
  });
  await lb.listen(0, '127.0.0.1');
  await lb.listenAdmin?.(0, '127.0.0.1');
  return lb.server;
}

async function main(): Promise<void> {
  const body = Buffer.from('hello from the benchmark backend\n');
  if (kind === 'backend') {
    const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }).end(body));
    server.listen(0, '127.0.0.1', () => announce(server));
    return;
  }
  if (!backend) throw new Error(`usage: bench-target.ts <kind> <backend-url>`);
  const servers = new Map<string, () => http.Server>([
    ['http-proxy-default', () => minimalProxy(false)],
    ['http-proxy-keepalive', () => minimalProxy(new http.Agent({ keepAlive: true }))],
    ['node-http-bare', nodeHttpBare],
    ['undici-bare', undiciBare],
  ]);
  const make = servers.get(kind);
  if (make) {
    const server = make();
    server.listen(0, '127.0.0.1', () => announce(server));
    return;
  }
  const quiet = kind.endsWith('-quiet');
  announce(await startStep(quiet ? kind.slice(0, -'-quiet'.length) : kind, quiet));
}

await main();

/**
 * `npm run bench:policies`: which policy copes best when requests differ in cost? Every policy of step 5
 * in the same run, against the same three backends:
 *
 *   - most requests are cheap (2 ms); one in 20 is a hundred times dearer (200 ms);
 *   - backend-3 is twice as slow as the other two (4 ms and 400 ms);
 *   - `weighted` gets weights 2, 2, 1 (what an operator who knows backend-3 is slow would set);
 *   - each backend takes at most --max-conns requests at once; the rest wait in a queue of
 *     --max-queue, and what does not fit is shed with 503.
 *
 * Prints requests/s, mean, p50 and p99 latency and the shed count per policy, rewrites the table between the
 * `bench:policies` markers of docs/step5-load-aware.md, and redraws docs/images/step5-policies.svg.
 *
 *   npm run bench:policies -- --duration 5 --connections 40 [--no-write]
 *
 * The costs are timers, not CPU work, so the numbers say how well each policy places requests, and
 * much less about this machine's speed. Still: compare rows of one run.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createLoadBalancer, POLICY_NAMES, type PolicyName } from '../../solutions/step5-load-aware/index.js';
import { ROOT } from '../shared/files.js';

const CHEAP_MS = 2;
const DEAR_MS = 200;
const DEAR_EVERY = 20;
const CHAPTER = path.join(ROOT, 'docs', 'step5-load-aware.md');
const PLOT = path.join(ROOT, 'docs', 'images', 'step5-policies.svg');

interface Row {
  policy: PolicyName;
  requestsPerSecond: number;
  /** Mean latency, ms: steadier than p99 here, where p99 hinges on whether 1 % of requests are dear ones on the slow backend. */
  mean: number;
  p50: number;
  p99: number;
  shed: number;
  /** Requests each backend served, in order. */
  split: number[];
}

/** A backend whose cost is set by the path: `/dear` takes a hundred times longer; `slowness` multiplies both. */
async function startBackend(slowness: number): Promise<{ url: string; served: () => number; close: () => Promise<void> }> {
  let served = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    const ms = (req.url === '/dear' ? DEAR_MS : CHEAP_MS) * slowness;
    setTimeout(() => {
      served += 1;
      res.end('ok');
    }, ms);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served: () => served,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function measure(policy: PolicyName, seconds: number, connections: number, limits: { maxConnections: number; maxQueue: number }): Promise<Row> {
  const backends = await Promise.all([1, 1, 2].map(startBackend));
  const lb = createLoadBalancer({ backends: backends.map((backend) => backend.url), policy, weights: policy === 'weighted' ? [2, 2, 1] : undefined, ...limits, queueTimeoutMs: 2_000 });
  const { url } = await lb.listen();
  // Every connection sends 19 cheap requests, then a dear one, and again: 1 in 20 is dear.
  const requests = Array.from({ length: DEAR_EVERY }, (_, i) => ({ method: 'GET' as const, path: i === DEAR_EVERY - 1 ? '/dear' : '/cheap' }));
  const result = await autocannon({ url, connections, duration: seconds, requests });
  await lb.close();
  const split = backends.map((backend) => backend.served());
  await Promise.all(backends.map((backend) => backend.close()));
  return { policy, requestsPerSecond: Math.round(result.requests.average), mean: Math.round(result.latency.mean * 10) / 10, p50: result.latency.p50, p99: result.latency.p99, shed: result['5xx'], split };
}

function table(rows: readonly Row[]): string {
  const lines = ['| policy | requests/s | mean (ms) | p50 (ms) | p99 (ms) | shed (503) | served by backend 1 / 2 / 3 (slow) |', '| --- | ---: | ---: | ---: | ---: | ---: | --- |'];
  for (const row of rows) lines.push(`| \`${row.policy}\` | ${row.requestsPerSecond} | ${row.mean} | ${row.p50} | ${row.p99} | ${row.shed} | ${row.split.join(' / ')} |`);
  return lines.join('\n');
}

/** Two bar charts side by side: requests/s (higher is better) and mean latency (lower is better). */
function plot(rows: readonly Row[], caption: string): string {
  const width = 720;
  const panel = (x: number, title: string, values: number[], unit: string) => {
    const max = Math.max(...values, 1);
    const bars = values.map((value, i) => {
      const y = 60 + i * 44;
      const length = Math.round((value / max) * 190);
      return [
        `<text x="${x}" y="${y + 20}" font-size="13" text-anchor="end">${rows[i].policy}</text>`,
        `<rect x="${x + 8}" y="${y + 6}" width="${length}" height="22" fill="#4c78a8"/>`,
        `<text x="${x + 14 + length}" y="${y + 22}" font-size="12">${value} ${unit}</text>`,
      ].join('');
    });
    return `<text x="${x + 8}" y="40" font-size="14" font-weight="bold">${title}</text>${bars.join('')}`;
  };
  const height = 80 + rows.length * 44;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 20}" viewBox="0 0 ${width} ${height + 20}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    panel(100, 'requests/s (higher is better)', rows.map((row) => row.requestsPerSecond), ''),
    panel(460, 'mean latency (lower is better)', rows.map((row) => row.mean), 'ms'),
    `<text x="10" y="${height + 10}" font-size="11" fill="#555">${caption}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '4' },
      connections: { type: 'string', default: '40' },
      'max-conns': { type: 'string', default: '16' },
      'max-queue': { type: 'string', default: '16' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const seconds = Number(values.duration);
  const connections = Number(values.connections);
  const limits = { maxConnections: Number(values['max-conns']), maxQueue: Number(values['max-queue']) };
  if (![seconds, connections, limits.maxConnections, limits.maxQueue].every((n) => Number.isInteger(n) && n >= 0) || seconds < 1 || connections < 1 || seconds > 60) {
    console.error('usage: npm run bench:policies -- [--duration 1-60] [--connections n] [--max-conns n] [--max-queue n] [--no-write]');
    process.exit(2);
  }
  console.log(`${connections} connections, ${seconds} s per policy; 1 request in ${DEAR_EVERY} costs ${DEAR_MS} ms, the rest ${CHEAP_MS} ms; backend 3 twice as slow; maxConnections ${limits.maxConnections}, maxQueue ${limits.maxQueue}\n`);
  const rows: Row[] = [];
  for (const policy of POLICY_NAMES) {
    rows.push(await measure(policy, seconds, connections, limits));
    console.log(`${policy}: done`);
  }
  const text = table(rows);
  console.log(`\n${text}`);
  if (values['no-write']) return;

  const caption = `npm run bench:policies, ${new Date().toISOString().slice(0, 10)}: ${connections} connections, ${seconds} s each, maxConnections ${limits.maxConnections}, maxQueue ${limits.maxQueue}`;
  mkdirSync(path.dirname(PLOT), { recursive: true });
  writeFileSync(PLOT, plot(rows, caption));
  const chapter = readFileSync(CHAPTER, 'utf8');
  const marked = /<!-- bench:policies -->[\s\S]*?<!-- \/bench:policies -->/;
  if (!marked.test(chapter)) throw new Error(`${CHAPTER} has no <!-- bench:policies --> … <!-- /bench:policies --> markers`);
  writeFileSync(CHAPTER, chapter.replace(marked, `<!-- bench:policies -->\n${text}\n\n<small>${caption}</small>\n<!-- /bench:policies -->`));
  console.log(`\nwrote ${path.relative(ROOT, PLOT)} and the table in ${path.relative(ROOT, CHAPTER)}`);
}

await main();

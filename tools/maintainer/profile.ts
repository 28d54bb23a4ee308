/**
 * What `npm run bench -- --profile` does with a CPU profile that `node --cpu-prof` wrote (V8's own
 * sampling profiler, the format Chrome DevTools opens):
 *
 * - a flame graph as one self-contained HTML file, drawn by 0x (`0x --visualize-cpu-profile`), an npm
 *   devDependency, so it works wherever `npm ci` ran;
 * - the same samples as folded stacks (`a;b;c 12` per line, Brendan Gregg's format), which any
 *   flame-graph renderer reads, and an SVG flame graph from them when `inferno-flamegraph` (Rust,
 *   `cargo install inferno`) is on the PATH: 0x dropped its SVG output in version 4;
 * - the functions with the most self time, as a table to read in the terminal.
 *
 *   tsx tools/maintainer/profile.ts bench-profiles/<run>/step7.cpuprofile     the same for a profile of your own
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../shared/files.js';

/** The parts of a `.cpuprofile` (Chrome DevTools' Profile) read here; times in µs of the monotonic clock. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; hitCount?: number; children?: number[] }[];
  startTime: number;
  endTime: number;
  /** The node id on top of the stack at each sample. */
  samples: number[];
  /** Time since the sample before (the first: since startTime). */
  timeDeltas: number[];
}

export interface SelfTime {
  /** The function's name, `(anonymous)` for a nameless one; V8's own entries are in parentheses. */
  name: string;
  /** Where it is: a path relative to the repository, `node:…` for Node's internals, empty for V8's own. */
  where: string;
  ms: number;
  /** Share of the busy samples (those not idle). */
  percent: number;
}

/** Samples in which the process waited for I/O: not a cost, so left out of every share. */
const IDLE = '(idle)';

type Frame = CpuProfile['nodes'][number]['callFrame'];

function frameName(frame: Frame): string {
  return frame.functionName || '(anonymous)';
}

/**
 * `node_modules/undici/lib/dispatcher/client.js:589`, `node:events:633`. A TypeScript file gets no line:
 * V8 ran what tsx made of it, which esbuild writes on one line, so `solutions/step7-fast-engine/proxy.ts`.
 */
function frameWhere(frame: Frame): string {
  if (!frame.url) return '';
  const file = frame.url.startsWith('file://') ? path.relative(ROOT, fileURLToPath(frame.url)) : frame.url;
  return /\.[cm]?ts$/.test(file) ? file : `${file}:${frame.lineNumber + 1}`;
}

/** One function: two nameless ones in a file differ by where they start. */
function frameKey(frame: Frame): string {
  return `${frame.functionName} ${frame.url}:${frame.lineNumber}:${frame.columnNumber}`;
}

/** The functions with the most self time (samples with that function on top of the stack), biggest first. */
export function topSelfTime(profile: CpuProfile, count = 10): SelfTime[] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const samplesOf = new Map<string, { name: string; where: string; samples: number }>();
  let busy = 0;
  for (const id of profile.samples) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame || frame.functionName === IDLE) continue;
    busy += 1;
    const key = frameKey(frame);
    const entry = samplesOf.get(key) ?? { name: frameName(frame), where: frameWhere(frame), samples: 0 };
    entry.samples += 1;
    samplesOf.set(key, entry);
  }
  const msPerSample = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
  return [...samplesOf.values()]
    .sort((a, b) => b.samples - a.samples)
    .slice(0, count)
    .map(({ name, where, samples }) => ({ name, where, ms: samples * msPerSample, percent: (100 * samples) / Math.max(1, busy) }));
}

/**
 * The samples taken from `fromUs` to `toUs` only, as a profile of its own. V8 stamps samples with the
 * same monotonic clock as `process.hrtime()` (CLOCK_MONOTONIC on Linux), so the benchmark can cut the
 * balancer's profile down to the seconds it measured: no startup, no module loading, no warm-up.
 */
export function trimProfile(profile: CpuProfile, fromUs: number, toUs: number): CpuProfile {
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let at = profile.startTime;
  let previous = fromUs;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i];
    if (at < fromUs || at > toUs) return;
    samples.push(id);
    timeDeltas.push(at - previous);
    previous = at;
  });
  const hits = new Map<number, number>();
  for (const id of samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const nodes = profile.nodes.map((node) => ({ ...node, hitCount: hits.get(node.id) ?? 0 }));
  return { ...profile, nodes, startTime: fromUs, endTime: toUs, samples, timeDeltas };
}

/** Rewrites a `.cpuprofile` file with the samples from `fromUs` to `toUs` only (see trimProfile). */
export function trimProfileFile(file: string, fromUs: number, toUs: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  writeFileSync(file, JSON.stringify(trimProfile(profile, fromUs, toUs)));
}

/** Folded stacks: one line per distinct stack, root first, frames joined by `;`, then its sample count. */
export function foldStacks(profile: CpuProfile): string {
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const counts = new Map<number, number>();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const lines: string[] = [];
  for (const [id, samples] of counts) {
    const frames: string[] = [];
    // A stack is as deep as the tree, and the tree has profile.nodes.length nodes: the bound of the walk.
    for (let at: number | undefined = id, depth = 0; at !== undefined && depth < profile.nodes.length; at = parentOf.get(at), depth += 1) {
      const frame = nodes.get(at)?.callFrame;
      if (frame && frame.functionName !== '(root)') frames.unshift(`${frameName(frame)} ${frameWhere(frame)}`.trim().replaceAll(';', ','));
    }
    if (frames[frames.length - 1]?.startsWith(IDLE)) continue;
    lines.push(`${frames.join(';')} ${samples}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Runs 0x from node_modules; undefined when it is not installed (a copy without devDependencies). */
function renderWith0x(cpuprofile: string, html: string): string | undefined {
  let cmd: string;
  try {
    cmd = createRequire(import.meta.url).resolve('0x/cmd.js');
  } catch {
    return '0x is not installed (npm install): no HTML flame graph';
  }
  const run = spawnSync(process.execPath, [cmd, '--quiet', '--visualize-cpu-profile', cpuprofile, '--output-html', html], { encoding: 'utf8', timeout: 120_000 });
  if (run.status === 0) return undefined;
  return `0x failed to draw the flame graph: ${(run.error?.message ?? run.stderr).trim()}`;
}

/** Runs inferno-flamegraph on the folded stacks; a note instead when it is not on the PATH. */
function renderWithInferno(folded: string, svg: string, title: string): string | undefined {
  const run = spawnSync('inferno-flamegraph', ['--title', title, '--countname', 'samples'], { input: readFileSync(folded), maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    return `no SVG: inferno-flamegraph is not installed (cargo install inferno), or render ${shown(folded)} with any flame-graph tool`;
  }
  if (run.status !== 0) return `inferno-flamegraph failed: ${(run.error?.message ?? run.stderr.toString()).trim()}`;
  writeFileSync(svg, run.stdout);
  return undefined;
}

export interface ProfileReport {
  /** The files written next to the profile. */
  files: string[];
  /** What could not be made, and why. */
  notes: string[];
  top: SelfTime[];
}

/** Writes `<name>.html`, `<name>.folded` and, with inferno installed, `<name>.svg` next to `<name>.cpuprofile`. */
export function reportProfile(cpuprofile: string, title = path.basename(cpuprofile, '.cpuprofile')): ProfileReport {
  const profile = JSON.parse(readFileSync(cpuprofile, 'utf8')) as CpuProfile;
  const base = cpuprofile.replace(/\.cpuprofile$/, '');
  const files = [cpuprofile];
  const notes: string[] = [];
  const html = `${base}.html`;
  const htmlNote = renderWith0x(cpuprofile, html);
  if (htmlNote) notes.push(htmlNote);
  else files.push(html);
  writeFileSync(`${base}.folded`, foldStacks(profile));
  files.push(`${base}.folded`);
  const svgNote = renderWithInferno(`${base}.folded`, `${base}.svg`, `${title}: CPU flame graph`);
  if (svgNote) notes.push(svgNote);
  else files.push(`${base}.svg`);
  return { files, notes, top: topSelfTime(profile) };
}

/** A path as short as it is clear: relative below the working directory, absolute elsewhere. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** V8's own entries are in parentheses (`(garbage collector)`); other functions without a file are C++ (`writev`). */
function whereless(name: string): string {
  return name.startsWith('(') ? 'V8' : 'native (C++)';
}

/** The report as text: the files, the notes, then the self-time table in markdown. */
export function formatReport(report: ProfileReport): string {
  const lines = report.files.map((file) => `  ${shown(file)}`);
  for (const note of report.notes) lines.push(`  (${note})`);
  lines.push('', '| self ms | % of busy | function | where |', '| ---: | ---: | --- | --- |');
  for (const row of report.top) lines.push(`| ${row.ms.toFixed(0)} | ${row.percent.toFixed(1)} | ${row.name} | ${row.where || whereless(row.name)} |`);
  return lines.join('\n');
}

if (import.meta.filename === process.argv[1]) {
  const files = process.argv.slice(2);
  if (files.length === 0 || files.some((file) => !file.endsWith('.cpuprofile'))) {
    console.error('usage: tsx tools/maintainer/profile.ts <file.cpuprofile>...');
    process.exit(2);
  }
  for (const file of files) console.log(`${file}\n${formatReport(reportProfile(path.resolve(file)))}\n`);
}

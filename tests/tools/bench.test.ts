import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../tools/shared/files.js';
import { foldStacks, topSelfTime, trimProfile, type CpuProfile } from '../../tools/maintainer/profile.js';
import { tempDir } from './command-io.js';

/** A profile of two functions under main(): b on top in 3 samples, a in 1, idle in 1; 1 ms apart from t = 1000 µs. */
function tinyProfile(): CpuProfile {
  const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0, columnNumber: 0 });
  return {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 5] },
      { id: 2, callFrame: frame('main', 'node:main'), children: [3, 4] },
      { id: 3, callFrame: frame('a', 'node:a') },
      { id: 4, callFrame: frame('b', 'node:b') },
      { id: 5, callFrame: frame('(idle)') },
    ],
    startTime: 1000,
    endTime: 6000,
    samples: [4, 3, 4, 5, 4],
    timeDeltas: [1000, 1000, 1000, 1000, 1000],
  };
}

describe('CPU profile summaries (tools/maintainer/profile.ts)', () => {
  it('ranks functions by self time, as a share of the samples that were not idle', () => {
    const top = topSelfTime(tinyProfile());
    expect(top.map((row) => [row.name, row.where, row.percent])).toEqual([
      ['b', 'node:b:1', 75],
      ['a', 'node:a:1', 25],
    ]);
  });

  it('folds stacks root first, without the idle samples', () => {
    expect(foldStacks(tinyProfile()).trim().split('\n').sort()).toEqual(['main node:main:1;a node:a:1 1', 'main node:main:1;b node:b:1 3']);
  });

  it('keeps only the samples of a time window', () => {
    // Samples are at 2000, 3000, 4000, 5000 and 6000 µs.
    const trimmed = trimProfile(tinyProfile(), 2500, 4500);
    expect(trimmed.samples).toEqual([3, 4]);
    expect(trimmed.timeDeltas).toEqual([500, 1000]);
    expect([trimmed.startTime, trimmed.endTime]).toEqual([2500, 4500]);
    expect(trimmed.nodes.find((node) => node.id === 4)?.hitCount).toBe(1);
  });
});

// SLOW (about 12 s on a 2-core machine): the real bench, 1 s of load on two targets, each profiled.
describe('npm run bench (tools/maintainer/bench.ts)', () => {
  it('prints same-run ratios, CPU and RSS per target, and writes a CPU profile and flame graph with --profile', { timeout: 60_000 }, async () => {
    const dir = tempDir('bench');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'tools/maintainer/bench.ts', '--only', 'http-proxy-keepalive,undici-bare', '--duration', '1', '--connections', '10', '--profile', '--profile-dir', dir],
      { cwd: ROOT, timeout: 55_000 },
    );
    const lines = stdout.split('\n');
    const header = lines.find((line) => line.startsWith('| target |'))?.split('|').map((cell) => cell.trim());
    expect(header).toEqual(['', 'target', 'requests/s', '× http-proxy-keepalive', '× undici-bare', 'p50 ms', 'p99 ms', 'errors', 'balancer CPU µs/request', 'balancer RSS MB', '']);
    const row = (target: string) => {
      const cells = lines.find((line) => line.startsWith(`| ${target} |`))?.split('|').slice(2, -1).map(Number);
      expect(cells, `a row for ${target}`).toBeDefined();
      const [requestsPerSecond, byHttpProxy, byUndici, , p99, errors, cpu, rss] = cells!;
      return { requestsPerSecond, byHttpProxy, byUndici, p99, errors, cpu, rss };
    };
    const httpProxy = row('http-proxy-keepalive');
    const undici = row('undici-bare');
    expect(httpProxy.byHttpProxy).toBe(1);
    expect(undici.byUndici).toBe(1);
    expect(undici.byHttpProxy).toBeCloseTo(undici.requestsPerSecond / httpProxy.requestsPerSecond, 1);
    for (const measured of [httpProxy, undici]) {
      expect(measured.requestsPerSecond).toBeGreaterThan(100);
      expect(measured.errors).toBe(0);
      expect(measured.p99).toBeGreaterThanOrEqual(0);
      expect(measured.cpu).toBeGreaterThan(0);
      expect(measured.rss).toBeGreaterThan(10);
      expect(measured.rss).toBeLessThan(2_000);
    }

    const profile = JSON.parse(readFileSync(path.join(dir, 'undici-bare.cpuprofile'), 'utf8')) as CpuProfile;
    expect(profile.samples.length).toBeGreaterThan(100);
    expect(existsSync(path.join(dir, 'undici-bare.html'))).toBe(true);
    expect(readFileSync(path.join(dir, 'undici-bare.folded'), 'utf8')).toMatch(/undici/);
    const inferno = !spawnSync('inferno-flamegraph', ['--help']).error;
    expect(existsSync(path.join(dir, 'undici-bare.svg'))).toBe(inferno);
    expect(stdout).toContain(inferno ? 'undici-bare.svg' : 'inferno-flamegraph is not installed');
    // No leftovers of the profiler's per-thread files.
    expect(readdirSync(dir).filter((name) => name.startsWith('.') || name.startsWith('CPU.'))).toEqual([]);
  });
});

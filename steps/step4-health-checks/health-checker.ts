import type { Backend } from './backend.js';
import { BackendHealth, type HealthRules, type HealthState, type Transition } from './backend-health.js';
import { probeHttp, probeTcp, type ProbeResult } from './probes.js';
import type { ServerPool } from './server-pool.js';

/** Active checks: probes on a timer. Off unless `createLoadBalancer` gets `healthCheck`. */
export interface ActiveCheckOptions {
  /** `http` sends `GET path` and wants a 2xx; `tcp` only opens a connection, like the Go original (default http). */
  mode?: 'http' | 'tcp';
  /** Path probed in http mode (default `/healthz`). */
  path?: string;
  /** Time between the end of one probe and the start of the next, per backend, in ms (default 10000). */
  intervalMs?: number;
  /** A probe that takes longer fails, in ms (default 2000). */
  timeoutMs?: number;
  /** Passing probes in a row that bring a down backend back (default 2, HAProxy's `rise 2`). */
  rise?: number;
  /** Failed probes in a row that take a backend down (default 3, HAProxy's `fall 3`). */
  fall?: number;
}

/** Passive checks: judging real requests. On by default. */
export interface PassiveCheckOptions {
  /** Failed requests within `failWindowMs` that eject a backend (default 1, nginx's `max_fails=1`). */
  maxFails?: number;
  /** The window those failures must fall into, in ms (default 10000, nginx's `fail_timeout=10s`). */
  failWindowMs?: number;
  /** First ejection's cooldown; the n-th lasts n times as long, in ms (default 30000, Envoy's `base_ejection_time`). */
  baseEjectionMs?: number;
  /** Longest cooldown, in ms (default 300000, Envoy's `max_ejection_time`). */
  maxEjectionMs?: number;
  /** Response statuses that count as failures too, e.g. `[502, 503, 504]` (default none). */
  unhealthyStatuses?: readonly number[];
}

/** A health change, reported once per change of state. */
export interface HealthEvent extends Transition {
  backend: string;
}

/** One backend's line in `GET /lb/status`. */
export interface BackendStatus {
  url: string;
  state: HealthState;
  available: boolean;
  consecutivePasses: number;
  consecutiveFails: number;
  ejections: number;
  lastError: string | null;
}

/**
 * Keeps every backend's health and applies it to the pool: runs the active probes (if configured),
 * takes reports of real requests (passive), and sets each backend's alive flag — which is all that
 * `pool.next()` looks at.
 */
export class HealthChecker {
  readonly #pool: ServerPool;
  readonly #health: Map<Backend, BackendHealth>;
  readonly #active: Required<ActiveCheckOptions> | undefined;
  readonly #unhealthyStatuses: ReadonlySet<number>;
  readonly #onChange: (event: HealthEvent) => void;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #stop = new AbortController();

  constructor(pool: ServerPool, active: ActiveCheckOptions | undefined, passive: PassiveCheckOptions, onChange: (event: HealthEvent) => void) {
    this.#pool = pool;
    this.#active = active && {
      mode: active.mode ?? 'http',
      path: active.path ?? '/healthz',
      intervalMs: active.intervalMs ?? 10_000,
      timeoutMs: active.timeoutMs ?? 2_000,
      rise: active.rise ?? 2,
      fall: active.fall ?? 3,
    };
    const rules: HealthRules = {
      rise: this.#active?.rise ?? 2,
      fall: this.#active?.fall ?? 3,
      maxFails: passive.maxFails ?? 1,
      failWindowMs: passive.failWindowMs ?? 10_000,
      baseEjectionMs: passive.baseEjectionMs ?? 30_000,
      maxEjectionMs: passive.maxEjectionMs ?? 300_000,
    };
    this.#health = new Map(pool.backends.map((backend) => [backend, new BackendHealth(rules)]));
    this.#unhealthyStatuses = new Set(passive.unhealthyStatuses ?? []);
    this.#onChange = onChange;
  }

  /** Starts the probe loops: one per backend, so backends are probed concurrently but never twice at once. */
  start(): void {
    if (!this.#active) return;
    for (const backend of this.#pool.backends) {
      // A bug in the health checks must not take the traffic down with it: warn, and stop probing.
      this.#probeLoop(backend, this.#active).catch((err: Error) => {
        process.emitWarning(`active health checks of ${backend.url.origin} stopped: ${err.message}`);
      });
    }
  }

  /** Stops every timer and probe in flight. */
  stop(): void {
    this.#stop.abort();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  /** Passive check: a request to `backend` ended with `status` (a response arrived). */
  reportResponse(backend: Backend, status: number): void {
    if (this.#unhealthyStatuses.has(status)) this.reportFailure(backend, `HTTP ${status}`);
    else this.#health.get(backend)?.recordSuccess();
  }

  /** Passive check: a request to `backend` failed (after any retries on it). */
  reportFailure(backend: Backend, error: string): void {
    const health = this.#health.get(backend);
    if (!health) return;
    // Passive evidence may be the clients' fault, so it never takes the last available backend out:
    // a pool ejected into silence answers nothing at all.
    const others = this.#pool.backends.some((other) => other !== backend && other.isAlive());
    const ejection = health.recordFailure(error, performance.now(), others);
    if (!ejection) return;
    this.#apply(backend, health, ejection.transition);
    // With active checks on, probes bring it back (`rise` passes); without, the cooldown does.
    if (!this.#active) this.#after(ejection.cooldownMs, () => this.#apply(backend, health, health.readmit()));
  }

  /** Every backend's health, for the status API. */
  status(): BackendStatus[] {
    return this.#pool.backends.map((backend) => {
      const health = this.#health.get(backend) as BackendHealth;
      return {
        url: backend.url.origin,
        state: health.state,
        available: backend.isAlive(),
        consecutivePasses: health.passes,
        consecutiveFails: health.fails,
        ejections: health.ejections,
        lastError: health.lastError ?? null,
      };
    });
  }

  async #probeLoop(backend: Backend, active: Required<ActiveCheckOptions>): Promise<void> {
    const health = this.#health.get(backend) as BackendHealth;
    while (!this.#stop.signal.aborted) {
      const result = await this.#probe(backend, active);
      if (this.#stop.signal.aborted) return;
      this.#apply(backend, health, health.recordProbe(result.passed, result.passed ? undefined : result.error));
      await new Promise<void>((resolve) => this.#after(active.intervalMs, resolve));
    }
  }

  #probe(backend: Backend, active: Required<ActiveCheckOptions>): Promise<ProbeResult> {
    return active.mode === 'tcp'
      ? probeTcp(backend.url, active.timeoutMs, this.#stop.signal)
      : probeHttp(backend.url, active.path, active.timeoutMs, this.#stop.signal);
  }

  /** Publishes a transition: the alive flag for the pool, an event for the log. */
  #apply(backend: Backend, health: BackendHealth, transition: Transition | undefined): void {
    if (!transition) return;
    backend.markAlive(health.available);
    this.#onChange({ backend: backend.url.origin, ...transition });
  }

  /**
   * setTimeout that stop() can cancel. Deliberately not unref()'d: a balancer nobody closed keeps the
   * process alive where you can see it, instead of probing on unnoticed.
   */
  #after(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
  }
}

import type { Backend } from './backend.js';
import { BackendHealth, type HealthRules, type HealthState, type Transition } from './backend-health.js';
import { probeHttp, probeTcp, type ProbeResult } from './probes.js';
import { InvalidOptionsError } from './errors.js';
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
  /**
   * While no backend is available, every down backend is probed this often instead, and its first
   * passing probe brings it back (default 1000). Waiting out `intervalMs` and `rise` then would keep
   * every client on 503 for no good reason.
   */
  recoveryIntervalMs?: number;
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
  /** What moved it: a probe, real requests (an ejection), a cooldown that ended, or an operator. */
  cause: 'probe' | 'requests' | 'cooldown';
}

/** One backend's line in `GET /lb/status`. */
export interface BackendStatus {
  url: string;
  state: HealthState;
  available: boolean;
  consecutivePasses: number;
  consecutiveFails: number;
  /** Taken out by hand with setMaintenance(). */
  maintenance: boolean;
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
  /** Backends an operator took out by hand: out of rotation whatever the checks say (HAProxy's MAINT state). */
  readonly #maintenance = new Set<Backend>();
  /** Set while the probe loops run; aborting it stops them and the probes in flight. */
  #running: AbortController | undefined;
  /** Per probe loop that is waiting for its next probe: cuts the wait short (see #hurry). */
  readonly #waits = new Map<Backend, () => void>();

  constructor(pool: ServerPool, active: ActiveCheckOptions | undefined, passive: PassiveCheckOptions, onChange: (event: HealthEvent) => void) {
    this.#pool = pool;
    this.#active = active && {
      mode: active.mode ?? 'http',
      path: active.path ?? '/healthz',
      intervalMs: active.intervalMs ?? 10_000,
      timeoutMs: active.timeoutMs ?? 2_000,
      rise: active.rise ?? 2,
      fall: active.fall ?? 3,
      recoveryIntervalMs: active.recoveryIntervalMs ?? 1_000,
    };
    const rules: HealthRules = {
      rise: this.#active?.rise ?? 2,
      fall: this.#active?.fall ?? 3,
      maxFails: passive.maxFails ?? 1,
      failWindowMs: passive.failWindowMs ?? 10_000,
      baseEjectionMs: passive.baseEjectionMs ?? 30_000,
      maxEjectionMs: passive.maxEjectionMs ?? 300_000,
    };
    validate(rules, this.#active);
    this.#health = new Map(pool.backends.map((backend) => [backend, new BackendHealth(rules)]));
    this.#unhealthyStatuses = new Set(passive.unhealthyStatuses ?? []);
    this.#onChange = onChange;
  }

  /**
   * Starts the probe loops: one per backend, so backends are probed concurrently but never twice at
   * once. Calling it again while they run changes nothing; after stop() it starts them afresh.
   */
  start(): void {
    if (this.#running) return;
    const running = (this.#running = new AbortController());
    if (!this.#active) {
      // Without probes only a cooldown timer readmits an ejected backend, and stop() cleared those.
      for (const [backend, health] of this.#health) this.#apply(backend, health, health.readmit(), 'cooldown');
      return;
    }
    for (const backend of this.#pool.backends) {
      // A bug in the health checks must not take the traffic down with it: warn, and stop probing.
      this.#probeLoop(backend, this.#active, running.signal).catch((err: Error) => {
        process.emitWarning(`active health checks of ${backend.url.origin} stopped: ${err.message}`);
      });
    }
  }

  /** Stops every timer and probe in flight. */
  stop(): void {
    this.#running?.abort();
    this.#running = undefined;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#waits.clear();
  }

  /**
   * Takes `backend` out of rotation by hand (`on`), or puts it back. The checks go on judging it, so its
   * state is known when it returns. From step 4 on this, not `backend.markAlive()`, is how to take a
   * backend out: the health checks own the alive flag and would undo a flag set behind their back.
   */
  setMaintenance(backend: Backend, on: boolean): void {
    if (on) this.#maintenance.add(backend);
    else this.#maintenance.delete(backend);
    backend.markAlive(this.#availableNow(backend));
  }

  /** Passive check: a request to `backend` ended with `status` (a response arrived). */
  reportResponse(backend: Backend, status: number): void {
    if (this.#unhealthyStatuses.has(status)) this.reportFailure(backend, `HTTP ${status}`);
    else this.#health.get(backend)?.recordSuccess();
  }

  /** Passive check: a request to `backend` failed (after any retries on it). Ignored once stopped: a drain must not start cooldown timers. */
  reportFailure(backend: Backend, error: string): void {
    const health = this.#health.get(backend);
    if (!health || !this.#running) return;
    // Passive evidence may be the clients' fault, so it never takes the last available backend out:
    // a pool ejected into silence answers nothing at all.
    const others = this.#pool.backends.some((other) => other !== backend && other.isAlive());
    const ejection = health.recordFailure(error, performance.now(), others);
    if (!ejection) return;
    this.#apply(backend, health, ejection.transition, 'requests');
    // With active checks on, probes bring it back (`rise` passes); without, the cooldown does.
    if (!this.#active) this.#after(ejection.cooldownMs, () => this.#apply(backend, health, health.readmit(), 'cooldown'));
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
        maintenance: this.#maintenance.has(backend),
        ejections: health.ejections,
        lastError: health.lastError ?? null,
      };
    });
  }

  async #probeLoop(backend: Backend, active: Required<ActiveCheckOptions>, signal: AbortSignal): Promise<void> {
    const health = this.#health.get(backend) as BackendHealth;
    while (!signal.aborted) {
      const result = await this.#probe(backend, active, signal);
      if (signal.aborted) return;
      const noneUp = this.#noneAvailable();
      this.#apply(backend, health, health.recordProbe(result.passed, result.passed ? undefined : result.error, noneUp ? 1 : active.rise), 'probe');
      if (signal.aborted) return; // whoever heard of the change may have stopped us
      await this.#wait(backend, this.#noneAvailable() ? active.recoveryIntervalMs : active.intervalMs);
    }
  }

  /** No backend takes traffic: every client gets 503 until one comes back. */
  #noneAvailable(): boolean {
    return !this.#pool.backends.some((backend) => backend.isAlive());
  }

  /** The pause of one probe loop, which #hurry can cut short. */
  #wait(backend: Backend, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#waits.delete(backend);
        resolve();
      }, ms);
      this.#timers.add(timer);
      this.#waits.set(backend, () => {
        clearTimeout(timer);
        this.#timers.delete(timer);
        this.#waits.delete(backend);
        resolve();
      });
    });
  }

  /**
   * The last available backend just went: every probe loop that waits out a long interval probes now,
   * and from then on every `recoveryIntervalMs`, so the first backend to return is noticed at once.
   */
  #hurry(): void {
    for (const wake of [...this.#waits.values()]) wake();
  }

  #probe(backend: Backend, active: Required<ActiveCheckOptions>, signal: AbortSignal): Promise<ProbeResult> {
    return active.mode === 'tcp' ? probeTcp(backend.url, active.timeoutMs, signal) : probeHttp(backend.url, active.path, active.timeoutMs, signal);
  }

  /** Publishes a transition: the alive flag for the pool, an event for the log. */
  #apply(backend: Backend, health: BackendHealth, transition: Transition | undefined, cause: HealthEvent['cause']): void {
    if (!transition) return;
    const wasServing = !this.#noneAvailable();
    backend.markAlive(this.#availableNow(backend));
    this.#onChange({ backend: backend.url.origin, ...transition, cause });
    if (wasServing && this.#noneAvailable()) this.#hurry();
  }

  /** The one rule for the alive flag: healthy by the checks, and not in maintenance. */
  #availableNow(backend: Backend): boolean {
    return (this.#health.get(backend)?.available ?? false) && !this.#maintenance.has(backend);
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

/** Checks the thresholds once, at construction: a zero or a fraction here would silently never trip. */
function validate(rules: HealthRules, active: Required<ActiveCheckOptions> | undefined): void {
  const whole = (name: string, value: number, min: number) => {
    if (!Number.isInteger(value) || value < min) throw new InvalidOptionsError(`${name} must be a whole number ≥ ${min}, got ${value}`);
  };
  whole('rise', rules.rise, 1);
  whole('fall', rules.fall, 1);
  whole('maxFails', rules.maxFails, 1);
  whole('failWindowMs', rules.failWindowMs, 1);
  whole('baseEjectionMs', rules.baseEjectionMs, 0);
  whole('maxEjectionMs', rules.maxEjectionMs, rules.baseEjectionMs);
  if (active) {
    whole('intervalMs', active.intervalMs, 1);
    whole('recoveryIntervalMs', active.recoveryIntervalMs, 1);
    whole('timeoutMs', active.timeoutMs, 1);
    if (!active.path.startsWith('/')) throw new InvalidOptionsError(`path must start with /, got ${active.path}`);
  }
}

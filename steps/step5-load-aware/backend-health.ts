/**
 * The health of one backend, as a state machine with no timers and no I/O, so every rule can be read
 * (and tested) on its own. Two kinds of evidence move it:
 *
 * - ACTIVE checks: probes we send on a timer. `rise` passes in a row bring a backend up, `fall`
 *   failures in a row take it down (HAProxy's `rise 2 fall 3`), so one blip flips nothing.
 * - PASSIVE checks: the outcome of real requests. `maxFails` failures within `failWindowMs` eject the
 *   backend for a cooldown that doubles, triples, … with every ejection (nginx `max_fails`/
 *   `fail_timeout`, Envoy outlier detection).
 *
 *     up ──fail──▶ suspect ──(fall fails)──▶ down ──pass──▶ recovering ──(rise passes)──▶ up
 *      ▲              │ pass                  ▲                 │ fail
 *      └──────────────┘                       └─────────────────┘
 */
export type HealthState = 'up' | 'suspect' | 'down' | 'recovering';

/** Thresholds for one backend; the HealthChecker fills in the defaults. */
export interface HealthRules {
  rise: number;
  fall: number;
  maxFails: number;
  failWindowMs: number;
  baseEjectionMs: number;
  maxEjectionMs: number;
}

/** A change of state, with the evidence that caused it. */
export interface Transition {
  from: HealthState;
  to: HealthState;
  reason: string;
}

export class BackendHealth {
  state: HealthState = 'up';
  /** Active checks: probes in a row that passed, and that failed. */
  passes = 0;
  fails = 0;
  /** Passive checks: failed requests in the current window, and when that window opened. */
  recentFailures = 0;
  windowStart = 0;
  /** Passive checks: how often it was ejected lately, and when it was last ejected. */
  ejections = 0;
  lastEjection = -Infinity;
  lastError: string | undefined;

  constructor(readonly rules: HealthRules) {}

  /** Requests may go here in these states: a suspect backend still serves until `fall` is reached. */
  get available(): boolean {
    return this.state === 'up' || this.state === 'suspect';
  }

  /** Applies one probe result; returns the transition if the state changed. */
  recordProbe(passed: boolean, error?: string): Transition | undefined {
    if (!passed) this.lastError = error;
    if (passed) {
      this.passes += 1;
      this.fails = 0;
      if (this.state === 'suspect') return this.#moveTo('up', 'a probe passed again');
      if (this.state === 'down' || this.state === 'recovering') {
        return this.#moveTo(this.passes >= this.rules.rise ? 'up' : 'recovering', `${this.passes} passing probe(s)`);
      }
      return undefined;
    }
    this.fails += 1;
    this.passes = 0;
    if (this.state === 'recovering') return this.#moveTo('down', `a probe failed while recovering: ${error}`);
    if (this.state === 'up' || this.state === 'suspect') {
      return this.#moveTo(this.fails >= this.rules.fall ? 'down' : 'suspect', `${this.fails} failed probe(s): ${error}`);
    }
    return undefined;
  }

  /**
   * Applies one failed request at time `now` (ms). Ejects (state `down`) once `maxFails` failures fall
   * within `failWindowMs`, unless `mayEject` is false: the caller's way to keep the last backend.
   * Returns the transition and, for an ejection, how long the cooldown lasts.
   */
  recordFailure(error: string, now: number, mayEject: boolean): { transition: Transition; cooldownMs: number } | undefined {
    this.lastError = error;
    if (now - this.windowStart > this.rules.failWindowMs) {
      this.windowStart = now;
      this.recentFailures = 0;
    }
    this.recentFailures += 1;
    if (this.recentFailures < this.rules.maxFails || !this.available || !mayEject) return undefined;

    // Ejections long ago do not count: the multiplier starts again after a quiet maxEjectionMs.
    if (now - this.lastEjection > this.rules.maxEjectionMs) this.ejections = 0;
    this.ejections += 1;
    this.lastEjection = now;
    this.recentFailures = 0;
    this.passes = 0;
    const cooldownMs = Math.min(this.rules.baseEjectionMs * this.ejections, this.rules.maxEjectionMs);
    const transition = this.#moveTo('down', `ejected after ${this.rules.maxFails} failed request(s): ${error}`);
    return transition && { transition, cooldownMs };
  }

  /** A request succeeded: the failures so far were not a streak. */
  recordSuccess(): void {
    this.recentFailures = 0;
  }

  /** The ejection cooldown is over (used when no active checks run to bring it back). */
  readmit(): Transition | undefined {
    return this.state === 'down' ? this.#moveTo('up', 'ejection cooldown over') : undefined;
  }

  #moveTo(to: HealthState, reason: string): Transition | undefined {
    if (to === this.state) return undefined;
    const transition = { from: this.state, to, reason };
    this.state = to;
    return transition;
  }
}

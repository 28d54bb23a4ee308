import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HealthState } from './backend-health.js';
import type { HealthEvent } from './health-checker.js';

/** What the metrics read at scrape time: the state the balancer keeps anyway, never a second copy. */
export interface MetricsSource {
  backends(): readonly { url: string; inFlight: number; state: HealthState; available: boolean }[];
  queueLength(): number;
  retriesInFlight(): number;
  /** Retries the budget refused so far (a count that only grows). */
  retriesRefused(): number;
  tunnelsOpen(): number;
}

/** One finished request, as the metrics see it. */
export interface RequestSample {
  method: string;
  /** The backend that answered or was tried last; empty when none was. */
  backend: string;
  status: number;
  tries: number;
  durationMs: number;
}

const HEALTH_STATES: readonly HealthState[] = ['up', 'suspect', 'down', 'recovering'];

/**
 * The balancer's metrics in Prometheus' text format, for `GET /lb/metrics` on the admin port. They
 * answer the operator's questions — how many requests, how many fail, how slow (RED), and which
 * backend is to blame — with prom-client, the format's standard Node library. Writing the format by
 * hand looks easy and is a trap: label values must be escaped (a `"` or a newline in a backend URL
 * breaks the whole scrape), a histogram needs cumulative `_bucket` lines with `le="+Inf"`, `_sum` and
 * `_count`, and every family needs its HELP and TYPE once.
 *
 * The hot path only counts: one counter and one histogram per request, each a few hundred
 * nanoseconds. Gauges (in flight, queue, health) are read from the balancer when Prometheus asks.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'backend' | 'method' | 'code'>;
  readonly #duration: Histogram<'backend'>;
  readonly #retries: Counter;
  readonly #ejections: Counter<'backend'>;
  readonly #healthChanges: Counter<'backend' | 'to'>;
  readonly #shed: Counter;

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    this.#requests = new Counter({ name: 'lb_requests_total', help: 'Requests answered, by backend (empty: none), method and status code (499: the client left first).', labelNames: ['backend', 'method', 'code'], registers });
    this.#duration = new Histogram({
      name: 'lb_request_duration_seconds',
      help: 'Time from the request to the end of its answer, every try included (WebSocket tunnels not counted).',
      labelNames: ['backend'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#retries = new Counter({ name: 'lb_retries_total', help: 'Tries after the first of a request: same-backend retries and failovers.', registers });
    this.#ejections = new Counter({ name: 'lb_ejections_total', help: 'Backends taken out by the passive checks (outlier ejection).', labelNames: ['backend'], registers });
    this.#healthChanges = new Counter({ name: 'lb_health_transitions_total', help: 'Changes of a backend health state, by the state entered.', labelNames: ['backend', 'to'], registers });
    this.#shed = new Counter({ name: 'lb_shed_requests_total', help: 'Requests answered 503 because every backend was full and the queue was full or too slow.', registers });
    let refusedSeen = 0;
    new Counter({
      name: 'lb_retry_budget_exhausted_total',
      help: 'Failed tries answered instead of retried, because the retry budget was spent.',
      registers,
      collect() {
        const refused = source.retriesRefused();
        this.inc(refused - refusedSeen);
        refusedSeen = refused;
      },
    });
    new Gauge({
      name: 'lb_backend_in_flight',
      help: 'Requests in flight per backend (WebSocket tunnels included).',
      labelNames: ['backend'],
      registers,
      collect() {
        for (const backend of source.backends()) this.set({ backend: backend.url }, backend.inFlight);
      },
    });
    new Gauge({
      name: 'lb_backend_up',
      help: '1 if the backend takes traffic, 0 if not (down, recovering, or in maintenance).',
      labelNames: ['backend'],
      registers,
      collect() {
        for (const backend of source.backends()) this.set({ backend: backend.url }, backend.available ? 1 : 0);
      },
    });
    new Gauge({
      name: 'lb_backend_health_state',
      help: "1 for the backend's current health state, 0 for the others.",
      labelNames: ['backend', 'state'],
      registers,
      collect() {
        for (const backend of source.backends()) for (const state of HEALTH_STATES) this.set({ backend: backend.url, state }, backend.state === state ? 1 : 0);
      },
    });
    new Gauge({ name: 'lb_queue_length', help: 'Requests waiting for room on a backend.', registers, collect: gauge(source.queueLength) });
    new Gauge({ name: 'lb_retries_in_flight', help: 'Retries in flight, which the retry budget bounds.', registers, collect: gauge(source.retriesInFlight) });
    new Gauge({ name: 'lb_websocket_tunnels', help: 'WebSocket tunnels open.', registers, collect: gauge(source.tunnelsOpen) });
  }

  /** Counts one finished request. */
  observeRequest({ method, backend, status, tries, durationMs }: RequestSample): void {
    this.#requests.inc({ backend, method, code: String(status) });
    // A WebSocket's lifetime is not a latency: minutes or hours would swamp the histogram.
    if (status !== 101) this.#duration.observe({ backend }, durationMs / 1000);
    if (tries > 1) this.#retries.inc(tries - 1);
  }

  /** Counts one health change, and an ejection when real requests caused it. */
  observeHealth(event: HealthEvent): void {
    this.#healthChanges.inc({ backend: event.backend, to: event.to });
    // Real requests only ever take a backend out (their evidence never brings one back).
    if (event.cause === 'requests') this.#ejections.inc({ backend: event.backend });
  }

  /** Counts one request shed with 503 by the queue. */
  observeShed(): void {
    this.#shed.inc();
  }

  /** The text Prometheus scrapes, and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** A gauge's collect function that sets it to what `read` says. */
function gauge(read: () => number): (this: Gauge) => void {
  return function (this: Gauge) {
    this.set(read());
  };
}

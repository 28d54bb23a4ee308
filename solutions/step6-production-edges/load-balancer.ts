import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseBackends } from './backend-url.js';
import { watchUpload } from './client-clocks.js';
import { blamesBackend, sendError } from './error-response.js';
import { BadRequestError, ClientTimeoutError, InvalidOptionsError, NoBackendAvailableError, OverloadedError } from './errors.js';
import { closeAdmin, createAdminServer } from './admin-server.js';
import { checkInbound } from './request-checks.js';
import { HealthChecker, type ActiveCheckOptions, type HealthEvent, type PassiveCheckOptions } from './health-checker.js';
import { Proxy } from './proxy.js';
import { createTrafficServer, listen, type ListenAddress } from './server-lifecycle.js';
import type { Socket } from 'node:net';
import { wholeNumber } from './options.js';
import { readRequestBody } from './request-body.js';
import { RequestContext } from './request-context.js';
import { forwardWithRetries, type RetryOptions } from './retries.js';
import { ServerPool } from './server-pool.js';
import { Dispatcher, type Limits } from './dispatcher.js';
import type { BalancingPolicy, PolicyName } from './policy.js';
import { createPolicy } from './policies.js';
import { Metrics } from './metrics.js';
import { toOriginForm } from './origin-form.js';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget.js';
import { failureKind } from './retry-policy.js';
import { asksForWebSocket, handshake } from './websocket-tunnel.js';
import type { Duplex } from 'node:stream';

/** What `createLoadBalancer` accepts. Later steps add fields; every new field has a default. */
export interface LoadBalancerOptions {
  /** Base URLs of the backends, e.g. `http://127.0.0.1:9001`, in rotation order. */
  backends: readonly string[];
  /** How long a connected backend may stay silent before the client gets 504, in ms (default 30000). */
  backendTimeoutMs?: number;
  /** How long opening a connection to a backend may take before the try fails (retried in step 3), in ms (default 5000). */
  connectTimeoutMs?: number;
  /** How long a client may send nothing of its upload (then 408), or take nothing of its answer (then it is dropped), in ms (default 60000, nginx's `client_body_timeout` and `send_timeout`). */
  clientTimeoutMs?: number;
  /** How long close() lets requests in flight finish before it cuts them, in ms (default 10000). */
  drainTimeoutMs?: number;
  /** Extra tries on the same backend after a connection failure (default 3, like the Go original). */
  maxRetries?: number;
  /** Backends to try per request before answering 503, the first one included (default 3). */
  maxAttempts?: number;
  /** Pause between two tries on the same backend, in ms (default 10). */
  retryDelayMs?: number;
  /** Request bodies up to this many bytes are kept in memory so that a retry can replay them (default 1 MiB). */
  maxBufferedBodyBytes?: number;
  /** Waits between retries and rejects when `signal` aborts (default: a timer). Tests pass their own clock. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Active health checks (probes on a timer); off unless given. `{}` uses every default. */
  healthCheck?: ActiveCheckOptions;
  /** Passive health checks (judging real requests); always on, these tune them. */
  passiveHealth?: PassiveCheckOptions;
  /** Called once for every change of a backend's health state (default: nothing is called). */
  onHealthChange?: (event: HealthEvent) => void;
  /** Called once per finished or aborted request, after the response (default: nothing is called). */
  onRequest?: (entry: RequestLogEntry) => void;
  /** How a backend is picked: `round-robin` (default), `least-conn`, `p2c`, `ewma`, `weighted`, or your own BalancingPolicy. */
  policy?: PolicyName | BalancingPolicy;
  /** For the `weighted` policy: one whole number ≥ 1 per backend, in order (default: all 1). */
  weights?: readonly number[];
  /** Requests in flight per backend before new ones wait in the queue; 0 = no limit (default 0). */
  maxConnections?: number;
  /** Requests that may wait while every backend is full; one more gets 503 with Retry-After (default 100). */
  maxQueue?: number;
  /** How long a request may wait in the queue before it gets 503, in ms (default 5000). */
  queueTimeoutMs?: number;
  /** How fast the latency estimates forget, τ in ms (default 10000, Finagle's). */
  ewmaDecayMs?: number;
  /** Random numbers in [0, 1) for the p2c policy (default Math.random). Tests pass their own. */
  random?: () => number;
  /** A monotonic clock in ms for latency samples (default performance.now). Tests pass their own. */
  now?: () => number;
  /** How long a request may take until its answer begins — queue, every try and every pause included — before it gets 504, in ms; 0 = no limit (default 15000, the default of Envoy's route `timeout`, which also covers the answer's body; ours ends when the answer begins). */
  requestTimeoutMs?: number;
  /** How long one try may take until its answer begins; a slower try fails and, for an idempotent request, may be retried; 0 = no limit (default 0, Envoy's `per_try_timeout`). */
  tryTimeoutMs?: number;
  /** How many retries may be in flight, as a share of the requests in flight (default 20 %, at least 3, Envoy's `retry_budget`). */
  retryBudget?: RetryBudgetOptions;
}

/** One line of the request log: who asked, which backend answered, how it ended. */
export interface RequestLogEntry {
  method: string;
  url: string;
  /** The backend that answered, or the last one tried; empty when none was available. */
  backend: string;
  /** Backends tried (0 when none was available). */
  attempts: number;
  /** Tries on all backends together; more than `attempts` means same-backend retries happened. */
  tries: number;
  /** The status the client received; 101 for a WebSocket tunnel; 499 (nginx's word) if the client left before an answer began. */
  status: number;
  durationMs: number;
}

/** The contract every step exports, so tests, the CLI and later steps can drive any step. */
export interface LoadBalancer {
  readonly server: http.Server;
  /** The backends and the rotation. The health checks write the alive flags: take a backend out with `health.setMaintenance()`. */
  readonly pool: ServerPool;
  /** Every backend's health; `health.status()` is what the admin API serves, `health.setMaintenance()` takes one out by hand. */
  readonly health: HealthChecker;
  /** Picks backends through the policy, counts requests in flight, and queues them when every backend is full. */
  readonly dispatcher: Dispatcher;
  /** The admin API (`GET /lb/status`, `GET /lb/metrics`), a separate server so that no proxied path can reach it. */
  readonly admin: http.Server;
  /** The Prometheus metrics that `GET /lb/metrics` serves (`metrics.registry` is prom-client's Registry). */
  readonly metrics: Metrics;
  /** The retry budget, shared by every request. */
  readonly budget: RetryBudget;
  /** Starts listening (default: a free port on 127.0.0.1), starts active checks, resolves with the bound address. */
  listen(port?: number, host?: string): Promise<ListenAddress>;
  /** Starts the admin API (default: a free port on 127.0.0.1). */
  listenAdmin(port?: number, host?: string): Promise<ListenAddress>;
  /** Stops accepting and every health-check timer, lets requests in flight finish (up to drainTimeoutMs), closes every connection, and resolves when all is closed. */
  close(): Promise<void>;
}

export function createLoadBalancer(options: LoadBalancerOptions): LoadBalancer {
  const pool = new ServerPool(parseBackends(options.backends), undefined, wholeNumber('ewmaDecayMs', options.ewmaDecayMs ?? 10_000, 1));
  const now = options.now ?? (() => performance.now());
  const policy = createPolicy(options.policy ?? 'round-robin', pool, { weights: options.weights, random: options.random ?? Math.random, now });
  const dispatcher = new Dispatcher(pool, policy, limits(options), now);
  const clientTimeoutMs = wholeNumber('clientTimeoutMs', options.clientTimeoutMs ?? 60_000, 1);
  const proxy = new Proxy({
    backendTimeoutMs: wholeNumber('backendTimeoutMs', options.backendTimeoutMs ?? 30_000, 1),
    connectTimeoutMs: wholeNumber('connectTimeoutMs', options.connectTimeoutMs ?? 5_000, 1),
    clientTimeoutMs,
  });
  const drainTimeoutMs = wholeNumber('drainTimeoutMs', options.drainTimeoutMs ?? 10_000);
  const retry = retryOptions(options);
  const requestTimeoutMs = belowTimerLimit('requestTimeoutMs', wholeNumber('requestTimeoutMs', options.requestTimeoutMs ?? 15_000));
  const budget = new RetryBudget(options.retryBudget);
  let tunnelsOpen = 0;
  const bodyLimit = wholeNumber('maxBufferedBodyBytes', options.maxBufferedBodyBytes ?? 1024 * 1024);
  const { onRequest } = options;
  const onHealthChange = options.onHealthChange ?? (() => {});
  // A backend that comes back has room for the requests waiting in the queue.
  const health = new HealthChecker(pool, options.healthCheck, options.passiveHealth ?? {}, (event) => {
    dispatcher.wake();
    metrics.observeHealth(event);
    onHealthChange(event);
  });
  const metrics = new Metrics({
    backends: () => health.status().map((status, i) => ({ url: status.url, state: status.state, available: status.available, inFlight: pool.backends[i].load.inFlight })),
    queueLength: () => dispatcher.queueLength,
    retriesInFlight: () => budget.retries,
    retriesRefused: () => budget.refused,
    tunnelsOpen: () => tunnelsOpen,
  });
  const admin = createAdminServer({
    status: () => ({
      policy: policy.name,
      queue: { length: dispatcher.queueLength, max: dispatcher.limits.maxQueue },
      backends: health.status().map((status, i) => ({ ...status, inFlight: pool.backends[i].load.inFlight, costMs: rounded(pool.backends[i].load.costAt(now())) })),
    }),
    metrics: () => metrics.render(),
  });
  // Every finished request is counted, and logged when someone listens.
  const done = (entry: RequestLogEntry) => {
    metrics.observeRequest(entry);
    onRequest?.(entry);
  };

  const traffic = createTrafficServer((inbound, res) => {
    const ctx = new RequestContext(inbound, res);
    logWhenDone(ctx, done);
    // Each try makes http-proxy add an 'error' and an 'aborted' listener to the inbound request, and
    // never removes them: allow one per try on top of Node's default of 10, or Node warns of a leak.
    // Stryker disable next-line ArithmeticOperator: any bound above the tries will do; the tests prove 16 tries fit
    inbound.setMaxListeners(10 + retry.maxAttempts * (retry.maxRetries + 1));
    handle(ctx).catch((err: Error) => fail(ctx, err)); // the one error path: a refused request, a client gone mid-body, or a bug
  });
  traffic.server.on('upgrade', (inbound: http.IncomingMessage, socket: Duplex, head: Buffer) => upgrade(inbound, socket, head));

  /** The error path, which also counts requests shed by the queue. */
  function fail(ctx: RequestContext, err: Error): void {
    if (err instanceof OverloadedError) metrics.observeShed();
    sendError(ctx.res, err);
  }

  async function handle(ctx: RequestContext): Promise<void> {
    // Refuses what cannot be forwarded faithfully (400, 431, 501) before a byte of the body is read.
    const framing = checkInbound(ctx.inbound);
    // While we buffer the body no backend is involved: a client that stalls gets 408.
    const stopClock = watchUpload(ctx.inbound, clientTimeoutMs, () => sendError(ctx.res, new ClientTimeoutError(clientTimeoutMs)));
    const body = await readRequestBody(ctx.inbound, framing, bodyLimit).finally(stopClock);
    toOriginForm(ctx.inbound);
    // The deadline starts once the request is ours: its upload was the client's time (clientTimeoutMs).
    if (requestTimeoutMs > 0) ctx.startDeadline(requestTimeoutMs);
    await forwardWithRetries(ctx, { dispatcher, proxy, health, budget }, body, retry);
  }

  /**
   * A request with `Connection: Upgrade` (Node hands it over with the raw connection). A WebSocket
   * handshake is tunnelled to a backend; any other upgrade is served as a plain request. Either way
   * the answer goes through a ServerResponse of our own on that connection, so the error path and the
   * request log work as for any request; the connection closes after it.
   */
  function upgrade(inbound: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    traffic.track(socket); // from now on no HTTP server sees this connection: a drain must cut it itself
    // A client may pipeline the upgrade behind a request still being answered: wait for that answer.
    const pending = (socket as Socket & { _httpMessage?: http.ServerResponse | null })._httpMessage;
    if (pending) return void pending.once('finish', () => upgrade(inbound, socket, head));
    const res = new http.ServerResponse(inbound);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    // When our answer is out, the connection is ours to close.
    res.once('finish', () => (socket as Socket).destroySoon());
    try {
      answerUpgrade(inbound, res, socket, head);
    } catch (err) {
      // Outside any promise a throw would escape into Node's parser and leave the client waiting.
      // Stryker disable next-line BlockStatement: only unfinished code throws here (the challenge starters' check would hang without it)
      sendError(res, err as Error);
    }
  }

  /** Answers an upgrade on our own ServerResponse: a WebSocket handshake is tunnelled, anything else served as a plain request. */
  function answerUpgrade(inbound: http.IncomingMessage, res: http.ServerResponse, socket: Duplex, head: Buffer): void {
    if (!asksForWebSocket(inbound)) {
      // The parser stopped at the headers: a body would be cut short, and the backend would get a
      // truncated one framed as complete. Refuse any declared body; without one the request is complete.
      inbound.push(null);
      const declared = inbound.headers['transfer-encoding'] !== undefined || Number(inbound.headers['content-length'] ?? 0) > 0;
      if (head.length === 0 && !declared) {
        // No parser reads this connection any more: read and drop what follows (nothing may follow a
        // request that ends its connection), so that a client's FIN is noticed as its leaving.
        socket.on('data', () => {}).once('end', () => socket.destroy());
        return void traffic.server.emit('request', inbound, res);
      }
      logWhenDone(new RequestContext(inbound, res), done);
      // Stryker disable next-line StringLiteral: the reason is for whoever reads the error; the client gets the same 400
      return sendError(res, new BadRequestError('an upgrade request with a body'));
    }
    const ctx = new RequestContext(inbound, res);
    logWhenDone(ctx, done);
    tunnel(ctx, socket, head).catch((err: Error) => fail(ctx, err));
  }

  /** Picks a backend for a WebSocket, as for any request, and holds its place there while the tunnel is open. */
  async function tunnel(ctx: RequestContext, socket: Duplex, head: Buffer): Promise<void> {
    const framing = checkInbound(ctx.inbound);
    // Stryker disable next-line StringLiteral: the same
    if (framing.kind === 'chunked' || (framing.kind === 'length' && framing.length > 0)) throw new BadRequestError('a WebSocket handshake has no body');
    toOriginForm(ctx.inbound);
    if (requestTimeoutMs > 0) ctx.startDeadline(requestTimeoutMs);
    let lastError: Error = new NoBackendAvailableError();
    while (ctx.attempts < retry.maxAttempts) {
      const backend = await dispatcher.acquire(ctx);
      if (!backend) break;
      ctx.startAttempt(backend);
      ctx.tries += 1;
      try {
        const outcome = await handshake(ctx.inbound, ctx.res, socket, head, backend.url, proxy.timeouts, ctx.deadline);
        if (outcome.kind === 'refused') return health.reportResponse(backend, outcome.status);
        if (outcome.kind === 'open') {
          health.reportResponse(backend, 101);
          tunnelsOpen += 1;
          // The tunnel counts in flight on its backend until it closes.
          return await outcome.closed.finally(() => (tunnelsOpen -= 1));
        }
        if (ctx.clientGone.aborted) return;
        if (ctx.deadline.expired) return sendError(ctx.res, ctx.deadline.expired);
        if (blamesBackend(outcome.error)) health.reportFailure(backend, outcome.error.message);
        // A handshake is a GET: safe to send to another backend when this one failed before answering.
        if (failureKind(outcome.error) === 'other') return sendError(ctx.res, outcome.error);
        lastError = outcome.error;
      } finally {
        dispatcher.release(backend);
      }
    }
    sendError(ctx.res, lastError);
  }

  const { server } = traffic;
  return {
    server,
    pool,
    health,
    dispatcher,
    admin,
    metrics,
    budget,
    listen: async (port = 0, host = '127.0.0.1') => {
      const address = await listen(server, port, host);
      health.start();
      return address;
    },
    listenAdmin: (port = 0, host = '127.0.0.1') => listen(admin, port, host),
    close: async () => {
      health.stop();
      await Promise.all([traffic.drain(drainTimeoutMs), closeAdmin(admin)]);
      proxy.close();
    },
  };
}

/** A latency estimate to 0.01 ms for the status JSON; null before the first sample. */
function rounded(ms: number | undefined): number | null {
  return ms === undefined ? null : Math.round(ms * 100) / 100;
}

/** Applies defaults to the back-pressure settings and checks them once, at construction. */
function limits(options: LoadBalancerOptions): Limits {
  return {
    maxConnections: wholeNumber('maxConnections', options.maxConnections ?? 0),
    maxQueue: wholeNumber('maxQueue', options.maxQueue ?? 100),
    queueTimeoutMs: belowTimerLimit('queueTimeoutMs', wholeNumber('queueTimeoutMs', options.queueTimeoutMs ?? 5_000, 1)),
  };
}

/** Node fires a timer of more than 2³¹ − 1 ms after 1 ms instead (with a warning): refuse such a value. */
function belowTimerLimit(name: string, ms: number): number {
  if (ms > 2_147_483_647) throw new InvalidOptionsError(`${name} must be at most 2147483647 ms (about 24.8 days), got ${ms}`);
  return ms;
}

/** Applies defaults to the retry settings and checks them once, at construction. */
function retryOptions(options: LoadBalancerOptions): RetryOptions {
  return {
    maxAttempts: wholeNumber('maxAttempts', options.maxAttempts ?? 3, 1),
    maxRetries: wholeNumber('maxRetries', options.maxRetries ?? 3),
    retryDelayMs: wholeNumber('retryDelayMs', options.retryDelayMs ?? 10),
    tryTimeoutMs: belowTimerLimit('tryTimeoutMs', wholeNumber('tryTimeoutMs', options.tryTimeoutMs ?? 0)),
    // Stryker disable next-line ObjectLiteral: the tests inject their own sleep to check the signal is passed; this default only keeps it
    sleep: options.sleep ?? ((ms, signal) => sleep(ms, undefined, { signal })),
  };
}


function logWhenDone(ctx: RequestContext, onRequest: (entry: RequestLogEntry) => void): void {
  const started = performance.now();
  const { inbound, res } = ctx;
  // 'close' fires for every response: completed, failed, or abandoned by the client.
  res.once('close', () => {
    onRequest({
      // Stryker disable next-line StringLiteral: Node sets method and url on every request it parsed
      method: inbound.method ?? '',
      // Stryker disable next-line StringLiteral: the same
      url: inbound.url ?? '',
      backend: ctx.backend?.url.origin ?? '',
      attempts: ctx.attempts,
      tries: ctx.tries,
      // #region exercise(step6, 1): client aborts — a client that left before an answer began is logged as 499 (nginx's word); a WebSocket tunnel as 101 (res.statusCode)
      status: res.statusCode === 101 || res.headersSent ? res.statusCode : 499,
      // #starter status: res.headersSent ? res.statusCode : 0,
      // #endregion
      durationMs: performance.now() - started,
    });
  });
}

/**
 * The contract every step's `createLoadBalancer` keeps, described by shape: what the tests, the CLI and
 * the tools may rely on. Each step's own types are richer; these are the common part, so tools need no
 * particular step folder (a take-home repository may ship only some of them).
 */
import type http from 'node:http';

/** Where `listen()` ended up listening. */
export interface ListenAddress {
  host: string;
  port: number;
  url: string;
}

export interface LoadBalancer {
  readonly server: http.Server;
  listen(port?: number, host?: string): Promise<ListenAddress>;
  close(): Promise<void>;
  /** Step 4 and later: the admin API. */
  listenAdmin?(port?: number, host?: string): Promise<ListenAddress>;
}

/** One finished request; `attempts` and `tries` exist from step 3 on. */
export interface RequestLogEntry {
  method: string;
  url: string;
  backend: string;
  status: number;
  durationMs: number;
  attempts?: number;
  tries?: number;
}

/** A change of a backend's health (step 4 and later). */
export interface HealthEvent {
  backend: string;
  from: string;
  to: string;
  reason: string;
}

/** Every option the CLI may pass; a step ignores those it does not know yet. */
export interface BalancerOptions {
  backends: readonly string[];
  onRequest?: (entry: RequestLogEntry) => void;
  maxRetries?: number;
  maxAttempts?: number;
  healthCheck?: { mode?: 'http' | 'tcp'; path?: string; intervalMs?: number; timeoutMs?: number; recoveryIntervalMs?: number };
  /** How long close() lets in-flight requests finish (every step, from step 1). */
  drainTimeoutMs?: number;
  onHealthChange?: (event: HealthEvent) => void;
  /** Step 5 and later: a policy name, or an object with select(candidates, request). */
  policy?: string | { name: string; select(candidates: readonly unknown[], request: unknown): unknown };
  weights?: readonly number[];
  maxConnections?: number;
  maxQueue?: number;
  queueTimeoutMs?: number;
  /** Step 6 and later. */
  requestTimeoutMs?: number;
  tryTimeoutMs?: number;
  retryBudget?: { percent?: number; minConcurrency?: number };
}

/** What `import('steps/<folder>/index.ts')` gives the tools. */
export interface StepModule {
  createLoadBalancer(options: BalancerOptions): LoadBalancer;
}

export { createLoadBalancer } from './load-balancer.js';
export type { LoadBalancer, LoadBalancerOptions, RequestLogEntry } from './load-balancer.js';
export { parseBackends } from './backend-url.js';
export type { ListenAddress } from './server-lifecycle.js';
export { Backend } from './backend.js';
export { ServerPool } from './server-pool.js';
export { Mutex } from './mutex.js';
export { takeTicket, takeTicketRacy, type AsyncStore } from './shared-counter.js';
export { RequestContext } from './request-context.js';
export { Proxy, type TryOutcome } from './proxy.js';
export { IDEMPOTENT_METHODS, failureKind, mayRetry } from './retry-policy.js';
export { bodyStream, readRequestBody, type RequestBody } from './request-body.js';
export { BackendHealth, type HealthRules, type HealthState, type Transition } from './backend-health.js';
export { HealthChecker, type ActiveCheckOptions, type BackendStatus, type HealthEvent, type PassiveCheckOptions } from './health-checker.js';
export { probeHttp, probeTcp, type ProbeResult } from './probes.js';
export { HOP_BY_HOP_HEADERS, hopByHopNames, stripHopByHop } from './hop-by-hop.js';
export { OWN_RESOURCE_CODES, blamesBackend, sendError, statusFor } from './error-response.js';
export { applyFraming, framingOf, type Framing } from './framing.js';
export { MAX_REQUEST_HEADERS, checkInbound } from './request-checks.js';
export {
  BackendTimeoutError,
  BadRequestError,
  ClientTimeoutError,
  ConnectTimeoutError,
  InvalidOptionsError,
  LoadBalancerError,
  NoBackendAvailableError,
  NotImplementedError,
  TooManyHeadersError,
  UnexpectedUpgradeError,
  UnsupportedTransferCodingError,
} from './errors.js';

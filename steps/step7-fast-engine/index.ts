export { createLoadBalancer } from './load-balancer.js';
export type { LoadBalancer, LoadBalancerOptions, RequestLogEntry } from './load-balancer.js';
export { parseBackends } from './backend-url.js';
export type { ListenAddress } from './server-lifecycle.js';
export { Backend } from './backend.js';
export { ServerPool } from './server-pool.js';
export { BackendLoad, DEFAULT_DECAY_MS, FAILURE_PENALTY_MS, sampleOf } from './backend-load.js';
export { Dispatcher, type Limits } from './dispatcher.js';
export { POLICY_NAMES, lowest, type BalancingPolicy, type PolicyName } from './policy.js';
export { createPolicy } from './policies.js';
export { RoundRobin } from './round-robin.js';
export { LeastConnections } from './least-connections.js';
export { PowerOfTwoChoices } from './power-of-two-choices.js';
export { MIN_COST_MS, PeakEwma } from './peak-ewma.js';
export { SmoothWeighted } from './smooth-weighted.js';
export { Mutex } from './mutex.js';
export { takeTicket, takeTicketRacy, type AsyncStore } from './shared-counter.js';
export { RequestContext, type Deadline } from './request-context.js';
export { Proxy, type TryLimits, type TryOutcome } from './proxy.js';
export { outboundRequest, outboundHeaders, type OutboundRequest, type OutboundTimeouts } from './outbound-request.js';
export { ResponseRelay, asOurs } from './response-relay.js';
export { ConnectionPool, UpstreamPools } from './upstream-pool.js';
export { RetryBudget, type RetryBudgetOptions } from './retry-budget.js';
export { Metrics, type MetricsSource, type RequestSample } from './metrics.js';
export { toOriginForm } from './origin-form.js';
export { asksForWebSocket, handshake, splice, type HandshakeOutcome } from './websocket-tunnel.js';
export { createTrafficServer, type TrafficServer } from './server-lifecycle.js';
export { IDEMPOTENT_METHODS, NOT_SENT_CODES, RESET_CODES, failureKind, mayRetry } from './retry-policy.js';
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
  OverloadedError,
  RequestTimeoutError,
  TooManyHeadersError,
  TryTimeoutError,
  UnexpectedUpgradeError,
  UnsupportedTransferCodingError,
} from './errors.js';

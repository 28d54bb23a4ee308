export { createLoadBalancer } from './load-balancer.js';
export type { LoadBalancer, LoadBalancerOptions, RequestLogEntry } from './load-balancer.js';
export { parseBackends } from './backend-url.js';
export type { ListenAddress } from './server-lifecycle.js';
export { Backend } from './backend.js';
export { ServerPool } from './server-pool.js';
export { Mutex } from './mutex.js';
export { takeTicket, takeTicketRacy, type AsyncStore } from './shared-counter.js';
export { HOP_BY_HOP_HEADERS, stripHopByHop } from './hop-by-hop.js';
export {
  BackendTimeoutError,
  ConnectTimeoutError,
  InvalidOptionsError,
  LoadBalancerError,
  NoBackendAvailableError,
  NotImplementedError,
} from './errors.js';

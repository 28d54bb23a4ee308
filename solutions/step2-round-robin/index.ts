export { createLoadBalancer, parseBackends } from './load-balancer.js';
export type { LoadBalancer, LoadBalancerOptions, ListenAddress, RequestLogEntry } from './load-balancer.js';
export { Backend } from './backend.js';
export { ServerPool } from './server-pool.js';
export { Mutex } from './mutex.js';
export { takeTicket, takeTicketRacy, type AsyncStore } from './shared-counter.js';
export { HOP_BY_HOP_HEADERS, stripHopByHop } from './hop-by-hop.js';
export { BackendTimeoutError, InvalidOptionsError, LoadBalancerError, NoBackendAvailableError, NotImplementedError } from './errors.js';

export { createLoadBalancer, parseBackends } from './load-balancer.js';
export type { LoadBalancer, LoadBalancerOptions, ListenAddress, RequestLogEntry } from './load-balancer.js';
export { HOP_BY_HOP_HEADERS, stripHopByHop } from './hop-by-hop.js';
export { BackendTimeoutError, InvalidOptionsError, LoadBalancerError, NotImplementedError } from './errors.js';

export { createLoadBalancer } from './load-balancer.js';
export type { LoadBalancer, LoadBalancerOptions, RequestLogEntry } from './load-balancer.js';
export { parseBackends } from './backend-url.js';
export type { ListenAddress } from './server-lifecycle.js';
export { HOP_BY_HOP_HEADERS, stripHopByHop } from './hop-by-hop.js';
export { BackendTimeoutError, ConnectTimeoutError, InvalidOptionsError, LoadBalancerError, NotImplementedError } from './errors.js';

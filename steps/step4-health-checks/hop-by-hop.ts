import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * Hop-by-hop headers describe one connection (client↔balancer or balancer↔backend), not the message,
 * so a proxy must not pass them on (RFC 9110 §7.6.1). Go's httputil.ReverseProxy keeps the same list as
 * `hopHeaders`. http-proxy does not strip them, so we do, in both directions.
 */
export const HOP_BY_HOP_HEADERS: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection', // not standard, but sent by old clients and stripped by Go and nginx alike
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/**
 * Removes the hop-by-hop headers from `headers` in place. `Connection` may name more headers that are
 * private to this hop (`Connection: close, X-Secret`), so those go first, while we can still read it.
 */
export function stripHopByHop(headers: IncomingHttpHeaders | OutgoingHttpHeaders): void {
  for (const name of namedByConnection(headers.connection)) delete headers[name];
  for (const name of HOP_BY_HOP_HEADERS) delete headers[name];
}

function namedByConnection(value: IncomingHttpHeaders['connection'] | OutgoingHttpHeaders['connection']): string[] {
  if (typeof value !== 'string') return [];
  return value
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== '');
}

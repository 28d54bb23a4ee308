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
 * The headers that must not cross this hop, given the message's `Connection` value: those it names
 * first (`Connection: close, X-Secret` makes X-Secret private to this hop), then the list. Host is never
 * one of them: a client must not be able to make us drop it. Framing is re-applied by framing.ts.
 */
export function hopByHopNames(connection: string | string[] | number | undefined): string[] {
  const named = typeof connection === 'string' ? connection.split(',').map((token) => token.trim().toLowerCase()) : [];
  return [...named.filter((name) => name !== 'host'), ...HOP_BY_HOP_HEADERS];
}

/** Removes the hop-by-hop headers from a header object in place (a backend's response, before it is copied). */
export function stripHopByHop(headers: IncomingHttpHeaders | OutgoingHttpHeaders): void {
  for (const name of hopByHopNames(headers.connection)) delete headers[name];
}

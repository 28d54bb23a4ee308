import type { ClientRequest, IncomingMessage } from 'node:http';

/**
 * Tells the backend who the real client is. Without these headers every request seems to come from
 * the balancer's own address.
 *
 * - `X-Forwarded-For` is a list: each proxy appends the address it saw, so the backend can read the
 *   whole chain (nginx's `$proxy_add_x_forwarded_for` does the same).
 * - `X-Forwarded-Proto` and `X-Forwarded-Host` describe this hop's inbound request, so we overwrite
 *   whatever the client sent: a client could otherwise claim to have used https.
 */
export function addForwardedHeaders(outbound: ClientRequest, inbound: IncomingMessage): void {
  const clientAddress = inbound.socket.remoteAddress ?? '';
  const earlier = inbound.headers['x-forwarded-for'];
  outbound.setHeader('x-forwarded-for', earlier ? `${earlier}, ${clientAddress}` : clientAddress);
  outbound.setHeader('x-forwarded-proto', 'http'); // this balancer only accepts plain HTTP
  // An HTTP/1.0 client may send no Host; then there is nothing to tell, and a claimed value must go.
  if (inbound.headers.host === undefined) outbound.removeHeader('x-forwarded-host');
  else outbound.setHeader('x-forwarded-host', inbound.headers.host);
}

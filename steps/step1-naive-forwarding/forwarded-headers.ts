import type { ClientRequest, IncomingMessage } from 'node:http';
import { NotImplementedError } from './errors.js';

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
  // TODO(step1) 3 of 3: tell the backend who the client is: X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host on the outbound request (recipe: npm run hint -- step1 --todo 3)
  throw new NotImplementedError('step1-naive-forwarding', 'TODO 3 of 3 in forwarded-headers.ts: tell the backend who the client is: X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host on the outbound request');
}

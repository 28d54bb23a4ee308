import type { IncomingMessage } from 'node:http';
import { BadRequestError, TooManyHeadersError } from './errors.js';
import { framingOf, type Framing } from './framing.js';

/**
 * More request headers than this are refused with 431. Node would otherwise drop the extra ones
 * silently (its default `maxHeadersCount`), and a backend with a lower limit than ours would drop
 * the X-Forwarded-* headers we add at the end. HAProxy refuses more than 101 (`tune.http.maxhdr`).
 */
export const MAX_REQUEST_HEADERS = 100;

/**
 * Refuses, before a byte reaches a backend, a request the balancer cannot forward faithfully: too
 * many headers (431), more than one Host (400, RFC 9112 §3.2: which one would the backend route by?),
 * or a body whose length is ambiguous (see framing.ts). Returns how the body is framed.
 */
export function checkInbound(inbound: IncomingMessage): Framing {
  const names = inbound.rawHeaders.filter((_, i) => i % 2 === 0);
  if (names.length > MAX_REQUEST_HEADERS) throw new TooManyHeadersError(names.length, MAX_REQUEST_HEADERS);
  if (names.filter((name) => name.toLowerCase() === 'host').length > 1) throw new BadRequestError('more than one Host header');
  return framingOf(inbound);
}

import type { IncomingMessage } from 'node:http';
import { BadRequestError } from './errors.js';

/** `http://authority` then the rest of an absolute-form target, exactly as the client wrote it. */
const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)(.*)$/is;

/**
 * Rewrites an absolute-form request target (`GET http://shop.example/cart HTTP/1.1`, what a client
 * sends to a forward proxy) to the origin form a backend expects (`GET /cart`), and takes Host from the
 * target, as RFC 9112 §3.2.2 tells a server to: the Host line the client also sent is ignored. The
 * target's authority only names the site; it never chooses where we connect — that is always one of
 * the configured backends.
 *
 * Origin form (`/path`) and `OPTIONS *` pass unchanged; any other target is refused with 400.
 */
export function toOriginForm(inbound: IncomingMessage): void {
  const target = inbound.url ?? '/';
  if (target.startsWith('/') || (target === '*' && inbound.method === 'OPTIONS')) return;
  const match = ABSOLUTE_FORM.exec(target);
  if (!match) throw new BadRequestError(`a request target must be a path, or absolute (http://host/path), got ${target.slice(0, 100)}`);
  const [, authority, rest] = match;
  // user:password@ in an http URI is deprecated (RFC 9110 §4.2.4), and is what a phishing link hides behind.
  if (authority === '' || authority.includes('@')) throw new BadRequestError('the absolute request target names no valid host');
  // A fragment (`#top`) is for the browser alone; it never belongs in a request.
  const path = rest.replace(/#.*/s, '');
  inbound.url = path === '' || path.startsWith('?') ? `/${path}` : path;
  inbound.headers.host = authority;
}

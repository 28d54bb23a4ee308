import type { IncomingMessage } from 'node:http';
import { BadRequestError, NotImplementedError } from './errors.js';

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
  // TODO(step6) 6 of 7: origin form (recipe: npm run hint -- step6 --todo 6)
  throw new NotImplementedError('step6-production-edges', 'TODO 6 of 7 in origin-form.ts: origin form');
}

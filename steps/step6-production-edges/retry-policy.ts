import type { ServerResponse } from 'node:http';
import type { RequestBody } from './request-body.js';

/**
 * Methods a client may safely send twice (RFC 9110 §9.2.2): repeating them has the same effect as
 * sending them once. POST and PATCH are not; nginx, too, never resends them once they were sent.
 */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Error codes that prove the request never left: the connection was not even established. */
export const NOT_SENT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'CONNECT_TIMEOUT']);

/**
 * Error codes of a try that ended after the request may have reached the backend: a connection that
 * broke, and from step 6 a try cut by its per-try timeout (`TRY_TIMEOUT`). Only an idempotent request
 * may be sent again after one of these; the request's deadline and the retry budget bound how often.
 */
export const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'TRY_TIMEOUT']);

/**
 * What a failed try tells us:
 * - `not-sent`: the backend cannot have seen the request (refused, unreachable, connect timeout);
 * - `reset`: the connection broke, or the try timed out, before any response byte; the backend may have seen it;
 * - `other`: anything else, such as a backend that accepted the request and then went silent.
 */
export function failureKind(err: Error): 'not-sent' | 'reset' | 'other' {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (NOT_SENT_CODES.has(code)) return 'not-sent';
  if (RESET_CODES.has(code)) return 'reset';
  return 'other';
}

/**
 * Whether a failed try may be tried again. Never once the client has response bytes (we cannot take
 * them back), never without the body to replay, and after a reset only for idempotent methods.
 * A backend that went silent is not retried either: another wait of the same length would double the
 * client's wait and the slow backend's load.
 */
export function mayRetry(err: Error, method: string, body: RequestBody, res: ServerResponse): boolean {
  if (res.headersSent || body.kind !== 'buffered') return false;
  const kind = failureKind(err);
  return kind === 'not-sent' || (kind === 'reset' && IDEMPOTENT_METHODS.has(method));
}

import { STATUS_CODES, type ServerResponse } from 'node:http';
import { ClientTimeoutError, LoadBalancerError, NotImplementedError, OverloadedError, RefusedRequestError } from './errors.js';

/**
 * The one error path. Every failure while proxying ends here, and this is the only place that answers
 * the client for it (Go's ReverseProxy has one ErrorHandler for the same reason).
 */
export function sendError(res: ServerResponse, err: Error): void {
  if (res.writableEnded || res.destroyed) return;
  if (res.headersSent) {
    // The status line is already on its way. Cutting the connection is the only honest signal left:
    // the client sees a truncated response instead of a complete-looking wrong one.
    res.destroy();
    return;
  }
  const status = statusFor(err);
  const body = err instanceof NotImplementedError ? `${err.message}\n` : `${status} ${STATUS_CODES[status]}\n`;
  // A backend may have set headers before it failed; none of them belongs to our answer.
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  // Close the connection after a refused request (nothing more on it can be trusted), and when the
  // request body was not read to the end: those bytes would pass for the next request on it.
  if (err instanceof RefusedRequestError || !res.req.complete) res.shouldKeepAlive = false;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    // Shedding load is only useful if the client backs off instead of retrying at once.
    ...(err instanceof OverloadedError ? { 'retry-after': String(err.retryAfterSeconds) } : {}),
  });
  res.end(body);
}

/**
 * Error codes of the balancer's own resources running out: out of file descriptors or memory. The
 * backend did nothing wrong, so the client gets 503 (try again later), not 502, and the passive health
 * checks are not told (from step 4 on).
 */
export const OWN_RESOURCE_CODES: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE', 'ENOMEM', 'ENOBUFS']);

/** The status an error carries (400, 501, 503, 504 …); our own resources running out is 503; the rest is the backend's: 502. */
export function statusFor(err: Error): number {
  if (err instanceof LoadBalancerError) return err.status;
  return OWN_RESOURCE_CODES.has((err as NodeJS.ErrnoException).code ?? '') ? 503 : 502;
}

/** Whether `err` says something about the backend, for the passive health checks: our own shortages and a client's stall do not. */
export function blamesBackend(err: Error): boolean {
  if (err instanceof ClientTimeoutError) return false;
  return !OWN_RESOURCE_CODES.has((err as NodeJS.ErrnoException).code ?? '');
}

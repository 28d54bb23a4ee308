import { STATUS_CODES, type ServerResponse } from 'node:http';
import { LoadBalancerError, NotImplementedError, RefusedRequestError } from './errors.js';

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
  // Close the connection after a refused request, and when unread request bytes would be taken for
  // the next request on it.
  if (err instanceof RefusedRequestError || !res.req.complete) res.shouldKeepAlive = false;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** The status an error carries (400, 501, 503, 504 …); any other failure is the backend's: 502. */
export function statusFor(err: Error): number {
  return err instanceof LoadBalancerError ? err.status : 502;
}

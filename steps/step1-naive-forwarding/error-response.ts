import { STATUS_CODES, type ServerResponse } from 'node:http';
import { LoadBalancerError, NotImplementedError } from './errors.js';

/**
 * The one error path. Every failure while proxying ends here, and this is the only place that picks
 * a status for it (Go's ReverseProxy has one ErrorHandler for the same reason).
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
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** 504 when the backend was too slow, 501 for a starter's TODO, 502 for every other backend failure. */
export function statusFor(err: Error): number {
  const code = err instanceof LoadBalancerError ? err.code : undefined;
  if (code === 'BACKEND_TIMEOUT' || code === 'CONNECT_TIMEOUT') return 504;
  if (code === 'NOT_IMPLEMENTED') return 501;
  return 502;
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from './error-response.js';
import { stripHopByHop } from './hop-by-hop.js';

/**
 * Runs when the backend's status line and headers arrived, before http-proxy copies them to the client
 * (http-proxy's 'proxyRes'). A backend that dies halfway through the body would otherwise leave the
 * client waiting forever: http-proxy pipes the body but never passes the error on.
 */
export function watchBackendResponse(backendRes: IncomingMessage, res: ServerResponse): void {
  stripHopByHop(backendRes.headers);
  backendRes.once('error', (err) => sendError(res, err));
}

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
  // The Connection header describes our connection to the client, so we write it. Left empty,
  // http-proxy fills it from the client's request headers — stripped already — with `keep-alive`,
  // and Node then keeps open a connection the client asked to close.
  backendRes.headers.connection = res.shouldKeepAlive ? 'keep-alive' : 'close';
  backendRes.once('error', (err) => sendError(res, err));
}

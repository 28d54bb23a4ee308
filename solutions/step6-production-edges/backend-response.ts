import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { watchDownload } from './client-clocks.js';
import { sendError } from './error-response.js';
import { UnexpectedUpgradeError } from './errors.js';
import { stripHopByHop } from './hop-by-hop.js';
import type { OutboundTimeouts } from './outbound-request.js';

/**
 * Runs when the backend's status line and headers arrived, before http-proxy copies them to the client
 * (http-proxy's 'proxyRes'). A backend that dies halfway through the body would otherwise leave the
 * client waiting forever: http-proxy pipes the body but never passes the error on.
 */
export function watchBackendResponse(backendRes: IncomingMessage, res: ServerResponse, { backendTimeoutMs, clientTimeoutMs }: OutboundTimeouts): void {
  stripHopByHop(backendRes.headers);
  // An answer that comes before the whole request (an early 413) closes the connection: the rest of
  // the upload must not pass for a new request.
  if (!res.req.complete) res.shouldKeepAlive = false;
  // The Connection header describes our connection to the client, so it must say what Node will do.
  // Left empty, http-proxy fills it from the client's request — `keep-alive, x-secret` echoed back —
  // and for an HTTP/1.0 client it copies the request's value whatever we set here, so that value is
  // made to agree too. A copied `keep-alive` would even make Node keep a connection it meant to close.
  const connection = res.shouldKeepAlive ? 'keep-alive' : 'close';
  backendRes.headers.connection = connection;
  res.req.headers.connection = connection;
  backendRes.once('error', (err) => sendError(res, err));
  // While the client takes nothing, the backend waits for us: its silence is not its fault, so its
  // clock rests. If the client takes nothing for clientTimeoutMs, it is dropped, and the backend's
  // answer with it.
  const socket = backendRes.socket;
  backendRes.on('pause', () => socket.setTimeout(0));
  res.on('drain', () => socket.setTimeout(backendTimeoutMs));
  watchDownload(res, backendRes, clientTimeoutMs, () => backendRes.destroy());
}

/**
 * A backend may answer `101 Switching Protocols` to a request that asked for no upgrade. Node then
 * drops the request without an error or a response, and the client would wait forever: answer 502.
 * `onRefused` lets a caller note whose fault it was before the client is answered.
 */
export function refuseUnaskedUpgrade(outbound: ClientRequest, res: ServerResponse, onRefused: (err: Error) => void = () => {}): void {
  outbound.once('upgrade', (_backendRes, socket) => {
    socket.destroy();
    const err = new UnexpectedUpgradeError();
    onRefused(err);
    sendError(res, err);
  });
}

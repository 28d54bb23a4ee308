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
  // The Connection header describes our connection to the client, so we write it. Left empty,
  // http-proxy fills it from the client's request headers with `keep-alive`, and Node then keeps
  // open a connection the client asked to close. An answer that comes before the whole request
  // (an early 413) closes the connection: the rest of the upload must not pass for a new request.
  if (!res.req.complete) res.shouldKeepAlive = false;
  backendRes.headers.connection = res.shouldKeepAlive ? 'keep-alive' : 'close';
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

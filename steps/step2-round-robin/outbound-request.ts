import type { ClientRequest, IncomingMessage } from 'node:http';
import { watchUpload } from './client-clocks.js';
import { BackendTimeoutError, ClientTimeoutError, ConnectTimeoutError } from './errors.js';
import { addForwardedHeaders } from './forwarded-headers.js';
import { applyFraming, type Framing } from './framing.js';
import { hopByHopNames } from './hop-by-hop.js';

/** The limits one request to a backend lives under. */
export interface OutboundTimeouts {
  /** How long opening a new connection to a backend may take, in ms. */
  connectTimeoutMs: number;
  /** How long a connected backend may stay silent before the client gets 504, in ms. */
  backendTimeoutMs: number;
  /** How long a client may send nothing of its upload (408), or take nothing of its answer (dropped), in ms. */
  clientTimeoutMs: number;
}

/**
 * Shapes the request to the backend before its first byte is written (http-proxy's 'proxyReq').
 * `framing` was decided when the request arrived: by now http-proxy has edited the inbound headers
 * (it sets `content-length: 0` on a DELETE or OPTIONS and drops its Transfer-Encoding), so they no
 * longer tell how the body is delimited.
 */
export function prepareOutbound(outbound: ClientRequest, inbound: IncomingMessage, framing: Framing, timeouts: OutboundTimeouts): void {
  // http-proxy rebuilds the path with its own urlJoin, which merges `//` and re-escapes some characters.
  // A proxy should pass the request target on exactly as the client sent it.
  outbound.path = inbound.url ?? '/';
  for (const name of hopByHopNames(inbound.headers.connection)) outbound.removeHeader(name);
  // After the hop-by-hop headers: Transfer-Encoding is one of them, and the body still needs framing.
  applyFraming(outbound, framing);
  addForwardedHeaders(outbound, inbound);
  limitTime(outbound, inbound, timeouts);
  keepEarlyAnswers(outbound);
}

/**
 * A backend may answer before it has read the whole upload — a 413 for a body too large, a 401 — and
 * close the connection. Writing the rest of the body then fails (EPIPE), and http-proxy would report that
 * as a failed request: the client would get a 502, and the backend the blame. Once the answer has
 * begun, it stands: errors of the upload are ignored, and a broken answer is caught by its own 'error'
 * (backend-response.ts).
 */
// arrives) cannot be forced on loopback; the suites check that an early 413 arrives, which it must either way.
function keepEarlyAnswers(outbound: ClientRequest): void {
  outbound.once('response', () => {
    for (const listener of outbound.listeners('error')) outbound.off('error', listener as () => void);
    outbound.on('error', () => {});
  });
}

/**
 * The clocks of one request, each blaming only the side it waits for:
 * - connecting: a socket timeout only starts once the socket is connected, so a connection that is
 *   never accepted needs a timer of its own;
 * - the upload: while the body is on its way, a stall is the client's (408), unless the backend has
 *   stopped reading it (504);
 * - the answer: once the request is sent, the backend's silence is the backend's (504).
 */
function limitTime(outbound: ClientRequest, inbound: IncomingMessage, { connectTimeoutMs, backendTimeoutMs, clientTimeoutMs }: OutboundTimeouts): void {
  const backendSilent = () => outbound.destroy(new BackendTimeoutError(backendTimeoutMs));
  outbound.once('finish', () => outbound.setTimeout(backendTimeoutMs, backendSilent));
  const stopUpload = watchUpload(inbound, clientTimeoutMs, () => {
    if (outbound.writableNeedDrain) backendSilent(); // the backend stopped reading our upload
    else outbound.destroy(new ClientTimeoutError(clientTimeoutMs));
  });
  outbound.once('close', stopUpload);
  const socket = outbound.socket;
  if (!socket?.connecting) return; // a reused keep-alive connection is connected already
  const timer = setTimeout(() => outbound.destroy(new ConnectTimeoutError(connectTimeoutMs)), connectTimeoutMs);
  socket.once('connect', () => clearTimeout(timer));
  outbound.once('close', () => clearTimeout(timer));
}

import { IncomingMessage, type IncomingHttpHeaders } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { addForwardedHeaders } from './forwarded-headers.js';
import type { Framing } from './framing.js';
import { hopByHopNames } from './hop-by-hop.js';
import type { RequestBody } from './request-body.js';
import { NotImplementedError } from './errors.js';

/** The limits one request to a backend lives under. */
export interface OutboundTimeouts {
  /** How long opening a new connection to a backend may take, in ms. */
  connectTimeoutMs: number;
  /** How long a connected backend may stay silent before the client gets 504, in ms. */
  backendTimeoutMs: number;
  /** How long a client may send nothing of its upload (408), or take nothing of its answer (dropped), in ms. */
  clientTimeoutMs: number;
}

/** What one try asks undici to send: exactly what the balancer framed itself, nothing the client chose. */
export interface OutboundRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** A buffered body as bytes (undici frames it by its length), a streamed one as it arrives, or none. */
  body: Buffer | Readable | null;
}

/**
 * The request to the backend for one try. A proxy passes the request target on exactly as the client
 * sent it, drops the hop-by-hop headers, frames the body itself and says who the client is.
 */
export function outboundRequest(inbound: IncomingMessage, body: RequestBody): OutboundRequest {
  return {
    method: inbound.method ?? 'GET',
    path: inbound.url ?? '/',
    headers: outboundHeaders(inbound, body.framing),
    body: body.kind === 'streamed' ? streamOf(body.stream) : body.bytes.length > 0 ? body.bytes : null,
  };
}

/**
 * The stream undici reads a streamed body from. When undici gives up on a body, it destroys it, and an
 * IncomingMessage it first cuts off its socket (so that destroying it leaves the connection open):
 * our own request would lose its socket, which the balancer still needs to answer the client. So
 * undici gets a stream of its own, fed from the request.
 */
function streamOf(stream: Readable): Readable {
  return stream instanceof IncomingMessage ? stream.pipe(new PassThrough()) : stream;
}

/**
 * The client's headers minus the hop-by-hop ones, with the framing of our own making and X-Forwarded-*.
 * undici frames the body by what it is given: a Content-Length we set, or chunks for a stream without
 * one. It refuses a Transfer-Encoding header of ours (and Expect: Node already answered 100 Continue).
 */
export function outboundHeaders(inbound: IncomingMessage, framing: Framing): IncomingHttpHeaders {
  // TODO(step7) 1 of 5: the request's headers (recipe: npm run hint -- step7 --todo 1)
  throw new NotImplementedError('step7-fast-engine', "TODO 1 of 5 in outbound-request.ts: the request's headers");
}

import type { ClientRequest, IncomingMessage } from 'node:http';
import { BadRequestError, UnsupportedTransferCodingError } from './errors.js';

/**
 * How a request body is delimited on the wire (RFC 9112 §6): there is none, it is `length` bytes
 * long, or it comes in chunks.
 */
export type Framing = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

/**
 * Decides once how the inbound request is framed, or refuses it. Node's parser has already answered
 * 400 to the classic ambiguities: Content-Length together with Transfer-Encoding, two different
 * Content-Lengths, a Transfer-Encoding whose last coding is not chunked. What it lets through and we
 * cannot forward faithfully is refused here, before a byte reaches a backend.
 */
export function framingOf(inbound: IncomingMessage): Framing {
  const codings = inbound.headers['transfer-encoding'];
  if (codings !== undefined) {
    // RFC 9112 §6.1: HTTP/1.0 has no chunked coding, so such framing is faulty.
    if (inbound.httpVersion === '1.0') throw new BadRequestError('Transfer-Encoding in an HTTP/1.0 request');
    // `gzip, chunked` passes Node's parser, but we re-frame the body and would drop the gzip coding.
    if (codings.toLowerCase() !== 'chunked') throw new UnsupportedTransferCodingError(codings);
    return { kind: 'chunked' };
  }
  const length = inbound.headers['content-length'];
  return length === undefined ? { kind: 'none' } : { kind: 'length', length: Number(length) };
}

/**
 * Writes the framing of our own making onto the outbound request, whatever the client sent and
 * http-proxy copied over. Node frames the body by these two headers: without either, a GET's body would
 * go out as raw bytes, and the backend would read them as the next request — request smuggling.
 */
export function applyFraming(outbound: ClientRequest, framing: Framing): void {
  outbound.removeHeader('content-length');
  outbound.removeHeader('transfer-encoding');
  if (framing.kind === 'length') outbound.setHeader('content-length', framing.length);
  if (framing.kind === 'chunked') outbound.setHeader('transfer-encoding', 'chunked');
}

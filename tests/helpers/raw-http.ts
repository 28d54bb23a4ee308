import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import net from 'node:net';
import { failOnNotImplemented } from './not-implemented.js';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RawRequest {
  method?: string;
  /** Sent exactly as given, e.g. `/a//b?x=1` (supertest would normalise it). */
  path?: string;
  headers?: OutgoingHttpHeaders;
  body?: Buffer | string;
}

/** One request with node:http and no agent, for cases where supertest would tidy up what we send. */
export function rawRequest(baseUrl: string, options: RawRequest = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(baseUrl, { method: options.method ?? 'GET', path: options.path ?? '/', headers: options.headers, agent: false });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        try {
          failOnNotImplemented(res.statusCode ?? 0, body.toString());
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.end(options.body);
  });
}

/**
 * Writes raw bytes to `baseUrl`'s port and resolves with everything the server sent back before it
 * closed the connection. For requests node:http refuses to send, such as malformed ones.
 * `halfClose` (default true) ends our side after writing. A server may take that as the client
 * leaving (Node's does, and drops the request), so for a request that should be answered pass false
 * and send `Connection: close`.
 */
export function rawExchange(baseUrl: string, bytes: string, { halfClose = true, timeoutMs = 2_000 } = {}): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => (halfClose ? socket.end(bytes) : socket.write(bytes)));
    const chunks: Buffer[] = [];
    const text = () => Buffer.concat(chunks).toString('latin1');
    // Fail fast instead of waiting for the test timeout: a connection that stays open is the finding.
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`the connection was still open after ${timeoutMs} ms; received so far: ${JSON.stringify(text().slice(0, 200))}`));
    });
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      // A starter's 501 says what is left to write: that beats any message about the bytes around it.
      const unfinished = /^HTTP\/1\.1 501 [^\r]*\r\n[\s\S]*?\r\n\r\n(NotImplemented:[^\r\n]*\(see [^)]*\))/.exec(text());
      if (unfinished) {
        socket.destroy();
        reject(new Error(unfinished[1]));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text()));
  });
}

/** Sends `GET path` and returns the request, so that the test can hang up (`req.destroy()`) when it chooses. */
export function requestToAbandon(baseUrl: string, path: string): http.ClientRequest {
  const { hostname, port } = new URL(baseUrl);
  const req = http.request({ hostname, port, path, agent: false });
  req.on('error', () => {}); // the test hangs up on purpose
  req.end();
  return req;
}

import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { watchDownload } from './client-clocks.js';
import { BackendTimeoutError, ConnectTimeoutError, NotImplementedError, UnexpectedUpgradeError } from './errors.js';
import { hopByHopNames, stripHopByHop } from './hop-by-hop.js';
import type { OutboundTimeouts } from './outbound-request.js';
import type { Deadline } from './request-context.js';

/**
 * Whether `inbound` asks to become a WebSocket (RFC 6455 §4.1: a GET with `Upgrade: websocket`).
 * Only this upgrade is tunnelled. Any other (`h2c`, `TLS/1.2`) is served as a plain request, which
 * RFC 9110 §7.8 allows: tunnelling an upgrade we do not know would let a client talk past everything
 * the balancer checks (the "h2c smuggling" trick).
 */
export function asksForWebSocket(inbound: http.IncomingMessage): boolean {
  const upgrade = inbound.headers.upgrade;
  return inbound.method === 'GET' && typeof upgrade === 'string' && upgrade.trim().toLowerCase() === 'websocket';
}

/** How a WebSocket handshake with one backend ended. */
export type HandshakeOutcome =
  /** The backend switched protocols: the tunnel is open; `closed` resolves when both ends are closed. */
  | { kind: 'open'; closed: Promise<void> }
  /** The backend answered without switching (a 401, a 426…): relayed to the client as it answered. */
  | { kind: 'refused'; status: number }
  /** No answer from the backend: refused, reset, too slow. The client has been sent nothing. */
  | { kind: 'failed'; error: Error };

/**
 * Sends the client's handshake to `backend` on a connection of its own (a tunnel never goes back to a
 * keep-alive pool), and then either splices the two connections together or relays the backend's
 * refusal through `res`. The client's `Upgrade` and `Connection: Upgrade` are the one case where those
 * hop-by-hop headers are passed on: re-sent by us, because we chose to tunnel.
 */
export function handshake(inbound: http.IncomingMessage, res: http.ServerResponse, client: Duplex, head: Buffer, backend: URL, timeouts: OutboundTimeouts, deadline: Deadline): Promise<HandshakeOutcome> {
  const headers: http.OutgoingHttpHeaders = { ...inbound.headers };
  for (const name of hopByHopNames(inbound.headers.connection)) delete headers[name];
  const earlier = inbound.headers['x-forwarded-for'];
  const clientAddress = inbound.socket.remoteAddress ?? '';
  Object.assign(headers, {
    connection: 'Upgrade',
    upgrade: 'websocket',
    'x-forwarded-for': earlier ? `${earlier}, ${clientAddress}` : clientAddress,
    'x-forwarded-proto': 'http',
    'x-forwarded-host': inbound.headers.host,
  });
  if (inbound.headers.host === undefined) delete headers['x-forwarded-host'];
  const outbound = http.request({ host: backend.hostname, port: backend.port, method: 'GET', path: inbound.url ?? '/', headers, agent: false });

  return new Promise((resolve) => {
    // Settling twice (an error after the answer) changes nothing: a promise resolves once, and the
    // rest only clears what is already cleared.
    const settle = (outcome: HandshakeOutcome) => {
      clearTimeout(connectTimer);
      clearTimeout(answerTimer);
      stopListening();
      client.off('close', gone).off('end', gone).off('data', keep);
      resolve(outcome);
    };
    const connectTimer = setTimeout(() => outbound.destroy(new ConnectTimeoutError(timeouts.connectTimeoutMs)), timeouts.connectTimeoutMs);
    outbound.once('socket', (socket: Socket) => socket.once('connect', () => clearTimeout(connectTimer)));
    const answerTimer = setTimeout(() => outbound.destroy(new BackendTimeoutError(timeouts.backendTimeoutMs)), timeouts.backendTimeoutMs);
    const stopListening = deadline.listen((reason) => outbound.destroy(reason));
    // The client gave up during the handshake: the backend's connection goes too. Node has stopped
    // reading this connection, and a connection nobody reads never notices a FIN: read it, keeping
    // what the client sends early for the tunnel, and take an end (FIN) as leaving, as for any request.
    const gone = () => outbound.destroy();
    const early: Buffer[] = [];
    const keep = (chunk: Buffer) => early.push(chunk);
    client.on('data', keep).once('end', gone).once('close', gone);

    outbound.on('error', (error) => settle({ kind: 'failed', error }));
    outbound.on('upgrade', (backendRes: http.IncomingMessage, upstream: Duplex, upstreamHead: Buffer) => {
      if (!asksForWebSocket({ method: 'GET', headers: backendRes.headers } as http.IncomingMessage)) {
        upstream.destroy(); // it switched, but not to what the client asked for
        return settle({ kind: 'failed', error: new UnexpectedUpgradeError() });
      }
      res.statusCode = 101;
      client.write(switchingProtocols(backendRes));
      if (upstreamHead.length > 0) client.write(upstreamHead);
      if (head.length > 0) upstream.write(head);
      for (const chunk of early) upstream.write(chunk);
      settle({ kind: 'open', closed: splice(client, upstream) });
    });
    outbound.on('response', (backendRes) => {
      stripHopByHop(backendRes.headers);
      res.shouldKeepAlive = false; // the client's connection was handed to us whole: it closes after this answer
      res.writeHead(backendRes.statusCode ?? 502, backendRes.statusMessage, backendRes.headers);
      backendRes.pipe(res);
      backendRes.once('error', () => res.destroy());
      // The refusal's body flows on after this try is settled, under the clocks of any answer: the
      // backend may not go silent, the client must keep reading, and either one leaving ends both.
      backendRes.socket.setTimeout(timeouts.backendTimeoutMs, () => backendRes.destroy(new BackendTimeoutError(timeouts.backendTimeoutMs)));
      watchDownload(res, backendRes, timeouts.clientTimeoutMs, () => backendRes.destroy());
      res.once('close', () => outbound.destroy());
      // Anything more the client sends is not ours to read (the connection closes after this answer),
      // but its end is: a client that leaves mid-answer ends the relay.
      client.on('data', () => {}).once('end', () => res.destroy());
      settle({ kind: 'refused', status: backendRes.statusCode ?? 502 });
    });
    outbound.end();
  });
}

/** The backend's `101 Switching Protocols`, its own headers kept, the hop-by-hop ones re-made by us. */
function switchingProtocols(backendRes: http.IncomingMessage): string {
  const dropped = new Set(hopByHopNames(backendRes.headers.connection));
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', 'Upgrade: websocket'];
  const raw = backendRes.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (!dropped.has(raw[i].toLowerCase())) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Joins two connections: bytes flow both ways untouched. A side that ends (FIN) ends the other once
 * its data is through; a side that breaks (error, reset) breaks the other at once. Resolves when both
 * are closed.
 */
export function splice(a: Duplex, b: Duplex): Promise<void> {
  // TODO(step6) 5 of 7: splice the tunnel (recipe: npm run hint -- step6 --todo 5)
  a.destroy();
  b.destroy();
  return Promise.reject(new NotImplementedError('step6-production-edges', 'TODO 5 of 7 in websocket-tunnel.ts: splice the tunnel'));
}

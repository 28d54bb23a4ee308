import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';

/** A backend that speaks WebSocket (with the `ws` package): it echoes every message, text or binary. */
export interface WebSocketBackend {
  readonly name: string;
  readonly url: string;
  /** The WebSockets open on the backend's side, oldest first. */
  readonly sockets: WebSocket[];
  /** The handshake requests that reached it (headers as the backend saw them). */
  readonly handshakes: http.IncomingMessage[];
  /** Answer every following handshake with this status instead of switching protocols. */
  refuse(status: number): void;
  /** Plain HTTP requests (no upgrade) that reached it. */
  readonly plainRequests: http.IncomingMessage[];
}

export async function startWebSocketBackend(name: string): Promise<WebSocketBackend> {
  const handshakes: http.IncomingMessage[] = [];
  const plainRequests: http.IncomingMessage[] = [];
  const sockets: WebSocket[] = [];
  let refusal: number | undefined;
  const server = http.createServer((req, res) => {
    plainRequests.push(req);
    res.writeHead(200, { 'x-backend': name }).end(`plain hello from ${name}`);
  });
  const wss = new WebSocketServer({
    server,
    verifyClient: (info: { req: http.IncomingMessage }, done: (ok: boolean, status?: number) => void) => {
      handshakes.push(info.req);
      if (refusal === undefined) done(true);
      else done(false, refusal);
    },
  });
  wss.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of wss.clients) socket.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    name,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sockets,
    handshakes,
    plainRequests,
    refuse: (status) => {
      refusal = status;
    },
  };
}

/** Opens a WebSocket to `url` (http:// becomes ws://) and resolves once it is open; closed after the test. */
export async function openWebSocket(url: string, path = '/chat', headers: Record<string, string> = {}): Promise<WebSocket> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}${path}`, { headers });
  onTestFinished(() => socket.terminate());
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`the handshake was answered ${res.statusCode}`)));
  });
  socket.on('error', () => {});
  return socket;
}

/** The next message on `socket`, as text or as a Buffer for a binary one; rejects if the socket closes first. */
export function nextMessage(socket: WebSocket): Promise<string | Buffer> {
  return new Promise((resolve, reject) => {
    const gone = () => reject(new Error('the WebSocket closed before a message came back'));
    socket.once('close', gone);
    socket.once('message', (data: Buffer, isBinary: boolean) => {
      socket.off('close', gone);
      resolve(isBinary ? data : data.toString());
    });
  });
}

/** Resolves with the close code when `socket` closes. */
export function closed(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => (socket.readyState === WebSocket.CLOSED ? resolve(1006) : socket.once('close', (code: number) => resolve(code))));
}

import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The client's two clocks, as nginx's `client_body_timeout` and `send_timeout` (60 s each). A client
 * that stops sending its upload, or stops reading its answer, is at fault itself: it gets 408 or its
 * connection is dropped, and the backend is not blamed for the silence it causes.
 */

/**
 * Calls `onStall` once if the client sends nothing for `ms` while its request body is incomplete.
 * Progress is read from the socket's byte count: the HTTP parser reads the socket directly, and a
 * 'data' listener on the request would switch it into flowing mode under whoever reads it.
 * Returns a function that stops the clock.
 */
export function watchUpload(inbound: IncomingMessage, ms: number, onStall: () => void): () => void {
  if (inbound.complete) return () => {};
  let seen = inbound.socket.bytesRead;
  const clock = setInterval(() => {
    const now = inbound.socket.bytesRead;
    if (inbound.complete) stop();
    else if (now !== seen) seen = now;
    else {
      stop();
      onStall();
    }
  }, ms);
  const stop = () => clearInterval(clock);
  inbound.once('close', stop);
  return stop;
}

/**
 * Drops the client if it takes none of the answer for `ms` while the answer is backed up (`paused`
 * tells when that starts: the stream feeding `res` is paused because `res` is full). `onStall` runs
 * first, to stop whatever feeds the answer. The clock stops when `res` drains or closes.
 */
export function watchDownload(res: ServerResponse, paused: { on(event: 'pause', listener: () => void): unknown }, ms: number, onStall: () => void): void {
  let clock: NodeJS.Timeout | undefined;
  const stop = () => clearTimeout(clock);
  paused.on('pause', () => {
    stop();
    clock = setTimeout(() => {
      onStall();
      res.destroy();
    }, ms);
  });
  res.on('drain', stop).once('close', stop);
}

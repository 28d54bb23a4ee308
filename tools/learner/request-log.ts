/**
 * A log that stays off the hot path and can neither crash nor swell the balancer.
 *
 * - Lines are collected and written in one go once the current burst of I/O is handled, instead of
 *   one write per request.
 * - A stream that fails (EPIPE: `npm start | head -1` closed the pipe) stops the log; the error is
 *   handed to `onError`, never thrown.
 * - A stream that does not keep up (a reader that stops reading) is not fed without bound: past
 *   `maxBufferedBytes` of unwritten output, lines are dropped and counted, and the count is logged
 *   once the stream catches up — as nginx does with a full log buffer.
 */
export interface LineLog {
  write(line: string): void;
  /** Writes whatever is pending now (call before exiting). */
  flush(): void;
}

export interface LineLogOptions {
  /** Unwritten bytes the stream may hold before lines are dropped (default 1 MiB). */
  maxBufferedBytes?: number;
  /**
   * Collect lines for up to this many ms before writing them (default 0: once the current burst of
   * I/O is handled). Writing to a pipe is a system call, synchronous in Node; at thousands of requests
   * a second, a burst is a handful of lines, and `npm start` writes every 50 ms instead (step 7
   * measured the log at 11 % of the CPU per request one way, and under 5 % the other).
   */
  flushEveryMs?: number;
  /** Called once when the stream fails; the log is silent from then on (default: nothing is called). */
  onError?: (err: Error) => void;
}

/** What createLineLog needs of a stream: process.stdout, a file, or a test's Writable. */
export type LogStream = Pick<NodeJS.WritableStream, 'write' | 'on'> & { readonly writableLength: number };

/** Lines held back at most, whatever flushEveryMs says: a bound on the memory between two writes. */
const MAX_PENDING_LINES = 1_000;

export function createLineLog(out: LogStream = process.stdout, { maxBufferedBytes = 1024 * 1024, flushEveryMs = 0, onError }: LineLogOptions = {}): LineLog {
  let pending: string[] = [];
  let scheduled = false;
  let dropped = 0;
  let failed = false;
  out.on('error', (err: Error) => {
    if (failed) return;
    failed = true;
    pending = [];
    onError?.(err);
  });
  const flush = () => {
    scheduled = false;
    if (failed || (pending.length === 0 && dropped === 0)) return;
    if (dropped > 0) pending.unshift(`(${dropped} log line${dropped === 1 ? '' : 's'} dropped: the log was not keeping up)`);
    dropped = 0;
    out.write(`${pending.join('\n')}\n`);
    pending = [];
  };
  return {
    write(line) {
      if (failed) return;
      if (out.writableLength > maxBufferedBytes) {
        dropped += 1;
        return;
      }
      pending.push(line);
      if (pending.length >= MAX_PENDING_LINES) flush();
      else if (!scheduled) {
        scheduled = true;
        // unref: a log line waiting to be written must not keep a stopping process alive (flush() is called on exit)
        if (flushEveryMs > 0) setTimeout(flush, flushEveryMs).unref();
        else setImmediate(flush);
      }
    },
    flush,
  };
}

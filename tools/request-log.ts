/**
 * A log that stays off the hot path. process.stdout is synchronous for files and pipes on Linux, so a
 * write per request would block the event loop under load; we collect lines and write them in one
 * go once the current burst of I/O is handled.
 */
export interface LineLog {
  write(line: string): void;
  /** Writes whatever is pending now (call before exiting). */
  flush(): void;
}

export function createLineLog(out: NodeJS.WritableStream = process.stdout): LineLog {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    out.write(`${pending.join('\n')}\n`);
    pending = [];
  };
  return {
    write(line) {
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

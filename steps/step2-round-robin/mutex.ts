import { NotImplementedError } from './errors.js';
/**
 * An async mutex: Node's counterpart of Go's sync.Mutex for critical sections that contain an `await`.
 *
 * Synchronous code never needs one — it runs to completion before any other callback. But a
 * read-modify-write split by an `await` (read, await, write) lets other requests run in the gap and
 * act on the same stale read. Holding the mutex across the whole section makes them wait their turn.
 */
export class Mutex {
  /** Resolves when the current holder releases; every new locker waits on the one before it. */
  #tail: Promise<void> = Promise.resolve();

  /** Waits for the lock and resolves with the function that releases it. Release exactly once. */
  lock(): Promise<() => void> {
    // TODO(step2) 5 of 6: wait your turn and resolve with a release function, in the order callers asked (recipe: npm run hint -- step2 --todo 5)
    throw new NotImplementedError('step2-round-robin', 'TODO 5 of 6 in mutex.ts: wait your turn and resolve with a release function, in the order callers asked');
  }

  /** Runs `section` while holding the lock, and releases it even if `section` throws. */
  async runExclusive<T>(section: () => Promise<T>): Promise<T> {
    const release = await this.lock();
    try {
      return await section();
    } finally {
      release();
    }
  }
}

import type { Mutex } from './mutex.js';
import { NotImplementedError } from './errors.js';

/**
 * A counter whose reads and writes are asynchronous: kept in a file, a database row, a cache. Within
 * one process the mutex below makes its read-modify-write safe. Across processes it cannot: there the
 * store's own atomic operation does the job (Redis INCR, SQL `UPDATE … RETURNING`).
 */
export interface AsyncStore {
  get(): Promise<number>;
  set(value: number): Promise<void>;
}

/**
 * Read, then write back one more. Between the two awaits other requests run: two that read the same
 * value both get the same ticket, and one increment is lost. Exported to show the race; do not use.
 */
export async function takeTicketRacy(store: AsyncStore): Promise<number> {
  const ticket = await store.get();
  await store.set(ticket + 1);
  return ticket;
}

/** The same read-modify-write under a mutex: one request at a time between the read and the write. */
export function takeTicket(store: AsyncStore, mutex: Mutex): Promise<number> {
  // TODO(step2) 6 of 6: make the racy get-then-set ticket safe (recipe: npm run hint -- step2 --todo 6)
  throw new NotImplementedError('step2-round-robin', 'TODO 6 of 6 in shared-counter.ts: make the racy get-then-set ticket safe');
}

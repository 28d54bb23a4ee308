import { Backend } from './backend.js';
import { NotImplementedError } from './errors.js';

/**
 * The backends and the round-robin counter, kept in one SharedArrayBuffer so that worker threads can
 * share a pool: hand `pool.sharedState` to a worker, rebuild the pool there with the same URLs, and
 * both threads draw from the same rotation.
 *
 * Layout of the shared Int32Array: slot 0 … n-1 are the alive flags, slot n is the next ticket.
 */
export class ServerPool {
  readonly backends: readonly Backend[];
  readonly #state: Int32Array;
  readonly #ticketSlot: number;

  /**
   * @param urls the backends, in rotation order
   * @param sharedState another pool's `sharedState`, to share its flags and counter; omit to start
   *   fresh (every backend alive, first ticket 0)
   */
  constructor(urls: readonly URL[], sharedState?: SharedArrayBuffer) {
    const slots = urls.length + 1;
    if (sharedState) {
      this.#state = new Int32Array(sharedState);
      if (this.#state.length !== slots) throw new RangeError(`shared state has ${this.#state.length} slots, ${slots} needed`);
    } else {
      this.#state = new Int32Array(new SharedArrayBuffer(slots * Int32Array.BYTES_PER_ELEMENT));
      this.#state.fill(1, 0, urls.length); // every backend starts alive; nobody else can see this memory yet
    }
    this.#ticketSlot = urls.length;
    this.backends = urls.map((url, index) => new Backend(url, index, this.#state));
  }

  /** The memory behind this pool; pass it to a worker thread to share the rotation. */
  get sharedState(): SharedArrayBuffer {
    return this.#state.buffer as SharedArrayBuffer;
  }

  /**
   * Hands out tickets 0, 1, 2, … — each exactly once, however many threads ask at the same time.
   * The counter is 32 bits wide; `>>> 0` reads it as unsigned, so it counts to 2³² - 1 and wraps to 0.
   */
  nextTicket(): number {
    // TODO(step2) 2 of 6: take a ticket: increment the shared counter atomically and return the value it had before (recipe: npm run hint -- step2 --todo 2)
    throw new NotImplementedError('step2-round-robin', 'TODO 2 of 6 in server-pool.ts: take a ticket: increment the shared counter atomically and return the value it had before');
  }

  /**
   * The next alive backend in rotation, or undefined when every backend is down.
   * Rotating over the alive ones only keeps the split even: skipping a dead backend by taking "the one
   * after it" (the Go original's walk) would send the dead one's share to its neighbour, doubling its load.
   */
  next(): Backend | undefined {
    // TODO(step2) 3 of 6: pick the next alive backend in rotation, or undefined when none is alive (recipe: npm run hint -- step2 --todo 3)
    throw new NotImplementedError('step2-round-robin', 'TODO 3 of 6 in server-pool.ts: pick the next alive backend in rotation, or undefined when none is alive');
  }
}

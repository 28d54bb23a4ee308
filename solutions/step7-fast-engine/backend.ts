import { BackendLoad, DEFAULT_DECAY_MS } from './backend-load.js';

/**
 * One backend: its URL and its live state. The alive flag lives in shared memory (a slot of the pool's
 * SharedArrayBuffer), so a worker thread that marks a backend down is seen by every other thread.
 */
export class Backend {
  /** Requests in flight and the latency estimate, which load-aware policies read (step 5). */
  readonly load: BackendLoad;

  /**
   * @param url where the backend listens
   * @param index its position in the pool
   * @param flags the pool's shared alive flags, one slot per backend: 1 = alive, 0 = down
   * @param decayMs how fast its latency estimate forgets (see BackendLoad)
   */
  constructor(
    readonly url: URL,
    readonly index: number,
    private readonly flags: Int32Array,
    decayMs = DEFAULT_DECAY_MS,
  ) {
    this.load = new BackendLoad(decayMs);
  }

  /** Whether requests may go to this backend. Go guards the same flag with a sync.RWMutex. */
  isAlive(): boolean {
    return Atomics.load(this.flags, this.index) === 1;
  }

  /** Marks the backend up or down. Step 3 calls this when a backend fails; step 4 when health checks say so. */
  markAlive(alive: boolean): void {
    Atomics.store(this.flags, this.index, alive ? 1 : 0);
  }
}

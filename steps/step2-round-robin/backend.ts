import { NotImplementedError } from './errors.js';
/**
 * One backend: its URL and its live state. The alive flag lives in shared memory (a slot of the pool's
 * SharedArrayBuffer), so a worker thread that marks a backend down is seen by every other thread.
 */
export class Backend {
  /**
   * @param url where the backend listens
   * @param index its position in the pool
   * @param flags the pool's shared alive flags, one slot per backend: 1 = alive, 0 = down
   */
  constructor(
    readonly url: URL,
    readonly index: number,
    private readonly flags: Int32Array,
  ) {}

  /** Whether requests may go to this backend. Go guards the same flag with a sync.RWMutex. */
  isAlive(): boolean {
    // TODO(step2) 1 of 6: read this backend's alive flag from shared memory (recipe: npm run hint -- step2 --todo 1)
    throw new NotImplementedError('step2-round-robin', "TODO 1 of 6 in backend.ts: read this backend's alive flag from shared memory");
  }

  /** Marks the backend up or down. Step 3 calls this when a backend fails; step 4 when health checks say so. */
  markAlive(alive: boolean): void {
    // TODO(step2) 1 of 6: write this backend's alive flag to shared memory (recipe: npm run hint -- step2 --todo 1)
    throw new NotImplementedError('step2-round-robin', "TODO 1 of 6 in backend.ts: write this backend's alive flag to shared memory");
  }
}

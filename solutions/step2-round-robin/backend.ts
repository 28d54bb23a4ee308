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
    // #region exercise(step2, 1): read this backend's alive flag from shared memory — Atomics.load on its slot of the shared flags (1 = alive)
    return Atomics.load(this.flags, this.index) === 1;
    // #endregion
  }

  /** Marks the backend up or down. Step 3 calls this when a backend fails; step 4 when health checks say so. */
  markAlive(alive: boolean): void {
    // #region exercise(step2, 1): write this backend's alive flag to shared memory — Atomics.store 1 (alive) or 0 (down) into its slot
    Atomics.store(this.flags, this.index, alive ? 1 : 0);
    // #endregion
  }
}

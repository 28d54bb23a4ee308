import net from 'node:net';
import { Client, type buildConnector } from 'undici';
import { ConnectTimeoutError, NotImplementedError } from './errors.js';

/**
 * Idle connections kept per backend, at most (nginx's `keepalive 64` in an upstream block is the same
 * idea): past peaks of concurrency, more would only hold sockets and memory.
 */
const MAX_IDLE = 64;

/** The connections to every backend: one ConnectionPool each, made on first use. */
export class UpstreamPools {
  readonly #pools = new Map<string, ConnectionPool>();

  constructor(readonly connectTimeoutMs: number) {}

  of(backend: URL): ConnectionPool {
    let pool = this.#pools.get(backend.origin);
    if (!pool) {
      pool = new ConnectionPool(backend.origin, this.connectTimeoutMs);
      this.#pools.set(backend.origin, pool);
    }
    return pool;
  }

  /** Closes every connection at once; requests still running on them fail. */
  close(): void {
    for (const pool of this.#pools.values()) pool.close();
    this.#pools.clear();
  }
}

/**
 * The keep-alive connections to one backend. Each is an undici Client: one connection, which undici
 * re-opens when the backend closed it. A try takes an idle one (or a new one) and gives it back when
 * the answer is through, so connections are reused instead of opened per request. A connection whose
 * try was abandoned halfway (the client left, a clock ran out) is closed instead: the backend must stop
 * working on it, and nothing else can be sent on it before the answer is read to its end.
 *
 * undici has a Pool that does the first half. We keep our own list for the second: aborting a running
 * request through undici's controller closes its socket but leaves the request queued on its Client,
 * which then opens a fresh connection it never uses (nodejs/undici#5845).
 */
export class ConnectionPool {
  readonly #idle: Client[] = [];
  readonly #all = new Set<Client>();
  /** Connections still being opened, by the Client they are for: discard() and close() must not leave one behind (nor its timer). */
  readonly #connecting = new Map<Client, net.Socket>();

  constructor(
    readonly origin: string,
    readonly connectTimeoutMs: number,
  ) {}

  /** An idle connection, or a new one. */
  take(): Client {
    // TODO(step7) 2 of 5: keep-alive connections (recipe: npm run hint -- step7 --todo 2)
    throw new NotImplementedError('step7-fast-engine', 'TODO 2 of 5 in upstream-pool.ts: keep-alive connections');
  }

  /** A try is done with `client` and read its answer to the end: the next try may use it. */
  give(client: Client): void {
    // TODO(step7) 2 of 5: (same task)
    throw new NotImplementedError('step7-fast-engine', 'TODO 2 of 5 in upstream-pool.ts: (same task)');
  }

  /** A try gave up on `client` halfway: close the connection, failing its request with `reason`. */
  discard(client: Client, reason: Error): void {
    // TODO(step7) 2 of 5: (same task)
    throw new NotImplementedError('step7-fast-engine', 'TODO 2 of 5 in upstream-pool.ts: (same task)');
  }

  close(): void {
    for (const client of this.#all) client.destroy().catch(() => {});
    for (const socket of this.#connecting.values()) socket.destroy();
    this.#all.clear();
    this.#idle.length = 0;
  }

  /**
   * Opens a TCP connection for undici, giving up after connectTimeoutMs with ConnectTimeoutError. Our
   * error, not undici's, so that the retry policy knows the request never left (NOT_SENT_CODES); and a
   * timer of our own, exact to the millisecond like every other clock of the balancer.
   */
  #connect(client: Client, { hostname, port }: buildConnector.Options, callback: buildConnector.Callback): void {
    const ms = this.connectTimeoutMs;
    const socket = net.connect({ host: hostname, port: Number(port) || 80, noDelay: true });
    this.#connecting.set(client, socket);
    const timer = setTimeout(() => socket.destroy(new ConnectTimeoutError(ms)), ms);
    let answered = false;
    const answer = (err: Error | null) => {
      clearTimeout(timer);
      this.#connecting.delete(client);
      if (answered) return;
      answered = true;
      if (err) callback(err, null);
      else callback(null, socket);
    };
    // Destroyed without an error (by discard or close): undici must still hear that no connection came.
    const closed = () => answer(new Error('the connection was closed before it was established'));
    socket.once('error', answer).once('close', closed).once('connect', () => {
      socket.off('error', answer).off('close', closed); // from here on, undici listens to the connection
      answer(null);
    });
  }
}


import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Backend } from './backend.js';
import { RequestTimeoutError } from './errors.js';

/**
 * A request's deadline, as the parts that wait see it. Not an AbortSignal: creating one costs about
 * 6 µs here (docs/performance.md), and every request has a deadline, while only a retry's pause needs
 * a signal (`signal`, made on first use).
 */
export interface Deadline {
  /** The error the deadline ended with (a RequestTimeoutError); undefined while it has not run out. */
  readonly expired: Error | undefined;
  /** Calls `listener` once, when the deadline runs out; returns the function that stops listening. */
  listen(listener: (reason: Error) => void): () => void;
  /** An AbortSignal that aborts when the deadline runs out, for APIs that take one. */
  readonly signal: AbortSignal;
}

class RequestDeadline implements Deadline {
  expired: Error | undefined;
  readonly #listeners = new Set<(reason: Error) => void>();
  #controller: AbortController | undefined;

  listen(listener: (reason: Error) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.expired) this.#controller.abort(this.expired);
    }
    return this.#controller.signal;
  }

  expire(reason: Error): void {
    this.expired = reason;
    this.#controller?.abort(reason);
    for (const listener of [...this.#listeners]) listener(reason);
    this.#listeners.clear();
  }
}

/**
 * Everything the retry loop knows about one request: our counterpart of the values the Go original
 * keeps in the request's context.Context. It is passed along explicitly, like a Go ctx argument.
 */
export class RequestContext {
  /** Backends tried so far, the current one included: Go's "Attempts" value. */
  attempts = 0;
  /** Extra tries on the current backend: Go's "Retry" value. It starts again at 0 for every backend; the retry loop adds one before each retry. */
  retries = 0;
  /** Every try on every backend so far, for the request log: the retry loop adds one for each try. */
  tries = 0;
  /** The backend of the current attempt. */
  backend: Backend | undefined;
  /** Every backend this request has tried, so failover picks a new one. */
  readonly tried = new Set<Backend>();
  readonly #clientGone = new AbortController();
  readonly #deadline = new RequestDeadline();
  #deadlineTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly inbound: IncomingMessage,
    readonly res: ServerResponse,
  ) {
    // 'close' before the response finished means the client hung up: stop waiting and retrying for it.
    res.once('close', () => {
      clearTimeout(this.#deadlineTimer);
      if (!res.writableFinished) this.#clientGone.abort();
    });
  }

  /**
   * Aborted as soon as the client goes away before its answer is complete (the response closes
   * without finishing; a finished answer is no client gone). Pass it to anything that waits.
   */
  get clientGone(): AbortSignal {
    return this.#clientGone.signal;
  }

  /** Runs out, with a RequestTimeoutError, when the request's deadline passes before an answer began. */
  get deadline(): Deadline {
    return this.#deadline;
  }

  /**
   * Starts the deadline: `ms` from now the queue wait, the try in flight and any pause between tries
   * end. An answer that has begun is never cut by it (the try knows when its answer began, see
   * proxy.ts): a slow download is not a late answer, its silences are `backendTimeoutMs`'s business.
   */
  startDeadline(ms: number): void {
    this.#deadlineTimer = setTimeout(() => this.#deadline.expire(new RequestTimeoutError(ms)), ms);
  }

  /** Moves the request to `backend`: one more attempt, and a fresh retry count for it. */
  startAttempt(backend: Backend): void {
    this.attempts += 1;
    this.retries = 0;
    this.backend = backend;
    this.tried.add(backend);
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Backend } from './backend.js';

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

  constructor(
    readonly inbound: IncomingMessage,
    readonly res: ServerResponse,
  ) {
    // 'close' before the response finished means the client hung up: stop waiting and retrying for it.
    res.once('close', () => {
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

  /** Moves the request to `backend`: one more attempt, and a fresh retry count for it. */
  startAttempt(backend: Backend): void {
    this.attempts += 1;
    this.retries = 0;
    this.backend = backend;
    this.tried.add(backend);
  }
}

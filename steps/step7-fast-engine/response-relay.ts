import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Client, Dispatcher } from 'undici';
import { watchDownload, watchUpload } from './client-clocks.js';
import { sendError } from './error-response.js';
import { BackendTimeoutError, ClientTimeoutError, LoadBalancerError, NotImplementedError, RefusedRequestError, TryTimeoutError, UnexpectedUpgradeError } from './errors.js';
import { stripHopByHop } from './hop-by-hop.js';
import type { OutboundRequest, OutboundTimeouts } from './outbound-request.js';
import type { TryLimits, TryOutcome } from './proxy.js';
import type { ConnectionPool } from './upstream-pool.js';

/** The reason undici is given when we stop a try whose answer nobody will read. */
const NOBODY_LISTENS = new Error('the client left');

/**
 * One try, from undici's side: undici calls these methods as the backend answers, and the relay
 * streams the answer into the client's response under the balancer's clocks. It settles the try
 * exactly once, with how it ended (TryOutcome).
 *
 * What http-proxy and its helpers did in steps 1-6 lives here in one place:
 * - the backend's silence is timed by us (`backendTimeoutMs`), resting while the client is the slow one;
 * - a client that takes nothing for `clientTimeoutMs` is dropped, and the backend's answer with it;
 * - a client that leaves aborts the backend's request at once;
 * - a backend that breaks off its answer halfway cuts the client off (a truncated answer, never a
 *   complete-looking wrong one).
 */
export class ResponseRelay implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  /** The connection is no longer this try's: given back with its answer read, or closed because the try gave up on it. */
  #released = false;
  /** The backend's answer has begun: no clock of the try cuts it any more. */
  #answering = false;
  /** Why the backend broke off an answer it had begun. */
  #brokenOff: Error | undefined;
  #settled = false;
  /** The backend's clock: it may stay silent this long, while we wait for it. */
  #silence: NodeJS.Timeout | undefined;
  #tryTimer: NodeJS.Timeout | undefined;
  readonly #stopDeadline: () => void;
  readonly #stopUpload: () => void;
  /** The body comes as a stream: the backend's clock waits until all of it is handed over. */
  readonly #streamsBody: boolean;
  /** Made at the first backed-up write: feeds the client's download clock. */
  #pauses: EventEmitter | undefined;
  /** We stopped reading the backend because the client is slow: the backend's clock rests. */
  #paused = false;

  constructor(
    readonly inbound: IncomingMessage,
    readonly res: ServerResponse,
    readonly timeouts: OutboundTimeouts,
    readonly pool: ConnectionPool,
    readonly client: Client,
    request: OutboundRequest,
    limits: TryLimits,
    private readonly resolve: (outcome: TryOutcome) => void,
  ) {
    res.once('finish', this.#finished).once('close', this.#closed);
    if (limits.tryTimeoutMs > 0) this.#tryTimer = setTimeout(() => this.#cut(new TryTimeoutError(limits.tryTimeoutMs)), limits.tryTimeoutMs);
    this.#stopDeadline = limits.deadline.listen((reason) => this.#cut(reason));
    // While the upload is on its way, a stall is the client's (408), unless undici paused our body
    // stream because the backend stopped reading it (504). The backend's clock starts once it has it all.
    const body = request.body;
    this.#streamsBody = body instanceof Readable;
    if (body instanceof Readable) {
      this.#stopUpload = watchUpload(inbound, timeouts.clientTimeoutMs, () =>
        this.#cut(body.readableFlowing === false ? new BackendTimeoutError(timeouts.backendTimeoutMs) : new ClientTimeoutError(timeouts.clientTimeoutMs)),
      );
      // undici pauses our body stream exactly while the backend's socket is full: the backend is not
      // reading, so its clock runs (the rest of the upload may already sit in buffers, with the
      // client's part done); once undici has handed over the whole body, the backend owes an answer.
      body.on('pause', () => this.#startSilence()).on('resume', () => this.#answering || this.#stopSilence());
      body.once('end', () => this.#startSilence());
    } else {
      this.#stopUpload = () => {};
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (!this.#streamsBody) this.#startSilence();
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    if (statusCode < 200) return; // 1xx: an interim answer (103 Early Hints); the real one follows
    this.#answering = true;
    this.#stopTryClocks();
    this.#startSilence();
    // TODO(step7) 3 of 5: relay the answer (recipe: npm run hint -- step7 --todo 3)
    throw new NotImplementedError('step7-fast-engine', 'TODO 3 of 5 in response-relay.ts: relay the answer');
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#silence?.refresh();
    // TODO(step7) 3 of 5: (same task)
    throw new NotImplementedError('step7-fast-engine', 'TODO 3 of 5 in response-relay.ts: (same task)');
  }

  onResponseEnd(): void {
    this.#stopSilence();
    // TODO(step7) 3 of 5: (same task)
    throw new NotImplementedError('step7-fast-engine', 'TODO 3 of 5 in response-relay.ts: (same task)');
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.#stopSilence();
    // A connection that failed is not given back: undici may still be tearing it down.
    this.#abort(err);
    if (this.#settled) return;
    const error = asOurs(err);
    if (this.#answering) {
      // The client has part of an answer: cutting its connection is the only honest signal left.
      this.#brokenOff = error;
      sendError(this.res, error);
    } else {
      // A client that went away mid-upload broke the try itself.
      this.#settle(this.inbound.socket.destroyed ? { kind: 'client-gone' } : { kind: 'failed', error });
    }
  }

  /** The backend's clock starts (or starts again): it owes us an answer, or the next part of one. */
  #startSilence(): void {
    if (this.#settled || this.#paused) return;
    const ms = this.timeouts.backendTimeoutMs;
    if (this.#silence) this.#silence.refresh();
    else this.#silence = setTimeout(() => this.#abort(new BackendTimeoutError(ms)), ms);
  }

  #stopSilence(): void {
    clearTimeout(this.#silence);
    this.#silence = undefined; // a cleared timer cannot be refreshed: the next start makes a new one
  }

  /** The client's socket is full: stop reading the backend, whose clock rests while the client's runs. */
  #pause(controller: Dispatcher.DispatchController): void {
    // TODO(step7) 4 of 5: backpressure (recipe: npm run hint -- step7 --todo 4)
    throw new NotImplementedError('step7-fast-engine', 'TODO 4 of 5 in response-relay.ts: backpressure');
  }

  /** Ends this try with `error`, unless the backend's answer has begun: then it runs its course. */
  #cut(error: Error): void {
    if (this.#answering || this.#settled) return;
    this.#settle({ kind: 'failed', error });
    this.#abort(error);
  }

  /** Stops the backend's work on this try by closing its connection (or its attempt to connect). */
  #abort(reason: Error): void {
    if (this.#released) return;
    this.#released = true;
    this.pool.discard(this.client, reason);
  }

  /** Finished: the backend's whole answer went out, or it broke off and the client was cut. */
  readonly #finished = () => {
    this.#settle(this.#brokenOff ? { kind: 'failed', error: this.#brokenOff } : { kind: 'answered', status: this.res.statusCode });
  };

  /** Closed before finishing: the backend broke off (we cut the client), or the client left. */
  readonly #closed = () => {
    if (this.#brokenOff) this.#settle({ kind: 'failed', error: this.#brokenOff });
    else this.#clientLeft();
  };

  /** The client left, or took nothing for clientTimeoutMs: nobody will read the answer. */
  #clientLeft(): void {
    // Settled first: whatever undici reports after the abort is not the backend's failure.
    this.#settle({ kind: 'client-gone' });
    // Stop the backend's work on it now (nginx logs this as 499).
    this.#abort(NOBODY_LISTENS);
  }

  #stopTryClocks(): void {
    clearTimeout(this.#tryTimer);
    this.#stopDeadline();
    this.#stopUpload();
  }

  #settle(outcome: TryOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#stopTryClocks();
    this.res.off('finish', this.#finished).off('close', this.#closed);
    this.resolve(outcome);
  }
}

/**
 * undici's errors, in the words the retry policy and the error path know (retry-policy.ts):
 * - `other side closed` before any answer: the connection broke after the request may have left, which
 *   Node calls ECONNRESET ("socket hang up");
 * - `bad upgrade`: a 101 the request never asked for;
 * - a request undici refuses to send: refused by us (501), and no evidence against the backend.
 * Anything else of undici's (`bad response`: a stray 100, bytes nobody asked for) is the backend
 * failing in a way a retry would not mend; ours (timeouts) and the system's (ECONNREFUSED,
 * ECONNRESET) pass as they are.
 */
export function asOurs(err: Error): Error {
  if (err instanceof LoadBalancerError) return err;
  // TODO(step7) 5 of 5: undici's errors in our words (recipe: npm run hint -- step7 --todo 5)
  return err;
}

/**
 * The backend's reason phrase, if Node can send it. undici decodes it as UTF-8 and Node only sends
 * Latin-1: a phrase Node would refuse is dropped, and Node writes the standard one instead.
 */
function sendable(statusMessage: string | undefined): string | undefined {
  return statusMessage !== undefined && /^[\t\x20-\x7e\x80-\xff]*$/.test(statusMessage) ? statusMessage : undefined;
}

/**
 * Errors the balancer raises itself. Each has a stable `code`, which the tests switch on (never on
 * the message text; undici's lib/core/errors.js does the same), and the HTTP status the client gets
 * for it, which the one error path (error-response.ts) sends.
 */
export class LoadBalancerError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** What the client is answered: 502 unless the error knows better. */
    readonly status = 502,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Thrown by a starter where the learner still has work to do. The message says what and where. */
export class NotImplementedError extends LoadBalancerError {
  /** @param folder the step's folder, e.g. `step1-naive-forwarding`; @param task what to write. */
  constructor(folder: string, task: string) {
    const step = folder.split('-')[0];
    super('NOT_IMPLEMENTED', `NotImplemented: ${step} — ${task} (see docs/${folder}.md)`, 501);
  }
}

/** The options given to `createLoadBalancer` cannot work (no backends, a URL that is not http://…). */
export class InvalidOptionsError extends LoadBalancerError {
  constructor(message: string) {
    super('INVALID_OPTIONS', message);
  }
}

/**
 * A request the balancer refuses to forward because of how it is written. Whatever else the client
 * sent on that connection cannot be trusted either, so the connection closes after the answer.
 */
export class RefusedRequestError extends LoadBalancerError {}

/** A request we cannot forward faithfully, such as one whose body length is ambiguous. The client gets 400. */
export class BadRequestError extends RefusedRequestError {
  constructor(reason: string) {
    super('BAD_REQUEST', reason, 400);
  }
}

/** More request headers than the balancer forwards. The client gets 431. */
export class TooManyHeadersError extends RefusedRequestError {
  constructor(count: number, limit: number) {
    super('TOO_MANY_HEADERS', `${count} request headers, more than the ${limit} we forward`, 431);
  }
}

/** A transfer coding other than chunked (RFC 9112 §6.1: answer 501, as nginx does). */
export class UnsupportedTransferCodingError extends RefusedRequestError {
  constructor(codings: string) {
    super('UNSUPPORTED_TRANSFER_CODING', `cannot forward a body with Transfer-Encoding: ${codings}`, 501);
  }
}

/** The client sent none of its request body for `clientTimeoutMs`. It gets 408; the backend is not to blame. */
export class ClientTimeoutError extends LoadBalancerError {
  constructor(timeoutMs: number) {
    super('CLIENT_TIMEOUT', `the client sent nothing of its body for ${timeoutMs} ms`, 408);
  }
}

/** The backend answered `101 Switching Protocols` to a request that asked for no upgrade. The client gets 502. */
export class UnexpectedUpgradeError extends LoadBalancerError {
  constructor() {
    super('UNEXPECTED_UPGRADE', 'the backend switched protocols, but the client asked for no upgrade');
  }
}

/** The backend went silent for longer than `backendTimeoutMs`. The client gets 504. */
export class BackendTimeoutError extends LoadBalancerError {
  constructor(timeoutMs: number) {
    super('BACKEND_TIMEOUT', `the backend sent nothing for ${timeoutMs} ms`, 504);
  }
}

/** The backend did not accept the connection in time. The client gets 504. */
export class ConnectTimeoutError extends LoadBalancerError {
  constructor(timeoutMs: number) {
    super('CONNECT_TIMEOUT', `the backend did not accept a connection within ${timeoutMs} ms`, 504);
  }
}

/** Every backend is marked down. The client gets 503. */
export class NoBackendAvailableError extends LoadBalancerError {
  constructor() {
    super('NO_BACKEND', 'no backend is available', 503);
  }
}

/**
 * Every backend this request may use is at `maxConnections`, and the queue is full or the request
 * waited in it for `queueTimeoutMs`. The client gets 503 with `Retry-After`: a fast, honest "not now"
 * instead of a slow answer from an overloaded backend.
 */
export class OverloadedError extends LoadBalancerError {
  /** How long the client is asked to wait before it tries again, in seconds (the Retry-After header). */
  readonly retryAfterSeconds = 1;

  constructor(reason: string) {
    super('OVERLOADED', `every backend is busy: ${reason}`, 503);
  }
}

/**
 * The request's deadline (`requestTimeoutMs`) ran out before an answer began: the queue, every try and
 * every pause between tries share it. The client gets 504, as from Envoy's route `timeout`.
 */
export class RequestTimeoutError extends LoadBalancerError {
  constructor(timeoutMs: number) {
    super('REQUEST_TIMEOUT', `no answer began within the request's deadline of ${timeoutMs} ms`, 504);
  }
}

/**
 * One try took longer than `tryTimeoutMs` to begin its answer (Envoy's `per_try_timeout`). The backend
 * is to blame; an idempotent request may go on to another try while its deadline lasts.
 */
export class TryTimeoutError extends LoadBalancerError {
  constructor(timeoutMs: number) {
    super('TRY_TIMEOUT', `the backend began no answer within the try's ${timeoutMs} ms`, 504);
  }
}

/**
 * Errors the balancer raises itself. Each has a stable `code`: the error path and the tests switch on
 * the code, never on the message text (undici's lib/core/errors.js does the same).
 */
export class LoadBalancerError extends Error {
  constructor(
    readonly code: string,
    message: string,
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
    super('NOT_IMPLEMENTED', `NotImplemented: ${step} — ${task} (see docs/${folder}.md)`);
  }
}

/** The options given to `createLoadBalancer` cannot work (no backends, a URL that is not http://…). */
export class InvalidOptionsError extends LoadBalancerError {
  constructor(message: string) {
    super('INVALID_OPTIONS', message);
  }
}

/** The backend went silent for longer than `backendTimeoutMs`. The client gets 504. */
export class BackendTimeoutError extends LoadBalancerError {
  constructor(timeoutMs: number) {
    super('BACKEND_TIMEOUT', `the backend sent nothing for ${timeoutMs} ms`);
  }
}

/** The backend did not accept the connection in time. The client gets 504. */
export class ConnectTimeoutError extends LoadBalancerError {
  constructor(timeoutMs: number) {
    super('CONNECT_TIMEOUT', `the backend did not accept a connection within ${timeoutMs} ms`);
  }
}

/** Every backend is marked down. The client gets 503. */
export class NoBackendAvailableError extends LoadBalancerError {
  constructor() {
    super('NO_BACKEND', 'no backend is available');
  }
}

import request from 'supertest';
import { onTestFinished } from 'vitest';
import type { LoadBalancer } from '../../tools/shared/contract.js';
import { failOnNotImplemented } from './not-implemented.js';

/** The part of a step's module the harness needs: every step exports `createLoadBalancer`. */
export interface StepModule<Options, Balancer extends LoadBalancer = LoadBalancer> {
  createLoadBalancer(options: Options): Balancer;
}

export interface RunningBalancer<Balancer extends LoadBalancer = LoadBalancer> {
  lb: Balancer;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** supertest bound to the balancer; a starter's 501 NotImplemented answer fails the test with its own message. */
  http: Client;
}

/**
 * Creates a balancer from the step under test, listens on a free port of 127.0.0.1, and closes it when
 * the test finishes, pass or fail. A request a test leaves in flight delays that close by
 * drainTimeoutMs; 500 ms (not the default 10 s) unless the test says otherwise.
 */
export async function startBalancer<Options, Balancer extends LoadBalancer>(
  step: StepModule<Options, Balancer>,
  options: Options,
): Promise<RunningBalancer<Balancer>> {
  const lb = step.createLoadBalancer({ drainTimeoutMs: 500, ...options });
  onTestFinished(() => lb.close());
  const { url } = await lb.listen(0, '127.0.0.1');
  return { lb, url, http: client(url) };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const;
export type Client = Record<(typeof METHODS)[number], (path: string) => request.Test>;

/** supertest against `url`, with one extra check on every response: see `failOnNotImplemented`. */
export function client(url: string): Client {
  const agent = request(url);
  const entries = METHODS.map((method) => [method, (path: string) => agent[method](path).expect((res) => failOnNotImplemented(res.status, res.text))]);
  return Object.fromEntries(entries) as Client;
}

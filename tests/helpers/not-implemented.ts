/**
 * A starter answers 501 with `NotImplemented: stepN — what to do (see docs/…)` where work is left.
 * Every test client calls this on every response: that message beats "expected 200, received 501".
 */
export function failOnNotImplemented(status: number, body: string): void {
  if (status === 501 && body.startsWith('NotImplemented:')) throw new Error(body.trim());
}

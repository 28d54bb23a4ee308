import { InvalidOptionsError } from './errors.js';

/** Checks a count or a duration in ms once, at construction, with a message that names the option. */
export function wholeNumber(name: string, value: number, min = 0): number {
  if (!Number.isInteger(value) || value < min) throw new InvalidOptionsError(`${name} must be a whole number ≥ ${min}, got ${value}`);
  return value;
}

import { describe } from 'vitest';
import type { StepModule } from './balancer.js';

/** The code a suite runs against: one step folder (see vitest.config.ts). */
export interface Target<Options> {
  /** The step whose folder is under test, e.g. `step2`. */
  id: string;
  module: StepModule<Options>;
}

/**
 * Declares the behaviour suite of step `stepId` against `target`.
 * On its own folder the title is `step1: naive forwarding`; on a later folder it is a regression check,
 * `step1 regression (on step2): naive forwarding`. The progress report relies on the difference.
 */
export function describeBehaviour(stepId: string, name: string, target: { id: string }, body: () => void): void {
  const title = stepId === target.id ? `${stepId}: ${name}` : `${stepId} regression (on ${target.id}): ${name}`;
  describe(title, body);
}

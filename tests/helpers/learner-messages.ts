import { chapterOf, findStep } from '../../tools/curriculum.js';

/**
 * A failure message for learners: which step, what should happen, where to read about it.
 * `because('step1', 'the backend should receive the body unchanged')` →
 * "step1: the backend should receive the body unchanged — see docs/step1-naive-forwarding.md"
 */
export function because(stepId: string, behaviour: string): string {
  const step = findStep(stepId);
  return step ? `${stepId}: ${behaviour} — see ${chapterOf(step)}` : `${stepId}: ${behaviour}`;
}

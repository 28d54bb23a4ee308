import { chapterOf, findStep } from '../../tools/shared/curriculum.js';

/** Builds a failure message: `(behaviour, file) => text`. */
export type Say = (behaviour: string, file: string) => string;

/**
 * Failure messages for learners: which step, what should happen, which file to open, where to read.
 * `messagesFor('step1', { id: 'step3' })('the backend should receive the body unchanged', 'proxy.ts')` →
 * "step1: the backend should receive the body unchanged — look at step3-retries/proxy.ts, read docs/step1-naive-forwarding.md"
 * The file is in the folder under test: a step 1 check running on step 3's code points at step 3's copy.
 */
export function messagesFor(stepId: string, target: { id: string }): Say {
  const step = findStep(stepId);
  const folder = findStep(target.id)?.folder ?? target.id;
  const chapter = step ? `, read ${chapterOf(step)}` : '';
  return (behaviour, file) => `${stepId}: ${behaviour} — look at ${folder}/${file}${chapter}`;
}

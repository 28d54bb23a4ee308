import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of the folder `@impl` points at: steps/ (learner) or the reference code. */
    implRoot: string;
  }
}

/** The folder whose code this test run checks (see vitest.config.ts). */
export function implRoot(): string {
  return inject('implRoot');
}

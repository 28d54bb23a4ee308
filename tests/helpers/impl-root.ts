import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of the folder `@impl` points at: steps/ (your code), or another folder the config names. */
    implRoot: string;
  }
}

/** The folder whose code this test run checks (see vitest.config.ts). */
export function implRoot(): string {
  return inject('implRoot');
}

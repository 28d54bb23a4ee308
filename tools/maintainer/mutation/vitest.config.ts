import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The vitest configuration StrykerJS runs (see tools/maintainer/mutation.ts): one project, the solutions, and only
 * the suite of the step being mutated. Stryker's vitest runner cannot pick one project out of the
 * two-project vitest.config.ts (it has no `project` option in 9.x), so it gets a config of its own.
 */
const step = process.env.LB_MUTATION_STEP;
if (!step) throw new Error('LB_MUTATION_STEP is not set: run this through npm run mutation');
const root = fileURLToPath(new URL('../../..', import.meta.url));

export default defineConfig({
  root,
  resolve: { alias: { '@impl': `${root}solutions` } },
  test: {
    include: [`tests/${step}.test.ts`, `tests/${step}.earlier*.test.ts`],
    provide: { implRoot: `${root}solutions` },
    testTimeout: 5_000,
    hookTimeout: 5_000,
  },
});

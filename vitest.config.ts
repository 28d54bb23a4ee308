import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * One suite, two targets. Tests import the code under test as `@impl/<step folder>/index.js`;
 * the `learner` project points `@impl` at `steps/` (your code), the `solutions` project at `solutions/`.
 * A third project, `tools`, tests the commands in tools/ (progress, takehome, the CLI, …).
 */
function target(name: 'learner' | 'solutions' | 'interviewer', folder: 'steps' | 'solutions', include = ['tests/step*.test.ts']): TestProjectInlineConfiguration {
  const implRoot = fileURLToPath(new URL(`./${folder}`, import.meta.url));
  return {
    extends: true,
    resolve: { alias: { '@impl': implRoot } },
    test: { name, include, provide: { implRoot } },
  };
}

/** The interviewer's hidden checks (tools/interviewer/suites), proven green on the solutions; `npm run grade` runs them on a submission. */
const interviewer = target('interviewer', 'solutions', ['tools/interviewer/suites/*.test.ts']);

const tools: TestProjectInlineConfiguration = { extends: true, test: { name: 'tools', include: ['tests/tools/**/*.test.ts'] } };

export default defineConfig({
  test: {
    // A take-home copy ships no solutions/, and so no solutions project, and no tool tests.
    projects: [target('learner', 'steps'), ...(existsSync(new URL('./solutions', import.meta.url)) ? [target('solutions', 'solutions'), tools, interviewer] : [])],
    // The suites wait on sockets and timers more than on the CPU: on a 2-core machine four workers
    // finish the solutions in 20 s where two took 27 s (same run, measured with /usr/bin/time; the CPU
    // was busy less than one core's worth with two). vitest's default there would be one.
    maxWorkers: Math.max(4, availableParallelism()),
    // Every test talks to real sockets on 127.0.0.1; a stuck one should fail fast, not hang the run.
    testTimeout: 5_000,
    hookTimeout: 5_000,
  },
});

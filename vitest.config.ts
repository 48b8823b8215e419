import { defineConfig } from 'vitest/config';

/**
 * Files that need modules loaded fresh for them: true-messages.test.ts sets FORCE_COLOR before ora
 * (and chalk, which reads it once, on import) is first loaded; in a worker where another file had
 * already loaded ora, its cyan spinner would come out plain.
 */
const FRESH_MODULES = ['test/cli/true-messages.test.ts'];

export default defineConfig({
  test: {
    // Compiles src/ first when dist/ is older: the e2e tests run the built bin/tkf.js.
    globalSetup: ['test/global-setup.ts'],
    // vitest's default is one worker per core but one: 1 on a 2-core machine, one file at a time.
    // Much of the suite's time is spent waiting (on spawned tkf processes, on simulators' timers),
    // not computing, so four files at once on two cores finish sooner; set TKF_TEST_WORKERS to
    // change it.
    maxWorkers: Number(process.env.TKF_TEST_WORKERS) || 4,
    // Child processes, not threads: in-process CLI runs with a cwd use process.chdir.
    pool: 'forks',
    // Generous: a timeout is not an assertion, and on a 2-core machine shared with other work
    // (or kept busy on purpose) a CPU-bound test of fixed work took over 30 s. A hung test still
    // fails, two minutes later.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      // A worker keeps its loaded modules from one test file to the next (isolate: false): loading
      // src/ and its dependencies afresh for each of the 89 files cost about a third of the
      // suite's CPU time (vitest's "import" figure: 37 s -> 16 s on Node 20). No test file mocks a
      // module; each restores the fake timers, environment and working directory it changes.
      { extends: true, test: { name: 'shared-modules', include: ['test/**/*.test.ts'], exclude: FRESH_MODULES, isolate: false } },
      { extends: true, test: { name: 'fresh-modules', include: FRESH_MODULES, isolate: true } },
    ],
  },
});

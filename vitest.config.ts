import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Compiles src/ first when dist/ is older: the e2e tests run the built bin/tkf.js.
    globalSetup: ['test/global-setup.ts'],
    // vitest's default is one worker per core but one: 1 on a 2-core machine, one file at a time.
    // Most of the suite's time is spent waiting (on spawned tkf processes, on simulators' timers),
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
  },
});

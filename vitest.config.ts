import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    // Two cores on CI: one worker per core keeps the property tests from thrashing.
    maxWorkers: 2,
    // Released scratch memory is filled with NaN: anything read after its training step ends fails loudly (kernels/alloc.ts).
    env: { FASTWEIGHTS_SCRATCH_POISON: '1' },
    // Prints whether the browser suite runs (Chromium found) or is skipped, and how to install Chromium.
    globalSetup: ['test/browser/announce.ts'],
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    // The end-to-end tests spawn the built CLI; build once before any test file runs.
    globalSetup: ['test/setup/build.ts'],
  },
});

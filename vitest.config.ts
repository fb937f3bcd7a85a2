import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/**/*.test.ts',
      'bench/**/*.test.ts',
      'server/**/*.test.ts',
      'protocol/**/*.test.ts',
      'web/src/**/*.test.ts',
    ],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file has its own database and server; two workers fit this 2-core machine.
    maxWorkers: 2,
  },
});

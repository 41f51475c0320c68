import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests next to the code, and integration tests against real git,
// PostgreSQL, HTTP servers and the built binary (tagged slow, run in CI on every change).
export default defineConfig({
  test: {
    setupFiles: ['test/support/matchers.ts'],
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.test.ts'], testTimeout: 20_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});

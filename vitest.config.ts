import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'node_modules/**'],
          // One scratch folder per run, removed at the end (test/scratch-dir.ts).
          globalSetup: ['test/scratch-dir.ts'],
          // Inline projects do not inherit root timeouts (toolchain notes §6).
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});

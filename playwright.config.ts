import { defineConfig, devices } from '@playwright/test';

/**
 * End-to-end tests in Debian's Chromium (/usr/bin/chromium; nothing is downloaded). The app is
 * built and served by `vite preview`, the way users get it. One worker: the machine has two
 * cores and the tests push hundreds of MB through the engine.
 */
const PORT = Number(process.env.LAYERLAB_E2E_PORT ?? 4179);
const BASE = `http://127.0.0.1:${PORT}`;

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '*.spec.ts',
  outputDir: 'test-results/artifacts',
  timeout: 120_000,
  expect: { timeout: 20_000 },
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    ...devices['Desktop Chrome'],
    baseURL: BASE,
    headless: true,
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.LAYERLAB_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
        '--disable-component-update', '--no-first-run'],
    },
  },
  webServer: {
    // The wasm build step exists once the engine has AssemblyScript parts; skip it until then.
    command: `sh -c '(test ! -f wasm/build.mjs || node wasm/build.mjs) && npx vite build --logLevel warn && npx vite preview --host 127.0.0.1 --port ${PORT} --strictPort'`,
    url: BASE,
    reuseExistingServer: !!process.env.LAYERLAB_E2E_REUSE,
    timeout: 240_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});

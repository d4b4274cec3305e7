import { defineConfig } from '@playwright/test';

/**
 * Browser tests against the built portal that scripts/e2e.sh starts on :7007, in Debian's
 * Chromium (Playwright's own browser download is not reachable here).
 */
/** scripts/e2e.sh's results folder for this run (one per port). */
const OUT = process.env.SHIPSHAPE_E2E_OUT ?? 'test-results/e2e';

export default defineConfig({
  testDir: 'e2e',
  timeout: 90_000,
  expect: { timeout: 30_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  // Baseline pictures (toHaveScreenshot) are committed under e2e/__screenshots__/, one name per
  // picture (no platform suffix: the tests run in Debian's Chromium everywhere). A run never
  // writes them unless asked with --update-snapshots, so CI compares and a missing one fails.
  snapshotPathTemplate: '{testDir}/__screenshots__/{testFilePath}/{arg}{ext}',
  updateSnapshots: 'none',
  reporter: [['list'], ['json', { outputFile: `${OUT}/results.json` }]],
  outputDir: `${OUT}/artifacts`,
  use: {
    baseURL: process.env.PLAYWRIGHT_URL ?? 'http://localhost:7007',
    screenshot: 'only-on-failure',
    viewport: { width: 1440, height: 1000 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});

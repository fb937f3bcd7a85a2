import { defineConfig, devices } from '@playwright/test';

// Debian's chromium; Playwright never downloads a browser here.
const launchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    // Calls: a fake camera and microphone, and permission prompts answered yes.
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
  ],
};

export default defineConfig({
  testDir: '.',
  globalSetup: './global-setup.ts',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 2,
  retries: 0,
  // CI adds a JSON report (PLAYWRIGHT_REPORTERS=list,json, PLAYWRIGHT_JSON_OUTPUT_NAME=...).
  reporter: (process.env.PLAYWRIGHT_REPORTERS ?? 'list').split(',').map((r) => [r] as [string]),
  outputDir: '../../test-results/e2e',
  use: { launchOptions, trace: 'off', screenshot: 'only-on-failure' },
  projects: [
    { name: 'desktop', testIgnore: /calls\.spec\.ts/, use: { viewport: { width: 1280, height: 800 } } },
    {
      name: 'phone',
      // Calls are proven once, at desktop size (media is the same; the phone layout is covered elsewhere),
      // and so is a cluster's catch-up after a Redis outage (the client's catch-up is the same code
      // as after a reconnect, which runs at both sizes).
      testIgnore: /(calls|cluster)\.spec\.ts/,
      use: { ...devices['Pixel 7'], viewport: { width: 390, height: 844 }, launchOptions, browserName: 'chromium' },
    },
    {
      // Calls run last, alone: two browsers encoding fake video and relaying it through coturn
      // need the machine's two cores, and beside another spec the relayed ICE checks sometimes
      // did not finish in time (a CI failure on a quiet tree).
      name: 'calls',
      // calls.spec.ts, ringing-calls.spec.ts and cluster-calls.spec.ts, one at a time.
      testMatch: /calls\.spec\.ts/,
      workers: 1,
      dependencies: ['desktop', 'phone'],
      use: { viewport: { width: 1280, height: 800 } },
    },
  ],
});

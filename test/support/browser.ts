import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Debian's Chromium, headless, with its background traffic off (the machine has no internet, and the tests check
 * that a page asks nothing of any other host). Without Chromium the browser tests are left out with a note on a
 * developer's machine; in CI (CI=true) that is an error, since .ci/run installs it.
 */
export async function launchChromium(): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') throw new Error(`Browser tests need Chromium at ${CHROMIUM}`);
    process.stderr.write(`Browser tests left out: no Chromium at ${CHROMIUM} (apt-get install chromium).\n`);
    return undefined;
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

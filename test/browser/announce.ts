/**
 * vitest global setup: says once, at the top of `npm test`, whether the browser suite
 * (test/browser/*.test.ts) will run, and how to install Chromium when it will not.
 */
import { CHROMIUM_INSTALL_HINT, findChromium } from '../../browser/chromium.js';

export default function announceBrowserSuite(): void {
  const chromium = findChromium();
  if (chromium !== null) {
    console.log(`browser suite: runs in headless Chromium (${chromium})`);
  } else if (process.env.FASTWEIGHTS_REQUIRE_BROWSER === '1') {
    throw new Error(`FASTWEIGHTS_REQUIRE_BROWSER=1 but no Chromium was found: ${CHROMIUM_INSTALL_HINT}`);
  } else {
    console.log(`browser suite SKIPPED: no Chromium found. To run it: ${CHROMIUM_INSTALL_HINT}`);
  }
}

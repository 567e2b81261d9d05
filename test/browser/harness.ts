/**
 * What the browser tests share: the Chromium to run (or null to skip), opening pages
 * (browser/page.ts, re-exported), and a probe of painted canvas pixels.
 */
import { CHROMIUM_INSTALL_HINT, findChromium } from '../../browser/chromium.js';

export { openFiles, openPage, waitForText, type OpenedPage } from '../../browser/page.js';

/**
 * The Chromium to test with, or null (the suite is skipped, with the install command printed by
 * test/browser/announce.ts). With FASTWEIGHTS_REQUIRE_BROWSER=1 (CI) a missing Chromium is an error.
 */
export function chromiumForTests(): string | null {
  const path = findChromium();
  if (path === null && process.env.FASTWEIGHTS_REQUIRE_BROWSER === '1') {
    throw new Error(`FASTWEIGHTS_REQUIRE_BROWSER=1 but no Chromium was found: ${CHROMIUM_INSTALL_HINT}`);
  }
  return path;
}

/** Minimal shapes of the page's canvas API, for functions that run in the page (Node's types have no DOM). */
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/** Runs in the page: the share of the canvas's pixels that are painted and not white (0 when there is no such canvas). */
export function paintedShare(id: string): number {
  const canvas = (globalThis as unknown as { document: { getElementById(id: string): PageCanvas | null } }).document.getElementById(id);
  const pixels = canvas?.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
  if (canvas === null || pixels === undefined) return 0;
  let painted = 0;
  for (let i = 0; i < pixels.length; i += 4) if (pixels[i + 3]! > 0 && (pixels[i]! < 245 || pixels[i + 1]! < 245 || pixels[i + 2]! < 245)) painted++;
  return painted / (pixels.length / 4);
}

/**
 * Opens a bundled page in the system Chromium: bundles `entry` (browser/bundle.ts), serves it on
 * localhost (browser/server.ts) with a minimal HTML shell or the page's own HTML, and hands back the
 * Playwright page. Page errors and console errors are collected, so a test can show them on failure.
 */
import type { Browser, Page } from 'playwright-core';
import { bundlePage, type PageFiles } from '../../browser/bundle.js';
import { serveFiles, type StaticServer } from '../../browser/server.js';
import { CHROMIUM_INSTALL_HINT, findChromium, launchChromium } from '../../browser/chromium.js';

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

export interface OpenedPage {
  page: Page;
  /** Uncaught page errors and console.error messages, in order. */
  problems: string[];
  /** Paths the page requested from the server, in order (to see which chunks were fetched when). */
  requests: string[];
  close(): Promise<void>;
}

const SHELL = '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>fastweights browser suite</title><script type="module" src="/main.js"></script>';

/** Opens the bundle of `entry` in a minimal HTML shell. */
export async function openPage(chromiumPath: string, entry: string): Promise<OpenedPage> {
  const bundle = await bundlePage(entry);
  bundle.set('/index.html', SHELL);
  return openFiles(chromiumPath, bundle);
}

/** Serves `bundle` (with its own /index.html) and opens it. */
export async function openFiles(chromiumPath: string, bundle: PageFiles): Promise<OpenedPage> {
  let server: StaticServer | null = null;
  let browser: Browser | null = null;
  try {
    server = await serveFiles(bundle);
    browser = await launchChromium(chromiumPath);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('request', (request) => requests.push(new URL(request.url()).pathname));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(server.url);
    const [openedBrowser, openedServer] = [browser, server];
    return { page, problems, requests, close: async () => void (await Promise.all([openedBrowser.close(), openedServer.close()])) };
  } catch (e) {
    await Promise.all([browser?.close(), server?.close()]);
    throw e;
  }
}

/** Waits until the text of `selector` matches `pattern`; returns the text, or throws with the last text seen. */
export async function waitForText(page: Page, selector: string, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = (await page.locator(selector).textContent()) ?? '';
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`${selector}: its text '${text}' did not match ${pattern} within ${timeoutMs} ms`);
    await page.waitForTimeout(100);
  }
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

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
  close(): Promise<void>;
}

const SHELL = '<!doctype html><meta charset="utf-8"><title>fastweights browser suite</title><script type="module" src="/main.js"></script>';

export async function openPage(chromiumPath: string, entry: string, files: PageFiles = new Map()): Promise<OpenedPage> {
  const bundle = await bundlePage(entry);
  for (const [path, contents] of files) bundle.set(path, contents);
  if (!bundle.has('/index.html')) bundle.set('/index.html', SHELL);
  let server: StaticServer | null = null;
  let browser: Browser | null = null;
  try {
    server = await serveFiles(bundle);
    browser = await launchChromium(chromiumPath);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(server.url);
    const [openedBrowser, openedServer] = [browser, server];
    return { page, problems, close: async () => void (await Promise.all([openedBrowser.close(), openedServer.close()])) };
  } catch (e) {
    await Promise.all([browser?.close(), server?.close()]);
    throw e;
  }
}

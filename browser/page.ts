/**
 * Opens bundled pages in the system Chromium: serves the files on localhost (./server.ts), launches
 * Chromium (./chromium.ts) and hands back the Playwright page, with the page's errors and requests
 * recorded, and its long tasks timed from the start (browser/loadMetrics.ts). Used by the browser tests and by the demo's screenshot script.
 */
import type { Browser, Page } from 'playwright-core';
import { bundlePage, type PageFiles } from './bundle.js';
import { serveFiles, type StaticServer } from './server.js';
import { launchChromium } from './chromium.js';
import { recordLongTasks } from './loadMetrics.js';

export interface OpenedPage {
  page: Page;
  /** Uncaught page errors and console.error messages, in order. */
  problems: string[];
  /** Paths the page requested from the server, in order (to see which chunks were fetched when). */
  requests: string[];
  close(): Promise<void>;
}

const SHELL = '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>fastweights</title><script type="module" src="/main.js"></script>';

/** Opens the bundle of `entry` (a TypeScript file, relative to the repository root) in a minimal HTML shell. */
export async function openPage(chromiumPath: string, entry: string, options: { minify?: boolean } = {}): Promise<OpenedPage> {
  const bundle = await bundlePage(entry, options);
  bundle.set('/index.html', SHELL);
  return openFiles(chromiumPath, bundle);
}

/** Serves `bundle` (with its own /index.html) and opens it in a 1280 × 1000 viewport. */
export async function openFiles(chromiumPath: string, bundle: PageFiles): Promise<OpenedPage> {
  let server: StaticServer | null = null;
  let browser: Browser | null = null;
  try {
    server = await serveFiles(bundle);
    browser = await launchChromium(chromiumPath);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    // Before the page's own scripts, so that long tasks at load are seen (browser/loadMetrics.ts).
    await page.addInitScript(recordLongTasks);
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

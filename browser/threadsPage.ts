/**
 * The threads page (test/browser/pages/threads.ts) bundled with the demo's worker module
 * (demo/files.ts), served on localhost with or without the two cross-origin isolation headers, and
 * opened in Chromium: its report and its console lines. The browser suite's threads test and
 * `npm run demo:threads` use it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { bundlePage, type PageFiles } from './bundle.js';
import { ISOLATION_HEADERS } from './server.js';
import { DEMO_WORKERS } from '../demo/files.js';
import type { ThreadsReport } from '../test/browser/pages/threads.js';

const SHELL = '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>threads</title><script type="module" src="/main.js"></script>';

/** The page's files: its bundle, minified as the demo ships, with the worker module the demo's trainer loads. */
export async function threadsPageFiles(): Promise<PageFiles> {
  const files = await bundlePage('test/browser/pages/threads.ts', { minify: true, workers: DEMO_WORKERS });
  files.set('/index.html', SHELL);
  return files;
}

export interface ThreadsPageResult {
  report: ThreadsReport;
  /** The page's console lines and errors, in order. */
  console: string[];
}

/** Opens the page, served with or without the isolation headers, and waits for its report (it trains and times for a while). */
export async function openThreadsPage(browser: Browser, files: PageFiles, isolated: boolean): Promise<ThreadsPageResult> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const body = files.get(path === '/' ? '/index.html' : path);
    if (body === undefined) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/html', ...(isolated ? ISOLATION_HEADERS : {}) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const page = await browser.newPage();
  const lines: string[] = [];
  page.on('console', (message) => lines.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => lines.push(`page error: ${error.message}`));
  try {
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => (globalThis as { __threadsReport?: unknown }).__threadsReport !== undefined, null, { timeout: 240_000 });
    const report = (await page.evaluate(() => (globalThis as { __threadsReport?: unknown }).__threadsReport)) as ThreadsReport;
    return { report, console: lines };
  } finally {
    await page.close();
    await new Promise((resolve) => server.close(resolve));
  }
}

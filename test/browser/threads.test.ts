/**
 * Threads in headless Chromium: a page served with the COOP and COEP headers is cross-origin
 * isolated, and with `fastweights/threads` imported its wasm kernels split their calls between the
 * page's thread and a Web Worker of the pool, with the same bits as on one thread and the same
 * losses as Node; a page served without them trains on one thread, with a one-line notice. This
 * test serves its own pages (the demo server is not involved). Skipped without Chromium.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumForTests } from './harness.js';
import { bundlePage } from '../../browser/bundle.js';
import { launchChromium } from '../../browser/chromium.js';
import { deltaLayer, demoLosses } from './shared/threadsSteps.js';
import type { ThreadsReport } from './pages/threads.js';
import { setWasmThreads } from '../../kernels/index.js';

const chromium = chromiumForTests();
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const SHELL = '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>threads</title><script type="module" src="/main.js"></script>';

/** Opens the threads page, served with or without the isolation headers; returns its report and console lines. */
async function openThreadsPage(browser: Browser, files: Map<string, Uint8Array | string>, isolated: boolean): Promise<{ report: ThreadsReport; console: string[] }> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const body = files.get(path === '/' ? '/index.html' : path);
    if (body === undefined) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/html', ...(isolated ? ISOLATION : {}) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const page = await browser.newPage();
  const lines: string[] = [];
  page.on('console', (message) => lines.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => lines.push(`page error: ${error.message}`));
  try {
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => (globalThis as { __threadsReport?: unknown }).__threadsReport !== undefined, null, { timeout: 120_000 });
    const report = (await page.evaluate(() => (globalThis as { __threadsReport?: unknown }).__threadsReport)) as ThreadsReport;
    return { report, console: lines };
  } finally {
    await page.close();
    await new Promise((resolve) => server.close(resolve));
  }
}

const bits = (a: number[][]) => a.map((x) => Buffer.from(Float32Array.from(x).buffer).toString('base64'));

describe.runIf(chromium !== null)('threads in headless Chromium', () => {
  let browser: Browser;
  let isolated: { report: ThreadsReport; console: string[] };
  let plain: { report: ThreadsReport; console: string[] };

  beforeAll(async () => {
    const files = await bundlePage('test/browser/pages/threads.ts', { minify: true });
    files.set('/index.html', SHELL);
    browser = await launchChromium(chromium!);
    isolated = await openThreadsPage(browser, files, true);
    plain = await openThreadsPage(browser, files, false);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('served with COOP and COEP, the page is cross-origin isolated and its kernels use two threads (the pool has one Web Worker, which takes kernel jobs)', () => {
    const { report } = isolated;
    expect(report.error, isolated.console.join('\n')).toBe('');
    expect(report.isolated).toBe(true);
    expect(report.unavailable).toBe('');
    expect(report.runs.map((r) => r.kernelThreads)).toEqual([1, 2]);
    expect(report.poolThreads).toBe(1);
    expect(report.runs[0]!.jobs).toBe(0);
    expect(report.runs[1]!.jobs).toBeGreaterThan(0);
    const [one, two] = report.runs as [ThreadsReport['runs'][0], ThreadsReport['runs'][0]];
    // Timings on a loaded machine are not a measurement: printed, not asserted.
    console.log(`threads page (under load): demo step ${one.stepMs.toFixed(1)} ms on 1 thread, ${two.stepMs.toFixed(1)} ms on 2; delta layer fwd+bwd [8, 256, 64] ${one.layerMs.toFixed(1)} ms on 1, ${two.layerMs.toFixed(1)} ms on 2 (${(one.layerMs / two.layerMs).toFixed(2)}x)`);
  });

  it('two threads give the same bits as one in the page, and the losses Node gets (to 1e-6)', () => {
    const [one, two] = isolated.report.runs as [ThreadsReport['runs'][0], ThreadsReport['runs'][0]];
    expect(two.losses).toEqual(one.losses);
    expect(bits(two.layer)).toEqual(bits(one.layer));
    setWasmThreads(1);
    const node = demoLosses();
    for (const rule of ['delta', 'sum'] as const) {
      expect(one.losses[rule]).toHaveLength(node[rule].length);
      one.losses[rule].forEach((loss, i) => expect(Math.abs(loss - node[rule][i]!), `${rule} step ${i}`).toBeLessThanOrEqual(1e-6));
    }
    const layer = deltaLayer();
    let worst = 0;
    layer.forEach((a, i) => a.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - one.layer[i]![j]!)))));
    expect(worst).toBeLessThanOrEqual(1e-6);
  });

  it('served without them, the page trains on one thread, with a one-line notice, and the same losses', () => {
    const { report } = plain;
    expect(report.error, plain.console.join('\n')).toBe('');
    expect(report.isolated).toBe(false);
    expect(report.unavailable).toMatch(/not cross-origin isolated/);
    expect(report.runs.map((r) => r.kernelThreads)).toEqual([1, 1]);
    expect(plain.console.filter((line) => line.includes('fastweights: the wasm kernels run on one thread'))).toEqual([
      'warning: fastweights: the wasm kernels run on one thread: the page is not cross-origin isolated (it needs the COOP and COEP headers, docs/browser.md)',
    ]);
    expect(report.runs[1]!.losses).toEqual(isolated.report.runs[0]!.losses);
  });
});

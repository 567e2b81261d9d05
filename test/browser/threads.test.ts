/**
 * Threads in headless Chromium: a page served with the COOP and COEP headers is cross-origin
 * isolated, and with `fastweights/threads` imported its wasm kernels split their calls between the
 * page's thread and a Web Worker of the pool, and the demo's training steps run data-parallel (one
 * micro-batch on the page's thread, the other on the pool's worker, which loads the demo's worker
 * module), with the same bits as on one thread and the same losses as Node; the demo's two models
 * train each on a pool worker of its own (two Web Workers), with the bits of the page's thread; a
 * page served without them trains on one thread, with a one-line notice. The page also times a
 * data-parallel step and the demo's training on one thread and on two: printed, not asserted. This test serves its own pages (browser/threadsPage.ts;
 * the demo server is not involved). Skipped without Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumForTests } from './harness.js';
import { launchChromium } from '../../browser/chromium.js';
import { openThreadsPage, threadsPageFiles, type ThreadsPageResult } from '../../browser/threadsPage.js';
import { deltaLayer, demoLosses } from './shared/threadsSteps.js';
import type { ThreadsReport } from './pages/threads.js';
import { setWasmThreads } from '../../kernels/index.js';

const chromium = chromiumForTests();

const bits = (a: number[][]) => a.map((x) => Buffer.from(Float32Array.from(x).buffer).toString('base64'));

describe.runIf(chromium !== null)('threads in headless Chromium', () => {
  let browser: Browser;
  let isolated: ThreadsPageResult;
  let plain: ThreadsPageResult;

  beforeAll(async () => {
    const files = await threadsPageFiles();
    browser = await launchChromium(chromium!);
    isolated = await openThreadsPage(browser, files, true);
    plain = await openThreadsPage(browser, files, false);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('served with COOP and COEP, the page is cross-origin isolated; its kernels and its data-parallel steps use two threads (the page\'s and a Web Worker of the pool, which ends with two)', () => {
    const { report } = isolated;
    expect(report.error, isolated.console.join('\n')).toBe('');
    expect(report.isolated).toBe(true);
    expect(report.unavailable).toBe('');
    expect(report.runs.map((r) => r.kernelThreads)).toEqual([1, 2]);
    expect(report.runs.map((r) => r.stepThreads)).toEqual([1, 2]);
    // The data-parallel steps and the kernels used one Web Worker; the demo's two models took one each.
    expect(report.poolThreads).toBe(2);
    // One thread: the worker took nothing. Two: kernel jobs, and one micro-batch of every training step.
    expect([report.runs[0]!.jobs, report.runs[0]!.parts]).toEqual([0, 0]);
    expect(report.runs[1]!.jobs).toBeGreaterThan(0);
    expect(report.runs[1]!.parts).toBe(2 * report.runs[1]!.losses.delta.length);
    const timing = report.timing!;
    expect(timing.steps).toBeGreaterThan(0);
    // The demo's kernel calls are below the split size: on "one thread" the worker ran nothing of a step.
    expect(timing.jobs).toBe(0);
    const [one, two] = report.runs as [ThreadsRun, ThreadsRun];
    // Timings on a loaded machine are not a measurement: printed, not asserted (npm run demo:threads on a quiet one).
    const slices = report.workers!.timing;
    expect(slices.steps.twoThreads).toBeGreaterThan(0);
    console.log(
      `threads page (under load): the demo's training (a step of each model) ${slices.oneThreadMs.toFixed(2)} ms on the page's thread, ${slices.twoThreadsMs.toFixed(2)} ms with each model on a worker (${slices.ratio.toFixed(2)}x); ` +
        `a data-parallel step of both models (median of ${timing.steps}) ${timing.oneThreadMs.toFixed(2)} ms on 1 thread, ${timing.twoThreadsMs.toFixed(2)} ms on 2 (${timing.ratio.toFixed(2)}x); ` +
        `on 2, the page's thread ran its micro-batches for ${timing.parts.twoThreads.hereMs.toFixed(2)} ms and waited ${timing.parts.twoThreads.waitMs.toFixed(2)} ms for the worker's; ` +
        `delta layer fwd+bwd [8, 256, 64] ${one.layerMs.toFixed(1)} ms on 1, ${two.layerMs.toFixed(1)} ms on 2 (${(one.layerMs / two.layerMs).toFixed(2)}x)`,
    );
  });

  it('two threads give the same bits as one in the page, and the losses Node gets (to 1e-6)', async () => {
    const [one, two] = isolated.report.runs as [ThreadsRun, ThreadsRun];
    expect(two.losses).toEqual(one.losses);
    expect(bits(two.layer)).toEqual(bits(one.layer));
    setWasmThreads(1);
    const node = (await demoLosses(1)).losses;
    for (const rule of ['delta', 'sum'] as const) {
      expect(one.losses[rule]).toHaveLength(node[rule].length);
      one.losses[rule].forEach((loss, i) => expect(Math.abs(loss - node[rule][i]!), `${rule} step ${i}`).toBeLessThanOrEqual(1e-6));
    }
    const layer = deltaLayer();
    let worst = 0;
    layer.forEach((a, i) => a.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - one.layer[i]![j]!)))));
    expect(worst).toBeLessThanOrEqual(1e-6);
  });

  it('each of the demo\'s models trained on a Web Worker of its own, in slices, gets the bits of the page\'s thread', () => {
    const { workers, runs } = isolated.report;
    expect(workers).not.toBeNull();
    expect(workers!.losses).toEqual(runs[0]!.losses);
  });

  it('served without them, the page trains on one thread, with a one-line notice, and the same losses', () => {
    const { report } = plain;
    expect(report.error, plain.console.join('\n')).toBe('');
    expect(report.isolated).toBe(false);
    expect(report.unavailable).toMatch(/not cross-origin isolated/);
    expect(report.runs.map((r) => r.kernelThreads)).toEqual([1, 1]);
    expect(report.runs.map((r) => r.stepThreads)).toEqual([1, 1]);
    expect(report.timing).toBeNull();
    expect(report.workers).toBeNull();
    expect(plain.console.filter((line) => line.includes('fastweights: the wasm kernels run on one thread'))).toEqual([
      'warning: fastweights: the wasm kernels run on one thread: the page is not cross-origin isolated (it needs the COOP and COEP headers, docs/browser.md)',
    ]);
    expect(report.runs[1]!.losses).toEqual(isolated.report.runs[0]!.losses);
  });
});

type ThreadsRun = ThreadsReport['runs'][0];

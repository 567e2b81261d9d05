/**
 * `npm run demo:threads`: in headless Chromium, in one page load (browser/threadsPage.ts: the page
 * the browser suite's threads test opens, served cross-origin isolated), the demo's training (a
 * step of each of its two retrieval models) on the page's thread and with each model on a pool
 * worker of its own, as the demo runs it (demo/workerSlices.ts), and a data-parallel step of the
 * two on one thread and on two. Prints the times and their ratios, with `uptime` before and after:
 * on a machine busy with other work the ratios say little.
 */
import { execFileSync } from 'node:child_process';
import { CHROMIUM_INSTALL_HINT, findChromium, launchChromium } from '../browser/chromium.js';
import { openThreadsPage, threadsPageFiles } from '../browser/threadsPage.js';
import { PAGE_SLICE_MS, WORKER_SLICE_MS } from './workerSlices.js';

const chromium = findChromium();
if (chromium === null) throw new Error(`no Chromium found: ${CHROMIUM_INSTALL_HINT}`);
const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

console.log(`machine: ${uptime()}`);
const browser = await launchChromium(chromium);
try {
  const { report, console: lines } = await openThreadsPage(browser, await threadsPageFiles(), true);
  if (report.error !== '') throw new Error(`the page failed: ${report.error}\n${lines.join('\n')}`);
  if (report.timing === null) throw new Error(`the page could not train on two threads: ${report.unavailable || 'its steps ran on one'}`);
  const { oneThreadMs, twoThreadsMs, ratio, steps, parts } = report.timing;
  const slices = report.workers!.timing;
  console.log(`the demo's training in headless Chromium (slices of ${PAGE_SLICE_MS} ms on the page's thread, ${WORKER_SLICE_MS} ms on the workers, ${slices.slices} rounds of ${WORKER_SLICE_MS} ms on each, alternating; per demo step, a step of each model):`);
  console.log(`  1 thread (the page's, the models in turn): ${slices.oneThreadMs.toFixed(2)} ms (${slices.steps.oneThread} steps)`);
  console.log(`  2 threads (each model on a Web Worker):    ${slices.twoThreadsMs.toFixed(2)} ms (${slices.steps.twoThreads} steps; a step on its worker: delta ${slices.workerStepMs.delta.toFixed(2)} ms, sum ${slices.workerStepMs.sum.toFixed(2)} ms)`);
  console.log(`  ratio: ${slices.ratio.toFixed(2)}x`);
  const where = (total: number, { hereMs, waitMs }: { hereMs: number; waitMs: number }) =>
    `(the page's thread: its micro-batches ${hereMs.toFixed(2)} ms, waiting for the worker's ${waitMs.toFixed(2)} ms, the rest ${(total - hereMs - waitMs).toFixed(2)} ms)`;
  console.log(`a data-parallel step of both models (batch 32 as two micro-batches of 16; median of ${steps} steps each, alternating rounds):`);
  console.log(`  1 thread:  ${oneThreadMs.toFixed(2)} ms ${where(oneThreadMs, parts.oneThread)}`);
  console.log(`  2 threads: ${twoThreadsMs.toFixed(2)} ms, the page's thread and the pool's Web Worker ${where(twoThreadsMs, parts.twoThreads)}`);
  console.log(`  ratio: ${ratio.toFixed(2)}x`);
} finally {
  await browser.close();
}
console.log(`machine: ${uptime()}`);

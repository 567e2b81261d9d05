/**
 * `npm run demo:threads`: the demo's training step (a step of each of its two retrieval models, as
 * the page's training loop takes them) on one thread and on two, in headless Chromium, in one page
 * load (browser/threadsPage.ts: the page the browser suite's threads test opens, served cross-origin
 * isolated). Prints the two medians and their ratio, with `uptime` before and after: on a machine
 * busy with other work the ratio says little.
 */
import { execFileSync } from 'node:child_process';
import { CHROMIUM_INSTALL_HINT, findChromium, launchChromium } from '../browser/chromium.js';
import { openThreadsPage, threadsPageFiles } from '../browser/threadsPage.js';

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
  const where = (total: number, { hereMs, waitMs }: { hereMs: number; waitMs: number }) =>
    `(the page's thread: its micro-batches ${hereMs.toFixed(2)} ms, waiting for the worker's ${waitMs.toFixed(2)} ms, the rest ${(total - hereMs - waitMs).toFixed(2)} ms)`;
  console.log(`the demo's training step in headless Chromium (both models, batch 32 as two micro-batches of 16; median of ${steps} steps each, alternating rounds):`);
  console.log(`  1 thread:  ${oneThreadMs.toFixed(2)} ms ${where(oneThreadMs, parts.oneThread)}`);
  console.log(`  2 threads: ${twoThreadsMs.toFixed(2)} ms, the page's thread and the pool's Web Worker ${where(twoThreadsMs, parts.twoThreads)}`);
  console.log(`  ratio: ${ratio.toFixed(2)}x`);
} finally {
  await browser.close();
}
console.log(`machine: ${uptime()}`);

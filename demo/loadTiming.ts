/**
 * `npm run demo:timing -- [--loads N]`: how fast the demo page comes up in the system Chromium.
 * N cold loads (default 5; a fresh browser each) and two warm reloads after each: the first
 * contentful paint (when the frame was presented, and when it was painted), the main thread's long
 * tasks (over 50 ms) until the page has started, and when the chunk with the WebAssembly kernels was
 * requested. The
 * figures depend on how busy the machine is: `uptime` is printed beside them.
 */
import { execFileSync } from 'node:child_process';
import { CHROMIUM_INSTALL_HINT, findChromium } from '../browser/chromium.js';
import { openFiles } from '../browser/page.js';
import { readLoadMetrics, type LoadMetrics } from '../browser/loadMetrics.js';
import { demoFiles, scriptsCompilingWasm } from './files.js';
import { readStatus } from './status.js';

const at = process.argv.indexOf('--loads');
const loads = at < 0 ? 5 : Number(process.argv[at + 1]);
if (!Number.isInteger(loads) || loads < 1) throw new Error(`--loads must be a positive integer, got '${process.argv[at + 1] ?? ''}'`);
const chromium = findChromium();
if (chromium === null) throw new Error(`no Chromium found: ${CHROMIUM_INSTALL_HINT}`);

const files = await demoFiles();
const kernelChunks = scriptsCompilingWasm(files);
const ms = (value: number) => `${value.toFixed(0)} ms`;
const range = (values: number[]) => (values.length === 0 ? 'none' : `${ms(Math.min(...values))} to ${ms(Math.max(...values))}`);
const seen = { cold: [] as LoadMetrics[], warm: [] as LoadMetrics[] };
console.log(`machine: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
for (let i = 0; i < loads; i++) {
  const opened = await openFiles(chromium, files);
  try {
    for (let reload = 0; reload < 3; reload++) {
      if (reload > 0) await opened.page.reload();
      await opened.page.waitForFunction(readStatus, null, { timeout: 60_000 });
      await opened.page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, null, { timeout: 10_000 }).catch(() => undefined);
      const load = await opened.page.evaluate(readLoadMetrics);
      const kernels = load.resources.find((r) => kernelChunks.includes(r.path));
      (reload === 0 ? seen.cold : seen.warm).push(load);
      console.log(
        `${reload === 0 ? 'cold' : 'warm'}: first contentful paint ${ms(load.firstContentfulPaintMs)} (painted at ${ms(load.firstContentfulPaintRenderedMs)}); ` +
          `the kernels' chunk requested at ${kernels === undefined ? '(not yet)' : ms(kernels.startMs)}; long tasks: ${load.longTasks.map((t) => `${ms(t.ms)} at ${ms(t.startMs)}`).join(', ') || 'none'}`,
      );
    }
  } finally {
    await opened.close();
  }
}
for (const kind of ['cold', 'warm'] as const) {
  const runs = seen[kind];
  console.log(`${kind} (${runs.length}): first contentful paint ${range(runs.map((r) => r.firstContentfulPaintMs))}; long tasks ${range(runs.flatMap((r) => r.longTasks.map((t) => t.ms)))} (${runs.filter((r) => r.longTasks.length > 0).length} of ${runs.length} loads had any)`);
}
console.log(`machine: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);

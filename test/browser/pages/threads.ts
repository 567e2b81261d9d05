/**
 * The threads page (test/browser/threads.test.ts): imports `fastweights/threads` as a user's page
 * would, then trains the demo's models and runs a delta layer's scans on one thread and on two
 * (shared/threadsSteps.ts), and publishes what it saw: whether the page is cross-origin isolated,
 * the threads the kernels used, the kernel jobs the pool's Web Workers took, the results, the times.
 */
import { setWasmThreads } from '../../../src/index.js';
import { threadPool, threadsUnavailableReason } from '../../../src/threads.js';
import { wasmRuntime } from '../../../kernels/index.js';
import { deltaLayer, demoLosses } from '../shared/threadsSteps.js';

export interface ThreadsRun {
  /** Threads a kernel call could use (this one included). */
  kernelThreads: number;
  /** Kernel jobs handed to the pool's threads during the run. */
  jobs: number;
  losses: { delta: number[]; sum: number[] };
  layer: number[][];
  /** Milliseconds of one demo training step (both models, median of the steps) and of the delta layer. */
  stepMs: number;
  layerMs: number;
}

export interface ThreadsReport {
  isolated: boolean;
  unavailable: string;
  runs: ThreadsRun[];
  poolThreads: number;
  error: string;
}

async function runOn(threads: number): Promise<ThreadsRun> {
  setWasmThreads(threads);
  // The pool's Web Worker takes kernel jobs once it has started (a turn of this page's event loop).
  for (let waited = 0; wasmRuntime()!.threads < threads && threadsUnavailableReason() === '' && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  const kernelThreads = wasmRuntime()!.threads;
  const jobsBefore = threadsUnavailableReason() === '' ? threadPool().jobsPosted : 0;
  const started = performance.now();
  const losses = demoLosses();
  const stepMs = (performance.now() - started) / losses.delta.length;
  deltaLayer(); // warm-up: first allocations, the workers' first jobs
  const layerStart = performance.now();
  const layer = deltaLayer();
  const layerMs = performance.now() - layerStart;
  const jobs = (threadsUnavailableReason() === '' ? threadPool().jobsPosted : 0) - jobsBefore;
  return { kernelThreads, jobs, losses, layer, stepMs, layerMs };
}

async function run(): Promise<ThreadsReport> {
  const report: ThreadsReport = { isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true, unavailable: threadsUnavailableReason(), runs: [], poolThreads: 0, error: '' };
  try {
    report.runs.push(await runOn(1));
    report.runs.push(await runOn(2));
    report.poolThreads = report.unavailable === '' ? threadPool().size : 0;
  } catch (e) {
    report.error = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
  }
  return report;
}

(globalThis as { __threadsReport?: ThreadsReport }).__threadsReport = await run();

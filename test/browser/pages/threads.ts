/**
 * The threads page (test/browser/threads.test.ts, and `npm run demo:threads`): imports
 * `fastweights/threads` as a user's page would, then trains the demo's models with data-parallel
 * steps and runs a delta layer's scans on one thread and on two (shared/threadsSteps.ts), times a
 * data-parallel step on one thread and on two, trains the demo's models each on a pool worker of
 * its own and times the demo's training so and on the page's thread, and publishes what it saw:
 * whether the page is cross-origin isolated, the threads the kernels and the steps used, the kernel
 * jobs and the micro-batches the pool's Web Workers took, the results, the times.
 */
import { setWasmThreads } from '../../../src/index.js';
import { threadPool, threadsUnavailableReason } from '../../../src/threads.js';
import { wasmRuntime } from '../../../kernels/index.js';
import { deltaLayer, demoLosses, demoSliceTimes, demoStepTimes, demoWorkerLosses, type DemoSliceTimes, type DemoStepTimes } from '../shared/threadsSteps.js';

export interface ThreadsRun {
  /** Threads a kernel call could use (this one included). */
  kernelThreads: number;
  /** Threads a demo training step ran on (this one included). */
  stepThreads: number;
  /** Kernel jobs handed to the pool's threads during the run. */
  jobs: number;
  /** Requests (micro-batches of training steps) the pool's threads answered during the run. */
  parts: number;
  losses: { delta: number[]; sum: number[] };
  layer: number[][];
  /** Milliseconds of the delta layer. */
  layerMs: number;
}

export interface ThreadsReport {
  isolated: boolean;
  unavailable: string;
  runs: ThreadsRun[];
  /** A data-parallel training step of the demo's models on one thread and on two, timed in this page; null where it could not run on two. */
  timing: (DemoStepTimes & { ratio: number; jobs: number }) | null;
  /** The demo's models trained each on a pool worker of its own: their losses (DEMO_STEPS each), and the demo's training timed so and on the page's thread; null where workers could not run. */
  workers: { losses: { delta: number[]; sum: number[] }; timing: DemoSliceTimes & { ratio: number } } | null;
  /** Web Workers in the pool. */
  poolThreads: number;
  error: string;
}

const poolCount = (count: (pool: ReturnType<typeof threadPool>) => number) => (threadsUnavailableReason() === '' ? count(threadPool()) : 0);

async function runOn(threads: number): Promise<ThreadsRun> {
  setWasmThreads(threads);
  // The pool's Web Worker takes kernel jobs once it has started (a turn of this page's event loop).
  for (let waited = 0; wasmRuntime()!.threads < threads && threadsUnavailableReason() === '' && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  const kernelThreads = wasmRuntime()!.threads;
  const [jobsBefore, partsBefore] = [poolCount((p) => p.jobsPosted), poolCount((p) => p.requestsSent)];
  const { losses, threadsUsed } = await demoLosses(threads);
  deltaLayer(); // warm-up: first allocations, the workers' first jobs
  const layerStart = performance.now();
  const layer = deltaLayer();
  const layerMs = performance.now() - layerStart;
  return { kernelThreads, stepThreads: threadsUsed, jobs: poolCount((p) => p.jobsPosted) - jobsBefore, parts: poolCount((p) => p.requestsSent) - partsBefore, losses, layer, layerMs };
}

async function run(): Promise<ThreadsReport> {
  const report: ThreadsReport = { isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true, unavailable: threadsUnavailableReason(), runs: [], timing: null, workers: null, poolThreads: 0, error: '' };
  try {
    report.runs.push(await runOn(1));
    report.runs.push(await runOn(2));
    if (report.runs[1]!.stepThreads === 2) {
      const jobsBefore = poolCount((p) => p.jobsPosted);
      const times = await demoStepTimes();
      report.timing = { ...times, ratio: times.oneThreadMs / times.twoThreadsMs, jobs: poolCount((p) => p.jobsPosted) - jobsBefore };
      const losses = await demoWorkerLosses();
      const slices = await demoSliceTimes();
      report.workers = { losses, timing: { ...slices, ratio: slices.oneThreadMs / slices.twoThreadsMs } };
    }
    report.poolThreads = poolCount((p) => p.size);
  } catch (e) {
    report.error = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
  }
  return report;
}

(globalThis as { __threadsReport?: ThreadsReport }).__threadsReport = await run();

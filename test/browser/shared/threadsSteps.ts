/**
 * What the threads page (pages/threads.ts) runs, the same in a page and in Node: a few training
 * steps of the demo's two retrieval models (demo/retrievalTrainer.ts: data-parallel steps, two
 * micro-batches, on one thread or on two), the time of such a step on one thread and on two, the
 * demo's training as its page runs it (slices of a step of each model in turn on the page's thread,
 * or of each model on a pool worker of its own, demo/workerSlices.ts: its losses and its speed on
 * one thread and on two), and one forward and backward of a delta-rule layer at the standard shape
 * (8 heads, T = 256, d = 64: work the wasm kernels split over threads; the demo's models are below
 * the size where a kernel split pays, 2²⁰ scan cells). The worker slices run in a page only.
 */
import { RetrievalTrainer, RULES, stepInTurn, type Rule } from '../../../demo/retrievalTrainer.js';
import { PAGE_SLICE_MS, WORKER_SLICE_MS, WorkerSlices } from '../../../demo/workerSlices.js';
import { getBackend } from '../../../src/index.js';
import { Rng } from '../../../src/tensor/rng.js';

export const DEMO_STEPS = 6;
const RULE_NAMES = Object.keys(RULES) as Rule[];

/** The losses of DEMO_STEPS steps of each of the demo's models, each step on `threads` threads (the parts' threads it used beside). */
export async function demoLosses(threads = 1): Promise<{ losses: Record<Rule, number[]>; threadsUsed: number }> {
  const losses = { delta: [] as number[], sum: [] as number[] };
  let threadsUsed = 0;
  for (const rule of RULE_NAMES) {
    const trainer = new RetrievalTrainer(rule, { threads });
    try {
      threadsUsed = Math.max(threadsUsed, trainer.threads);
      for (let i = 0; i < DEMO_STEPS; i++) losses[rule].push(await trainer.step());
    } finally {
      trainer.close();
    }
  }
  return { losses, threadsUsed };
}

export interface DemoStepTimes {
  /** Median milliseconds of one demo step (a step of each model, as the page's training loop takes them). */
  oneThreadMs: number;
  twoThreadsMs: number;
  /**
   * Where a step's time went on the page's thread, medians over the steps, in milliseconds: its
   * micro-batches (forward and backward; on two threads with handing the worker's out), and waiting
   * for the worker's (src/train/dataParallel.ts); the rest is drawing the batch, cutting it, adding
   * the worker's gradients and Adam.
   */
  parts: { oneThread: { hereMs: number; waitMs: number }; twoThreads: { hereMs: number; waitMs: number } };
  /** Demo steps timed on each. */
  steps: number;
}

/**
 * The demo's training step timed on one thread and on two in the same minutes: after `warmUp`
 * steps each, `rounds` rounds of `perRound` steps on one thread then on two; the medians.
 */
export async function demoStepTimes(rounds = 8, perRound = 10, warmUp = 10): Promise<DemoStepTimes> {
  const trainers = [1, 2].map((threads) => RULE_NAMES.map((rule) => new RetrievalTrainer(rule, { threads })));
  const times: number[][] = [[], []];
  const here: number[][] = [[], []];
  const wait: number[][] = [[], []];
  const demoStep = async (models: RetrievalTrainer[]) => {
    let [hereMs, waitMs] = [0, 0];
    for (const trainer of models) {
      await trainer.step();
      hereMs += trainer.lastStepTimes.hereMs;
      waitMs += trainer.lastStepTimes.waitMs;
    }
    return { hereMs, waitMs };
  };
  try {
    for (const models of trainers) for (let i = 0; i < warmUp; i++) await demoStep(models);
    for (let round = 0; round < rounds; round++) {
      for (const [t, models] of trainers.entries()) {
        for (let i = 0; i < perRound; i++) {
          const started = performance.now();
          const parts = await demoStep(models);
          times[t]!.push(performance.now() - started);
          here[t]!.push(parts.hereMs);
          wait[t]!.push(parts.waitMs);
        }
      }
    }
  } finally {
    trainers.flat().forEach((trainer) => trainer.close());
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const split = (t: number) => ({ hereMs: median(here[t]!), waitMs: median(wait[t]!) });
  return { oneThreadMs: median(times[0]!), twoThreadsMs: median(times[1]!), steps: rounds * perRound, parts: { oneThread: split(0), twoThreads: split(1) } };
}

/** The losses of DEMO_STEPS steps of each of the demo's models, each model on a pool worker of its own, in slices of 3 steps. */
export async function demoWorkerLosses(): Promise<Record<Rule, number[]>> {
  const trainers = RULE_NAMES.map((rule) => new RetrievalTrainer(rule));
  const workers = new WorkerSlices(trainers.length);
  try {
    while (trainers[0]!.steps < DEMO_STEPS) await workers.slice(trainers, Infinity, Math.min(3, DEMO_STEPS - trainers[0]!.steps));
  } finally {
    workers.close();
  }
  return { delta: [...trainers[0]!.losses], sum: [...trainers[1]!.losses] };
}

export interface DemoSliceTimes {
  /** Milliseconds of training per demo step (a step of each model), wall time over the slices' steps. */
  oneThreadMs: number;
  twoThreadsMs: number;
  /** Rounds of WORKER_SLICE_MS timed on each, and the steps they made (both models together). */
  slices: number;
  steps: { oneThread: number; twoThreads: number };
  /** Median step time of each model on the workers, milliseconds (their own clocks). */
  workerStepMs: Record<Rule, number>;
}

/**
 * The demo's training as its page runs it (demo/retrievalPanel.ts): on one thread, the page's
 * thread takes a step of each model in turn until its slice of PAGE_SLICE_MS is up; on two, each
 * model trains for a slice of WORKER_SLICE_MS on a pool worker of its own, both at once. After
 * `warmUp` rounds, `rounds` rounds of WORKER_SLICE_MS on each; the wall time per demo step (a step
 * of each model) over all of them, messages and state copies included.
 */
export async function demoSliceTimes(rounds = 20, warmUp = 2): Promise<DemoSliceTimes> {
  const pageTrainers = RULE_NAMES.map((rule) => new RetrievalTrainer(rule));
  const workerTrainers = RULE_NAMES.map((rule) => new RetrievalTrainer(rule));
  const workers = new WorkerSlices(workerTrainers.length);
  // The page's slices, for as long as a workers' slice: both timed over the same wall time.
  const onPage = async () => {
    const started = performance.now();
    while (performance.now() - started < WORKER_SLICE_MS) await stepInTurn(pageTrainers, PAGE_SLICE_MS);
  };
  const onWorkers = () => workers.slice(workerTrainers, WORKER_SLICE_MS);
  const stepsOf = (trainers: RetrievalTrainer[]) => trainers.reduce((sum, t) => sum + t.steps, 0);
  const wall = [0, 0];
  const steps = [0, 0];
  const workerTimes: Record<Rule, number[]> = { delta: [], sum: [] };
  try {
    for (let i = 0; i < warmUp; i++) {
      await onPage();
      await onWorkers();
    }
    for (let round = 0; round < rounds; round++) {
      for (const [t, [run, trainers]] of ([[onPage, pageTrainers], [onWorkers, workerTrainers]] as const).entries()) {
        const before = stepsOf(trainers);
        const started = performance.now();
        await run();
        wall[t]! += performance.now() - started;
        steps[t]! += stepsOf(trainers) - before;
      }
      workerTrainers.forEach((trainer) => workerTimes[trainer.rule].push(...trainer.stepTimes));
    }
  } finally {
    workers.close();
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return {
    oneThreadMs: wall[0]! / (steps[0]! / RULE_NAMES.length),
    twoThreadsMs: wall[1]! / (steps[1]! / RULE_NAMES.length),
    slices: rounds,
    steps: { oneThread: steps[0]!, twoThreads: steps[1]! },
    workerStepMs: { delta: median(workerTimes.delta), sum: median(workerTimes.sum) },
  };
}

/** One delta-layer scan forward and backward [N = 8, T = 256, d = 64]: its outputs, as plain numbers. */
export function deltaLayer(): number[][] {
  const rng = new Rng(5);
  const N = 8, T = 256, d = 64;
  const draw = (n: number, scale: number) => Float32Array.from({ length: n }, () => scale * (2 * rng.uniform() - 1));
  const q = draw(N * T * d, 1 / 8), k = draw(N * T * d, 1 / 8), v = draw(N * T * d, 1), beta = Float32Array.from({ length: N * T }, () => rng.uniform());
  const dy = draw(N * T * d, 1);
  const args = { q, k, v, beta, N, T, dk: d, dv: d, initialState: null };
  const forward = getBackend().deltaScanForward(args);
  const grads = getBackend().deltaScanBackward({ ...args, forward, dy, dFinalState: null });
  return [forward.y, grads.dq, grads.dk, grads.dv, grads.dbeta].map((a) => Array.from(a));
}

/**
 * The training loop shared by the language model and the translation model: schedule → forward →
 * finite-loss check → backward (or both through computeGradients, data-parallel) → gradient
 * clipping → optimiser step, with evaluation, checkpoints
 * and progress at fixed intervals, and a budget in steps or minutes.
 *
 * Determinism: everything random lives in generators whose states the caller saves with each
 * checkpoint (data order, dropout, FAVOR+ draws), and evaluation consumes none of them, so a run
 * resumed from a checkpoint takes exactly the steps the uninterrupted run would have taken.
 */
import { withScratch } from '../../kernels/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { inference, type Module } from '../nn/module.js';
import { debugChecksEnabled } from '../autograd/graph.js';
import { clipGradNorm, type Optimizer } from './optim.js';
import type { Schedule } from './schedule.js';
import type { Progress } from './progress.js';

export interface StepRecord {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
}

export interface EvalRecord {
  step: number;
  [metric: string]: number;
}

export interface TrainHistory {
  steps: StepRecord[];
  evals: EvalRecord[];
  /** Seconds spent training in this and all earlier (resumed) runs. */
  elapsedSeconds: number;
}

export interface TrainLoopOptions {
  model: Module;
  optimizer: Optimizer;
  schedule: Schedule;
  /** Global gradient-norm limit (0 or undefined: no clipping). */
  clip?: number;
  /** Stop after this many steps in total (counting steps done before a resume). */
  steps?: number;
  /** Stop once this run has trained this many minutes. */
  minutes?: number;
  /** One training step's loss, and how many tokens it covered (for tokens/s). */
  computeLoss?: (step: number) => { loss: Tensor; tokens: number };
  /**
   * Run computeLoss and the backward in a scratch scope (kernels/alloc.ts): faster, but nothing that
   * computeLoss allocates may be kept past its step (a tensor cached on a module, a state carried to
   * the next step). Off by default; `FASTWEIGHTS_SCRATCH_POISON=1` shows a broken contract as NaN.
   */
  scratch?: boolean;
  /**
   * Instead of computeLoss: fills the parameters' gradients itself (data-parallel over threads,
   * ./dataParallel.ts) and returns the loss and the tokens it covered.
   */
  computeGradients?: (step: number) => Promise<{ loss: number; tokens: number }>;
  evaluate?: (step: number) => Record<string, number>;
  evalEvery?: number;
  /** Writes a checkpoint; called every saveEvery steps, at the end, and on interruption. */
  save?: (step: number, history: TrainHistory) => void;
  saveEvery?: number;
  progress?: Progress;
  /** Polled every step: true stops the loop (it still saves), e.g. after Ctrl-C. */
  shouldStop?: () => boolean;
  /** From a checkpoint; a fresh run starts empty. */
  history?: TrainHistory;
  /** The clock in ms (tests pass a fake one). */
  now?: () => number;
}

export interface TrainLoopResult {
  history: TrainHistory;
  step: number;
  stoppedBy: 'steps' | 'minutes' | 'interrupt';
  /** Steps, tokens and seconds of this run alone (a resumed run's earlier runs not counted), for its speed. */
  runSteps: number;
  runTokens: number;
  runSeconds: number;
}

export async function trainLoop(options: TrainLoopOptions): Promise<TrainLoopResult> {
  const { model, optimizer, schedule } = options;
  if (options.steps === undefined && options.minutes === undefined) throw new Error('trainLoop: give a budget (steps or minutes)');
  if ((options.computeLoss === undefined) === (options.computeGradients === undefined)) throw new Error('trainLoop: give exactly one of computeLoss and computeGradients');
  const now = options.now ?? (() => performance.now());
  const history: TrainHistory = options.history ?? { steps: [], evals: [], elapsedSeconds: 0 };
  const params = model.namedParameters();
  const start = now();
  const elapsedBefore = history.elapsedSeconds;
  let step = optimizer.stepCount;
  const firstStep = step;
  let tokens = 0;
  let stoppedBy: TrainLoopResult['stoppedBy'] = 'steps';
  let savedAt = -1;
  const save = () => {
    if (savedAt === step) return;
    options.save?.(step, history);
    savedAt = step;
  };
  const minutesUsed = () => (now() - start) / 60_000;
  // The fraction of the budget used, for schedules that decay to the end of a time budget. A resumed
  // run with --minutes M spreads the rest of the decay over the time trained before plus M, so a run
  // stopped at 20 of 60 minutes and resumed with --minutes 40 follows the uninterrupted schedule.
  const budgetProgress = (): number => {
    if (options.steps !== undefined) return Math.min(step / options.steps, 1);
    const before = elapsedBefore;
    return Math.min((before + minutesUsed() * 60) / (before + options.minutes! * 60), 1);
  };

  model.train();
  for (;;) {
    if (options.steps !== undefined && step >= options.steps) {
      stoppedBy = 'steps';
      break;
    }
    if (options.minutes !== undefined && minutesUsed() >= options.minutes) {
      stoppedBy = 'minutes';
      break;
    }
    // Yield to the event loop once a step so that signal handlers (Ctrl-C → save and stop) can run.
    await new Promise<void>((resolve) => yieldToEventLoop(resolve));
    if (options.shouldStop?.()) {
      stoppedBy = 'interrupt';
      break;
    }
    step++;
    optimizer.lr = schedule(step, budgetProgress());
    optimizer.zeroGrad();
    let value: number;
    let stepTokens: number;
    if (options.computeGradients) {
      ({ loss: value, tokens: stepTokens } = await options.computeGradients(step));
      checkFinite(value, step, optimizer.lr);
    } else {
      const forwardBackward = () => {
        const result = options.computeLoss!(step);
        const lossValue = result.loss.item();
        checkFinite(lossValue, step, optimizer.lr);
        result.loss.backward();
        return { value: lossValue, stepTokens: result.tokens };
      };
      // With `scratch`, forward and backward reuse the last step's memory; .grad is a copy.
      ({ value, stepTokens } = options.scratch ? withScratch(forwardBackward) : forwardBackward());
    }
    // Without clipping the norm is still measured (an infinite limit clips nothing).
    const gradNorm = clipGradNorm(params, options.clip ? options.clip : Number.MAX_VALUE);
    optimizer.step();
    tokens += stepTokens;
    history.steps.push({ step, loss: value, lr: optimizer.lr, gradNorm });
    history.elapsedSeconds = elapsedBefore + (now() - start) / 1000;

    let evalFields: Record<string, number> = {};
    if (options.evaluate && options.evalEvery && step % options.evalEvery === 0) {
      evalFields = inference(model, () => options.evaluate!(step));
      history.evals.push({ step, ...evalFields });
    }
    const seconds = (now() - start) / 1000;
    const done = options.steps !== undefined ? step : Math.min(minutesUsed() * 60, options.minutes! * 60);
    // A time budget counts seconds: the step and steps/s say how far training got (a step budget's amount is its step).
    const byTime = options.steps === undefined ? { step, ...(seconds > 0 ? { 'steps/s': round((step - firstStep) / seconds) } : {}) } : {};
    options.progress?.update(done, { ...byTime, loss: round(value), ...(seconds > 0 ? { 'tok/s': Math.round(tokens / seconds) } : {}), lr: optimizer.lr.toExponential(1), ...roundAll(evalFields) });
    if (options.saveEvery && step % options.saveEvery === 0) save();
  }
  const runSeconds = (now() - start) / 1000;
  history.elapsedSeconds = elapsedBefore + runSeconds;
  save();
  options.progress?.finish();
  return { history, step, stoppedBy, runSteps: step - firstStep, runTokens: tokens, runSeconds };
}

function checkFinite(loss: number, step: number, lr: number): void {
  if (Number.isFinite(loss)) return;
  const hint = debugChecksEnabled() ? '' : '; FASTWEIGHTS_DEBUG_CHECKS=1 names the op that first produced it';
  throw new Error(`training diverged: the loss is ${loss} at step ${step} (lr ${lr.toExponential(2)}); lower the learning rate or resume from the last checkpoint${hint}`);
}

/** setImmediate where it exists (Node); a zero timeout in a browser. */
const yieldToEventLoop: (fn: () => void) => void =
  typeof globalThis.setImmediate === 'function' ? (fn) => globalThis.setImmediate(fn) : (fn) => globalThis.setTimeout(fn, 0);

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function roundAll(fields: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, round(v)]));
}

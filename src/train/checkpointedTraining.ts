/**
 * trainLoop with a budget and crash-safe checkpoints: what the language-model and translation
 * trainers share. The checkpoint state always holds the step, the optimiser's step and lr, the
 * model's RNG state and the history; `extraState` adds what the caller needs to resume its data
 * order exactly.
 */
import type { Module } from '../nn/module.js';
import type { Rng } from '../tensor/rng.js';
import { saveCheckpoint } from '../io/checkpoint.js';
import { DebugCheckError } from '../autograd/graph.js';
import type { Optimizer } from './optim.js';
import type { Progress } from './progress.js';
import { budgetSchedule } from './schedule.js';
import { trainLoop, type TrainHistory, type TrainLoopOptions, type TrainLoopResult } from './loop.js';

export interface TrainingBudget {
  lr: number;
  warmupSteps: number;
  clip: number;
  /** Total steps (cosine decay), or minutes (inverse-sqrt decay). */
  steps?: number;
  minutes?: number;
  evalEvery: number;
  saveEvery: number;
}

export interface CheckpointedTrainingOptions {
  out: string;
  model: Module & { readonly rng: Rng };
  optimizer: Optimizer;
  training: TrainingBudget;
  /** Saved as they are with every checkpoint. */
  config: unknown;
  tokenizer: unknown;
  /** Resume state beyond step, optimiser, model RNG and history (e.g. the data-order RNG). */
  extraState: () => Record<string, unknown>;
  /** One of the two: see TrainLoopOptions. */
  computeLoss?: TrainLoopOptions['computeLoss'];
  computeGradients?: TrainLoopOptions['computeGradients'];
  /** Periodic evaluation; none when undefined. One that fails is reported through `log` and skipped. */
  evaluate?: NonNullable<TrainLoopOptions['evaluate']>;
  log?: (line: string) => void;
  /** Builds the progress reporter from its total and unit ('steps', or seconds for a time budget). */
  progress?: (total: number, unit: string) => Progress;
  shouldStop?: () => boolean;
  history?: TrainHistory;
}

export function trainWithCheckpoints(options: CheckpointedTrainingOptions): Promise<TrainLoopResult> {
  const { model, optimizer, training } = options;
  const save = (step: number, history: TrainHistory) => {
    const state = {
      step,
      optimizer: { step: optimizer.stepCount, lr: optimizer.lr },
      ...options.extraState(),
      modelRng: model.rng.getState(),
      history,
    };
    saveCheckpoint(options.out, { weights: model.stateDict(), optimizer: optimizer.stateDict().buffers, config: options.config, tokenizer: options.tokenizer, state });
  };
  const byTime = training.steps === undefined;
  const total = training.steps ?? Math.round((training.minutes ?? 0) * 60);
  return trainLoop({
    model,
    optimizer,
    schedule: budgetSchedule({ peakLr: training.lr, warmupSteps: training.warmupSteps, ...(byTime ? {} : { steps: training.steps! }) }),
    clip: training.clip,
    ...(training.steps !== undefined ? { steps: training.steps } : {}),
    ...(training.minutes !== undefined ? { minutes: training.minutes } : {}),
    ...(options.computeLoss ? { computeLoss: options.computeLoss } : {}),
    ...(options.computeGradients ? { computeGradients: options.computeGradients } : {}),
    ...(options.evaluate ? { evaluate: reportingFailures(options.evaluate, options.log ?? (() => {})) } : {}),
    evalEvery: training.evalEvery,
    save,
    saveEvery: training.saveEvery,
    ...(options.progress ? { progress: options.progress(total, byTime ? 's' : 'steps') } : {}),
    ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
    ...(options.history ? { history: options.history } : {}),
  });
}

/**
 * An evaluation that throws would end the run and lose every step since the last save; instead
 * its error is reported once per evaluation and training goes on. A failed finite check
 * (DebugCheckError) still stops the run: the model itself is broken.
 */
function reportingFailures(evaluate: NonNullable<TrainLoopOptions['evaluate']>, log: (line: string) => void): NonNullable<TrainLoopOptions['evaluate']> {
  return (step) => {
    try {
      return evaluate(step);
    } catch (error) {
      if (error instanceof DebugCheckError) throw error;
      log(`evaluation at step ${step} skipped: ${(error as Error).message}`);
      return {};
    }
  };
}

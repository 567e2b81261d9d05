/**
 * trainLoop with a budget and crash-safe checkpoints: what the language-model and translation
 * trainers share, both halves of it. `startTraining` starts a run or resumes one (config, data,
 * model, optimiser) and its `train` runs it on every core with checkpoints; the task gives only its
 * checkpoint kind, its replica (./replica.ts), its data and its steps. The checkpoint state always
 * holds the step, the optimiser's step and lr, the model's RNG state and the history; `extraState`
 * adds what the caller needs to resume its data order exactly. `trainWithCheckpoints` saves them;
 * `restoreTraining` puts them back.
 */
import type { Module } from '../nn/module.js';
import type { Rng, RngState } from '../tensor/rng.js';
import type { FloatArray, Tensor } from '../tensor/tensor.js';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint.js';
import { BpeTokenizer } from '../data/bpe.js';
import { checkParameterCount, validate, type Rule } from './checkpointSchema.js';
import { DebugCheckError } from '../autograd/graph.js';
import type { NamedParameters, Optimizer } from './optim.js';
import type { Progress } from './progress.js';
import { budgetSchedule } from './schedule.js';
import { trainLoop, type TrainHistory, type TrainLoopOptions, type TrainLoopResult } from './loop.js';
import { AdamW } from './optim.js';
import { DataParallel } from './dataParallel.js';
import type { Replica, ReplicaModel, RowBatch } from './replica.js';
import { threadsWanted } from '../../kernels/index.js';
import { KEPT_SNAPSHOTS, clearSnapshots, pruneSnapshots, snapshotDir } from './snapshots.js';

/** Which parameters AdamW's weight decay shrinks: 'matrices' leaves biases, gains and other vectors alone (optim.ts, defaultNoDecay); 'all' decays every one. */
export const WEIGHT_DECAY_ON = ['matrices', 'all'] as const;
export type WeightDecayOn = (typeof WEIGHT_DECAY_ON)[number];

export interface TrainingBudget {
  lr: number;
  warmupSteps: number;
  clip: number;
  /** Total steps or minutes; either way the rate decays (cosine) to a tenth at the end of the budget. */
  steps?: number;
  minutes?: number;
  evalEvery: number;
  saveEvery: number;
  /** Also keep the weights of every N-th step in `<out>/snapshots` (./snapshots.ts), for averaging; none when absent. */
  snapshotEvery?: number | undefined;
  /** How many of those snapshots to keep, the newest; KEPT_SNAPSHOTS when absent. */
  snapshotKeep?: number | undefined;
}

/** How a task's training run is called: where it writes, whether it resumes, and how it reports. */
export interface TrainRunOptions {
  out: string;
  /** Continue from the checkpoint in `out` (its model and data settings win; the budget is the one given here). */
  resume?: boolean;
  /** Builds the progress reporter from its total and unit ('steps', or seconds for a time budget). */
  /** `initial`: the units already done (a resumed run's steps), so rates count only this run's. */
  progress?: (total: number, unit: string, initial?: number) => Progress;
  log?: (line: string) => void;
  /** Polled every step: true stops the run (it still saves), e.g. after Ctrl-C. */
  shouldStop?: () => boolean;
}

export interface CheckpointedTrainingOptions {
  /** The task trainer's own options, passed through: `out`, `log`, `progress`, `shouldStop`. */
  run: TrainRunOptions;
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
  evaluate?: NonNullable<TrainLoopOptions['evaluate']> | undefined;
  /** The history of the run being resumed (from restoreTraining). */
  history?: TrainHistory | undefined;
}

/** What a checkpoint's tokenizer must offer: its size, and the JSON it is saved as. */
export interface SavedTokenizer {
  readonly vocabSize: number;
  toJSON(): unknown;
}

/** What a task's checkpoint must be: its config format, schemas, and the model its config describes. */
export interface CheckpointKind<Config extends { model: { vocabSize: number } }, Tokenizer extends SavedTokenizer = BpeTokenizer> {
  /** The config's `format` field, e.g. 'fastweights-lm'. */
  format: string;
  /** Named in the error for a checkpoint of another kind: 'language-model'. */
  what: string;
  configSchema: Rule;
  stateSchema: Rule;
  validateModel: (model: Config['model']) => void;
  /** The parameter count of the model the config describes (checked against the weights). */
  parameters: (config: Config) => number;
  /**
   * Reads the saved tokenizer and checks it against the config. Default: this project's BPE, whose
   * size must be the embedding's.
   */
  readTokenizer?: (json: unknown, config: Config, dir: string) => Tokenizer;
}

/**
 * Reads and checks a training checkpoint of one task: the config and state against their schemas,
 * the tokenizer against the embedding, the weights against the model the config describes.
 */
export function readTrainingCheckpoint<Config extends { model: { vocabSize: number } }, State, Tokenizer extends SavedTokenizer = BpeTokenizer>(dir: string, kind: CheckpointKind<Config, Tokenizer>) {
  const c = loadCheckpoint(dir);
  const format = (c.config as { format?: unknown } | null)?.format;
  if (format !== kind.format) throw new Error(`${dir}: not a ${kind.what} checkpoint (config format is ${JSON.stringify(format)})`);
  validate(kind.configSchema, c.config, 'config', dir);
  validate(kind.stateSchema, c.state, 'state', dir);
  const config = c.config as Config;
  const state = c.state as State;
  kind.validateModel(config.model);
  const tokenizer = kind.readTokenizer ? kind.readTokenizer(c.tokenizer, config, dir) : (readBpeTokenizer(c.tokenizer, config.model.vocabSize, dir) as unknown as Tokenizer);
  checkParameterCount(kind.parameters(config), c.weights, dir);
  return { config, state, weights: c.weights, optimizer: c.optimizer, tokenizer };
}

/** A saved BpeTokenizer, whose size must be the embedding's. */
function readBpeTokenizer(json: unknown, vocabSize: number, dir: string): BpeTokenizer {
  const tokenizer = BpeTokenizer.fromJSON(json);
  if (tokenizer.vocabSize !== vocabSize) {
    throw new Error(`${dir}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's embedding has ${vocabSize} rows; the tokenizer does not belong to these weights`);
  }
  return tokenizer;
}

/** The part of a task's checkpoint config that starting and resuming a run look at. */
export interface TrainingCheckpointConfig {
  format: string;
  version: number;
  model: { vocabSize: number };
  training: { steps?: number | undefined; minutes?: number | undefined };
}

/**
 * A run's config and, when resuming, the checkpoint it continues. A fresh run takes the options'
 * model and training settings (the vocabulary size is filled in once the tokenizer is known); a
 * resumed one keeps the saved config but takes the new budget (--steps / --minutes).
 */
export function startOrResume<Config extends TrainingCheckpointConfig, State extends { step: number }, Tokenizer extends SavedTokenizer = BpeTokenizer>(
  options: { out: string; resume?: boolean | undefined; model: Omit<Config['model'], 'vocabSize'>; training: Config['training'] },
  kind: CheckpointKind<Config, Tokenizer>,
  log: (line: string) => void,
) {
  if (options.resume) {
    const resumed = readTrainingCheckpoint<Config, State, Tokenizer>(options.out, kind);
    const { steps, minutes } = options.training;
    const warmup = (resumed.config.training as { warmupSteps?: number }).warmupSteps ?? 0;
    if (steps !== undefined && steps < warmup) {
      // --steps is the whole run's budget, counted from step 0, and the checkpoint's warm-up stays.
      throw new Error(`--steps ${steps} ends before the end of the checkpoint's warm-up (${warmup} steps; --steps counts from step 0, and the checkpoint is at step ${resumed.state.step}); give --steps ${Math.max(warmup, resumed.state.step + 1)} or more, or --minutes`);
    }
    const config: Config = { ...resumed.config, training: { ...resumed.config.training, steps, minutes } };
    log(`resuming ${options.out} at step ${resumed.state.step}`);
    return { config, resumed };
  }
  const config = { format: kind.format, version: 1, model: { ...options.model, vocabSize: 0 }, training: options.training } as unknown as Config;
  return { config, resumed: null };
}

/** What trainWithCheckpoints saved, as a task reads it back (after checking it against its schema). */
export interface SavedTraining {
  weights: Map<string, Tensor>;
  optimizer: Record<string, FloatArray>;
  state: { optimizer: { step: number; lr: number }; modelRng: RngState; history: TrainHistory };
}

/**
 * The resume half of trainWithCheckpoints, for every task: the weights, the optimiser's moments,
 * step and lr, and the model's RNG go back where they were saved from; the history is returned for
 * trainLoop to continue. The caller restores its own `extraState` (the data order).
 */
export function restoreTraining(saved: SavedTraining, model: Module & { readonly rng: Rng }, optimizer: Optimizer): TrainHistory {
  model.loadStateDict(saved.weights);
  optimizer.loadStateDict({ step: saved.state.optimizer.step, lr: saved.state.optimizer.lr, buffers: saved.optimizer });
  model.rng.setState(saved.state.modelRng);
  return saved.state.history;
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
    const weights = model.stateDict();
    saveCheckpoint(options.run.out, { weights, optimizer: optimizer.stateDict().buffers, config: options.config, tokenizer: options.tokenizer, state });
    if (training.snapshotEvery && step > 0 && step % training.snapshotEvery === 0) {
      saveCheckpoint(snapshotDir(options.run.out, step), { weights, optimizer: {}, config: options.config, tokenizer: options.tokenizer, state });
      pruneSnapshots(options.run.out, training.snapshotKeep ?? KEPT_SNAPSHOTS);
    }
  };
  // A fresh run in a directory that held another run's checkpoint (--overwrite) must not average that run's snapshots.
  if (!options.run.resume) clearSnapshots(options.run.out);
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
    ...(options.evaluate ? { evaluate: reportingFailures(options.evaluate, options.run.log ?? (() => {})) } : {}),
    evalEvery: training.evalEvery,
    save,
    // Snapshots are taken when the checkpoint is saved, so it is saved at every snapshot's step too.
    saveEvery: training.snapshotEvery ? greatestCommonDivisor(training.saveEvery, training.snapshotEvery) : training.saveEvery,
    ...(options.run.progress ? { progress: options.run.progress(total, byTime ? 's' : 'steps', byTime ? 0 : optimizer.stepCount) } : {}),
    ...(options.run.shouldStop ? { shouldStop: options.run.shouldStop } : {}),
    ...(options.history ? { history: options.history } : {}),
  });
}

function greatestCommonDivisor(a: number, b: number): number {
  return b === 0 ? a : greatestCommonDivisor(b, a % b);
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

/** A task's checkpointed training run: its checkpoint kind, its replica, and where its data comes from. */
export interface TrainingTask<Config extends TrainingCheckpointConfig, Data extends { tokenizer: SavedTokenizer }, Batch extends RowBatch, Model extends ReplicaModel> {
  checkpoint: CheckpointKind<Config, Data['tokenizer']>;
  replica: Replica<Batch, Model, Config['model']>;
  /** Settles the run's config before anything reads it (`resuming`: the config is the checkpoint's). */
  configure?: (config: Config, resuming: boolean) => void;
  /** The run's data; `tokenizer` is the resumed checkpoint's (undefined for a fresh run, which learns one). */
  prepareData(config: Config, tokenizer: Data['tokenizer'] | undefined): Data;
  /**
   * The embedding's rows for the run's data. Default: the tokenizer's size; a pretrained model's
   * embedding may have more rows than its tokenizer has tokens.
   */
  vocabSize?: (config: Config, data: Data) => number;
}

/** AdamW over a model's parameters at a run's rate and decay: on its matrices only, or with `weightDecayOn: 'all'` on every parameter. */
export function trainingOptimizer(model: { namedParameters(): NamedParameters }, training: { lr: number; weightDecay: number; weightDecayOn?: WeightDecayOn }): AdamW {
  return new AdamW(model.namedParameters(), { lr: training.lr, weightDecay: training.weightDecay, ...(training.weightDecayOn === 'all' ? { noDecay: () => false } : {}) });
}

/** What trainWithCheckpoints needs beyond what startTraining already knows. */
export type TaskSteps = Pick<CheckpointedTrainingOptions, 'extraState' | 'computeLoss' | 'computeGradients' | 'evaluate'>;

/**
 * Starts a run or resumes the one in `options.out`: its config (the checkpoint's when resuming, with
 * the new budget), its data, the model (its vocabulary from the tokenizer), AdamW and, when resuming,
 * the weights, moments, model RNG and history. `train` then runs it, the forward and backward as
 * micro-batches on every core (./dataParallel.ts: the same bits for any thread count).
 */
export function startTraining<
  Config extends TrainingCheckpointConfig & { training: TrainingBudget & { weightDecay: number; weightDecayOn?: WeightDecayOn } },
  State extends { step: number } & SavedTraining['state'],
  Data extends { tokenizer: SavedTokenizer },
  Batch extends RowBatch,
  Model extends ReplicaModel,
>(options: TrainRunOptions & { model: Omit<Config['model'], 'vocabSize'>; training: Config['training'] }, task: TrainingTask<Config, Data, Batch, Model>) {
  const { config, resumed } = startOrResume<Config, State, Data['tokenizer']>(options, task.checkpoint, options.log ?? (() => {}));
  task.configure?.(config, resumed !== null);
  const training = config.training;
  const data = task.prepareData(config, resumed?.tokenizer);
  config.model.vocabSize = task.vocabSize ? task.vocabSize(config, data) : data.tokenizer.vocabSize;
  task.checkpoint.validateModel(config.model);
  const model = task.replica.build(config.model);
  const optimizer = trainingOptimizer(model, training);
  const history = resumed ? restoreTraining(resumed, model, optimizer) : undefined;
  /** Runs the steps with checkpoints (and closes the worker threads at the end). */
  const train = (steps: (parallel: DataParallel<Batch, Model, Config['model']>) => TaskSteps): Promise<TrainLoopResult> => {
    const parallel = new DataParallel(model, { replica: task.replica, config: config.model }, { threads: threadsWanted() });
    return trainWithCheckpoints({ run: options, history, model, optimizer, training, config, tokenizer: data.tokenizer.toJSON(), ...steps(parallel) }).finally(() => parallel.close());
  };
  return { config, resumed, data, model, optimizer, train };
}

/**
 * One retrieval model in training, as the demo page runs it: the paper's setting 2 (L = 2S pairs
 * drawn with replacement, so keys are re-assigned; the answer is the latest value of the queried
 * key), Adam on ½‖v* − v̂‖², fresh batches from a seeded stream. One step at a time, so the page can
 * interleave steps of both rules with drawing. No DOM here.
 *
 * A step is data-parallel (src/train/dataParallel.ts): its batch is cut into two micro-batches of
 * rows, and on two threads the page's thread runs one while the pool's Web Worker runs the other on
 * a replica of the model (./replicaWorker.ts); on one thread this thread runs both in turn. The
 * gradients are added in micro-batch order either way, so one thread and two give the same bits.
 * The worker runs the wasm kernels: with another backend picked, both parts run here. The demo page
 * itself trains on one thread per model instead (./workerSlices.ts): a worker takes a trainer's
 * whole state (`state()`), makes a slice of steps, and the page takes the new state back
 * (`takeState()`), with the same bits.
 *
 * The sizes are those of the project's quick retrieval preset (src/tasks/retrieval/plan.ts):
 * S = 10 keys, d_key = 16, d_emb = round(2.2 S), batches of 32, learning rate 1e-2. There the delta
 * rule reaches a loss of 2e-4 in about 400 steps and the sum rule stays near 0.25
 * (docs/experiments.md).
 */
import { Adam, RetrievalModel, Rng, getBackend, retrievalBatch, type FastWeightTrace, type OptimizerState, type RetrievalBatch, type RngState } from '../src/index.js';
import { DataParallel, retrievalReplica, retrievalRows, type RetrievalReplicaConfig, type RetrievalRows } from '../src/threads.js';

export const TASK = { setting: 2 as const, S: 10, dKey: 16, dEmb: 22, batchSize: 32, lr: 1e-2 };

/** Micro-batches per step, whatever the threads: fixed, so that the threads do not change the results. */
export const MICRO_BATCHES = 2;

/**
 * The name of the bundle entry (./replicaWorker.ts) the pool's worker loads, served beside the
 * page's other scripts: demo/files.ts and the threads test page build it under this name.
 */
export const REPLICA_WORKER = 'replicaWorker';

/** The two update rules on show, by the model names of the paper's table (README). */
export const RULES = { delta: 'delta', sum: 'linear' } as const;
export type Rule = keyof typeof RULES;

/** Step times a trainer keeps, the latest (the page shows their median). */
const RECENT_STEP_TIMES = 20;

export interface TrainerOptions {
  seed?: number;
  /** Threads a step may run on, this one included (default 1); more need a cross-origin-isolated page. */
  threads?: number;
}

type Steps = DataParallel<RetrievalRows, RetrievalModel, RetrievalReplicaConfig>;

/**
 * Everything the next steps depend on: the parameters, Adam's state, and the two generators (the
 * batches', and the model's, which seeds the micro-batches). A trainer given another's state steps
 * on exactly as that one would: the demo sends it to a pool worker and takes it back
 * (./trainerTask.ts).
 */
export interface TrainerState {
  params: Float32Array[];
  optimizer: OptimizerState;
  data: RngState;
  model: RngState;
}

export class RetrievalTrainer {
  readonly model: RetrievalModel;
  private readonly optimizer: Adam;
  private readonly data: Rng;
  /** The step's parts on this thread, in turn; and side by side with the pool's worker (null: one thread). */
  private readonly here: Steps;
  private readonly parallel: Steps | null;
  /** Training loss of every step so far. */
  readonly losses: number[] = [];
  /** Milliseconds of the most recent steps (forward, backward and update), at most RECENT_STEP_TIMES. */
  readonly stepTimes: number[] = [];

  constructor(readonly rule: Rule, options: TrainerOptions = {}) {
    const root = new Rng(options.seed ?? 1);
    const config: RetrievalReplicaConfig = { model: RULES[rule], S: TASK.S, dKey: TASK.dKey, dEmb: TASK.dEmb };
    this.model = new RetrievalModel({ ...config, rng: root.fork() });
    this.data = root.fork();
    this.optimizer = new Adam(this.model.namedParameters(), { lr: TASK.lr });
    const spec = { replica: retrievalReplica, config };
    this.here = new DataParallel(this.model, spec, { threads: 1, microBatches: MICRO_BATCHES });
    const parallel = (options.threads ?? 1) > 1 ? new DataParallel(this.model, spec, { threads: options.threads!, microBatches: MICRO_BATCHES, module: new URL(`./${REPLICA_WORKER}.js`, import.meta.url).href }) : null;
    // Where no worker can start (a page that is not cross-origin isolated) it runs on one thread anyway.
    this.parallel = parallel !== null && parallel.threads > 1 ? parallel : null;
  }

  get steps(): number {
    return this.losses.length;
  }

  /** Threads the next step runs on, this one included. */
  get threads(): number {
    return this.stepper().threads;
  }

  /** One training step on a fresh batch; resolves with its loss. */
  async step(): Promise<number> {
    const batch = retrievalRows(retrievalBatch(TASK.setting, TASK.S, TASK.batchSize, this.data));
    const started = performance.now();
    this.model.train();
    this.optimizer.zeroGrad();
    const value = await this.stepper().gradients(batch);
    this.optimizer.step();
    this.stepTimes.push(performance.now() - started);
    if (this.stepTimes.length > RECENT_STEP_TIMES) this.stepTimes.shift();
    this.losses.push(value);
    return value;
  }

  /** Steps on this thread until `ms` milliseconds have passed (at least one step, at most `maxSteps`); the new losses. */
  async trainFor(ms: number, maxSteps = Infinity): Promise<number[]> {
    const started = performance.now();
    const before = this.losses.length;
    do await this.step();
    while (performance.now() - started < ms && this.losses.length - before < maxSteps);
    return this.losses.slice(before);
  }

  /** A copy of the training's state (see TrainerState). */
  state(): TrainerState {
    return {
      params: this.model.namedParameters().map(([, p]) => Float32Array.from(p.data)),
      optimizer: this.optimizer.stateDict(),
      data: this.data.getState(),
      model: this.model.rng.getState(),
    };
  }

  /**
   * Carries on from `state`, with the steps made elsewhere since this trainer's own state: their
   * losses and times (./workerSlices.ts, after a pool worker's slice).
   */
  takeState(state: TrainerState, stepsMade: { losses: number[]; stepTimes: number[] } = { losses: [], stepTimes: [] }): void {
    const params = this.model.namedParameters();
    if (state.params.length !== params.length || state.params.some((p, i) => p.length !== params[i]![1].size)) {
      throw new Error(`RetrievalTrainer.takeState: the state's parameters do not fit the ${this.rule} model`);
    }
    this.optimizer.loadStateDict(state.optimizer);
    params.forEach(([, p], i) => p.data.set(state.params[i]!));
    this.data.setState(state.data);
    this.model.rng.setState(state.model);
    this.losses.push(...stepsMade.losses);
    this.stepTimes.push(...stepsMade.stepTimes);
    this.stepTimes.splice(0, Math.max(0, this.stepTimes.length - RECENT_STEP_TIMES));
  }

  /** Where the last step's parts took their time on this thread (src/train/dataParallel.ts). */
  get lastStepTimes(): { hereMs: number; waitMs: number } {
    return this.stepper().lastStepTimes;
  }

  /** Frees the replica on the pool's worker (the worker stays in the pool). */
  close(): void {
    this.parallel?.close();
  }

  private stepper(): Steps {
    return this.parallel !== null && getBackend().name === 'wasm' ? this.parallel : this.here;
  }

  /** Median time of the recent steps, in milliseconds (NaN before the first). */
  medianStepMs(): number {
    const sorted = [...this.stepTimes].sort((a, b) => a - b);
    return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)]!;
  }

  /** W_1 … W_L of the sequence, with the model's read-out of the query after each step. */
  trace(sequence: RetrievalBatch): FastWeightTrace & { readouts: Float64Array[] } {
    this.model.eval();
    const trace = this.model.fastWeightTrace(sequence, 0);
    const d = this.model.dDot;
    const readouts = trace.states.map((W) => {
      const out = new Float64Array(TASK.S);
      for (let i = 0; i < TASK.S; i++) for (let j = 0; j < d; j++) out[i] = out[i]! + W[i * d + j]! * trace.query[j]!;
      return out;
    });
    return { ...trace, readouts };
  }
}

/**
 * The page's thread training several models for a slice: a step of each in turn until `ms`
 * milliseconds have passed (or `live()` says stop), at least one round.
 */
export async function stepInTurn(trainers: readonly RetrievalTrainer[], ms: number, live: () => boolean = () => true): Promise<void> {
  const started = performance.now();
  do for (const trainer of trainers) await trainer.step();
  while (performance.now() - started < ms && live());
}

/** A single sequence of the task to feed token by token (its own seed, apart from training). */
export function displaySequence(seed: number): RetrievalBatch {
  return retrievalBatch(TASK.setting, TASK.S, 1, new Rng(seed));
}

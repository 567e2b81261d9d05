/**
 * Data-parallel training steps on worker threads (Node): the batch is cut into micro-batches by rows
 * (./microBatch.ts), this thread runs the first and each worker one more on a replica of the model,
 * and the gradients are added in micro-batch order. What threads cannot parallelise inside one op
 * (the engine's elementwise loops, the graph walk, allocation) they parallelise across micro-batches.
 *
 * Same bits for any thread count: a step always cuts the batch into `microBatches` parts whatever
 * the number of threads, each part draws its dropout (and FAVOR+) randomness from its own generator
 * seeded from the model's, and the gradients are summed in part order, so one thread running the
 * parts in turn computes exactly what two threads compute side by side.
 *
 * Parameters go to the workers and gradients come back through shared memory (one copy each way a
 * step); the batch and the seed travel in a message. In carry-over training (`lm train --carry`) the
 * fast weights each part's rows start from travel with its batch, and its rows' final fast weights
 * come back with its loss; carryGradients puts them back together in row order.
 *
 * It names no task: the task's replica (./replica.ts) builds the models, cuts the batches and
 * computes each part's loss, and a worker loads that replica by its module URL.
 */
import { Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { withScratch, setWasmThreads, wasmRuntime } from '../../kernels/index.js';
import { concatCarriedRows, type CarriedLayer } from './microBatch.js';
import type { Replica, ReplicaModel, ReplicaSpec, RowBatch } from './replica.js';
import { WorkerPool } from './workerPool.js';

/** What a worker receives at its start: where the task's replica is and its model's config, the shared parameters and its gradients. */
export interface WorkerStart {
  module: string;
  config: unknown;
  params: Float32Array;
  grads: Float32Array;
  names: [string, number][];
}

/** The messages between this thread and a worker. */
export interface StepRequest {
  batch: RowBatch;
  seed: number;
  batchTokens: number;
}
export type StepReply = PartResult | { error: string };

/** One micro-batch's loss share and, when it carries state, its rows' final fast weights. */
export interface PartResult {
  loss: number;
  states?: CarriedLayer[];
}

export interface DataParallelOptions {
  /** Threads in all, this one included: 1 runs the micro-batches here in turn; 2 or more runs one
   *  micro-batch per thread (so `microBatches` threads). */
  threads: number;
  /** Parts per batch (default 2); fixed, so that results do not depend on `threads`. */
  microBatches?: number;
}

export class DataParallel<Batch extends RowBatch, Model extends ReplicaModel, Config> {
  readonly threads: number;
  readonly microBatches: number;
  private readonly params: Tensor[];
  private readonly offsets: number[];
  /** The parameters, copied here before each step for the workers to read. */
  private readonly shared: Float32Array;
  /** Parts 1, 2, … run on these (part 0 here). */
  private readonly pool: WorkerPool | null;
  /** Each worker's gradients, written by it, in the order of the parameter list. */
  private readonly workerGrads: Float32Array[] = [];
  /** The wasm kernels' thread count before this took the cores (restored by close). */
  private readonly kernelThreads: number;

  private readonly replica: Replica<Batch, Model, Config>;

  constructor(private readonly model: Model, spec: ReplicaSpec<Batch, Model, Config>, options: DataParallelOptions) {
    this.replica = spec.replica;
    this.microBatches = options.microBatches ?? 2;
    if (!Number.isInteger(this.microBatches) || this.microBatches < 1) throw new Error(`DataParallel: microBatches must be a positive integer, got ${options.microBatches}`);
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new Error(`DataParallel: threads must be a positive integer, got ${options.threads}`);
    // Either every part has its own thread or one thread runs them all: then the gradients are always
    // added in part order. The worker runs from the compiled dist/ only; run from the TypeScript
    // sources (vitest) this thread takes every part, which gives the same bits, only slower.
    this.threads = options.threads >= 2 && !import.meta.url.endsWith('.ts') ? this.microBatches : 1;
    this.params = model.namedParameters().map(([, p]) => p);
    if (this.params.some((p) => p.dtype !== 'float32')) throw new Error('DataParallel: float32 models only');
    this.offsets = [];
    let total = 0;
    for (const p of this.params) {
      this.offsets.push(total);
      total += p.size;
    }
    this.shared = new Float32Array(new SharedArrayBuffer(total * 4));
    this.kernelThreads = wasmRuntime()?.threads ?? 1;
    // Every core now runs a micro-batch: the kernels inside one must not split further.
    if (this.threads > 1 && this.kernelThreads > 1) setWasmThreads(1);
    for (let w = 1; w < this.threads; w++) this.workerGrads.push(new Float32Array(new SharedArrayBuffer(total * 4)));
    const names = model.namedParameters().map(([name, p]): [string, number] => [name, p.size]);
    this.pool = this.threads > 1
      ? new WorkerPool(new URL('./dataParallelWorker.js', import.meta.url), this.threads - 1, (w): WorkerStart => ({ module: spec.replica.module, config: spec.config, params: this.shared, grads: this.workerGrads[w]!, names }))
      : null;
  }

  /**
   * Fills every parameter's .grad with the gradient of the batch's mean loss (add to nothing:
   * call the optimiser's zeroGrad first) and returns that loss.
   */
  async gradients(batch: Batch): Promise<number> {
    return sumLosses(await this.runParts(batch));
  }

  /**
   * gradients() for carry-over training: the batch's rows start from `batch.carry.from` and the
   * rows' final fast weights (one entry per layer, all rows in batch order) come back with the loss.
   */
  async carryGradients(batch: Batch): Promise<{ loss: number; states: CarriedLayer[] }> {
    const parts = await this.runParts(batch);
    const states = parts.map((part, p) => {
      if (!part.states) throw new Error(`DataParallel: micro-batch ${p} returned no carried state`);
      return part.states;
    });
    return { loss: sumLosses(parts), states: concatCarriedRows(states) };
  }

  /** Runs every part (here, or here and on the workers) and returns their results in part order. */
  private async runParts(batch: Batch): Promise<PartResult[]> {
    const parts = this.replica.splitRows(batch, this.microBatches);
    const batchTokens = this.replica.countedTokens(batch);
    // One seed per part from the model's generator; each part runs on a fresh generator from it.
    const seeds = parts.map(() => this.model.rng.nextUint32());
    const after = this.model.rng.getState();
    try {
      if (this.pool === null || parts.length === 1) {
        // One thread: the parts in turn; backward() adds each part's gradients to the last's.
        return parts.map((part, p) => this.runHere(part, seeds[p]!, batchTokens));
      }
      // Part p > 0 on worker p − 1 (there are parts − 1 workers), part 0 here meanwhile.
      this.publishParameters();
      const pool = this.pool;
      const remote = parts.slice(1).map((part, w) => post(pool, w, { batch: part, seed: seeds[w + 1]!, batchTokens }));
      let here: PartResult;
      try {
        here = this.runHere(parts[0]!, seeds[0]!, batchTokens);
      } catch (e) {
        // Let the workers finish their parts first: the error is this thread's, and no reply is left unheard.
        await Promise.allSettled(remote);
        throw e;
      }
      const remoteResults = await Promise.all(remote);
      // Added in part order, as the one-thread path adds them (and sumLosses adds the losses in part order).
      remoteResults.forEach((_, w) => this.addGradients(this.workerGrads[w]!));
      return [here, ...remoteResults];
    } finally {
      this.model.rng.setState(after);
    }
  }

  /** Stops the workers. */
  close(): void {
    void this.pool?.close();
    if (this.threads > 1 && this.kernelThreads > 1) setWasmThreads(this.kernelThreads);
  }

  private runHere(part: Batch, seed: number, batchTokens: number): PartResult {
    this.model.rng.setState(new Rng(seed).getState());
    // The step's activations and gradients reuse the last step's memory; .grad and the carried
    // states are copies that outlive it (kernels/alloc.ts).
    return withScratch(() => {
      const { loss, states } = this.replica.partLoss(this.model, part, batchTokens);
      const value = loss.item();
      loss.backward();
      return states ? { loss: value, states } : { loss: value };
    });
  }

  private publishParameters(): void {
    this.params.forEach((p, i) => this.shared.set(p.data, this.offsets[i]));
  }

  private addGradients(grads: Float32Array): void {
    this.params.forEach((p, i) => {
      const g = grads.subarray(this.offsets[i], this.offsets[i]! + p.size);
      if (p.grad === null) {
        p.grad = new Tensor(g.slice(), p.shape);
        return;
      }
      const acc = p.grad.data;
      for (let j = 0; j < acc.length; j++) acc[j]! += g[j]!;
    });
  }
}

/** One part on worker w; a worker's error comes back as a message and is thrown here. */
async function post(pool: WorkerPool, w: number, request: StepRequest): Promise<PartResult> {
  const reply = await pool.run<StepReply>(w, request);
  if ('error' in reply) throw new Error(`data-parallel worker: ${reply.error}`);
  return reply;
}

/** The parts' loss shares added in part order: the batch's mean loss, the same bits for any thread count. */
function sumLosses(parts: PartResult[]): number {
  return parts.reduce((sum, part) => sum + part.loss, 0);
}

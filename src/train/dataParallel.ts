/**
 * Data-parallel training steps on the library's pool of worker threads (kernels/threads/pool.ts, the
 * same threads that share the wasm kernels' calls between steps): the batch is cut into micro-batches
 * by rows (./microBatch.ts), this thread runs the first parts and each pool thread a run of the rest
 * on a replica of the model, and the gradients are added in micro-batch order. What threads cannot
 * parallelise inside one op (the engine's elementwise loops, the graph walk, allocation) they
 * parallelise across micro-batches. While a step runs, the threads are busy with its parts, so the
 * kernels of this thread's part run on this thread alone (same bits).
 *
 * Same bits for any thread count: a step always cuts the batch into `microBatches` parts whatever
 * the number of threads, each part draws its dropout (and FAVOR+) randomness from its own generator
 * seeded from the model's, and the gradients are summed in part order (this thread's parts by
 * backward(), the others' from their own buffers), so one thread running the parts in turn computes
 * exactly what several threads compute side by side.
 *
 * Parameters go to the threads and gradients come back through shared memory (one copy each way a
 * part); the batch and the seed travel in a message. In carry-over training (`lm train --carry`) the
 * fast weights each part's rows start from travel with its batch, and its rows' final fast weights
 * come back with its loss; carryGradients puts them back together in row order.
 *
 * It names no task: the task's replica (./replica.ts) builds the models, cuts the batches and
 * computes each part's loss, and a worker loads that replica by its module URL.
 */
import { Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { withScratch } from '../../kernels/index.js';
import { PoolTask, threadPool, threadsUnavailableReason } from '../../kernels/threads/index.js';
import { concatCarriedRows, type CarriedLayer } from './microBatch.js';
import type { Replica, ReplicaModel, ReplicaSpec, RowBatch } from './replica.js';

/** What a pool thread opens the task with: where the task's replica is and its model's config, the shared parameters, and each part's gradients (parts 1, 2, …). */
export interface WorkerStart {
  module: string;
  config: unknown;
  params: Float32Array;
  grads: Float32Array[];
  names: [string, number][];
}

/** One part, sent to a pool thread: its rows, its seed, and which part it is (where its gradients go). */
export interface StepRequest {
  batch: RowBatch;
  seed: number;
  batchTokens: number;
  part: number;
}

/** One micro-batch's loss share and, when it carries state, its rows' final fast weights. */
export interface PartResult {
  loss: number;
  states?: CarriedLayer[];
}

export interface DataParallelOptions {
  /** Threads in all, this one included: 1 runs the micro-batches here in turn; n runs them on this
   *  thread and n − 1 pool threads (at most one thread per micro-batch). */
  threads: number;
  /** Parts per batch (default 2); fixed, so that results do not depend on `threads`. */
  microBatches?: number;
  /**
   * The URL of the module a pool thread runs the parts with, which exports both the task's `open`
   * (./dataParallelTask.ts) and the task's `replica`. Default: ./dataParallelWorker.js beside this
   * file and the replica's own `module`, as Node runs the compiled dist/. A page whose bundler has
   * merged the library's files gives one entry of its bundle that exports both (docs/browser.md).
   */
  module?: string;
}

export class DataParallel<Batch extends RowBatch, Model extends ReplicaModel, Config> {
  /** Threads a step runs on, this one included. */
  readonly threads: number;
  readonly microBatches: number;
  private readonly params: Tensor[];
  private readonly offsets: number[];
  /** The parameters, copied here before each step for the pool threads to read. */
  private readonly shared: Float32Array;
  /** The replica on pool threads 0 … threads − 2 (null: this thread runs every part). */
  private readonly replicas: PoolTask | null;
  /** Part p's gradients (p ≥ 1) when a pool thread runs it, in the order of the parameter list. */
  private readonly partGrads: Float32Array[] = [];

  private readonly replica: Replica<Batch, Model, Config>;
  /**
   * Where the last step's time went on this thread, in milliseconds: handing parts out and running
   * its own (forward and backward), then waiting for the pool threads' (docs/browser.md shows it).
   */
  lastStepTimes = { hereMs: 0, waitMs: 0 };

  constructor(private readonly model: Model, spec: ReplicaSpec<Batch, Model, Config>, options: DataParallelOptions) {
    this.replica = spec.replica;
    this.microBatches = options.microBatches ?? 2;
    if (!Number.isInteger(this.microBatches) || this.microBatches < 1) throw new Error(`DataParallel: microBatches must be a positive integer, got ${options.microBatches}`);
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new Error(`DataParallel: threads must be a positive integer, got ${options.threads}`);
    // The replica runs on a pool thread from the compiled dist/ or a bundle only; run from the
    // TypeScript sources (vitest), or where no thread can start (a page that is not cross-origin
    // isolated), this thread takes every part, which gives the same bits, only slower.
    const here = import.meta.url.endsWith('.ts') || threadsUnavailableReason() !== '';
    this.threads = here ? 1 : Math.min(options.threads, this.microBatches);
    this.params = model.namedParameters().map(([, p]) => p);
    if (this.params.some((p) => p.dtype !== 'float32')) throw new Error('DataParallel: float32 models only');
    this.offsets = [];
    let total = 0;
    for (const p of this.params) {
      this.offsets.push(total);
      total += p.size;
    }
    // Shared with the pool threads; on one thread plain memory (a page without isolation has no SharedArrayBuffer).
    const floats = () => new Float32Array(this.threads > 1 ? new SharedArrayBuffer(total * 4) : new ArrayBuffer(total * 4));
    this.shared = floats();
    if (this.threads > 1) for (let p = 1; p < this.microBatches; p++) this.partGrads.push(floats());
    const names = model.namedParameters().map(([name, p]): [string, number] => [name, p.size]);
    const start: WorkerStart = { module: options.module ?? spec.replica.module, config: spec.config, params: this.shared, grads: this.partGrads, names };
    if (this.threads > 1) threadPool().grow(this.threads - 1);
    this.replicas = this.threads > 1 ? new PoolTask(options.module ?? new URL('./dataParallelWorker.js', import.meta.url).href, () => start) : null;
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

  /** Runs every part (here, or here and on pool threads) and returns their results in part order. */
  private async runParts(batch: Batch): Promise<PartResult[]> {
    const parts = this.replica.splitRows(batch, this.microBatches);
    const batchTokens = this.replica.countedTokens(batch);
    // One seed per part from the model's generator; each part runs on a fresh generator from it.
    const seeds = parts.map(() => this.model.rng.nextUint32());
    const after = this.model.rng.getState();
    try {
      const lanes = this.replicas === null ? 1 : Math.min(this.threads, parts.length);
      // Lane l takes parts [first(l), first(l + 1)): this thread the first run, pool thread l − 1 the l-th.
      const first = (l: number) => Math.floor((l * parts.length) / lanes);
      const runHere = () => parts.slice(0, first(1)).map((part, p) => this.runHere(part, seeds[p]!, batchTokens));
      const started = performance.now();
      if (lanes === 1) {
        const results = runHere();
        this.lastStepTimes = { hereMs: performance.now() - started, waitMs: 0 };
        return results;
      }
      this.publishParameters();
      const replicas = this.replicas!;
      const remote = Array.from({ length: lanes - 1 }, async (_, w) => {
        const results: PartResult[] = [];
        for (let p = first(w + 1); p < first(w + 2); p++) results.push(await post(replicas, w, { batch: parts[p]!, seed: seeds[p]!, batchTokens, part: p }));
        return results;
      });
      let here: PartResult[];
      try {
        here = runHere();
      } catch (e) {
        // Let the threads finish their parts first: the error is this thread's, and no reply is left unheard.
        await Promise.allSettled(remote);
        throw e;
      }
      const ranHere = performance.now();
      const others = (await Promise.all(remote)).flat();
      this.lastStepTimes = { hereMs: ranHere - started, waitMs: performance.now() - ranHere };
      // Added in part order after this thread's own, as the one-thread path adds them (and sumLosses adds the losses in part order).
      for (let p = first(1); p < parts.length; p++) this.addGradients(this.partGrads[p - 1]!);
      return [...here, ...others];
    } finally {
      this.model.rng.setState(after);
    }
  }

  /** Frees the replicas on the pool threads (the threads stay, for kernels and later steps). */
  close(): void {
    this.replicas?.close();
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

/** One part on pool thread w; an error there is thrown here. */
async function post(replicas: PoolTask, w: number, request: StepRequest): Promise<PartResult> {
  try {
    return await replicas.run<PartResult>(w, request);
  } catch (e) {
    throw new Error(`data-parallel worker: ${(e as Error).message}`);
  }
}

/** The parts' loss shares added in part order: the batch's mean loss, the same bits for any thread count. */
function sumLosses(parts: PartResult[]): number {
  return parts.reduce((sum, part) => sum + part.loss, 0);
}

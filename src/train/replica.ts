/**
 * What data-parallel training (./dataParallel.ts) needs from a task, which each task implements in
 * its own folder (src/tasks/lm/replica.ts, src/tasks/mt/replica.ts): build a replica of its model
 * from the model's config, cut its batch into parts by rows, count the tokens its loss is the mean
 * over, and run one part forward to its share of that mean. Training names no task: a worker thread
 * loads the task's replica by the module URL the replica gives (`module`, its own import.meta.url).
 *
 * Batches are plain data (numbers and typed arrays): they cross to worker threads in a message.
 */
import type { Module } from '../nn/module.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import type { CarriedLayer } from './microBatch.js';

/** A model data-parallel training can copy: its parameters, and the generator its dropout (and FAVOR+) draws from. */
export interface ReplicaModel extends Module {
  readonly rng: Rng;
}

/** A batch of B rows. */
export interface RowBatch {
  readonly B: number;
}

/** One part's forward: its share of the batch loss, and (carry-over training) its rows' final fast weights. */
export interface PartLoss {
  /** Σ its token losses / the batch's counted tokens (a scalar tensor). */
  loss: Tensor;
  /** One per layer, when the batch carries state. */
  states?: CarriedLayer[];
}

export interface Replica<Batch extends RowBatch, Model extends ReplicaModel, Config> {
  /** The URL of the module that exports this object as `replica`: what a worker thread imports. */
  readonly module: string;
  /** The task's model from its config (each worker builds its own; the parameters then come from the main thread). */
  build(config: Config): Model;
  /**
   * The batch cut into `parts` batches of consecutive rows (./microBatch.ts rowBounds: as equal as
   * the rows allow, never an empty one); the cut depends only on B and `parts`.
   */
  splitRows(batch: Batch, parts: number): Batch[];
  /** The tokens the batch's loss is the mean over. */
  countedTokens(batch: Batch): number;
  /** The part's forward: Σ of its token losses / `batchTokens`. */
  partLoss(model: Model, batch: Batch, batchTokens: number): PartLoss;
}

/** A replica and the config its models are built from: what a worker thread receives. */
export interface ReplicaSpec<Batch extends RowBatch, Model extends ReplicaModel, Config> {
  replica: Replica<Batch, Model, Config>;
  config: Config;
}

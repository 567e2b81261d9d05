/**
 * The retrieval task's side of data-parallel training (src/train/replica.ts): its batches are rows of
 * (key, value) sequences with one query each, its loss the mean over rows of ½‖v* − v̂‖². The demo
 * page trains its two models with it, on the page's thread and a pool worker (docs/browser.md).
 * Browser-safe.
 */
import { halfSquaredError } from '../../ops/loss.js';
import { mul } from '../../ops/arithmetic.js';
import { rowBounds, takeRows } from '../../train/microBatch.js';
import type { Replica } from '../../train/replica.js';
import { Rng } from '../../tensor/rng.js';
import { oneHotTargets, type RetrievalBatch } from './batches.js';
import { RetrievalModel, type RetrievalModelOptions } from './model.js';

/** A retrieval batch as data-parallel training cuts it: B is its row count (= `batch`). */
export type RetrievalRows = RetrievalBatch & { readonly B: number };

/** The model's options without its generator: what a worker builds its replica from (the weights then come from the main thread). */
export type RetrievalReplicaConfig = Omit<RetrievalModelOptions, 'rng'>;

/** A batch with its row count under the name data-parallel training reads. */
export function retrievalRows(batch: RetrievalBatch): RetrievalRows {
  return { ...batch, B: batch.batch };
}

export const replica: Replica<RetrievalRows, RetrievalModel, RetrievalReplicaConfig> = {
  module: import.meta.url,
  build: (config) => new RetrievalModel({ ...config, rng: new Rng(0) }),
  splitRows: (batch, parts) =>
    rowBounds(batch.B, parts).map(([r0, r1]) => ({
      ...batch,
      B: r1 - r0,
      batch: r1 - r0,
      keys: takeRows(batch.keys, batch.L, r0, r1),
      values: takeRows(batch.values, batch.L, r0, r1),
      query: takeRows(batch.query, 1, r0, r1),
      answer: takeRows(batch.answer, 1, r0, r1),
    })),
  countedTokens: (batch) => batch.B,
  // halfSquaredError is the mean over the part's rows; scaled by its rows / the batch's, the shares add up to the batch's mean.
  partLoss: (model, batch, batchRows) => ({ loss: mul(halfSquaredError(model.forward(batch), oneHotTargets(batch)), batch.B / batchRows) }),
};

/**
 * The language model's side of data-parallel training (src/train/replica.ts): its batches are rows of
 * token ids, its loss the mean cross-entropy over every target, and in carry-over training each row
 * brings the fast weights it starts from and takes its final ones back. Browser-safe.
 */
import { crossEntropy } from '../../ops/loss.js';
import { mul } from '../../ops/arithmetic.js';
import { carriedFromStates, carriedRows, rowBounds, statesFromCarried, takeRows, type CarriedLayer } from '../../train/microBatch.js';
import type { Replica } from '../../train/replica.js';
import { LanguageModel, type LanguageModelConfig } from './model.js';

/** Rows of a language-model batch: ids and next-token targets, both [B, L]. */
export interface LmMicroBatch {
  B: number;
  L: number;
  ids: Int32Array;
  targets: Int32Array;
  /**
   * Carry-over training: the rows continue the streams of the previous step, starting from these
   * fast weights (one entry per layer; null: from zero, a stream's first segment), and the step
   * returns their final fast weights. Absent: every row starts from zero and nothing is returned.
   */
  carry?: { from: CarriedLayer[] | null };
}

export const replica: Replica<LmMicroBatch, LanguageModel, LanguageModelConfig> = {
  module: import.meta.url,
  build: (config) => new LanguageModel(config),
  splitRows: (batch, parts) =>
    rowBounds(batch.B, parts).map(([r0, r1]) => {
      const part: LmMicroBatch = { B: r1 - r0, L: batch.L, ids: takeRows(batch.ids, batch.L, r0, r1), targets: takeRows(batch.targets, batch.L, r0, r1) };
      if (batch.carry) part.carry = { from: batch.carry.from && batch.carry.from.map((layer) => carriedRows(layer, batch.B, r0, r1)) };
      return part;
    }),
  countedTokens: (batch) => batch.B * batch.L,
  partLoss(model, batch, batchTokens) {
    // The carried states are leaves without a graph: gradients stop at the segment boundary.
    const from = batch.carry?.from ? { states: statesFromCarried(batch.carry.from) } : {};
    const out = model.forward(batch.ids, batch.B, batch.L, from);
    const loss = mul(crossEntropy(out.logits, batch.targets, { reduction: 'sum' }), 1 / Math.max(1, batchTokens));
    return batch.carry ? { loss, states: carriedFromStates(out.states) } : { loss };
  },
};

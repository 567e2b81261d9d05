/**
 * A training batch cut into micro-batches by rows, and the loss of one micro-batch. The data-parallel
 * step (./dataParallel.ts) runs micro-batches on different threads and sums their gradients, so each
 * micro-batch's loss is its share of the whole batch's mean: the sum of its token losses divided by
 * the token count of the whole batch. The shares add up to the batch's mean loss, and their
 * gradients add up to its gradient.
 * Browser-safe (no Node imports): the worker and the main thread both use it.
 */
import type { Tensor } from '../tensor/tensor.js';
import { crossEntropy } from '../ops/loss.js';
import { mul } from '../ops/arithmetic.js';
import { PAD_ID } from '../data/bpe.js';
import type { TranslationBatch } from '../tasks/mt/batches.js';
import type { LanguageModel } from '../tasks/lm/model.js';
import type { TranslationModel } from '../tasks/mt/model.js';

/** Rows of a language-model batch: ids and next-token targets, both [B, L]. */
export interface LmMicroBatch {
  task: 'lm';
  B: number;
  L: number;
  ids: Int32Array;
  targets: Int32Array;
}

/** Rows of a translation batch (source [B, S], decoder input and targets [B, T], PAD_ID pads) and its label smoothing. */
export interface MtMicroBatch extends Pick<TranslationBatch, 'B' | 'S' | 'T' | 'source' | 'decoderInput' | 'targets'> {
  task: 'mt';
  labelSmoothing: number;
}

export type MicroBatch = LmMicroBatch | MtMicroBatch;

/** Rows [r0, r1) of a [B, width] array. */
function rows(a: ArrayLike<number>, width: number, r0: number, r1: number): Int32Array {
  return Int32Array.from({ length: (r1 - r0) * width }, (_, i) => a[r0 * width + i]!);
}

/**
 * Cuts a batch into `parts` micro-batches of consecutive rows (as equal as the rows allow; never an
 * empty one, so fewer parts when B < parts). The cut depends only on B and `parts`.
 */
export function splitRows(batch: MicroBatch, parts: number): MicroBatch[] {
  const count = Math.max(1, Math.min(parts, batch.B));
  const bounds = Array.from({ length: count + 1 }, (_, p) => Math.round((batch.B * p) / count));
  return bounds.slice(0, -1).map((r0, p): MicroBatch => {
    const r1 = bounds[p + 1]!;
    if (batch.task === 'lm') return { task: 'lm', B: r1 - r0, L: batch.L, ids: rows(batch.ids, batch.L, r0, r1), targets: rows(batch.targets, batch.L, r0, r1) };
    return {
      task: 'mt', B: r1 - r0, S: batch.S, T: batch.T, labelSmoothing: batch.labelSmoothing,
      source: rows(batch.source, batch.S, r0, r1), decoderInput: rows(batch.decoderInput, batch.T, r0, r1), targets: rows(batch.targets, batch.T, r0, r1),
    };
  });
}

/** Tokens the loss counts: every target of a language-model batch, the non-padding ones of a translation batch. */
export function countedTokens(batch: MicroBatch): number {
  if (batch.task === 'lm') return batch.B * batch.L;
  let n = 0;
  for (const t of batch.targets) if (t !== PAD_ID) n++;
  return n;
}

/** The micro-batch's share of the batch loss: Σ its token losses / `batchTokens` (a scalar tensor). */
export function microBatchLoss(model: LanguageModel | TranslationModel, batch: MicroBatch, batchTokens: number): Tensor {
  let sum: Tensor;
  if (batch.task === 'lm') {
    const { logits } = (model as LanguageModel).forward(batch.ids, batch.B, batch.L);
    sum = crossEntropy(logits, batch.targets, { reduction: 'sum' });
  } else {
    const logits = (model as TranslationModel).forward(batch.source, batch.B, batch.S, batch.decoderInput, batch.T);
    sum = crossEntropy(logits, batch.targets, { ignoreIndex: PAD_ID, labelSmoothing: batch.labelSmoothing, reduction: 'sum' });
  }
  return mul(sum, 1 / Math.max(1, batchTokens));
}

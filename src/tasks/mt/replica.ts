/**
 * The translation model's side of data-parallel training (src/train/replica.ts): its batches are rows
 * of padded sources, decoder inputs and targets, its loss the teacher-forced cross-entropy (label
 * smoothed) over the targets that are not padding. Browser-safe.
 */
import { mul } from '../../ops/arithmetic.js';
import { PAD_ID } from '../../data/bpe.js';
import { rowBounds, takeRows } from '../../train/microBatch.js';
import type { Replica } from '../../train/replica.js';
import type { TranslationBatch } from './batches.js';
import { TranslationModel, type TranslationModelConfig } from './model.js';

/** Rows of a translation batch (source [B, S], decoder input and targets [B, T], PAD_ID pads) and its label smoothing. */
export interface MtMicroBatch extends Pick<TranslationBatch, 'B' | 'S' | 'T' | 'source' | 'decoderInput' | 'targets'> {
  labelSmoothing: number;
}

export const replica: Replica<MtMicroBatch, TranslationModel, TranslationModelConfig> = {
  module: import.meta.url,
  build: (config) => new TranslationModel(config),
  splitRows: (batch, parts) =>
    rowBounds(batch.B, parts).map(([r0, r1]) => ({
      B: r1 - r0, S: batch.S, T: batch.T, labelSmoothing: batch.labelSmoothing,
      source: takeRows(batch.source, batch.S, r0, r1), decoderInput: takeRows(batch.decoderInput, batch.T, r0, r1), targets: takeRows(batch.targets, batch.T, r0, r1),
    })),
  countedTokens(batch) {
    let n = 0;
    for (const t of batch.targets) if (t !== PAD_ID) n++;
    return n;
  },
  partLoss(model, batch, batchTokens) {
    const sum = model.targetLoss(batch.source, batch.B, batch.S, batch.decoderInput, batch.T, batch.targets, batch.labelSmoothing);
    return { loss: mul(sum, 1 / Math.max(1, batchTokens)) };
  },
};

/**
 * The model of an fla DeltaNet run (`lm train --arch fla`, `--init DIR`) and its side of data-parallel
 * training (src/train/replica.ts): rows of token ids and next-token targets, as the other language
 * models' (./replica.ts), through fla's DeltaNetForCausalLM (src/nn/fla/). Browser-safe.
 */
import { crossEntropy } from '../../ops/loss.js';
import { mul } from '../../ops/arithmetic.js';
import type { Replica } from '../../train/replica.js';
import { DeltaNetForCausalLM, parseDeltaNetConfig, type DeltaNetConfig } from '../../nn/fla/index.js';
import { replica as lmReplica, type LmMicroBatch } from './replica.js';

/** An fla run's model: fla's config.json keys, the vocabulary, the training segment length. */
export interface FlaLmModelConfig {
  /** The embedding's rows (fla's vocab_size). */
  vocabSize: number;
  /** Training segment length L. */
  context: number;
  /** Seed of the initialisation. */
  seed: number;
  /** fla's config.json, `model_type: "delta_net"`, without vocab_size (which is vocabSize). */
  fla: Record<string, unknown>;
}

/** The DeltaNetConfig of a run's model; an fla key it cannot build is an FlaConfigError naming `source`. */
export function flaConfigOf(model: FlaLmModelConfig, source = 'the run config'): DeltaNetConfig {
  return parseDeltaNetConfig({ ...model.fla, vocab_size: model.vocabSize }, source);
}

export const replica: Replica<LmMicroBatch, DeltaNetForCausalLM, FlaLmModelConfig> = {
  module: import.meta.url,
  build: (config) => new DeltaNetForCausalLM(flaConfigOf(config), { seed: config.seed }),
  // The same rows as the other language models' batches (carry-over training is not offered here).
  splitRows: lmReplica.splitRows,
  countedTokens: lmReplica.countedTokens,
  partLoss(model, batch, batchTokens) {
    const { logits } = model.forward(batch.ids, batch.B, batch.L); // [B, L, vocab]
    return { loss: mul(crossEntropy(logits, batch.targets, { reduction: 'sum' }), 1 / Math.max(1, batchTokens)) };
  },
};

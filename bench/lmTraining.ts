/**
 * Training speed and peak memory of the default models of `lm train` and `mt train`, built from the
 * CLI's own settings (lmTrainSettings / mtTrainSettings with no flags), so the benchmark follows the
 * defaults when they change. A step is what the training loop does: forward, loss, backward, gradient
 * clipping, AdamW. Random token ids (the speed does not depend on the text); translation pairs have
 * random lengths like the Ding sentences and go through the training batcher's token budget.
 */
import { LanguageModel } from '../src/models/languageModel.js';
import { TranslationModel } from '../src/models/translationModel.js';
import { TranslationBatcher, type TokenizedPair } from '../src/data/translationBatches.js';
import { PAD_ID } from '../src/data/bpe.js';
import { crossEntropy } from '../src/ops/loss.js';
import { AdamW, clipGradNorm } from '../src/train/optim.js';
import { Rng } from '../src/tensor/rng.js';
import { lmTrainSettings } from '../src/cli/lm.js';
import { mtTrainSettings } from '../src/cli/mt.js';
import type { Module } from '../src/nn/module.js';
import type { Tensor } from '../src/tensor/tensor.js';

export interface TrainingSpeed {
  task: 'lm' | 'mt';
  model: string;
  description: string;
  /** Tokens the loss counts per second (what the training progress bar shows). */
  tokensPerSecond: number;
  stepsPerSecond: number;
  msPerStep: number;
  cpuMsPerStep: number;
  peakRssMB: number;
  peakHeapMB: number;
}

/** Times `steps` training steps after one warm-up step; `step` returns the tokens it counted. */
function timeSteps(task: 'lm' | 'mt', model: Module & { name: string }, description: string, steps: number, step: () => number): TrainingSpeed {
  step(); // warm-up: compilation and first allocations
  let peakRss = 0, peakHeap = 0, tokens = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    tokens += step();
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    task,
    model: model.name,
    description: `${description}, ${model.parameterCount()} parameters`,
    tokensPerSecond: tokens / seconds,
    stepsPerSecond: steps / seconds,
    msPerStep: (seconds * 1000) / steps,
    cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps,
    peakRssMB: peakRss / 2 ** 20,
    peakHeapMB: peakHeap / 2 ** 20,
  };
}

function optimise(model: Module, lr: number, weightDecay: number, clip: number): (loss: () => Tensor) => void {
  const optimizer = new AdamW(model.namedParameters(), { lr, weightDecay });
  return (loss) => {
    optimizer.zeroGrad();
    loss().backward();
    clipGradNorm(model.namedParameters(), clip);
    optimizer.step();
  };
}

/** The `lm train` default model (attention `delta`), and the same settings with other attention. */
export function measureLanguageModelTraining(steps: number, models = ['delta', 'linear', 'softmax']): TrainingSpeed[] {
  return models.map((attention) => {
    const { training, model: config } = lmTrainSettings({}, attention);
    const model = new LanguageModel({ ...config, vocabSize: training.vocabSize });
    const update = optimise(model, training.lr, training.weightDecay, training.clip);
    const rng = new Rng(2);
    const B = training.batchSize, L = config.context, V = training.vocabSize;
    const description = `lm train defaults: ${config.layers} layers, d_model ${config.dModel}, batch ${B} × context ${L}, vocabulary ${V}`;
    return timeSteps('lm', model, description, steps, () => {
      const ids = Int32Array.from({ length: B * L }, () => rng.int(V));
      const targets = Array.from({ length: B * L }, () => rng.int(V));
      update(() => crossEntropy(model.forward(ids, B, L).logits, targets));
      return B * L;
    });
  });
}

/** The `mt train` default model size with each given self-attention (cross-attention softmax, the default). */
export function measureTranslationTraining(steps: number, models = ['softmax', 'linear', 'delta']): TrainingSpeed[] {
  return models.map((attention) => {
    const { training, model: config } = mtTrainSettings({}, attention);
    const model = new TranslationModel({ ...config, vocabSize: training.vocabSize });
    const update = optimise(model, training.lr, training.weightDecay, training.clip);
    // Ding-like pairs: 4–24 tokens a side (ids above the special tokens).
    const rng = new Rng(3);
    const sentence = () => Array.from({ length: 4 + rng.int(21) }, () => 4 + rng.int(training.vocabSize - 4));
    const pairs: TokenizedPair[] = Array.from({ length: 4000 }, () => ({ source: sentence(), target: sentence() }));
    const batcher = new TranslationBatcher(pairs, training.maxTokens, new Rng(4));
    const description = `mt train defaults: ${config.encoderLayers}+${config.decoderLayers} layers, d_model ${config.dModel}, ≤ ${training.maxTokens} tokens a batch, vocabulary ${training.vocabSize}`;
    return timeSteps('mt', model, description, steps, () => {
      const batch = batcher.next();
      update(() => crossEntropy(model.forward(batch.source, batch.B, batch.S, batch.decoderInput, batch.T), batch.targets, { ignoreIndex: PAD_ID, labelSmoothing: training.labelSmoothing }));
      return batch.targetTokens;
    });
  });
}

/**
 * Training speed and peak memory of a small language model (d_model 64, 4 layers, 4 heads,
 * context 64, batch 8, vocabulary 2048: twice the layers and vocabulary of the `lm train` defaults)
 * for the delta rule, the sum rule and the softmax baseline. Random token ids: the speed does not depend on the text.
 */
import { LanguageModel } from '../src/models/languageModel.js';
import { crossEntropy } from '../src/ops/loss.js';
import { AdamW, clipGradNorm } from '../src/train/optim.js';
import { Rng } from '../src/tensor/rng.js';

export interface LmTrainingSpeed {
  model: string;
  description: string;
  tokensPerSecond: number;
  msPerStep: number;
  cpuMsPerStep: number;
  peakRssMB: number;
  peakHeapMB: number;
}

export async function measureLanguageModelTraining(steps: number, models = ['delta', 'linear', 'softmax']): Promise<LmTrainingSpeed[]> {
  const out: LmTrainingSpeed[] = [];
  const V = 2048, B = 8, L = 64;
  for (const attention of models) {
    const model = new LanguageModel({ vocabSize: V, attention, dModel: 64, layers: 4, heads: 4, context: L, positions: true, seed: 1, dropout: 0.1 });
    const optimizer = new AdamW(model.namedParameters(), { lr: 1e-3, weightDecay: 0.01 });
    const rng = new Rng(2);
    const step = () => {
      const ids = Int32Array.from({ length: B * L }, () => rng.int(V));
      const targets = Array.from({ length: B * L }, () => rng.int(V));
      optimizer.zeroGrad();
      crossEntropy(model.forward(ids, B, L).logits, targets).backward();
      clipGradNorm(model.namedParameters(), 1);
      optimizer.step();
    };
    step(); // warm-up: compilation and first allocations
    let peakRss = 0, peakHeap = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) {
      step();
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
    }
    const ms = (performance.now() - t0) / steps;
    const cpu = process.cpuUsage(cpu0);
    out.push({
      model: attention,
      description: `${model.parameterCount()} parameters, batch ${B} × context ${L}`,
      tokensPerSecond: (B * L) / (ms / 1000),
      msPerStep: ms,
      cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps,
      peakRssMB: peakRss / 2 ** 20,
      peakHeapMB: peakHeap / 2 ** 20,
    });
  }
  return out;
}

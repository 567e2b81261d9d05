/**
 * Training speed and peak memory of the default models of `lm train` and `mt train`, built from the
 * CLI's own settings (lmTrainSettings / mtTrainSettings with no flags), so the benchmark follows the
 * defaults when they change. A step is what the training run does: data-parallel forward and
 * backward over micro-batches on FASTWEIGHTS_THREADS threads (default: the cores, at most 2),
 * gradient clipping, AdamW. Random token ids (the speed does not depend on the text); translation
 * pairs have random lengths like the Ding sentences and go through the training batcher's token budget.
 */
import { LanguageModel } from '../src/tasks/lm/model.js';
import { TranslationModel } from '../src/tasks/mt/model.js';
import { TranslationBatcher, type TokenizedPair } from '../src/tasks/mt/batches.js';
import { AdamW, clipGradNorm } from '../src/train/optim.js';
import { DataParallel } from '../src/train/dataParallel.js';
import type { Replica, ReplicaModel, ReplicaSpec, RowBatch } from '../src/train/replica.js';
import { replica as lmReplica, type LmMicroBatch } from '../src/tasks/lm/replica.js';
import { replica as mtReplica, type MtMicroBatch } from '../src/tasks/mt/replica.js';
import { getBackend, threadsWanted } from '../kernels/index.js';
import { Rng } from '../src/tensor/rng.js';
import { lmTrainSettings } from '../src/tasks/lm/cli.js';
import { mtTrainSettings } from '../src/tasks/mt/cli.js';
import type { Module } from '../src/nn/module.js';

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
  /** Matmul FLOPs (2 × multiply-adds, forward + backward) per counted token, from one counted step. */
  matmulFlopsPerToken: number;
  /** matmulFlopsPerToken × tokensPerSecond: the matmul arithmetic the step sustains. */
  matmulGflopPerSecond: number;
}

/**
 * Matmul FLOPs per token of one batch's forward and backward: every product the backend is asked
 * for, counted in this thread (the batch runs here whole, not as micro-batches). The optimiser
 * step's zeroGrad clears the gradients it leaves.
 */
function matmulFlopsPerToken<Batch extends RowBatch, Model extends ReplicaModel>(replica: Replica<Batch, Model, unknown>, model: Model, batch: Batch, tokens: number): number {
  const backend = getBackend();
  const matmul = backend.matmul;
  let macs = 0;
  (backend as { matmul: typeof matmul }).matmul = (args) => {
    macs += args.batch * args.m * args.n * args.k;
    matmul.call(backend, args);
  };
  try {
    replica.partLoss(model, batch, tokens).loss.backward();
  } finally {
    (backend as { matmul: typeof matmul }).matmul = matmul;
  }
  return (2 * macs) / tokens;
}

/** Times `steps` training steps after one warm-up step; `step` returns the tokens it counted. */
async function timeSteps(task: 'lm' | 'mt', model: Module & { name: string }, description: string, steps: number, step: () => Promise<number>, flopsPerToken: number): Promise<TrainingSpeed> {
  await step(); // warm-up: compilation, first allocations, the workers' start
  let peakRss = 0, peakHeap = 0, tokens = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    tokens += await step();
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    task,
    model: model.name,
    description: `${description}, ${model.parameterCount()} parameters, ${threadsWanted()} thread(s)`,
    tokensPerSecond: tokens / seconds,
    stepsPerSecond: steps / seconds,
    msPerStep: (seconds * 1000) / steps,
    cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps,
    peakRssMB: peakRss / 2 ** 20,
    peakHeapMB: peakHeap / 2 ** 20,
    matmulFlopsPerToken: flopsPerToken,
    matmulGflopPerSecond: (flopsPerToken * tokens) / seconds / 1e9,
  };
}

/** One training step as the trainers take it: data-parallel gradients, clipping, AdamW. */
function trainer<Batch extends RowBatch, Model extends ReplicaModel, Config>(model: Model, spec: ReplicaSpec<Batch, Model, Config>, lr: number, weightDecay: number, clip: number) {
  const optimizer = new AdamW(model.namedParameters(), { lr, weightDecay });
  const parallel = new DataParallel(model, spec, { threads: threadsWanted() });
  model.train();
  return {
    step: async (batch: Batch) => {
      optimizer.zeroGrad();
      await parallel.gradients(batch);
      clipGradNorm(model.namedParameters(), clip);
      optimizer.step();
    },
    close: () => parallel.close(),
  };
}

/** The `lm train` default model (attention `delta`), and the same settings with other attention. */
export async function measureLanguageModelTraining(steps: number, models = ['delta', 'linear', 'softmax'], flags: Record<string, string> = {}): Promise<TrainingSpeed[]> {
  const out: TrainingSpeed[] = [];
  for (const attention of models) {
    const { training, model: settings } = lmTrainSettings(flags, attention);
    const spec = { replica: lmReplica, config: { ...settings, vocabSize: training.vocabSize } };
    const model = new LanguageModel(spec.config);
    const { step, close } = trainer(model, spec, training.lr, training.weightDecay, training.clip);
    const rng = new Rng(2);
    const B = training.batchSize, L = spec.config.context, V = training.vocabSize;
    const description = `lm train defaults: ${spec.config.layers} layers, d_model ${spec.config.dModel}, batch ${B} × context ${L}, vocabulary ${V}`;
    const batch = (): LmMicroBatch => ({ B, L, ids: Int32Array.from({ length: B * L }, () => rng.int(V)), targets: Int32Array.from({ length: B * L }, () => rng.int(V)) });
    try {
      const flops = matmulFlopsPerToken(lmReplica, model, batch(), B * L);
      out.push(await timeSteps('lm', model, description, steps, async () => {
        await step(batch());
        return B * L;
      }, flops));
    } finally {
      close();
    }
  }
  return out;
}

/** The `mt train` default model size with each given self-attention (cross-attention softmax, the default). */
export async function measureTranslationTraining(steps: number, models = ['softmax', 'linear', 'delta'], flags: Record<string, string> = {}): Promise<TrainingSpeed[]> {
  const out: TrainingSpeed[] = [];
  for (const attention of models) {
    const { training, model: settings } = mtTrainSettings(flags, attention);
    const spec = { replica: mtReplica, config: { ...settings, vocabSize: training.vocabSize } };
    const model = new TranslationModel(spec.config);
    const { step, close } = trainer(model, spec, training.lr, training.weightDecay, training.clip);
    // Ding-like pairs: 4–24 tokens a side (ids above the special tokens).
    const rng = new Rng(3);
    const sentence = () => Array.from({ length: 4 + rng.int(21) }, () => 4 + rng.int(training.vocabSize - 4));
    const pairs: TokenizedPair[] = Array.from({ length: 4000 }, () => ({ source: sentence(), target: sentence() }));
    const batcher = new TranslationBatcher(pairs, training.maxTokens, new Rng(4));
    const description = `mt train defaults: ${spec.config.encoderLayers}+${spec.config.decoderLayers} layers, d_model ${spec.config.dModel}, ≤ ${training.maxTokens} tokens a batch, vocabulary ${training.vocabSize}`;
    const next = () => {
      const b = batcher.next();
      return { tokens: b.targetTokens, batch: { B: b.B, S: b.S, T: b.T, source: b.source, decoderInput: b.decoderInput, targets: b.targets, labelSmoothing: training.labelSmoothing } satisfies MtMicroBatch };
    };
    try {
      // Counted on batches of another batcher, so the timed steps see the same batches with or without the count.
      const counter = new TranslationBatcher(pairs, training.maxTokens, new Rng(5));
      const counted = counter.next();
      const flops = matmulFlopsPerToken(mtReplica, model, { B: counted.B, S: counted.S, T: counted.T, source: counted.source, decoderInput: counted.decoderInput, targets: counted.targets, labelSmoothing: training.labelSmoothing }, counted.targetTokens);
      out.push(await timeSteps('mt', model, description, steps, async () => {
        const { batch, tokens } = next();
        await step(batch);
        return tokens;
      }, flops));
    } finally {
      close();
    }
  }
  return out;
}

/**
 * Training a language model end to end: corpus → split → BPE → model → trainLoop, with checkpoints
 * that hold everything needed to resume exactly (weights, optimiser moments and step, the data-order
 * and model RNG states, the loss history) and to evaluate or generate later (config, tokenizer).
 * Node-only (files).
 */
import { loadCorpus } from '../../data/corpora.js';
import { splitCorpus, type CorpusSplit } from '../../data/split.js';
import { BpeTokenizer } from '../../data/bpe.js';
import { sampleSegments } from './batches.js';
import { LanguageModel, validateLanguageModelConfig, type LanguageModelConfig } from './model.js';
import { evaluatePerplexity } from './perplexity.js';
import { bool, int, literal, object, rngState, sharedModelFields, sharedTrainingFields, str, trainingState } from '../../train/checkpointSchema.js';
import { estimateLanguageModel } from '../../train/resources.js';
import { Rng, type RngState } from '../../tensor/rng.js';
import { threadsWanted } from '../../../kernels/wasm/runtime.js';
import { DataParallel } from '../../train/dataParallel.js';
import * as ops from '../../ops/index.js';
import { AdamW } from '../../train/optim.js';
import { readTrainingCheckpoint, restoreTraining, startOrResume, trainWithCheckpoints, type CheckpointKind, type TrainRunOptions } from '../../train/checkpointedTraining.js';
import type { TrainHistory, TrainLoopResult } from '../../train/loop.js';

export const LM_CHECKPOINT_FORMAT = 'fastweights-language-model';

export interface LmTrainingConfig {
  /** 'sotu', 'brown' or a path to a UTF-8 text file. */
  corpus: string;
  vocabSize: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  clip: number;
  /** Budget: total steps or minutes; the rate decays (cosine) to 10% of lr at its end. */
  steps?: number;
  minutes?: number;
  evalEvery: number;
  /** Valid tokens scored at each evaluation (segments mode). */
  evalTokens: number;
  saveEvery: number;
  /** Seed of the data order. */
  seed: number;
}

export interface LmCheckpointConfig {
  format: typeof LM_CHECKPOINT_FORMAT;
  version: 1;
  model: LanguageModelConfig;
  training: LmTrainingConfig;
}

interface LmCheckpointState {
  step: number;
  optimizer: { step: number; lr: number };
  dataRng: RngState;
  modelRng: RngState;
  history: TrainHistory;
}

export interface LmData {
  split: CorpusSplit;
  tokenizer: BpeTokenizer;
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
}

/** Loads and splits a corpus; trains a tokenizer on its training part unless one is given. */
export function prepareLmData(corpus: string, vocabSize: number, tokenizer?: BpeTokenizer, log: (line: string) => void = () => {}): LmData {
  const split = splitCorpus(loadCorpus(corpus));
  log(`corpus ${corpus}: ${split.ids.train.length}/${split.ids.valid.length}/${split.ids.test.length} documents (train/valid/test)`);
  const tok = tokenizer ?? BpeTokenizer.train(split.train, { vocabSize });
  const encode = (text: string) => Int32Array.from(tok.encode(text));
  const data = { split, tokenizer: tok, train: encode(split.train), valid: encode(split.valid), test: encode(split.test) };
  log(`tokens: ${data.train.length} train, ${data.valid.length} valid, ${data.test.length} test (BPE vocabulary ${tok.vocabSize})`);
  return data;
}

export interface TrainLanguageModelOptions extends TrainRunOptions {
  model: Omit<LanguageModelConfig, 'vocabSize'>;
  training: LmTrainingConfig;
  /** Data already prepared (tests, repeated runs); otherwise loaded from the corpus. */
  data?: LmData;
}

export interface TrainLanguageModelResult extends TrainLoopResult {
  model: LanguageModel;
  data: LmData;
}

export async function trainLanguageModel(options: TrainLanguageModelOptions): Promise<TrainLanguageModelResult> {
  const log = options.log ?? (() => {});
  const { config, resumed } = startOrResume<LmCheckpointConfig, LmCheckpointState>(options, LM_CHECKPOINT, log);
  const training = config.training;
  const data = options.data ?? prepareLmData(training.corpus, training.vocabSize, resumed?.tokenizer, log);
  config.model.vocabSize = data.tokenizer.vocabSize;
  validateLanguageModelConfig(config.model);
  if (data.train.length < config.model.context + 1) throw new Error(`the training split has ${data.train.length} tokens, fewer than one segment of ${config.model.context + 1}`);

  const model = new LanguageModel(config.model);
  const optimizer = new AdamW(model.namedParameters(), { lr: training.lr, weightDecay: training.weightDecay });
  const dataRng = new Rng(training.seed);
  let history: TrainHistory | undefined;
  if (resumed) {
    history = restoreTraining(resumed, model, optimizer);
    dataRng.setState(resumed.state.dataRng);
  }
  log(`model ${model.name}: ${config.model.layers} layers, d_model ${config.model.dModel}, ${config.model.heads} heads, ${model.parameterCount()} parameters`);

  const L = config.model.context;
  const B = training.batchSize;
  // Evaluation needs one segment of L + 1 valid tokens; without it the run trains unevaluated (said once).
  const evalStream = Math.min(data.valid.length, training.evalTokens + 1);
  const canEvaluate = evalStream >= L + 1;
  if (!canEvaluate) {
    log(`warning: periodic evaluation is off: it would score ${evalStream} valid tokens (--eval-tokens ${training.evalTokens}, valid split ${data.valid.length}), fewer than one segment of ${L + 1}`);
  }
  // Forward and backward run as micro-batches on every core (src/train/dataParallel.ts): same bits for any count.
  const parallel = new DataParallel(model, { kind: 'lm', config: config.model }, { threads: threadsWanted() });
  const result = await trainWithCheckpoints({
    run: options,
    history,
    model,
    optimizer,
    training,
    config,
    tokenizer: data.tokenizer.toJSON(),
    extraState: () => ({ dataRng: dataRng.getState() }),
    computeGradients: async () => {
      const batch = sampleSegments(data.train, B, L, dataRng);
      const loss = await parallel.gradients({ task: 'lm', B, L, ids: batch.inputs, targets: batch.targets });
      return { loss, tokens: B * L };
    },
    ...(canEvaluate
      ? {
          evaluate: () => {
            const r = evaluatePerplexity(model, data.valid, { mode: 'segments', batchSize: B, maxTokens: training.evalTokens });
            return { validLoss: r.loss, validPpl: r.perplexity };
          },
        }
      : {}),
  }).finally(() => parallel.close());
  return { ...result, model, data };
}

/** A trained model with its tokenizer and settings, for evaluation and generation. */
export function loadLanguageModel(dir: string): { model: LanguageModel; tokenizer: BpeTokenizer; config: LmCheckpointConfig; history: TrainHistory } {
  const c = readLmCheckpoint(dir);
  const model = new LanguageModel(c.config.model);
  model.loadStateDict(c.weights);
  model.eval();
  return { model, tokenizer: c.tokenizer, config: c.config, history: c.state.history };
}

const lmConfigSchema = object({
  format: literal(LM_CHECKPOINT_FORMAT),
  version: literal(1),
  model: object({ ...sharedModelFields, layers: int(1, 1 << 20), context: int(1, 1 << 20), positions: bool }),
  training: object({ ...sharedTrainingFields, corpus: str, batchSize: int(1, 1 << 20), evalTokens: int(1) }),
});

const lmStateSchema = trainingState({ dataRng: rngState });

/** What a language-model checkpoint must be (read by readTrainingCheckpoint). */
const LM_CHECKPOINT: CheckpointKind<LmCheckpointConfig> = {
  format: LM_CHECKPOINT_FORMAT,
  what: 'language-model',
  configSchema: lmConfigSchema,
  stateSchema: lmStateSchema,
  validateModel: validateLanguageModelConfig,
  parameters: (config) => estimateLanguageModel(config.model, config.model.vocabSize, 1).parameters,
};

function readLmCheckpoint(dir: string) {
  return readTrainingCheckpoint<LmCheckpointConfig, LmCheckpointState>(dir, LM_CHECKPOINT);
}

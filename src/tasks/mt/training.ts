/**
 * Training an English→German translation model end to end: a corpus (ende.ts) → fixed
 * split → joint BPE trained on both sides of the training pairs → TranslationModel → the shared
 * trainLoop (AdamW, warm-up, label smoothing), with evaluation (valid loss, and less often greedy
 * BLEU on a valid subset) and checkpoints that resume exactly (weights, optimiser moments and step,
 * the data order and the model's RNG, the history) and serve `mt translate` / `mt eval`
 * (config, tokenizer). Node-only (files).
 */
import { withScratch } from '../../../kernels/index.js';
import { BpeTokenizer } from '../../data/bpe.js';
import { corpusForCheckpoint, loadEnDePairs, splitEnDe, type EnDePair, type EnDeSplit, type MtCorpus } from './ende.js';
import { TranslationBatcher, evaluationBatches, type BatcherState, type TokenizedPair } from './batches.js';
import { TranslationModel, resolveTranslationModelConfig, validateTranslationModelConfig, type TranslationModelConfig } from './model.js';
import { translateIds } from './beamSearch.js';
import { corpusBleu } from './bleu.js';
import { attentionName, int, literal, num, object, oneOf, optional, rngState, sharedModelFields, sharedTrainingFields, str, trainingState } from '../../train/checkpointSchema.js';
import { estimateTranslationModel } from '../../train/resources.js';
import { inference } from '../../nn/module.js';
import { Rng, type RngState } from '../../tensor/rng.js';
import { replica, type MtMicroBatch } from './replica.js';
import { MEMORY_KINDS, sourceEncoder, trainingSources, type MemoryKind, type MemoryLimits, type SourceEncoder } from './translationMemory.js';
import { readTrainingCheckpoint, startTraining, type CheckpointKind, type TrainRunOptions } from '../../train/checkpointedTraining.js';
import type { TrainHistory, TrainLoopResult } from '../../train/loop.js';

export const MT_CHECKPOINT_FORMAT = 'fastweights-translation-model';

export interface MtTrainingConfig {
  /**
   * The corpus as ende.ts names it: `ding`, `libreoffice`, or `file:<name>:sha256:<hex>` for a
   * user's file (never a path). Older checkpoints lack it: they were trained on `ding`.
   */
  corpus?: string;
  /** Train on only the first N training pairs (smoke tests). */
  trainPairs?: number;
  /** Joint BPE vocabulary size. */
  vocabSize: number;
  /** Token budget of a training batch: B · max(S, T) (padding included). */
  maxTokens: number;
  /** Training pairs with a side longer than this many tokens are left out. */
  maxLength: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  clip: number;
  labelSmoothing: number;
  /** Budget: total steps or minutes; the rate decays (cosine) to 10% of lr at its end. */
  steps?: number;
  minutes?: number;
  evalEvery: number;
  /** Greedy BLEU on `bleuSentences` valid pairs at every evaluation whose step is a multiple of this (0: never). */
  bleuEvery: number;
  bleuSentences: number;
  saveEvery: number;
  /** Keep the weights of every N-th step in `<out>/snapshots` for `mt average`; none when absent. */
  snapshotEvery?: number;
  /** How many snapshots to keep (the newest); 10 when absent (src/train/snapshots.ts, KEPT_SNAPSHOTS). */
  snapshotKeep?: number;
  /** Seed of the data order. */
  seed: number;
  /** What the encoder reads besides the English (translationMemory.ts); older checkpoints lack it: 'none'. */
  memory?: MemoryKind;
  /** With a memory: the least similarity (lookupBaseline.ts) at which a sentence gets one; absent: 0. */
  memoryMinSimilarity?: number;
}

export interface MtCheckpointConfig {
  format: typeof MT_CHECKPOINT_FORMAT;
  version: 1;
  model: TranslationModelConfig;
  training: MtTrainingConfig;
}

interface MtCheckpointState {
  step: number;
  optimizer: { step: number; lr: number };
  batcher: BatcherState;
  modelRng: RngState;
  history: TrainHistory;
}

export interface MtData {
  split: EnDeSplit;
  tokenizer: BpeTokenizer;
  /** Tokenized training pairs within the length limit. */
  train: TokenizedPair[];
  valid: TokenizedPair[];
  /** The encoder's ids for English sentences of the valid or test split (with the memory the model was trained with). */
  encodeSources: SourceEncoder;
}

/** The text a joint vocabulary is learned from: both sides of every training pair. */
export function tokenizerTrainingText(pairs: readonly EnDePair[]): string {
  return pairs.map((p) => `${p.en}\n${p.de}`).join('\n');
}

export function tokenizePairs(tokenizer: BpeTokenizer, pairs: readonly EnDePair[]): TokenizedPair[] {
  return pairs.map((p) => ({ source: tokenizer.encode(p.en), target: tokenizer.encode(p.de) }));
}

/** The corpus of a training config; `corpusFile` is the user's --corpus FILE, needed when it was a file. */
export function trainingCorpus(training: Pick<MtTrainingConfig, 'corpus'>, corpusFile?: string): MtCorpus {
  return corpusForCheckpoint(training.corpus ?? 'ding', corpusFile);
}

/** Loads and splits the pairs; trains the joint tokenizer on the training pairs unless one is given. */
export function prepareMtData(training: Pick<MtTrainingConfig, 'corpus' | 'trainPairs' | 'vocabSize' | 'maxLength' | 'memory' | 'memoryMinSimilarity'>, corpusFile?: string, tokenizer?: BpeTokenizer, log: (line: string) => void = () => {}): MtData {
  const corpus = trainingCorpus(training, corpusFile);
  const split = splitEnDe(loadEnDePairs(corpus.path));
  if (training.trainPairs !== undefined) split.train = split.train.slice(0, training.trainPairs);
  log(`corpus ${corpus.id.replace(/:sha256:.*/, '')}: ${split.train.length}/${split.valid.length}/${split.test.length} pairs (train/valid/test)`);
  const tok = tokenizer ?? BpeTokenizer.train(tokenizerTrainingText(split.train), { vocabSize: training.vocabSize });
  const memory = training.memory ?? 'none';
  const all = tokenizePairs(tok, split.train);
  // The length limit reads the English and German sides; a memory is cut to it (translationMemory.ts).
  const kept = all.flatMap((p, i) => (p.source.length <= training.maxLength && p.target.length <= training.maxLength ? [i] : []));
  if (kept.length === 0) throw new Error(`no training pair is within --max-len ${training.maxLength} tokens`);
  log(`joint BPE vocabulary ${tok.vocabSize}; ${kept.length} training pairs within ${training.maxLength} tokens (${all.length - kept.length} longer ones left out)`);
  let sources = all.map((p) => p.source);
  if (memory === 'nearest') {
    log("translation memory: the German of each pair's nearest other training pair (cached after the first run)");
    sources = trainingSources(split.train, sources, all.map((p) => p.target), memoryLimits(training));
  }
  const train = kept.map((i) => ({ source: sources[i]!, target: all[i]!.target }));
  const encodeSources = sourceEncoder(tok, { memory, train: split.train, limits: memoryLimits(training), cached: true });
  const validSources = encodeSources(split.valid.map((p) => p.en));
  const valid = split.valid.map((p, i) => ({ source: validSources[i]!, target: tok.encode(p.de) }));
  return { split, tokenizer: tok, train, valid, encodeSources };
}

/**
 * The source encoder of a trained model, for sentences of any origin (`mt translate`): with a
 * memory it loads the training pairs of the model's corpus; `corpusFile` is needed when that was a file.
 */
export function checkpointSourceEncoder(training: MtTrainingConfig, tokenizer: BpeTokenizer, corpusFile?: string): SourceEncoder {
  const memory = training.memory ?? 'none';
  if (memory === 'none') return sourceEncoder(tokenizer, { memory, train: [], limits: memoryLimits(training) });
  const split = splitEnDe(loadEnDePairs(trainingCorpus(training, corpusFile).path));
  return sourceEncoder(tokenizer, { memory, train: split.train.slice(0, training.trainPairs), limits: memoryLimits(training) });
}

function memoryLimits(training: Pick<MtTrainingConfig, 'maxLength' | 'memoryMinSimilarity'>): MemoryLimits {
  return { maxTokens: training.maxLength, minSimilarity: training.memoryMinSimilarity ?? 0 };
}

/**
 * Mean token cross-entropy (nats, no label smoothing) of the targets, <eos> included. Callers pass
 * the training batch's token budget: batches four times larger scored the 917 LibreOffice valid
 * pairs no faster (3.0 s either way, d_model 128) but held 665 MiB of scratch memory against 174.
 */
export function translationLoss(model: TranslationModel, pairs: readonly TokenizedPair[], maxTokens: number): { loss: number; tokens: number } {
  return inference(model, () => {
    let nll = 0;
    let tokens = 0;
    for (const batch of evaluationBatches(pairs, maxTokens)) {
      // Each batch's arrays reuse the previous batch's memory (kernels/alloc.ts): only a number leaves.
      nll += withScratch(() => {
        return model.targetLoss(batch.source, batch.B, batch.S, batch.decoderInput, batch.T, batch.targets).item();
      });
      tokens += batch.targetTokens;
    }
    if (tokens === 0) throw new Error(`no target tokens to score (${pairs.length} pairs)`);
    return { loss: nll / tokens, tokens };
  });
}

/** Greedy corpus BLEU of the first `count` valid pairs (a cheap progress signal, not the reported score). */
export function validBleu(model: TranslationModel, data: MtData, count: number): number {
  const subset = data.split.valid.slice(0, count);
  const outputs = translateIds(model, data.valid.slice(0, count).map((p) => p.source), { beamSize: 1 });
  return corpusBleu(outputs.map((ids) => data.tokenizer.decode(ids)), subset.map((p) => p.de)).score;
}

export interface TrainTranslationOptions extends TrainRunOptions {
  model: Omit<TranslationModelConfig, 'vocabSize'>;
  training: MtTrainingConfig;
  /** The pairs file, when `training.corpus` names a user's file (checked against its SHA-256). */
  corpusFile?: string;
  /**
   * The pairs and tokenizer of `training`, already prepared (mt compare learns the BPE once for all
   * its runs); used only by a fresh run: a resumed one uses its checkpoint's tokenizer.
   */
  data?: MtData;
}

export interface TrainTranslationResult extends TrainLoopResult {
  model: TranslationModel;
  data: MtData;
}

export async function trainTranslationModel(options: TrainTranslationOptions): Promise<TrainTranslationResult> {
  const log = options.log ?? (() => {});
  const { config, resumed, data, model, train } = startTraining<MtCheckpointConfig, MtCheckpointState, MtData, MtMicroBatch, TranslationModel>(options, {
    checkpoint: MT_CHECKPOINT,
    replica,
    prepareData: (c, tokenizer) => (tokenizer === undefined && options.data !== undefined ? options.data : prepareMtData(c.training, options.corpusFile, tokenizer, log)),
  });
  const training = config.training;
  const batcher = new TranslationBatcher(data.train, training.maxTokens, new Rng(training.seed));
  if (resumed) batcher.setState(resumed.state.batcher);
  const m = config.model;
  log(`model ${model.name}: ${m.encoderLayers}+${m.decoderLayers} layers, d_model ${m.dModel}, ${m.heads} heads, ${model.parameterCount()} parameters; ${batcher.batchesPerEpoch} batches per epoch`);

  const result = await train((parallel) => ({
    extraState: () => ({ batcher: batcher.getState() }),
    computeGradients: async () => {
      const b = batcher.next();
      const loss = await parallel.gradients({ B: b.B, S: b.S, T: b.T, source: b.source, decoderInput: b.decoderInput, targets: b.targets, labelSmoothing: training.labelSmoothing });
      return { loss, tokens: b.targetTokens };
    },
    evaluate: (step) => {
      const fields: Record<string, number> = { validLoss: translationLoss(model, data.valid, training.maxTokens).loss };
      if (training.bleuEvery > 0 && step % training.bleuEvery === 0) {
        fields.validBleu = validBleu(model, data, training.bleuSentences);
      }
      return fields;
    },
  }));
  return { ...result, model, data };
}

export interface LoadedTranslationModel {
  model: TranslationModel;
  tokenizer: BpeTokenizer;
  config: MtCheckpointConfig;
  history: TrainHistory;
  step: number;
}

/** A trained model (in eval mode) with its tokenizer and settings, for translation and scoring. */
export function loadTranslationModel(dir: string): LoadedTranslationModel {
  const c = readMtCheckpoint(dir);
  const model = new TranslationModel(c.config.model);
  model.loadStateDict(c.weights);
  model.eval();
  return { model, tokenizer: c.tokenizer, config: c.config, history: c.state.history, step: c.state.step };
}

const mtConfigSchema = object({
  format: literal(MT_CHECKPOINT_FORMAT),
  version: literal(1),
  model: object({ ...sharedModelFields, crossAttention: optional(attentionName), encoderLayers: int(1, 1 << 20), decoderLayers: int(1, 1 << 20) }),
  training: object({
    ...sharedTrainingFields,
    corpus: optional(str),
    trainPairs: optional(int(1)),
    maxTokens: int(1, 1 << 24),
    maxLength: int(1, 1 << 20),
    labelSmoothing: num(0, 1, true),
    bleuEvery: int(0),
    bleuSentences: int(1),
    snapshotEvery: optional(int(1)),
    snapshotKeep: optional(int(1)),
    memory: optional(oneOf(MEMORY_KINDS)),
    memoryMinSimilarity: optional(num(0, 1)),
  }),
});

const mtStateSchema = trainingState({ batcher: object({ epoch: int(0), position: int(0), epochRng: rngState }) });

/** What a translation checkpoint must be (read by readTrainingCheckpoint). */
const MT_CHECKPOINT: CheckpointKind<MtCheckpointConfig> = {
  format: MT_CHECKPOINT_FORMAT,
  what: 'translation-model',
  configSchema: mtConfigSchema,
  stateSchema: mtStateSchema,
  validateModel: validateTranslationModelConfig,
  parameters: ({ model: m }) => estimateTranslationModel(resolveTranslationModelConfig(m), m.vocabSize, 1, 1).parameters,
};

/** A translation checkpoint as saved, checked (weights not yet in a model). */
export function readMtCheckpoint(dir: string) {
  return readTrainingCheckpoint<MtCheckpointConfig, MtCheckpointState>(dir, MT_CHECKPOINT);
}

/**
 * Training a language model end to end: corpus → split → BPE → model → trainLoop, with checkpoints
 * that hold everything needed to resume exactly (weights, optimiser moments and step, the data-order
 * and model RNG states, the loss history) and to evaluate or generate later (config, tokenizer).
 *
 * Two ways to cut the corpus into batches: independent segments at random offsets, every one
 * starting from empty fast weights (the default, the paper's main tables); or carry-over training
 * (`carry: true`, the paper's Table 4), where the batch's rows are B parallel streams read one
 * segment per step and each layer's fast weights at the end of a step are where the next step's
 * rows start. The carried fast weights are detached: gradients stop at the segment boundary
 * (truncated backpropagation through time), so a step costs what a default step costs.
 * Node-only (files).
 */
import { corpusFileSha256, loadCorpus } from '../../data/corpora.js';
import { InputFileError } from '../../io/fsErrors.js';
import { splitCorpus, type CorpusSplit } from '../../data/split.js';
import { BpeTokenizer } from '../../data/bpe.js';
import { sampleSegments, streamSegment, streamSegmentCount } from './batches.js';
import { BIAS_INITS, FEED_FORWARD_ACTIVATIONS, LanguageModel, resolveLanguageModelConfig, validateLanguageModelConfig, type LanguageModelConfig } from './model.js';
import { evaluatePerplexity } from './perplexity.js';
import { arrayOf, bool, int, literal, nullable, num, object, oneOf, optional, rngState, sharedModelFields, sha256Hex, sharedTrainingFields, str, trainingState, CheckpointSchemaError } from '../../train/checkpointSchema.js';
import { estimateLanguageModel } from '../../train/resources.js';
import { Rng, type RngState } from '../../tensor/rng.js';
import type { CarriedLayer } from '../../train/microBatch.js';
import { replica, type LmMicroBatch } from './replica.js';
import type { AttentionSpec } from '../../nn/attention/spec.js';
import { WEIGHT_DECAY_ON, readTrainingCheckpoint, startTraining, type CheckpointKind, type TrainRunOptions, type WeightDecayOn } from '../../train/checkpointedTraining.js';
import type { TrainHistory, TrainLoopResult } from '../../train/loop.js';

export const LM_CHECKPOINT_FORMAT = 'fastweights-language-model';

export interface LmTrainingConfig {
  /** 'sotu', 'brown' or a path to a UTF-8 text file. */
  corpus: string;
  /**
   * The SHA-256 of the corpus file a run was trained on (none for a built-in corpus, or in a
   * checkpoint written before it was recorded): resuming and evaluating refuse a file since changed.
   */
  corpusSha256?: string;
  vocabSize: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  /** Which parameters weight decay shrinks: absent or 'matrices' (not biases, gains or other vectors), or 'all' (as PyTorch's AdamW over model.parameters()). */
  weightDecayOn?: WeightDecayOn;
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
  /**
   * Carry-over training: B parallel streams through the corpus, one segment per step, the fast
   * weights carried (detached) from each step to the next. Absent: independent random segments.
   */
  carry?: boolean;
  /**
   * The data order of carry-over training without the carrying: the same parallel streams, every
   * segment starting from empty fast weights (the control that separates the two). Implied by carry.
   */
  streams?: boolean;
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
  /** Carry-over training: each layer's fast weights after the saved step (null before the first step of a pass). */
  carry?: SavedCarriedLayer[] | null;
}

/** A CarriedLayer in a checkpoint's state JSON (float32 values print and read back exactly). */
interface SavedCarriedLayer {
  W: number[];
  wShape: number[];
  z: number[] | null;
  zShape: number[] | null;
}

/**
 * Why a model cannot be trained with carried state, or null when it can. Softmax attention has no
 * fixed-size state (its key/value cache grows with every token); FAVOR+ draws new random features
 * for every training batch, so a carried state would be read through other features than wrote it.
 */
export function carryRefusal(attention: AttentionSpec): string | null {
  if (!attention.fastWeights) return `--carry needs a fast weight model: '${attention.name}' is softmax attention, whose key/value cache is not a fixed-size state to carry`;
  if (attention.stochastic) return `--carry cannot train '${attention.name}': FAVOR+ redraws its random features every training batch, so a carried state would be read through other features than wrote it`;
  return null;
}

/** A corpus split and read into ids; `tokenizer` is our BPE unless said otherwise (an fla run's may be a Hugging Face one). */
export interface LmData<Tokenizer extends CorpusTokenizer = BpeTokenizer> {
  split: CorpusSplit;
  tokenizer: Tokenizer;
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
}

/** What tokenising a corpus needs of a tokenizer. */
export interface CorpusTokenizer {
  readonly vocabSize: number;
  encode(text: string): number[];
}

/**
 * Refuses a corpus file that is not the one the checkpoint was trained on (its SHA-256 differs), as
 * mt does: the model would otherwise be scored on, or go on training on, other text without a word.
 */
export function checkCorpusUnchanged(training: Pick<LmTrainingConfig, 'corpus' | 'corpusSha256'>): void {
  if (training.corpusSha256 === undefined) return;
  const now = corpusFileSha256(training.corpus);
  if (now === undefined) return; // a missing file is named by loadCorpus
  if (now !== training.corpusSha256) {
    throw new Error(`corpus file ${training.corpus} has changed since the checkpoint was written (SHA-256 ${training.corpusSha256.slice(0, 12)}… then, ${now.slice(0, 12)}… now); put back the file the model was trained on`);
  }
}

/** Loads and splits a corpus; trains a tokenizer on its training part unless one is given. */
export function prepareLmData(corpus: string, vocabSize: number, tokenizer?: BpeTokenizer, log: (line: string) => void = () => {}): LmData {
  return tokeniseCorpus(corpus, (train) => tokenizer ?? BpeTokenizer.train(train, { vocabSize }), log);
}

/** Loads and splits a corpus, and reads every split with the tokenizer `tokenizerFor` gives for the training text. */
export function tokeniseCorpus<Tokenizer extends CorpusTokenizer>(corpus: string, tokenizerFor: (trainText: string) => Tokenizer, log: (line: string) => void = () => {}): LmData<Tokenizer> {
  const split = splitCorpus(loadCorpus(corpus));
  log(`corpus ${corpus}: ${split.ids.train.length}/${split.ids.valid.length}/${split.ids.test.length} documents (train/valid/test)`);
  const tok = tokenizerFor(split.train);
  const encode = (text: string) => Int32Array.from(tok.encode(text));
  const data = { split, tokenizer: tok, train: encode(split.train), valid: encode(split.valid), test: encode(split.test) };
  log(`tokens: ${data.train.length} train, ${data.valid.length} valid, ${data.test.length} test (tokenizer vocabulary ${tok.vocabSize})`);
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
  /** The run's config (a resumed run's is the checkpoint's, with the new budget). */
  config: LmCheckpointConfig;
}

export async function trainLanguageModel(options: TrainLanguageModelOptions): Promise<TrainLanguageModelResult> {
  const log = options.log ?? (() => {});
  const { config, resumed, data, model, train } = startTraining<LmCheckpointConfig, LmCheckpointState, LmData, LmMicroBatch, LanguageModel>(options, {
    checkpoint: LM_CHECKPOINT,
    replica,
    // A new run embeds tokens at the size of the positions (LanguageModelConfig.scaledEmbedding) unless
    // it asks for unitEmbedding; a resumed one keeps what its checkpoint says (absent: the older layout).
    // A resumed run must find the corpus file it was trained on (its SHA-256); a new one records it
    // once the file has passed loadCorpus's checks (size, UTF-8).
    configure: (c, resuming) => {
      if (!resuming) c.model.scaledEmbedding ??= !c.model.unitEmbedding;
      else checkCorpusUnchanged(c.training);
    },
    prepareData: (c, tokenizer) => {
      const data = options.data ?? prepareLmData(c.training.corpus, c.training.vocabSize, tokenizer, log);
      const sha = tokenizer === undefined ? corpusFileSha256(c.training.corpus) : undefined;
      if (sha !== undefined) c.training.corpusSha256 = sha;
      return data;
    },
  });
  const training = config.training;
  if (data.train.length < config.model.context + 1) throw new Error(`the training split has ${data.train.length} tokens, fewer than one segment of ${config.model.context + 1}`);
  if (data.valid.length < config.model.context + 1) throw new InputFileError(`corpus ${training.corpus} is too small: its valid split has ${data.valid.length} tokens, fewer than one segment of ${config.model.context + 1} to score; give a longer text (or a shorter --context)`);

  const carry = training.carry === true;
  if (resumed && options.training.carry && !carry) throw new Error(`${options.out}: the checkpoint was trained without --carry; resume it without --carry (or start a new run)`);
  const refusal = carry ? carryRefusal(model.resolved.attention) : null;
  if (refusal) throw new Error(refusal);

  const dataRng = new Rng(training.seed);
  const L = config.model.context;
  const B = training.batchSize;
  // Carry-over training: each layer's fast weights after the last step, for all B streams.
  let carried: CarriedLayer[] | null = null;
  if (resumed) {
    dataRng.setState(resumed.state.dataRng);
    if (carry) carried = restoreCarried(resumed.state.carry, options.out, config.model.layers, B);
  }
  log(`model ${model.name}: ${config.model.layers} layers, d_model ${config.model.dModel}, ${config.model.heads} heads, ${model.parameterCount()} parameters`);
  const streams = carry || training.streams === true;
  const blocks = streams ? streamSegmentCount(data.train, B, L) : 0;
  if (streams) {
    if (blocks < 1) throw new Error(`--${carry ? 'carry' : 'streams'}: the training split's ${data.train.length} tokens do not fill ${B} streams of one segment of ${L + 1}; lower --batch or --context`);
    if (carry) log(`carry-over training: ${B} streams of ${blocks} segments of ${L} tokens; fast weights carried from step to step, reset at the start of each pass`);
    else log(`training on ${B} streams of ${blocks} segments of ${L} tokens, in order; fast weights reset every segment`);
  }

  // Evaluation needs one segment of L + 1 valid tokens; without it the run trains unevaluated (said once).
  const evalStream = Math.min(data.valid.length, training.evalTokens + 1);
  const canEvaluate = evalStream >= L + 1;
  if (!canEvaluate) {
    log(`warning: periodic evaluation is off: it would score ${evalStream} valid tokens (--eval-tokens ${training.evalTokens}, valid split ${data.valid.length}), fewer than one segment of ${L + 1}`);
  } else if (evalStream < data.valid.length) {
    log(`validPpl during training: the first ${(evalStream - 1).toLocaleString('en-US')} of ${data.valid.length.toLocaleString('en-US')} valid tokens (--eval-tokens); the final one: the whole valid split`);
  }
  // Forward and backward run as micro-batches on every core (src/train/dataParallel.ts): same bits for any count.
  const result = await train((parallel) => ({
    extraState: () => ({ dataRng: dataRng.getState(), ...(carry ? { carry: carried && carried.map(saveCarried) } : {}) }),
    computeGradients: async (step) => {
      if (streams) {
        // Step s reads block (s − 1) mod blocks of the streams, so the data order is the step's
        // alone (a resumed run reads on where it stopped). Each pass starts the streams from their
        // beginnings, where the memory of the previous pass's ends belongs to other text: reset.
        const block = (step - 1) % blocks;
        const batch = streamSegment(data.train, B, L, block);
        if (!carry) return { loss: await parallel.gradients({ B, L, ids: batch.inputs, targets: batch.targets }), tokens: B * L };
        if (block === 0) carried = null;
        const r = await parallel.carryGradients({ B, L, ids: batch.inputs, targets: batch.targets, carry: { from: carried } });
        carried = r.states;
        return { loss: r.loss, tokens: B * L };
      }
      const batch = sampleSegments(data.train, B, L, dataRng);
      const loss = await parallel.gradients({ B, L, ids: batch.inputs, targets: batch.targets });
      return { loss, tokens: B * L };
    },
    ...(canEvaluate
      ? {
          evaluate: () => {
            // A carry-trained model is scored as it was trained: memory carried across the valid segments.
            const r = evaluatePerplexity(model, data.valid, { mode: carry ? 'carry' : 'segments', batchSize: B, maxTokens: training.evalTokens });
            return { validLoss: r.loss, validPpl: r.perplexity };
          },
        }
      : {}),
  }));
  return { ...result, model, data, config };
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
  model: object({
    ...sharedModelFields,
    layers: int(1, 1 << 20),
    context: int(1, 1 << 20),
    positions: bool,
    learnedPositions: optional(bool),
    scaledEmbedding: optional(bool),
    unitEmbedding: optional(bool),
    ffActivation: optional(oneOf(FEED_FORWARD_ACTIVATIONS)),
    biasInit: optional(oneOf(BIAS_INITS)),
    phiEps: optional(num(0, 1)),
    blockSize: optional(int(1, 1 << 20)),
  }),
  training: object({ ...sharedTrainingFields, weightDecayOn: optional(oneOf(WEIGHT_DECAY_ON)), corpus: str, corpusSha256: optional(sha256Hex), batchSize: int(1, 1 << 20), evalTokens: int(1), carry: optional(bool), streams: optional(bool) }),
});

const dims = arrayOf(int(1, 1 << 20));
const lmStateSchema = trainingState({
  dataRng: rngState,
  carry: optional(nullable(arrayOf(object({ W: arrayOf(num(-Number.MAX_VALUE)), wShape: dims, z: nullable(arrayOf(num(-Number.MAX_VALUE))), zShape: nullable(dims) })))),
});

function saveCarried(layer: CarriedLayer): SavedCarriedLayer {
  return { W: Array.from(layer.W), wShape: layer.wShape, z: layer.z && Array.from(layer.z), zShape: layer.zShape };
}

/** The carried fast weights of a carry-over checkpoint, checked against its model and batch. */
function restoreCarried(saved: SavedCarriedLayer[] | null | undefined, dir: string, layers: number, B: number): CarriedLayer[] | null {
  if (saved === undefined) throw new CheckpointSchemaError(`${dir}: invalid checkpoint: state.carry must be present for a carry-over run, got nothing (the field is missing)`);
  if (saved === null) return null;
  if (saved.length !== layers) throw new CheckpointSchemaError(`${dir}: invalid checkpoint: state.carry holds ${saved.length} layers' fast weights for a model of ${layers}`);
  return saved.map((layer, i) => {
    const fits = (values: number[], shape: number[]) => shape[0] === B && values.length === shape.reduce((n, d) => n * d, 1);
    if (!fits(layer.W, layer.wShape) || (layer.z === null) !== (layer.zShape === null) || (layer.z && !fits(layer.z, layer.zShape!))) {
      throw new CheckpointSchemaError(`${dir}: invalid checkpoint: state.carry[${i}] does not hold ${B} streams' fast weights (shape ${JSON.stringify(layer.wShape)}, ${layer.W.length} values)`);
    }
    return { W: Float32Array.from(layer.W), wShape: layer.wShape, z: layer.z && Float32Array.from(layer.z), zShape: layer.zShape };
  });
}

/** What a language-model checkpoint must be (read by readTrainingCheckpoint). */
const LM_CHECKPOINT: CheckpointKind<LmCheckpointConfig> = {
  format: LM_CHECKPOINT_FORMAT,
  what: 'language-model',
  configSchema: lmConfigSchema,
  stateSchema: lmStateSchema,
  validateModel: validateLanguageModelConfig,
  parameters: (config) => estimateLanguageModel(resolveLanguageModelConfig(config.model), config.model.vocabSize, 1).parameters,
};

function readLmCheckpoint(dir: string) {
  return readTrainingCheckpoint<LmCheckpointConfig, LmCheckpointState>(dir, LM_CHECKPOINT);
}

/**
 * Training fla's DeltaNet here (docs/pretrained.md): `lm train --arch fla` builds a new model of fla's
 * architecture and learns our byte-level BPE from the corpus; `lm train --init DIR` continues the model
 * of a Hugging Face directory, reading the corpus with that directory's tokenizer.json. Both run through
 * the same checkpointed routine as the other language models (src/train/checkpointedTraining.ts):
 * AdamW, crash-safe checkpoints, exact resume, data-parallel micro-batches. `exportFlaRun` writes a
 * run as a Hugging Face directory again: config.json, model.safetensors and tokenizer.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpeTokenizer } from '../../data/bpe.js';
import { corpusFileSha256 } from '../../data/corpora.js';
import { readCheckpointConfig } from '../../io/checkpoint.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { InputFileError } from '../../io/fsErrors.js';
import { loadHfDeltaNet, saveHfDeltaNet } from '../../io/huggingFace.js';
import { DeltaNetForCausalLM, deltaNetParameterShapes, parseDeltaNetConfig } from '../../nn/fla/index.js';
import { int, literal, object, optional, sha256Hex, sharedTrainingFields, str, trainingState, rngState } from '../../train/checkpointSchema.js';
import { readTrainingCheckpoint, startTraining, type CheckpointKind, type TrainRunOptions } from '../../train/checkpointedTraining.js';
import type { TrainHistory, TrainLoopResult } from '../../train/loop.js';
import { Rng, type RngState } from '../../tensor/rng.js';
import { sampleSegments } from './batches.js';
import { evaluatePretrained } from './pretrained.js';
import { flaConfigOf, replica, type FlaLmModelConfig } from './flaReplica.js';
import { FlaRunTokenizer } from './flaTokenizer.js';
import { checkCorpusUnchanged, tokeniseCorpus, type LmData, type LmTrainingConfig } from './training.js';
import type { LmMicroBatch } from './replica.js';

export const FLA_LM_CHECKPOINT_FORMAT = 'fastweights-fla-language-model';

/** An fla run's training settings: the other language models' but carry-over training, and where it started. */
export interface FlaLmTrainingConfig extends Omit<LmTrainingConfig, 'carry' | 'streams'> {
  /** The Hugging Face directory the run started from (`--init`); absent: from scratch. */
  init?: string;
}

export interface FlaLmCheckpointConfig {
  format: typeof FLA_LM_CHECKPOINT_FORMAT;
  version: 1;
  model: FlaLmModelConfig;
  training: FlaLmTrainingConfig;
}

interface FlaLmCheckpointState {
  step: number;
  optimizer: { step: number; lr: number };
  dataRng: RngState;
  modelRng: RngState;
  history: TrainHistory;
}

export type FlaLmData = LmData<FlaRunTokenizer>;

const flaConfigSchema = object({
  format: literal(FLA_LM_CHECKPOINT_FORMAT),
  version: literal(1),
  // `fla` is checked key by key by parseDeltaNetConfig (validateModel).
  model: object({ vocabSize: int(1, 1 << 20), context: int(1, 1 << 20), seed: int(0), fla: object({}, 'allow') }),
  training: object({ ...sharedTrainingFields, vocabSize: int(1, 1 << 20), corpus: str, corpusSha256: optional(sha256Hex), batchSize: int(1, 1 << 20), evalTokens: int(1), init: optional(str) }),
});

/** What an fla run's checkpoint must be (read by readTrainingCheckpoint). */
const FLA_LM_CHECKPOINT: CheckpointKind<FlaLmCheckpointConfig, FlaRunTokenizer> = {
  format: FLA_LM_CHECKPOINT_FORMAT,
  what: 'fla language-model',
  configSchema: flaConfigSchema,
  stateSchema: trainingState({ dataRng: rngState }),
  validateModel: (model) => void flaConfigOf(model),
  parameters: (config) => [...deltaNetParameterShapes(flaConfigOf(config.model)).values()].reduce((n, shape) => n + shape.reduce((a, b) => a * b, 1), 0),
  readTokenizer: (json, config, dir) => {
    const tokenizer = FlaRunTokenizer.fromJSON(json, `${dir}: the checkpoint's tokenizer`);
    checkTokenizerFits(tokenizer.vocabSize, config.model.vocabSize, dir);
    return tokenizer;
  },
};

/** A tokenizer may have fewer tokens than the embedding has rows (padded vocabularies), never more. */
function checkTokenizerFits(tokens: number, rows: number, source: string): void {
  if (tokens > rows) throw new Error(`${source}: the tokenizer has ${tokens} tokens but the model's embedding has ${rows} rows; the tokenizer does not belong to these weights`);
}

export interface TrainFlaLanguageModelOptions extends TrainRunOptions {
  /** A new model's settings (ignored with `training.init`, whose directory gives the model, and when resuming). */
  model: Omit<FlaLmModelConfig, 'vocabSize'>;
  training: FlaLmTrainingConfig;
  /** Data already prepared (tests); otherwise read from the corpus. */
  data?: FlaLmData;
}

export interface TrainFlaLanguageModelResult extends TrainLoopResult {
  model: DeltaNetForCausalLM;
  data: FlaLmData;
  config: FlaLmCheckpointConfig;
}

/**
 * The model and tokenizer of a Hugging Face directory to start from. Its config.json and
 * tokenizer.json are checked before any weight is read; a directory without tokenizer.json is refused.
 */
export function readInitDirectory(dir: string) {
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new Error(`${dir} is not a Hugging Face model directory (no config.json)`);
  parseDeltaNetConfig(readJsonFile(configPath), configPath);
  const tokenizerPath = join(dir, 'tokenizer.json');
  if (!existsSync(tokenizerPath)) throw new Error(`${dir} has no tokenizer.json to read the corpus with (fine-tuning needs the model's own tokenizer)`);
  const tokenizer = FlaRunTokenizer.fromHuggingFace(readJsonFile(tokenizerPath), tokenizerPath);
  const loaded = loadHfDeltaNet(dir);
  checkTokenizerFits(tokenizer.vocabSize, loaded.config.vocabSize, tokenizerPath);
  const { vocab_size: _vocab, ...fla } = loaded.config.raw;
  return { model: loaded.model, vocabSize: loaded.config.vocabSize, fla, tokenizer };
}

/** readInitDirectory, its faults the caller's input to fix (one line, as a usage error). */
function openInitDirectory(dir: string): ReturnType<typeof readInitDirectory> {
  try {
    return readInitDirectory(dir);
  } catch (err) {
    throw new InputFileError(`--init: ${(err as Error).message}`);
  }
}

function readJsonFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

export async function trainFlaLanguageModel(options: TrainFlaLanguageModelOptions): Promise<TrainFlaLanguageModelResult> {
  const log = options.log ?? (() => {});
  const resuming = options.resume === true;
  // A new run from a Hugging Face directory: its model and tokenizer, read (and checked) before anything else.
  const init = !resuming && options.training.init !== undefined ? openInitDirectory(options.training.init) : null;
  const model0 = init ? { context: options.model.context, seed: options.model.seed, fla: init.fla } : options.model;
  const { config, resumed, data, model, train } = startTraining<FlaLmCheckpointConfig, FlaLmCheckpointState, FlaLmData, LmMicroBatch, DeltaNetForCausalLM>(
    { ...options, model: model0 },
    {
      checkpoint: FLA_LM_CHECKPOINT,
      replica,
      configure: (c, resumingRun) => {
        if (resumingRun) checkCorpusUnchanged(c.training);
      },
      prepareData: (c, tokenizer) => {
        const known = tokenizer ?? init?.tokenizer;
        const data = options.data ?? tokeniseCorpus(c.training.corpus, (train) => known ?? FlaRunTokenizer.fromBpe(BpeTokenizer.train(train, { vocabSize: c.training.vocabSize })), log);
        if (!resuming) {
          const sha = corpusFileSha256(c.training.corpus);
          if (sha !== undefined) c.training.corpusSha256 = sha;
          c.training.vocabSize = data.tokenizer.vocabSize;
        }
        return data;
      },
      // A pretrained embedding may have more rows than its tokenizer has tokens.
      vocabSize: (c, d) => (resuming ? c.model.vocabSize : init ? init.vocabSize : d.tokenizer.vocabSize),
    },
  );
  if (init) model.loadStateDict(init.model.stateDict());
  const training = config.training;
  const L = config.model.context;
  const B = training.batchSize;
  if (data.train.length < L + 1) throw new Error(`the training split has ${data.train.length} tokens, fewer than one segment of ${L + 1}`);
  if (data.valid.length < L + 1) throw new Error(`corpus ${training.corpus} is too small: its valid split has ${data.valid.length} tokens, fewer than one segment of ${L + 1} to score; give a longer text (or a shorter --context)`);
  const dataRng = new Rng(training.seed);
  if (resumed) dataRng.setState(resumed.state.dataRng);
  const c = model.config;
  log(`model fla DeltaNet${training.init ? ` from ${training.init}` : ''}: ${c.numHiddenLayers} layers, hidden ${c.hiddenSize}, ${c.numHeads} heads, ${model.parameterCount()} parameters`);
  const evalIds = Array.from(data.valid.subarray(0, training.evalTokens + 1));
  const result = await train((parallel) => ({
    extraState: () => ({ dataRng: dataRng.getState() }),
    computeGradients: async () => {
      const batch = sampleSegments(data.train, B, L, dataRng);
      return { loss: await parallel.gradients({ B, L, ids: batch.inputs, targets: batch.targets }), tokens: B * L };
    },
    // The start of the valid split read as one text, a segment of L at a time with the state carried.
    evaluate: () => {
      const r = evaluatePretrained(model, evalIds, { segment: L });
      return { validLoss: r.loss, validPpl: r.perplexity };
    },
  }));
  return { ...result, model, data, config };
}

/** A trained fla run with its tokenizer and settings. */
export function loadFlaRun(dir: string): { model: DeltaNetForCausalLM; tokenizer: FlaRunTokenizer; config: FlaLmCheckpointConfig; history: TrainHistory } {
  const c = readTrainingCheckpoint<FlaLmCheckpointConfig, FlaLmCheckpointState, FlaRunTokenizer>(dir, FLA_LM_CHECKPOINT);
  const model = new DeltaNetForCausalLM(flaConfigOf(c.config.model, dir), { empty: true });
  model.loadStateDict(c.weights);
  model.eval();
  return { model, tokenizer: c.tokenizer, config: c.config, history: c.state.history };
}

/** The `format` of a training checkpoint's config, or undefined where `dir` holds no readable checkpoint. */
export function checkpointFormat(dir: string): string | undefined {
  if (!existsSync(join(dir, 'checkpoint.json'))) return undefined;
  try {
    const format = (readCheckpointConfig(dir) as { format?: unknown } | null)?.format;
    return typeof format === 'string' ? format : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes an fla run as a Hugging Face directory: config.json, model.safetensors in `dtype`, and the
 * run's tokenizer as tokenizer.json. Returns the model written.
 */
export function exportFlaRun(dir: string, out: string, dtype: 'F32' | 'BF16' | 'F16' = 'F32'): DeltaNetForCausalLM {
  const { model, tokenizer } = loadFlaRun(dir);
  saveHfDeltaNet(model, out, { dtype });
  writeFileAtomic(join(out, 'tokenizer.json'), `${JSON.stringify(tokenizer.huggingFaceJson(), null, 2)}\n`);
  return model;
}

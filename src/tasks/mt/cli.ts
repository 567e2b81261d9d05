/** `fastweights mt train | translate | eval`: English→German translation with BLEU. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProgress } from '../../train/progress.js';
import { resolveTranslationModelConfig, type TranslationModelConfig } from './model.js';
import { checkpointSourceEncoder, loadTranslationModel, prepareMtData, trainTranslationModel, translationLoss, validBleu, type LoadedTranslationModel, type MtTrainingConfig } from './training.js';
import { translateIds } from './beamSearch.js';
import { corpusBleu, formatBleu, BLEU_SIGNATURE } from './bleu.js';
import { defaultFeedForward } from '../../nn/stackShape.js';
import { MT_CORPORA, resolveMtCorpus } from './ende.js';
import { withInterrupt } from '../../cli/interrupt.js';
import { averageTranslationCheckpoint } from './average.js';
import { KEPT_SNAPSHOTS } from '../../train/snapshots.js';
import { TRAINING_HELP_FOOTER, attentionOption, checkOutDir, comparisonMistakes, headSizeOption, modelList, resumeMistakes, seedCount, trainRunOptions, trainingLog, warmupOption } from '../../cli/trainCommand.js';
import { describeStop } from '../../train/stopReason.js';
import { checkWritableFile, ensureOutDir } from '../../cli/outDir.js';
import { degenerateWarning } from './degenerate.js';
import { compareTranslationModels, markdownTable } from './compare.js';
import { belowLookupWarning, formatSplitBaselines, lookupBaselineRow, splitBaselines } from './splitBaselines.js';
import { NOVEL_SIMILARITY_BELOW } from './novelSubset.js';
import { MEMORY_KINDS, type MemoryKind } from './translationMemory.js';
import { availableMemory, checkFits, estimateTranslationModel } from '../../train/resources.js';
import { UsageError, choiceOption, intOption, numberOption, optionalInt, optionalNumber, parseCommand, runSubcommand } from '../../cli/args.js';

/** The corpus `mt train` uses when --corpus is not given. */
export const DEFAULT_CORPUS = 'libreoffice';

/** What the encoder reads besides the English by default (translationMemory.ts). */
export const DEFAULT_MEMORY: MemoryKind = 'nearest';
export const DEFAULT_MEMORY_MIN_SIMILARITY = 0.4;

/**
 * Named recipes of `mt train --preset NAME`: flag values that the user's own flags override.
 * hour: the 60-minute LibreOffice run of docs/experiments.md, whose depth was chosen on the valid split;
 * it keeps its last 40 saves (4,000 steps), so that the number averaged can be chosen on valid up to 40.
 */
export const MT_PRESETS: Readonly<Record<string, Readonly<Partial<Record<'minutes' | 'enc-layers' | 'dec-layers' | 'snapshot-keep', string>>>>> = {
  hour: { minutes: '60', 'enc-layers': '3', 'dec-layers': '3', 'snapshot-keep': '40' },
};

/** The weights of every 100th step are kept (the last KEPT_SNAPSHOTS, --snapshot-keep) for `mt average`; --snapshot-every 0 keeps none. */
export const DEFAULT_SNAPSHOT_EVERY = 100;

const HELP = `fastweights mt — English→German translation with fast weight programmers

  fastweights mt train     --model NAME [--out DIR] [budget] [model] [training]
  fastweights mt translate --checkpoint DIR [--beam K] [--length-penalty A] [--max-len N] [--json] "An English sentence." ...
  fastweights mt eval      --checkpoint DIR [--beam K] [--split valid|test] [--limit N] [--hyp FILE] [--json]
  fastweights mt average   --checkpoint DIR [--last K (5)] [--out DIR2 (DIR-avgK)] [--overwrite]
                           one checkpoint whose weights are the mean of the run's last K saves (its
                           --snapshot-every snapshots, then its final checkpoint); evaluate it with mt eval
  fastweights mt compare   [--models a,b,c] [--steps N (1000)] [--seeds N (1)] [--out DIR (runs/mt-compare)]
                           [--beam K (1)] [--test-limit N] [model] [training]
                           the paper's Table 1 at small scale: each self-attention trained in turn at
                           equal steps, then valid loss and test BLEU (whole test split), a table with
                           mean ± sample sd over seeds, CSV, JSON and loss curves in DIR (checkpoints in
                           DIR/<model>-seed<S>); rerun to continue, or with more --seeds to add seeds

Data (--corpus): pairs are split into train/valid/test by a fixed hash of the English side, and a
joint BPE vocabulary is learned on both sides of the training pairs.
  ding         18,001 sentence pairs from the Ding dictionary, idioms and proverbs (data/ende, GPL-2+)
  libreoffice  33,959 paragraph and heading pairs from the LibreOffice 7.4 help (data/libreoffice, MPL-2.0)
  FILE         your own pairs: UTF-8, one "English<TAB>German" pair per line; the checkpoint records
               the file's name and SHA-256, and mt eval / --resume ask for it again with --corpus FILE

train (defaults: LibreOffice help, 2+2 layers, d_model 128, 4 heads, a translation memory from 0.4
similarity, 10 minutes; docs/experiments.md has the probes and the 60-minute runs behind them and --preset hour):
  --model NAME        self-attention of encoder and decoder: softmax, linear, performer[-m], dpfp[-nu],
                      delta, performer-delta[-m], dpfp-delta[-nu] (required)
  --cross NAME        cross-attention: softmax (default) or linear (any model name works)
  --out DIR           checkpoint directory (default runs/mt-<model>)
  --resume            continue from the checkpoint in --out exactly where it stopped
  --overwrite         start afresh even if --out already holds a checkpoint
  --preset hour       the recipe of the 60-minute run in docs/experiments.md: --minutes 60 --enc-layers 3
                      --dec-layers 3 --snapshot-keep 40 (flags given beside it win; --steps N replaces its minutes)
  --steps N | --minutes M   budget (default --minutes 10); cosine decay to lr/10 at the end of the budget
  --enc-layers N (2)  --dec-layers N (2)  --dim D (128)  --heads H (4)  --ff N (4·dim)  --dropout P (0.1)
  --attention-normalise  --scale-output
  --vocab N (4000)  --max-tokens N (1200 per batch, padding included)  --max-len N (96 tokens per side)
  --lr X (0.002)  --warmup N (200, ending by a tenth of --steps or --minutes)  --weight-decay X (0.01)  --clip X (1)
  --label-smoothing E (0.1)  --eval-every N (500)  --bleu-every N (1000)  --bleu-sentences N (100)
  --save-every N (100)  --snapshot-every N (${DEFAULT_SNAPSHOT_EVERY}: keep the weights of every N-th step in DIR/snapshots
                      for mt average; 0: none)  --snapshot-keep N (${KEPT_SNAPSHOTS}: how many of them, the newest)
  --seed S (1)  --corpus ding|libreoffice|FILE (${DEFAULT_CORPUS})  --train-pairs N (first N only)
  --memory nearest|none (${DEFAULT_MEMORY})  nearest: the encoder reads the English, then the German of the most
                      similar training pair (a translation memory: the lookup baseline's output, which the
                      model learns to copy from and correct); none: the English alone
  --memory-min-similarity X (${DEFAULT_MEMORY_MIN_SIMILARITY})  sentences whose nearest training English is less similar get
                      no memory (similarity: the lookup baseline's, docs/experiments.md)
  --json              progress as JSON lines on stderr, the summary as JSON on stdout

translate / eval:
  --beam K (1: greedy)  --length-penalty A (0.6)  --max-len N (128 output tokens, <eos> included)
  --batch N (32 sentences decoded together)
  eval: --split test|valid (test)  --limit N (first N pairs)  --hyp FILE (default <checkpoint>/hyp-<split>-beam<K>.de)
  --corpus FILE (only for a model trained on your own file: eval's pairs, translate's memory)
  translate reads sentences from the arguments, or one per line from stdin when none are given.

BLEU is computed as sacreBLEU does by default (${BLEU_SIGNATURE}). Beside it, eval prints
the lookup baseline (the German side of the most similar training English, no model) on the same
pairs, and both on the novel subset (pairs whose nearest training English is below ${NOVEL_SIMILARITY_BELOW} similar).
${TRAINING_HELP_FOOTER}`;

export async function runMt(argv: string[]): Promise<number> {
  return runSubcommand('mt', argv, HELP, { train: mtTrain, translate: mtTranslate, eval: mtEval, compare: mtCompare, average: mtAverage });
}

const MT_TRAIN_OPTIONS = {
  model: { type: 'string' }, cross: { type: 'string' }, out: { type: 'string' }, resume: { type: 'boolean' }, overwrite: { type: 'boolean' },
  steps: { type: 'string' }, minutes: { type: 'string' }, 'enc-layers': { type: 'string' }, 'dec-layers': { type: 'string' },
  dim: { type: 'string' }, heads: { type: 'string' }, ff: { type: 'string' }, dropout: { type: 'string' },
  'attention-normalise': { type: 'boolean' }, 'scale-output': { type: 'boolean' }, vocab: { type: 'string' },
  'max-tokens': { type: 'string' }, 'max-len': { type: 'string' }, lr: { type: 'string' }, warmup: { type: 'string' },
  'weight-decay': { type: 'string' }, clip: { type: 'string' }, 'label-smoothing': { type: 'string' },
  'eval-every': { type: 'string' }, 'bleu-every': { type: 'string' }, 'bleu-sentences': { type: 'string' },
  'save-every': { type: 'string' }, 'snapshot-every': { type: 'string' }, 'snapshot-keep': { type: 'string' }, memory: { type: 'string' }, 'memory-min-similarity': { type: 'string' }, seed: { type: 'string' }, corpus: { type: 'string' }, data: { type: 'string' }, 'train-pairs': { type: 'string' },
  preset: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  // mt compare only (mt train refuses them with a pointer):
  models: { type: 'string' }, seeds: { type: 'string' }, beam: { type: 'string' }, 'test-limit': { type: 'string' },
} as const;

type MtTrainValues = ReturnType<typeof parseCommand<typeof MT_TRAIN_OPTIONS>>['values'];

/**
 * Model and training settings of `mt train` from its flags; `mtTrainSettings({}, 'softmax')` is the
 * default model (the benchmark measures exactly that).
 */
export function mtTrainSettings(values: MtTrainValues, modelName: string, command = 'mt train'): { training: MtTrainingConfig; model: Omit<TranslationModelConfig, 'vocabSize'>; corpusFile?: string } {
  const cross = values.cross ?? 'softmax';
  attentionOption(modelName, command);
  attentionOption(cross, command);
  const steps = optionalInt(values.steps, 'steps');
  const minutes = optionalNumber(values.minutes, 'minutes', [0.01, 1e6]);
  if (steps !== undefined && minutes !== undefined) throw new UsageError(`${command}: give either --steps or --minutes, not both`);
  const dim = intOption(values.dim, 'dim', 128);
  const heads = intOption(values.heads, 'heads', 4);
  headSizeOption(dim, heads, command);
  const trainPairs = optionalInt(values['train-pairs'], 'train-pairs');
  if (values.data !== undefined) throw new UsageError(`${command}: --data was renamed --corpus (--corpus ${values.data})`);
  const corpusSpec = values.corpus ?? DEFAULT_CORPUS;
  let corpus;
  try {
    corpus = resolveMtCorpus(corpusSpec);
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message}`);
  }
  const training: MtTrainingConfig = {
    corpus: corpus.id,
    ...(trainPairs !== undefined ? { trainPairs } : {}),
    vocabSize: intOption(values.vocab, 'vocab', 4000, 259, 65536),
    maxTokens: intOption(values['max-tokens'], 'max-tokens', 1200),
    maxLength: intOption(values['max-len'], 'max-len', 96),
    lr: numberOption(values.lr, 'lr', 2e-3, [0, 10]),
    warmupSteps: warmupOption(values.warmup, steps, 200),
    weightDecay: numberOption(values['weight-decay'], 'weight-decay', 0.01, [0, 10]),
    clip: numberOption(values.clip, 'clip', 1, [1e-9, 1e9]),
    labelSmoothing: numberOption(values['label-smoothing'], 'label-smoothing', 0.1, [0, 0.99]),
    ...(steps !== undefined ? { steps } : { minutes: minutes ?? 10 }),
    evalEvery: intOption(values['eval-every'], 'eval-every', 500),
    bleuEvery: intOption(values['bleu-every'], 'bleu-every', 1000, 0),
    bleuSentences: intOption(values['bleu-sentences'], 'bleu-sentences', 100),
    saveEvery: intOption(values['save-every'], 'save-every', 100),
    ...snapshotOptions(values['snapshot-every'], values['snapshot-keep'], command),
    seed: intOption(values.seed, 'seed', 1, 0),
    ...memoryOptions(values),
  };
  // A batch must hold one pair of the longest length kept (the decoder reads <bos> + target): a smaller budget is ignored, pair by pair.
  if (training.maxTokens < training.maxLength + 1) throw new UsageError(`${command}: --max-tokens ${training.maxTokens} cannot hold one pair of --max-len ${training.maxLength} (${training.maxLength + 1} tokens with <bos>); give --max-tokens ${training.maxLength + 1} or more, or lower --max-len`);
  const model: Omit<TranslationModelConfig, 'vocabSize'> = {
    attention: modelName,
    crossAttention: cross,
    dModel: dim,
    encoderLayers: intOption(values['enc-layers'], 'enc-layers', 2),
    decoderLayers: intOption(values['dec-layers'], 'dec-layers', 2),
    heads,
    ffHidden: intOption(values.ff, 'ff', defaultFeedForward(dim)),
    dropout: numberOption(values.dropout, 'dropout', 0.1, [0, 0.99]),
    seed: intOption(values.seed, 'seed', 1, 0),
    ...(values['attention-normalise'] ? { attentionNormalise: true } : {}),
    ...(values['scale-output'] ? { scaleOutput: true } : {}),
  };
  return { training, model, ...(corpusSpec in MT_CORPORA ? {} : { corpusFile: corpusSpec }) };
}

/**
 * The flags of `--preset NAME` beneath the ones given; --steps N takes the place of the preset's
 * minutes, and --snapshot-every 0 (no snapshots) drops its --snapshot-keep.
 */
export function withPreset(values: MtTrainValues): MtTrainValues {
  if (values.preset === undefined) return values;
  const preset = MT_PRESETS[values.preset];
  if (preset === undefined) throw new UsageError(`mt train: unknown --preset '${values.preset}' (valid: ${Object.keys(MT_PRESETS).join(', ')})`);
  const { minutes, 'snapshot-keep': keep, ...rest } = preset;
  const noSnapshots = values['snapshot-every'] !== undefined && Number(values['snapshot-every']) === 0;
  return {
    ...rest,
    ...(values.steps === undefined && minutes !== undefined ? { minutes } : {}),
    ...(keep !== undefined && !noSnapshots ? { 'snapshot-keep': keep } : {}),
    ...values,
  };
}

function memoryOptions(values: MtTrainValues): Pick<MtTrainingConfig, 'memory' | 'memoryMinSimilarity'> {
  const memory = choiceOption(values.memory, 'memory', MEMORY_KINDS, DEFAULT_MEMORY);
  const minSimilarity = numberOption(values['memory-min-similarity'], 'memory-min-similarity', DEFAULT_MEMORY_MIN_SIMILARITY, [0, 1]);
  if (memory === 'none' && values['memory-min-similarity'] !== undefined) throw new UsageError('mt train: --memory-min-similarity applies to --memory nearest only');
  return memory === 'none' ? { memory } : { memory, memoryMinSimilarity: minSimilarity };
}

/** --snapshot-keep is recorded only when given, so runs without it keep the configs they had. */
function snapshotOptions(everyValue: string | undefined, keepValue: string | undefined, command: string): Pick<MtTrainingConfig, 'snapshotEvery' | 'snapshotKeep'> {
  const every = intOption(everyValue, 'snapshot-every', DEFAULT_SNAPSHOT_EVERY, 0);
  if (keepValue === undefined) return every === 0 ? {} : { snapshotEvery: every };
  if (every === 0) throw new UsageError(`${command}: --snapshot-keep needs snapshots; --snapshot-every 0 keeps none`);
  return { snapshotEvery: every, snapshotKeep: intOption(keepValue, 'snapshot-keep', KEPT_SNAPSHOTS, 1) };
}

async function mtTrain(argv: string[]): Promise<number> {
  const values = withPreset(parseCommand(argv, MT_TRAIN_OPTIONS, 'fastweights mt train').values);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.models !== undefined) throw new UsageError("mt train: --models is for 'mt compare'; train takes one --model");
  if (values.seeds !== undefined) throw new UsageError("mt train: --seeds is for 'mt compare'; train takes one --seed");
  if (values.beam !== undefined) throw new UsageError("mt train: --beam is for 'mt eval', 'mt translate' and 'mt compare' (training scores its progress greedily)");
  if (values['test-limit'] !== undefined) throw new UsageError("mt train: --test-limit is for 'mt compare' (mt eval takes --limit)");
  if (values.model === undefined) throw new UsageError('mt train: --model NAME is required (softmax, linear, performer, dpfp, delta, performer-delta, dpfp-delta)');
  const modelName = values.model;
  if (values.resume && values.overwrite) throw new UsageError('mt train: --resume continues the checkpoint in --out and --overwrite replaces it; give one of them');
  // On --resume the checkpoint's settings win; --corpus FILE is still needed to find a user's file.
  const { training, model: modelConfig, corpusFile } = mtTrainSettings(values, modelName);
  if (!values.resume) {
    const estimate = estimateTranslationModel(resolveTranslationModelConfig({ ...modelConfig, vocabSize: training.vocabSize }), training.vocabSize, training.maxTokens, training.maxLength);
    checkFits(estimate, availableMemory(), (message) => {
      throw new UsageError(`mt train: ${message}`);
    });
  }
  const { out, resume, json, log, progress, release } = trainRunOptions('mt train', values, `runs/mt-${modelName}`, `train ${modelName}`);
  return withInterrupt(log, async (shouldStop, stop) => {
    const result = await trainTranslationModel({ out, resume, model: modelConfig, training, ...(corpusFile !== undefined ? { corpusFile } : {}), log, progress, shouldStop }).catch(resumeMistakes('mt train', resume, /checkpoint|not a translation|config|tokenizer|state/));
    const { model, data } = result;
    log(`${describeStop(result.step, result.stoppedBy, training, stop.signal)}; checkpoint in ${out}`);
    if (stop.urgent) return stop.exitCode;
    const valid = reported(log, 'valid loss', () => translationLoss(model, data.valid, training.maxTokens));
    const bleu = reported(log, 'greedy BLEU', () => validBleu(model, data, training.bleuSentences));
    const summary = { checkpoint: out, model: model.name, step: result.step, stoppedBy: result.stoppedBy, validLoss: valid?.loss ?? null, validGreedyBleu: bleu, bleuSentences: Math.min(training.bleuSentences, data.split.valid.length) };
    if (json) console.log(JSON.stringify(summary));
    else {
      const loss = valid === null ? 'valid loss not computed' : `valid loss ${valid.loss.toFixed(3)} (${valid.tokens} tokens)`;
      const greedy = bleu === null ? 'greedy BLEU not computed' : `greedy BLEU ${bleu.toFixed(2)} on the first ${summary.bleuSentences} valid pairs`;
      console.log(`\n${model.name}: step ${result.step}, ${loss}, ${greedy}`);
    }
    return 0;
  }).finally(release);
}

/** The self-attentions of the paper's Table 1, compared when --models is not given. */
export const TABLE1_MODELS = ['softmax', 'linear', 'performer', 'dpfp', 'delta', 'dpfp-delta'];

/**
 * The settings of one model of `mt compare`: mt train's, with 1,000 steps and no snapshots unless
 * asked (a comparison averages nothing, and its results stay comparable with runs made before snapshots).
 */
export function mtCompareSettings(values: MtTrainValues, modelName: string): ReturnType<typeof mtTrainSettings> {
  return mtTrainSettings({ ...values, steps: values.steps ?? '1000', 'snapshot-every': values['snapshot-every'] ?? '0' }, modelName, 'mt compare');
}

async function mtCompare(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, MT_TRAIN_OPTIONS, 'fastweights mt compare');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.model !== undefined || values.resume !== undefined) throw new UsageError('mt compare: use --models a,b,c (finished runs are skipped on a rerun; no --model or --resume)');
  if (values.preset !== undefined) throw new UsageError("mt compare: --preset is for 'mt train' (a comparison trains every model at equal --steps)");
  if (values.minutes !== undefined) throw new UsageError('mt compare: give the budget as --steps N: every model gets the same steps, so a busy machine cannot favour one');
  const models = modelList(values.models, TABLE1_MODELS, 'mt compare');
  // Each name is checked (mtTrainSettings refuses an unknown one) and each model must fit in memory.
  let settings!: ReturnType<typeof mtTrainSettings>;
  for (const name of models) {
    settings = mtCompareSettings(values, name);
    const estimate = estimateTranslationModel(resolveTranslationModelConfig({ ...settings.model, vocabSize: settings.training.vocabSize }), settings.training.vocabSize, settings.training.maxTokens, settings.training.maxLength);
    checkFits(estimate, availableMemory(), (message) => {
      throw new UsageError(`mt compare: ${name}: ${message}`);
    });
  }
  const { training, model, corpusFile } = settings;
  const seeds = seedCount(values.seeds, training.seed, 'mt compare');
  const testLimit = optionalInt(values['test-limit'], 'test-limit');
  const decoding = { beamSize: intOption(values.beam, 'beam', 1, 1, 256), lengthPenalty: 0.6, maxLength: 128, ...(testLimit !== undefined ? { testLimit } : {}) };
  const out = values.out ?? 'runs/mt-compare';
  ensureOutDir('mt compare', out);
  const json = values.json ?? false;
  const log = trainingLog(json);
  return withInterrupt(log, async (shouldStop, stop) => {
    const rows = await compareTranslationModels({
      models,
      out,
      overwrite: values.overwrite ?? false,
      base: { model, training, ...(corpusFile !== undefined ? { corpusFile } : {}) },
      seeds,
      decoding,
      log,
      progress: (total, unit, initial) => createProgress({ total, initial, label: unit === 'sentences' ? 'translate test' : 'train', unit, mode: json ? 'json' : 'auto' }),
      shouldStop,
    }).catch(comparisonMistakes('mt compare'));
    console.log(json ? JSON.stringify(rows) : `\n${markdownTable(rows)}${lookupBaselineRow(training, corpusFile, decoding.testLimit)}\nresults, CSV and loss curves in ${out}`);
    return stop.urgent ? stop.exitCode : 0;
  });
}

/** Runs an end-of-run evaluation; one that cannot run is reported, and the run still ends normally. */
function reported<T>(log: (line: string) => void, what: string, evaluate: () => T): T | null {
  try {
    return evaluate();
  } catch (err) {
    log(`${what} not computed: ${(err as Error).message}`);
    return null;
  }
}

interface DecodingFlags {
  beamSize: number;
  lengthPenalty: number;
  maxLength: number;
  batchSize: number;
}

const DECODING_OPTIONS = {
  checkpoint: { type: 'string' }, beam: { type: 'string' }, 'length-penalty': { type: 'string' }, 'max-len': { type: 'string' },
  batch: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} as const;

function decodingFlags(values: { beam?: string; 'length-penalty'?: string; 'max-len'?: string; batch?: string }): DecodingFlags {
  return {
    // Bounds far above any sensible setting, far below a decode that never ends or cannot be allocated.
    beamSize: intOption(values.beam, 'beam', 1, 1, 256),
    lengthPenalty: numberOption(values['length-penalty'], 'length-penalty', 0.6, [0, 10]),
    maxLength: intOption(values['max-len'], 'max-len', 128, 1, 4096),
    batchSize: intOption(values.batch, 'batch', 32, 1, 4096),
  };
}

/** Loads a checkpoint; a missing, corrupt or foreign one is a usage error that names the problem. */
function openCheckpoint(dir: string | undefined, command: string): LoadedTranslationModel {
  if (!dir) throw new UsageError(`${command}: --checkpoint DIR is required`);
  try {
    return loadTranslationModel(dir);
  } catch (err) {
    throw new UsageError(`${command}: cannot load checkpoint: ${(err as Error).message}`);
  }
}

function warnIfDegenerate(outputs: number[][]): void {
  const warning = degenerateWarning(outputs);
  if (warning !== null) console.error(`warning: ${warning}`);
}

async function mtTranslate(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, { ...DECODING_OPTIONS, corpus: { type: 'string' } }, 'fastweights mt translate', true);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const flags = decodingFlags(values);
  const { model, tokenizer, config } = openCheckpoint(values.checkpoint, 'mt translate');
  const sentences = positionals.length > 0 ? positionals : (await readStdin()).split('\n').filter((line) => line.trim() !== '');
  if (sentences.length === 0) throw new UsageError('mt translate: give sentences as arguments or on stdin, one per line');
  let encodeSources;
  try {
    encodeSources = checkpointSourceEncoder(config.training, tokenizer, values.corpus);
  } catch (err) {
    throw new UsageError(`mt translate: ${(err as Error).message}`);
  }
  const ids = translateIds(model, encodeSources(sentences), flags);
  warnIfDegenerate(ids);
  const outputs = ids.map((one) => tokenizer.decode(one));
  if (values.json) console.log(JSON.stringify({ model: model.name, beam: flags.beamSize, translations: sentences.map((source, i) => ({ source, translation: outputs[i] })) }));
  else for (const line of outputs) console.log(line);
  return 0;
}

async function mtEval(argv: string[]): Promise<number> {
  const { values } = parseCommand(
    argv,
    { ...DECODING_OPTIONS, split: { type: 'string' }, limit: { type: 'string' }, hyp: { type: 'string' }, corpus: { type: 'string' } },
    'fastweights mt eval',
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const flags = decodingFlags(values);
  const split = choiceOption(values.split, 'split', ['valid', 'test'] as const, 'test');
  const limit = optionalInt(values.limit, 'limit');
  const checkpoint = values.checkpoint;
  const { model, tokenizer, config, step } = openCheckpoint(checkpoint, 'mt eval');
  if (values.hyp !== undefined) checkWritableFile('mt eval', values.hyp, '--hyp');
  let data;
  try {
    data = prepareMtData(config.training, values.corpus, tokenizer);
  } catch (err) {
    throw new UsageError(`mt eval: ${(err as Error).message}`);
  }
  const pairs = data.split[split].slice(0, limit);
  const progress = createProgress({ total: pairs.length, label: `translate ${split}`, unit: 'sentences', mode: values.json ? 'silent' : 'auto' });
  const started = performance.now();
  // The whole split's sources, then the first --limit: the memory's matches are cached per split (lookupCache.ts).
  const sources = data.encodeSources(data.split[split].map((p) => p.en)).slice(0, pairs.length);
  const outputs = translateIds(model, sources, { ...flags, onProgress: (done) => progress.update(done) });
  progress.finish();
  const seconds = (performance.now() - started) / 1000;
  const hypotheses = outputs.map((ids) => tokenizer.decode(ids));
  warnIfDegenerate(outputs);
  const hypPath = values.hyp ?? join(checkpoint!, `hyp-${split}-beam${flags.beamSize}.de`);
  // One line per hypothesis; a newline inside a decoded hypothesis would shift every line after it.
  writeFileSync(hypPath, hypotheses.map((h) => h.replace(/[\r\n]+/g, ' ')).join('\n') + '\n');
  const bleu = corpusBleu(hypotheses, pairs.map((p) => p.de));
  const baselines = splitBaselines(data.split.train, data.split[split], hypotheses);
  const below = belowLookupWarning(baselines, split);
  if (below !== null) console.error(below);
  if (values.json) {
    console.log(JSON.stringify({ model: model.name, step, split, sentences: pairs.length, beam: flags.beamSize, lengthPenalty: flags.lengthPenalty, bleu: bleu.score, signature: bleu.signature, line: formatBleu(bleu), lookupBleu: baselines.lookupBleu, novel: baselines.novel, hypotheses: hypPath, seconds }));
  } else {
    console.error(`${model.name} at step ${step}: ${pairs.length} ${split} pairs, beam ${flags.beamSize}, ${seconds.toFixed(1)} s; hypotheses in ${hypPath}`);
    console.log([formatBleu(bleu), ...formatSplitBaselines(baselines, split)].join('\n'));
  }
  return 0;
}

async function mtAverage(argv: string[]): Promise<number> {
  const { values } = parseCommand(
    argv,
    { checkpoint: { type: 'string' }, last: { type: 'string' }, out: { type: 'string' }, overwrite: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    'fastweights mt average',
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.checkpoint) throw new UsageError('mt average: --checkpoint DIR is required (a run trained with --snapshot-every N)');
  const last = intOption(values.last, 'last', 5, 1, 1000);
  const out = values.out ?? `${values.checkpoint.replace(/\/+$/, '')}-avg${last}`;
  checkOutDir('mt average', out, false, values.overwrite ?? false);
  let averaged;
  try {
    averaged = averageTranslationCheckpoint(values.checkpoint, last, out);
  } catch (err) {
    throw new UsageError(`mt average: ${(err as Error).message}`);
  }
  console.log(`mean of the weights at steps ${averaged.steps.join(', ')} of ${values.checkpoint}, in ${averaged.out}`);
  return 0;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

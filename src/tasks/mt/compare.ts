/**
 * The translation comparison (the paper's Table 1 at small scale): several self-attentions trained
 * one after another at an equal budget of steps (equal batches in the same order, so a busy machine
 * cannot favour one model), each scored by valid loss and by test BLEU over the whole test split,
 * with a table, a CSV, a JSON record and a loss-curve plot. With `seeds` > 1 every model is trained
 * once per seed (S, S+1, …) and the table gives the mean ± sample standard deviation over the seeds.
 * Finished (model, seed) runs are skipped when the comparison is run again with the same settings,
 * so an interrupted comparison continues where it stopped and raising --seeds trains only the new
 * seeds; a half-trained run resumes from its checkpoint. The layout and the rules are those of
 * `lm compare` (src/tasks/lm/compare.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseSettings, comparisonRun, forEachMissingRun, readComparisonRows, rowBasics, smoothedLossCurve, summariseByModel, trainerRunOptions, writeComparisonFiles, type ComparisonRow, type ComparisonRunOptions, type SummaryBasics } from '../../report/comparison.js';
import { formatMeanSd, seedList, summarise, type SeedSummary } from '../../report/stats.js';
import { translateIds } from './beamSearch.js';
import { corpusBleu } from './bleu.js';
import { loadTranslationModel, prepareMtData, trainTranslationModel, translationLoss, type MtData, type MtTrainingConfig } from './training.js';
import type { TranslationModelConfig } from './model.js';

/** How test BLEU is decoded: greedy (beam 1) by default, as `mt eval` does. */
export interface CompareDecoding {
  beamSize: number;
  lengthPenalty: number;
  /** Output tokens per sentence, <eos> included. */
  maxLength: number;
  /** Score only the first N test pairs (all when undefined). */
  testLimit?: number;
}

export interface MtCompareOptions extends ComparisonRunOptions {
  /** Model and training settings shared by every run; attention and both seeds are set per run. */
  base: { model: Omit<TranslationModelConfig, 'vocabSize'>; training: MtTrainingConfig; corpusFile?: string };
  decoding: CompareDecoding;
}

/** One trained (model, seed): a line of results.json and results.csv. */
export interface MtCompareRow extends ComparisonRow {
  /** Token cross-entropy on the whole valid split, no label smoothing (nats). */
  validLoss: number;
  /** Corpus BLEU (sacreBLEU's default) of the test translations. */
  testBleu: number;
  testSentences: number;
}

/** A model's runs over its seeds: what the table and summary.json show. */
export interface MtCompareSummary extends SummaryBasics {
  validLoss: SeedSummary;
  testBleu: SeedSummary;
}

export async function compareTranslationModels(options: MtCompareOptions): Promise<MtCompareRow[]> {
  const { base, decoding } = options;
  if (base.training.steps === undefined) throw new Error('mt compare: the budget must be --steps (equal steps for every model), not --minutes');
  mkdirSync(options.out, { recursive: true });
  const settings = comparisonSettings(options);
  const seeds = seedList(base.training.seed, options.seeds ?? 1);
  const rows = readComparisonRows<MtCompareRow>(options.out, settings, options.overwrite ?? false);
  let data: MtData | undefined;
  await forEachMissingRun({ models: options.models, seeds, rows, log: options.log, ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}) }, async (name, seed, label) => {
    const { dirName, dir, model, training, resume } = comparisonRun(options, base, name, seed);
    // Every run of one comparison has the same pairs and the same joint BPE: learn it once.
    if (!resume) data ??= prepareMtData(training, base.corpusFile, undefined, options.log);
    options.log(`${label}: ${resume ? 'resuming' : 'training'} in ${dir}`);
    const result = await trainTranslationModel({
      model,
      training,
      ...(base.corpusFile !== undefined ? { corpusFile: base.corpusFile } : {}),
      ...(!resume && data !== undefined ? { data } : {}),
      ...trainerRunOptions(options, dir, resume),
    });
    if (result.stoppedBy === 'interrupt') return 'stop';
    const row = scoreRun(options, name, seed, dirName, result.data, settings);
    rows.push(row);
    options.log(`${label}: valid loss ${row.validLoss.toFixed(3)}, test BLEU ${row.testBleu.toFixed(2)} (${row.testSentences} pairs, beam ${decoding.beamSize})`);
    writeResults(options.out, rows);
  });
  writeResults(options.out, rows);
  return rows;
}

/** Valid loss and test BLEU of a finished run, read back from its checkpoint (the saved, final weights). */
function scoreRun(options: MtCompareOptions, name: string, seed: number, dirName: string, data: MtData, settings: string): MtCompareRow {
  const dir = join(options.out, dirName);
  const { model, tokenizer, config, history, step } = loadTranslationModel(dir);
  const valid = translationLoss(model, data.valid, config.training.maxTokens);
  const pairs = data.split.test.slice(0, options.decoding.testLimit);
  const progress = options.progress?.(pairs.length, 'sentences');
  // The whole split's sources, then the first --test-limit: the memory's matches are cached per split.
  const sources = data.encodeSources(data.split.test.map((p) => p.en)).slice(0, pairs.length);
  const outputs = translateIds(model, sources, { ...options.decoding, onProgress: (done) => progress?.update(done) });
  progress?.finish();
  const hypotheses = outputs.map((ids) => tokenizer.decode(ids));
  // The translations stay beside the checkpoint, one per line, as `mt eval` writes them.
  writeFileSync(join(dir, `hyp-test-beam${options.decoding.beamSize}.de`), hypotheses.map((h) => h.replace(/[\r\n]+/g, ' ')).join('\n') + '\n');
  const bleu = corpusBleu(hypotheses, pairs.map((p) => p.de));
  return {
    ...rowBasics(name, seed, dirName, model.parameterCount(), step, history),
    validLoss: valid.loss,
    testBleu: bleu.score,
    testSentences: pairs.length,
    settings,
  };
}

/**
 * Everything a row's numbers depend on besides the model's name and its seed: the model sizes, the
 * training settings and the decoding, as canonical JSON. A finished row is reused only under the
 * same settings; the seed is the row's own key, so runs of more seeds join the rows of fewer.
 */
export function comparisonSettings(options: Pick<MtCompareOptions, 'base' | 'decoding'>): string {
  return baseSettings(options.base, { decoding: options.decoding });
}

function writeResults(out: string, rows: MtCompareRow[]): void {
  writeComparisonFiles(out, rows, {
    summary: summariseRows(rows),
    markdown: markdownTable(rows),
    curve: (r) => smoothedLossCurve(loadTranslationModel(join(out, r.dir)).history.steps),
    chartTitle: 'Translation: training loss (label-smoothed, 25-step mean)',
    yLabel: 'cross-entropy (nats/token)',
  });
}

/** One summary per model, in the order the models first appear, over the seeds it has rows for. */
export function summariseRows(rows: readonly MtCompareRow[]): MtCompareSummary[] {
  return summariseByModel(rows, (own) => ({ validLoss: summarise(own.map((r) => r.validLoss)), testBleu: summarise(own.map((r) => r.testBleu)) }));
}

/**
 * The comparison as a Markdown table, one line per model: each number the mean ± the sample
 * standard deviation over its seeds (one seed: the run's own number).
 */
export function markdownTable(rows: readonly MtCompareRow[]): string {
  const summaries = summariseRows(rows);
  const ms = (s: SeedSummary, digits: number) => formatMeanSd(s, (x) => x.toFixed(digits));
  const lines = [
    '| model | seeds | parameters | steps | train time (s) | final train loss | valid loss | test BLEU |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const s of summaries) {
    lines.push(`| ${s.model} | ${s.seeds.join(', ')} | ${s.parameters} | ${s.steps} | ${ms(s.trainSeconds, 0)} | ${ms(s.finalTrainLoss, 3)} | ${ms(s.validLoss, 3)} | ${ms(s.testBleu, 2)} |`);
  }
  const many = summaries.some((s) => s.seeds.length > 1);
  const note = many ? 'Mean ± sample standard deviation over the seeds listed (per-seed rows in results.json and results.csv).\n\n' : '';
  return `${note}${lines.join('\n')}\n`;
}

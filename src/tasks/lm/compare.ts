/**
 * The language-modelling comparison: several models trained one after another at an equal budget
 * of steps (equal tokens, so a busy machine cannot favour one model), each evaluated on valid and
 * test, with a table, a CSV, a JSON record and a loss-curve plot. With `seeds` > 1 every model is
 * trained once per seed (S, S+1, …) and the table gives the mean ± sample standard deviation over
 * the seeds. Finished (model, seed) runs are skipped when the comparison is run again with the same
 * settings, so an interrupted comparison continues where it stopped and raising --seeds trains only
 * the new seeds; results or checkpoints of other settings are refused unless `overwrite` is set.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { baseSettings, canonicalJson, comparisonRun, forEachMissingRun, readComparisonRows, rowBasics, smoothedLossCurve, summariseByModel, trainerRunOptions, writeComparisonFiles, type ComparisonRow, type ComparisonRunOptions, type SummaryBasics } from '../../report/comparison.js';
import { formatMeanSd, seedList, summarise, type SeedSummary } from '../../report/stats.js';
import { evaluatePerplexity } from './perplexity.js';
import { loadLanguageModel, prepareLmData, trainLanguageModel, type LmData, type TrainLanguageModelOptions } from './training.js';

export interface CompareOptions extends ComparisonRunOptions {
  /**
   * Model and training settings shared by every model (attention is replaced per model). The
   * training seed is the first seed; the model seed is replaced by each run's seed.
   */
  base: Omit<TrainLanguageModelOptions, 'out' | 'resume' | 'data' | 'log' | 'progress' | 'shouldStop'>;
  /** Tokens scored on valid and test for each model. */
  evalTokens: number;
}

/** One trained (model, seed): a line of results.json and results.csv. */
export interface CompareRow extends ComparisonRow {
  validPpl: number;
  testPpl: number;
  /** Test perplexity with the fast-weight state carried across segments (null for softmax). */
  testCarryPpl: number | null;
}

/** A model's runs over its seeds: what the table and summary.json show. */
export interface CompareSummary extends SummaryBasics {
  validPpl: SeedSummary;
  testPpl: SeedSummary;
  /** null for models without fast weights (softmax). */
  testCarryPpl: SeedSummary | null;
}

export async function compareLanguageModels(options: CompareOptions): Promise<CompareRow[]> {
  mkdirSync(options.out, { recursive: true });
  const settings = comparisonSettings(options);
  const seeds = seedList(options.base.training.seed, options.seeds ?? 1);
  const rows = readComparisonRows<StoredRow>(options.out, settings, options.overwrite ?? false, upgradeRow) as CompareRow[];
  let data: LmData | undefined;
  await forEachMissingRun({ models: options.models, seeds, rows, log: options.log, ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}) }, async (name, seed, label) => {
    data ??= prepareLmData(options.base.training.corpus, options.base.training.vocabSize, undefined, options.log);
    const { dirName, dir, model, training, resume } = comparisonRun(options, options.base, name, seed);
    const result = await trainLanguageModel({ ...options.base, model, training, data, ...trainerRunOptions(options, dir, resume) });
    if (result.stoppedBy === 'interrupt') return 'stop';
    const { model: trained } = loadLanguageModel(dir);
    const evalOptions = { batchSize: training.batchSize, maxTokens: options.evalTokens };
    const valid = evaluatePerplexity(trained, data.valid, { mode: 'segments', ...evalOptions });
    const test = evaluatePerplexity(trained, data.test, { mode: 'segments', ...evalOptions });
    const carry = trained.isFastWeight ? evaluatePerplexity(trained, data.test, { mode: 'carry', ...evalOptions }).perplexity : null;
    rows.push({
      ...rowBasics(name, seed, dirName, trained.parameterCount(), result.step, result.history),
      validPpl: valid.perplexity,
      testPpl: test.perplexity,
      testCarryPpl: carry,
      settings,
    });
    options.log(`${label}: valid ${valid.perplexity.toFixed(2)}, test ${test.perplexity.toFixed(2)}${carry !== null ? `, test carry ${carry.toFixed(2)}` : ''}`);
    writeResults(options.out, rows);
  });
  writeResults(options.out, rows);
  return rows;
}

/**
 * Everything a row's numbers depend on besides the model's name and its seed: the model sizes, the
 * training settings (budget, corpus, …) and the evaluation size, as canonical JSON. A finished row is
 * reused only under the same settings; the seed is the row's own key, so runs of more seeds join
 * the rows of fewer.
 */
export function comparisonSettings(options: Pick<CompareOptions, 'base' | 'evalTokens'>): string {
  return baseSettings(options.base, { evalTokens: options.evalTokens });
}

/** A row as results.json may hold it: rows written before seeds were keys have no seed or dir. */
type StoredRow = Omit<CompareRow, 'seed' | 'dir'> & { seed?: number; dir?: string };

/**
 * A row from before `--seeds`: its seed was part of its settings and its checkpoint was in a folder
 * named after the model. Moving the seed into the row keeps those results usable.
 */
function upgradeRow(row: StoredRow): StoredRow {
  if (row.seed !== undefined || row.settings === undefined) return row;
  const parsed = JSON.parse(row.settings) as { model?: Record<string, unknown>; training?: Record<string, unknown> };
  const seed = parsed.training?.seed;
  if (typeof seed !== 'number') return row;
  delete parsed.training!.seed;
  delete parsed.model?.seed;
  return { ...row, seed, dir: row.dir ?? row.model, settings: canonicalJson(parsed) };
}

function writeResults(out: string, rows: CompareRow[]): void {
  writeComparisonFiles(out, rows, {
    summary: summariseRows(rows),
    markdown: markdownTable(rows),
    curve: (r) => smoothedLossCurve(loadLanguageModel(join(out, r.dir)).history.steps),
    chartTitle: 'Language modelling: training loss (25-step mean)',
    yLabel: 'cross-entropy (nats/token)',
  });
}

/** One summary per model, in the order the models first appear, over the seeds it has rows for. */
export function summariseRows(rows: readonly CompareRow[]): CompareSummary[] {
  return summariseByModel(rows, (own) => {
    const carry = own.map((r) => r.testCarryPpl).filter((x): x is number => x !== null);
    return {
      validPpl: summarise(own.map((r) => r.validPpl)),
      testPpl: summarise(own.map((r) => r.testPpl)),
      testCarryPpl: carry.length > 0 ? summarise(carry) : null,
    };
  });
}

/**
 * The comparison as a Markdown table. One run per model: each run's numbers, as before seeds
 * existed. More: one line per model, each number the mean ± the sample standard deviation over its
 * seeds (the seeds column says how many).
 */
export function markdownTable(rows: readonly CompareRow[]): string {
  const summaries = summariseRows(rows);
  if (summaries.every((s) => s.seeds.length === 1)) {
    const lines = ['| model | parameters | steps | train time (s) | final train loss | valid ppl | test ppl | test ppl, state carried |', '|---|---|---|---|---|---|---|---|'];
    for (const r of rows) {
      lines.push(`| ${r.model} | ${r.parameters} | ${r.steps} | ${r.trainSeconds} | ${r.finalTrainLoss.toFixed(3)} | ${r.validPpl.toFixed(2)} | ${r.testPpl.toFixed(2)} | ${r.testCarryPpl === null ? '–' : r.testCarryPpl.toFixed(2)} |`);
    }
    return `${lines.join('\n')}\n`;
  }
  const seedCounts = [...new Set(summaries.map((s) => s.seeds.length))];
  const over = seedCounts.length === 1 ? `${seedCounts[0]} seeds` : 'seeds';
  const ms = (s: SeedSummary, digits: number) => formatMeanSd(s, (x) => x.toFixed(digits));
  const lines = [
    `| model | seeds | parameters | steps | train time (s), mean ± sd | final train loss, mean ± sd | valid ppl, mean ± sd | test ppl, mean ± sd | test ppl, state carried, mean ± sd |`,
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of summaries) {
    lines.push(`| ${s.model} | ${s.seeds.join(', ')} | ${s.parameters} | ${s.steps} | ${ms(s.trainSeconds, 0)} | ${ms(s.finalTrainLoss, 3)} | ${ms(s.validPpl, 2)} | ${ms(s.testPpl, 2)} | ${s.testCarryPpl === null ? '–' : ms(s.testCarryPpl, 2)} |`);
  }
  return `Mean ± sample standard deviation over ${over} (per-seed rows in results.json and results.csv).\n\n${lines.join('\n')}\n`;
}

/**
 * The language-modelling comparison: several models trained one after another at an equal budget
 * of steps (equal tokens, so a busy machine cannot favour one model), each evaluated on valid and
 * test, with a table, a CSV, a JSON record and a loss-curve plot. Finished models are skipped when
 * the comparison is run again with the same settings, so an interrupted comparison continues where
 * it stopped; results or checkpoints of other settings are refused unless `overwrite` is set.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { lineChartSvg } from '../../report/svg.js';
import { recordsToCsv } from '../../report/csv.js';
import { evaluatePerplexity } from './perplexity.js';
import { loadCheckpoint } from '../../io/checkpoint.js';
import { loadLanguageModel, prepareLmData, trainLanguageModel, type LmData, type LmTrainingConfig, type TrainLanguageModelOptions } from './training.js';
import type { Progress } from '../../train/progress.js';

export interface CompareOptions {
  models: string[];
  out: string;
  /** Model and training settings shared by every model (attention is replaced per model). */
  base: Omit<TrainLanguageModelOptions, 'out' | 'resume' | 'data' | 'log' | 'progress' | 'shouldStop'>;
  /** Tokens scored on valid and test for each model. */
  evalTokens: number;
  log: (line: string) => void;
  progress?: (total: number, unit: string) => Progress;
  shouldStop?: () => boolean;
  /** Replace results and checkpoints of other settings instead of refusing. */
  overwrite?: boolean;
}

export interface CompareRow {
  model: string;
  parameters: number;
  steps: number;
  trainSeconds: number;
  finalTrainLoss: number;
  validPpl: number;
  testPpl: number;
  /** Test perplexity with the fast-weight state carried across segments (null for softmax). */
  testCarryPpl: number | null;
  /** comparisonSettings() of the run (results.json only; not in the table or CSV). */
  settings?: string;
}

export async function compareLanguageModels(options: CompareOptions): Promise<CompareRow[]> {
  mkdirSync(options.out, { recursive: true });
  const settings = comparisonSettings(options);
  const rows = finishedRows(options, settings);
  let data: LmData | undefined;
  for (const name of options.models) {
    if (rows.some((r) => r.model === name)) {
      options.log(`${name}: already done with these settings, skipped`);
      continue;
    }
    if (options.shouldStop?.()) break;
    data ??= prepareLmData(options.base.training.corpus, options.base.training.vocabSize, undefined, options.log);
    const dir = join(options.out, name);
    const model = { ...options.base.model, attention: name };
    const resume = existsSync(join(dir, 'checkpoint.json')) && !options.overwrite;
    if (resume) checkSameRun(dir, model, options.base.training);
    const result = await trainLanguageModel({
      ...options.base,
      model,
      out: dir,
      resume,
      data,
      log: options.log,
      ...(options.progress ? { progress: options.progress } : {}),
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
    });
    if (result.stoppedBy === 'interrupt') break;
    const { model: trained } = loadLanguageModel(dir);
    const evalOptions = { batchSize: options.base.training.batchSize, maxTokens: options.evalTokens };
    const valid = evaluatePerplexity(trained, data.valid, { mode: 'segments', ...evalOptions });
    const test = evaluatePerplexity(trained, data.test, { mode: 'segments', ...evalOptions });
    const carry = trained.isFastWeight ? evaluatePerplexity(trained, data.test, { mode: 'carry', ...evalOptions }).perplexity : null;
    const steps = result.history.steps;
    const tail = steps.slice(-20);
    rows.push({
      model: name,
      parameters: trained.parameterCount(),
      steps: result.step,
      trainSeconds: Math.round(result.history.elapsedSeconds),
      finalTrainLoss: tail.reduce((s, r) => s + r.loss, 0) / tail.length,
      validPpl: valid.perplexity,
      testPpl: test.perplexity,
      testCarryPpl: carry,
      settings,
    });
    options.log(`${name}: valid ${valid.perplexity.toFixed(2)}, test ${test.perplexity.toFixed(2)}${carry !== null ? `, test carry ${carry.toFixed(2)}` : ''}`);
    writeResults(options.out, rows);
  }
  writeResults(options.out, rows);
  return rows;
}

/**
 * Everything a row's numbers depend on besides the model's name: the model sizes, the training
 * settings (budget, corpus, seed, …) and the evaluation size, as canonical JSON. A finished row is
 * reused only under the same settings.
 */
export function comparisonSettings(options: Pick<CompareOptions, 'base' | 'evalTokens'>): string {
  const { attention: _attention, ...model } = options.base.model;
  return canonicalJson({ model, training: options.base.training, evalTokens: options.evalTokens });
}

/** The rows of results.json that were computed with these settings; other rows are refused unless --overwrite. */
function finishedRows(options: CompareOptions, settings: string): CompareRow[] {
  const resultsPath = join(options.out, 'results.json');
  if (!existsSync(resultsPath) || options.overwrite) return [];
  let previous: unknown;
  try {
    previous = JSON.parse(readFileSync(resultsPath, 'utf8'));
  } catch (err) {
    throw new Error(`${resultsPath} is not valid JSON (${(err as Error).message}); pass --overwrite to start the comparison again`);
  }
  if (!Array.isArray(previous)) throw new Error(`${resultsPath} is not a list of results; pass --overwrite to start the comparison again`);
  const rows = previous as CompareRow[];
  const other = rows.find((r) => r.settings !== settings);
  if (other !== undefined) {
    const change = other.settings === undefined ? 'settings not recorded (an older version wrote them)' : describeDifference(JSON.parse(other.settings), JSON.parse(settings));
    throw new Error(`${options.out} holds results of '${other.model}' computed with other settings (${change}); pass --overwrite to replace them, or choose another --out`);
  }
  return rows;
}

/** Before resuming a model's half-finished run: its checkpoint must be a run of these settings. */
function checkSameRun(dir: string, model: TrainLanguageModelOptions['model'], training: LmTrainingConfig): void {
  const { config } = loadCheckpoint(dir);
  const saved = config as { model?: Record<string, unknown>; training?: unknown } | null;
  const { vocabSize: _vocabSize, ...savedModel } = saved?.model ?? {};
  const before = { model: savedModel, training: saved?.training };
  const now = { model, training };
  if (canonicalJson(before) !== canonicalJson(now)) {
    throw new Error(`${dir} holds a run with other settings (${describeDifference(before, now)}); pass --overwrite to train it again, or choose another --out`);
  }
}

/** JSON with object keys sorted, so equal settings give equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** "training.steps 600 → 1000, model.layers 2 → 3": the leaves that differ. */
function describeDifference(before: unknown, after: unknown): string {
  const flat = (value: unknown, prefix: string, out: Map<string, string>) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) flat(v, prefix ? `${prefix}.${k}` : k, out);
    } else out.set(prefix, JSON.stringify(value));
    return out;
  };
  const a = flat(before, '', new Map());
  const b = flat(after, '', new Map());
  const keys = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
  return keys.map((k) => `${k} ${a.get(k) ?? 'unset'} → ${b.get(k) ?? 'unset'}`).join(', ') || 'unknown difference';
}

function writeResults(out: string, rows: CompareRow[]): void {
  writeFileAtomic(join(out, 'results.json'), JSON.stringify(rows, null, 2));
  const table = rows.map(({ settings: _settings, ...row }) => row);
  writeFileAtomic(join(out, 'results.csv'), recordsToCsv(table as unknown as Record<string, number | string | null>[]));
  writeFileAtomic(join(out, 'results.md'), markdownTable(rows));
  // Loss curves: training loss smoothed over 25 steps, and the periodic valid loss.
  const series = rows.flatMap((r) => {
    const { history } = loadLanguageModel(join(out, r.model));
    const smooth = history.steps.map((s, i, all) => {
      const window = all.slice(Math.max(0, i - 24), i + 1);
      return [s.step, window.reduce((a, b) => a + b.loss, 0) / window.length] as const;
    });
    return [{ name: `${r.model} train`, points: smooth.filter((_, i) => i % 5 === 4) }];
  });
  writeFileAtomic(join(out, 'loss-curves.svg'), lineChartSvg({ series, title: 'Language modelling: training loss (25-step mean)', xLabel: 'step', yLabel: 'cross-entropy (nats/token)', markers: false }));
}

export function markdownTable(rows: CompareRow[]): string {
  const lines = ['| model | parameters | steps | train time (s) | final train loss | valid ppl | test ppl | test ppl, state carried |', '|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.model} | ${r.parameters} | ${r.steps} | ${r.trainSeconds} | ${r.finalTrainLoss.toFixed(3)} | ${r.validPpl.toFixed(2)} | ${r.testPpl.toFixed(2)} | ${r.testCarryPpl === null ? '–' : r.testCarryPpl.toFixed(2)} |`);
  }
  return `${lines.join('\n')}\n`;
}

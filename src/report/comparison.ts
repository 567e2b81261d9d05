/**
 * What the `compare` commands (lm compare, mt compare) share: settings written as canonical JSON, so
 * equal settings give equal text and a finished run is reused only under the settings it was made
 * with, a one-line description of how two settings differ, the reading of a comparison's
 * results.json, the order runs are done in, and the files a comparison writes. No model code: each
 * command trains and scores its own runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadCheckpoint } from '../io/checkpoint.js';
import { writeFileAtomic } from '../io/atomic.js';
import { recordsToCsv } from './csv.js';
import { lineChartSvg, type Point } from './svg.js';
import { summarise, type SeedSummary } from './stats.js';
import type { Progress } from '../train/progress.js';
import { join } from 'node:path';

/** JSON with object keys sorted, so equal settings give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** "training.steps 600 → 1000, model.layers 2 → 3": the leaves that differ. */
export function describeDifference(before: unknown, after: unknown): string {
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

/** The fields every comparison row has: what a finished run is found by. */
export interface ComparisonRowKey {
  model: string;
  seed?: number;
  /** canonicalJson of everything the row's numbers depend on besides model and seed. */
  settings?: string;
}

/**
 * The rows of `out`/results.json, all computed with `settings`; [] when there is none yet or
 * `overwrite` is set. A file that is not a list of rows, or a row of other settings, is refused with
 * the difference named, so a rerun with changed flags never mixes two experiments in one table.
 * `upgrade` lets a caller convert rows an older version wrote.
 */
export function readComparisonRows<Row extends ComparisonRowKey>(out: string, settings: string, overwrite: boolean, upgrade: (row: Row) => Row = (row) => row): Row[] {
  const resultsPath = join(out, 'results.json');
  if (!existsSync(resultsPath) || overwrite) return [];
  let previous: unknown;
  try {
    previous = JSON.parse(readFileSync(resultsPath, 'utf8'));
  } catch (err) {
    throw new Error(`${resultsPath} is not valid JSON (${(err as Error).message}); pass --overwrite to start the comparison again`);
  }
  if (!Array.isArray(previous) || previous.some((r) => r === null || typeof r !== 'object' || typeof (r as { model?: unknown }).model !== 'string')) {
    throw new Error(`${resultsPath} is not a list of results; pass --overwrite to start the comparison again`);
  }
  const rows = (previous as Row[]).map(upgrade);
  const other = rows.find((r) => r.settings !== settings || r.seed === undefined);
  if (other !== undefined) {
    const change = other.settings === undefined ? 'settings not recorded (an older version wrote them)' : describeDifference(JSON.parse(other.settings), JSON.parse(settings));
    throw new Error(`${out} holds results of '${other.model}' computed with other settings (${change}); pass --overwrite to replace them, or choose another --out`);
  }
  return rows;
}

/**
 * Fields a new run fills in when the settings leave them out, with the values it fills in: the
 * vocabulary size (from the tokenizer), lm's scaled embedding (docs/experiments.md, Table 4) and
 * the corpus file's SHA-256 (which resuming the run checks itself).
 */
const FILLED_IN_BY_TRAINING: Record<string, (value: unknown) => boolean> = {
  vocabSize: () => true,
  scaledEmbedding: (value) => value === true,
  corpusSha256: (value) => typeof value === 'string',
};

/** `saved` without the fields training filled in that `asked` leaves out. */
function withoutFilledIn(saved: unknown, asked: object): unknown {
  if (saved === null || typeof saved !== 'object' || Array.isArray(saved)) return saved;
  return Object.fromEntries(Object.entries(saved).filter(([key, value]) => key in asked || !FILLED_IN_BY_TRAINING[key]?.(value)));
}

/**
 * Before resuming a half-finished run of a comparison: the checkpoint in `dir` must be a run of
 * these model and training settings (aside from what training filled in, FILLED_IN_BY_TRAINING).
 */
export function checkSameRun(dir: string, model: object, training: object): void {
  const { config } = loadCheckpoint(dir);
  const saved = config as { model?: unknown; training?: unknown } | null;
  const before = { model: withoutFilledIn(saved?.model ?? {}, model), training: withoutFilledIn(saved?.training, training) };
  const now = { model, training };
  if (canonicalJson(before) !== canonicalJson(now)) {
    throw new Error(`${dir} holds a run with other settings (${describeDifference(before, now)}); pass --overwrite to train it again, or choose another --out`);
  }
}

/** The options every compare command takes besides its model and training settings. */
export interface ComparisonRunOptions {
  models: string[];
  out: string;
  /** Runs per model, with seeds base.training.seed, +1, …; default 1. */
  seeds?: number;
  log: (line: string) => void;
  /** Builds a progress reporter for `total` units ('steps' while training; mt compare: 'sentences' while translating). */
  progress?: (total: number, unit: string, initial?: number) => Progress;
  shouldStop?: () => boolean;
  /** Replace results and checkpoints of other settings instead of refusing. */
  overwrite?: boolean;
}

/** What every row of a comparison holds: one trained (model, seed), a line of results.json and results.csv. */
export interface ComparisonRow {
  model: string;
  /** The seed of the model's initialisation, its dropout and its batch order. */
  seed: number;
  /** The run's checkpoint directory, relative to the comparison's --out. */
  dir: string;
  parameters: number;
  steps: number;
  trainSeconds: number;
  /** Mean training loss of the last 20 steps (mt: label-smoothed). */
  finalTrainLoss: number;
  /** The command's comparisonSettings() of the run (results.json only; not in the table or CSV). */
  settings?: string;
}

/** Where a (model, seed) run keeps its checkpoint under a comparison's --out: the seed is in the name, so seeds never share one. */
export function runDirName(model: string, seed: number): string {
  return `${model}-seed${seed}`;
}

/**
 * Calls `run` for every (seed, model) that has no row yet, and logs the ones skipped. Seeds outside,
 * models inside: an interrupted comparison has every model at the first seeds, an equal comparison,
 * rather than every seed of the first models. Stops when `shouldStop` says so, or when `run` returns
 * 'stop' (its training was interrupted).
 */
export async function forEachMissingRun(
  options: { models: readonly string[]; seeds: readonly number[]; rows: readonly ComparisonRowKey[]; log: (line: string) => void; shouldStop?: () => boolean },
  run: (model: string, seed: number, label: string) => Promise<'stop' | void>,
): Promise<void> {
  const { models, seeds, rows, log, shouldStop } = options;
  for (const seed of seeds) {
    for (const model of models) {
      const label = seeds.length > 1 ? `${model} seed ${seed}` : model;
      if (rows.some((r) => r.model === model && r.seed === seed)) {
        log(`${label}: already done with these settings, skipped`);
        continue;
      }
      if (shouldStop?.()) return;
      if ((await run(model, seed, label)) === 'stop') return;
    }
    if (shouldStop?.()) return;
  }
}

/** A training-loss curve for the comparison charts: the mean of the last 25 steps, every 5th step. */
export function smoothedLossCurve(steps: readonly { step: number; loss: number }[]): Point[] {
  const smooth = steps.map((s, i, all) => {
    const window = all.slice(Math.max(0, i - 24), i + 1);
    return [s.step, window.reduce((a, b) => a + b.loss, 0) / window.length] as const;
  });
  return smooth.filter((_, i) => i % 5 === 4);
}

/**
 * A comparison's files in `out`, each written atomically: results.json (rows with their settings),
 * results.csv (rows without), summary.json, results.md and loss-curves.svg (one training-loss curve
 * per (model, seed); `curve` reads a run's loss history).
 */
export function writeComparisonFiles<Row extends ComparisonRow>(
  out: string,
  rows: readonly Row[],
  files: { summary: unknown; markdown: string; curve: (row: Row) => Point[]; chartTitle: string; yLabel: string },
): void {
  writeFileAtomic(join(out, 'results.json'), JSON.stringify(rows, null, 2));
  const table = rows.map(({ settings: _settings, ...row }) => row);
  writeFileAtomic(join(out, 'results.csv'), recordsToCsv(table as unknown as Record<string, number | string | null>[]));
  writeFileAtomic(join(out, 'summary.json'), JSON.stringify(files.summary, null, 2));
  writeFileAtomic(join(out, 'results.md'), files.markdown);
  const manySeeds = new Set(rows.map((r) => r.seed)).size > 1;
  const series = rows.map((r) => ({ name: `${r.model}${manySeeds ? ` seed ${r.seed}` : ''}`, points: files.curve(r) }));
  writeFileAtomic(join(out, 'loss-curves.svg'), lineChartSvg({ series, title: files.chartTitle, xLabel: 'step', yLabel: files.yLabel, markers: false }));
}

/**
 * Everything a row's numbers depend on besides the model's name and its seed: the base run's model
 * sizes and training settings (less the attention and the seeds, which vary per run) and `extra`
 * (the evaluation or decoding), as canonical JSON. A finished row is reused only under the same
 * settings; the seed is the row's own key, so runs of more seeds join the rows of fewer.
 */
export function baseSettings(base: { model: { attention: string; seed: number }; training: { seed: number } }, extra: Record<string, unknown>): string {
  const { attention: _attention, seed: _modelSeed, ...model } = base.model;
  const { seed: _seed, ...training } = base.training;
  return canonicalJson({ model, training, ...extra });
}

/**
 * One (model, seed) run of a comparison: its folder under `out`, its model and training settings
 * (the base's, with this attention and seed), and whether it continues a checkpoint left there
 * (one of other settings is refused, by checkSameRun).
 */
export function comparisonRun<Model extends { attention: string; seed: number }, Training extends { seed: number }>(
  options: Pick<ComparisonRunOptions, 'out' | 'overwrite'>,
  base: { model: Model; training: Training },
  name: string,
  seed: number,
): { dirName: string; dir: string; model: Model; training: Training; resume: boolean } {
  const dirName = runDirName(name, seed);
  const dir = join(options.out, dirName);
  const model = { ...base.model, attention: name, seed };
  const training = { ...base.training, seed };
  const resume = existsSync(join(dir, 'checkpoint.json')) && !options.overwrite;
  if (resume) checkSameRun(dir, model, training);
  return { dirName, dir, model, training, resume };
}

/** What a comparison hands every training run besides its settings: where, whether it resumes, and how it reports. */
export function trainerRunOptions(options: ComparisonRunOptions, dir: string, resume: boolean) {
  return {
    out: dir,
    resume,
    log: options.log,
    ...(options.progress ? { progress: options.progress } : {}),
    ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
  };
}

/** The columns every row has, from the run's parameter count, steps and loss history (the final train loss: the last 20 steps' mean). */
export function rowBasics(model: string, seed: number, dir: string, parameters: number, steps: number, history: { steps: readonly { loss: number }[]; elapsedSeconds: number }): Omit<ComparisonRow, 'settings'> {
  const tail = history.steps.slice(-20);
  return { model, seed, dir, parameters, steps, trainSeconds: Math.round(history.elapsedSeconds), finalTrainLoss: tail.reduce((s, r) => s + r.loss, 0) / Math.max(1, tail.length) };
}

/** The summary columns every comparison has: a model's seeds, size and budget, and its time and final loss over the seeds. */
export interface SummaryBasics {
  model: string;
  seeds: number[];
  parameters: number;
  steps: number;
  trainSeconds: SeedSummary;
  finalTrainLoss: SeedSummary;
}

/** One summary per model, in the order the models first appear, over the seeds it has rows for; `fields` adds the task's own columns. */
export function summariseByModel<Row extends ComparisonRow, Extra>(rows: readonly Row[], fields: (own: Row[]) => Extra): (SummaryBasics & Extra)[] {
  const models = [...new Set(rows.map((r) => r.model))];
  return models.map((model) => {
    const own = rows.filter((r) => r.model === model).sort((a, b) => a.seed - b.seed);
    return {
      model,
      seeds: own.map((r) => r.seed),
      parameters: own[0]!.parameters,
      steps: own[0]!.steps,
      trainSeconds: summarise(own.map((r) => r.trainSeconds)),
      finalTrainLoss: summarise(own.map((r) => r.finalTrainLoss)),
      ...fields(own),
    };
  });
}

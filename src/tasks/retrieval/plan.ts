/**
 * Which retrieval runs to do: presets (the paper's grid and a quick scaled-down one), parsing of key
 * ranges, and the expansion of a plan into one RetrievalRunConfig per (setting, S, model).
 */
import type { RetrievalSetting } from './batches.js';
import type { RetrievalRunConfig } from './training.js';
import { seedList } from '../../report/stats.js';

/** The runs of one setting: every model at every key count. */
export interface SettingPlan {
  setting: RetrievalSetting;
  models: string[];
  keys: number[];
  dKey: number;
}

/** What every run of a plan shares: the run settings (see RetrievalRunConfig), and how d_emb grows with S. */
export interface TrainingPlan extends Pick<RetrievalRunConfig, 'batchSize' | 'lr' | 'targetLoss' | 'maxSteps' | 'evalEvery' | 'evalSize' | 'patience' | 'minImprovement' | 'seed'> {
  /** The key embedding size is round(dEmbFactor · S) unless dEmb fixes it. */
  dEmbFactor: number;
  dEmb?: number;
  /** Runs per (setting, S, model), with seeds seed, seed+1, …; default 1. */
  seeds?: number;
}

export interface RetrievalPlan {
  settings: SettingPlan[];
  training: TrainingPlan;
}

export const PRESET_NAMES = ['paper', 'quick'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

const PAPER_TRAINING: TrainingPlan = {
  batchSize: 32,
  lr: 1e-3,
  targetLoss: 1e-3,
  maxSteps: 100_000,
  evalEvery: 500,
  evalSize: 512,
  patience: 10_000,
  minImprovement: 0.01,
  seed: 1,
  dEmbFactor: 2.2,
};

/**
 * paper: the paper's grid (d_key = 64, S = 20..600; setting 2 at S = 20): hours of CPU per model.
 * quick: d_key = 16 (d_dot 16 / 32 / 64 / 96 for linear / dpfp-1 / -2 / -3, 32 for performer-16),
 *        S = 8..32 in setting 1, setting 2 at S = 10, at most 4000 steps per run, and Adam's lr raised
 *        to 1e-2: at the paper's 1e-3, linear, dpfp-1 and dpfp-2 were all still above 0.25 at S = 16
 *        after 5000 steps (docs/experiments.md).
 *        Chosen by measurement to finish in about half an hour on two cores with --jobs 2.
 *        Patience must outlast the initial plateau (loss ≈ 0.45–0.49 for up to ~1000 steps at lr 1e-2,
 *        ~2000 at 1e-3, before keys and query line up).
 */
export const PRESETS: Record<PresetName, RetrievalPlan> = {
  paper: {
    settings: [
      { setting: 1, models: ['linear', 'dpfp-1', 'dpfp-2', 'dpfp-3', 'performer-64', 'softmax'], keys: range(20, 600, 20), dKey: 64 },
      { setting: 2, models: ['linear', 'delta'], keys: [20], dKey: 64 },
    ],
    training: PAPER_TRAINING,
  },
  quick: {
    settings: [
      { setting: 1, models: ['linear', 'dpfp-1', 'dpfp-2', 'dpfp-3', 'performer-16', 'softmax'], keys: [8, 12, 16, 24, 32], dKey: 16 },
      { setting: 2, models: ['linear', 'delta'], keys: [10], dKey: 16 },
    ],
    training: { ...PAPER_TRAINING, lr: 1e-2, maxSteps: 4000, evalEvery: 100, evalSize: 256, patience: 1500 },
  },
};

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}

function range(start: number, stop: number, step: number): number[] {
  const out: number[] = [];
  for (let s = start; s <= stop; s += step) out.push(s);
  return out;
}

/**
 * Key counts from `20:600:20` (start:stop:step, stop included), `4:8` (step 1), `10` or a comma list
 * of these (`4,8,16:64:16`). Sorted, duplicates dropped. Errors say what is wrong and show the syntax.
 */
export function parseKeyRange(text: string): number[] {
  const syntax = 'use start:stop:step (stop included), a number, or a comma list of these, e.g. 20:600:20 or 4,8,16';
  const values = new Set<number>();
  const parts = text.split(',').map((p) => p.trim());
  if (text.trim() === '' || parts.some((p) => p === '')) throw new Error(`--keys: empty entry in '${text}' (${syntax})`);
  for (const part of parts) {
    const fields = part.split(':');
    if (fields.length > 3) throw new Error(`--keys: '${part}' has too many ':' (${syntax})`);
    const numbers = fields.map((f) => {
      if (!/^\d+$/.test(f.trim())) throw new Error(`--keys: '${f}' in '${part}' is not a positive integer (${syntax})`);
      return Number(f);
    });
    const [start, stop = start, step = 1] = numbers as [number, number?, number?];
    if (start < 1) throw new Error(`--keys: '${part}' starts at ${start}; a task needs at least 1 key (${syntax})`);
    if (step < 1) throw new Error(`--keys: '${part}' has step ${step}; the step must be at least 1 (${syntax})`);
    if (stop < start) throw new Error(`--keys: '${part}' stops at ${stop}, below its start ${start} (${syntax})`);
    for (const s of range(start, stop, step)) values.add(s);
  }
  return [...values].sort((a, b) => a - b);
}

export function embeddingSize(training: TrainingPlan, S: number): number {
  return training.dEmb ?? Math.max(1, Math.round(training.dEmbFactor * S));
}

/**
 * One config per run, setting by setting, S ascending, models in the order given, and each
 * (setting, S, model) cell once per seed, its seeds side by side: a pool of workers then spreads a
 * cell's seeds over the workers like any other runs.
 */
export function expandPlan(plan: RetrievalPlan): RetrievalRunConfig[] {
  const { dEmbFactor: _factor, dEmb: _fixed, seeds: count = 1, seed: first, ...shared } = plan.training;
  const seeds = seedList(first, count);
  const runs: RetrievalRunConfig[] = [];
  for (const part of plan.settings) {
    for (const S of part.keys) {
      for (const model of part.models) {
        for (const seed of seeds) {
          runs.push({ setting: part.setting, model, S, dKey: part.dKey, dEmb: embeddingSize(plan.training, S), ...shared, seed });
        }
      }
    }
  }
  return runs;
}

/** A stable identity for a run's config, to find it again on --resume. */
export function runKey(config: RetrievalRunConfig): string {
  const keys = Object.keys(config).sort() as (keyof RetrievalRunConfig)[];
  return JSON.stringify(keys.map((k) => [k, config[k]]));
}

/**
 * What the `compare` commands (lm compare, mt compare) share: settings written as canonical JSON, so
 * equal settings give equal text and a finished run is reused only under the settings it was made
 * with, a one-line description of how two settings differ, and the reading of a comparison's
 * results.json. Pure functions plus one file read; no model code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadCheckpoint } from '../io/checkpoint.js';
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
 * Before resuming a half-finished run of a comparison: the checkpoint in `dir` must be a run of
 * these model and training settings (the vocabulary size, filled in from the tokenizer, aside).
 */
export function checkSameRun(dir: string, model: object, training: object): void {
  const { config } = loadCheckpoint(dir);
  const saved = config as { model?: Record<string, unknown>; training?: unknown } | null;
  const { vocabSize: _vocabSize, ...savedModel } = saved?.model ?? {};
  const before = { model: savedModel, training: saved?.training };
  const now = { model, training };
  if (canonicalJson(before) !== canonicalJson(now)) {
    throw new Error(`${dir} holds a run with other settings (${describeDifference(before, now)}); pass --overwrite to train it again, or choose another --out`);
  }
}

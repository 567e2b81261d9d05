/**
 * What `lm train` and `mt train` share around their training run: the checks of --out against
 * --resume and --overwrite, the log (plain lines, or JSON lines with --json) and the reading of a
 * failed resume as the caller's mistake. Node-only.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, intOption } from './args.js';
import { MAX_SEEDS } from '../report/stats.js';
import { ensureOutDir, lockOutDir } from './outDir.js';
import { createProgress, type Progress } from '../train/progress.js';
import { parseAttentionSpec, type AttentionSpec } from '../nn/attention/spec.js';
import { headSize } from '../nn/stackShape.js';

/** Refuses to overwrite a checkpoint unasked, and to resume one that is not there. `command`: 'lm train'. */
export function checkOutDir(command: string, out: string, resume: boolean, overwrite: boolean): void {
  const checkpoint = join(out, 'checkpoint.json');
  if (!resume && !overwrite && existsSync(checkpoint)) {
    throw new UsageError(`${command}: ${out} already holds a checkpoint; pass --resume to continue it, --overwrite to start again, or another --out`);
  }
  if (resume && !existsSync(checkpoint)) throw new UsageError(`${command} --resume: ${out} holds no checkpoint to continue (no ${checkpoint})`);
}

/**
 * The attention kind a --model (or --cross) flag names, parsed here where the text enters; an
 * unknown name is a usage error listing the valid ones, prefixed with `command` when given.
 */
export function attentionOption(name: string, command?: string): AttentionSpec {
  try {
    return parseAttentionSpec(name);
  } catch (err) {
    throw new UsageError(`${command ? `${command}: ` : ''}${(err as Error).message}`);
  }
}

/** The head size of --dim split over --heads; a remainder is a usage error. */
export function headSizeOption(dim: number, heads: number, command?: string): number {
  try {
    return headSize(dim, heads, undefined, { dModel: '--dim', heads: '--heads' });
  } catch (err) {
    throw new UsageError(`${command ? `${command}: ` : ''}${(err as Error).message}`);
  }
}

/**
 * --warmup: `standard` steps by default, or a tenth of a shorter --steps budget; a warm-up longer
 * than the --steps given is refused (the schedule would never reach its peak, let alone decay).
 */
export function warmupOption(value: string | undefined, steps: number | undefined, standard: number): number {
  const warmup = intOption(value, 'warmup', steps !== undefined ? Math.min(standard, Math.floor(steps / 10)) : standard, 0);
  if (steps !== undefined && warmup > steps) throw new UsageError(`--warmup ${warmup} is longer than --steps ${steps}; give --warmup ${steps} or less (or more --steps)`);
  return warmup;
}

/** Log lines on stderr: as they are, or as JSON events when --json keeps stdout for the summary. */
export function trainingLog(json: boolean): (line: string) => void {
  return (line) => console.error(json ? JSON.stringify({ event: 'log', message: line }) : line);
}

/**
 * A missing, broken or mismatched checkpoint met while resuming is the caller's mistake, not a
 * crash: errors whose message matches `mistake` become a UsageError naming the command.
 */
export function resumeMistakes(command: string, resume: boolean, mistake: RegExp): (err: Error) => never {
  return (err) => {
    if (resume && mistake.test(err.message)) throw new UsageError(`${command} --resume: ${err.message}`);
    throw err;
  };
}

/** The shared flags of a train subcommand, as given. */
export interface TrainFlags {
  out?: string | undefined;
  resume?: boolean | undefined;
  overwrite?: boolean | undefined;
  json?: boolean | undefined;
}

/**
 * What a training run takes from the shared flags: where it writes (checked by checkOutDir, created
 * and locked before any work: call `release` when the run ends), whether it resumes, its log and its
 * progress reporter. `label` names the run on the progress bar.
 */
export function trainRunOptions(command: string, flags: TrainFlags, defaultOut: string, label: string) {
  const out = flags.out ?? defaultOut;
  const resume = flags.resume ?? false;
  checkOutDir(command, out, resume, flags.overwrite ?? false);
  const created = ensureOutDir(command, out);
  const release = lockOutDir(command, out, { removeIfEmpty: created });
  const json = flags.json ?? false;
  const log = trainingLog(json);
  const progress = (total: number, unit: string, initial = 0): Progress => createProgress({ total, initial, label, unit, mode: json ? 'json' : 'auto' });
  return { out, resume, json, log, progress, release };
}

/** The end of every training command's help: what Ctrl-C and the finite checks do. */
export const TRAINING_HELP_FOOTER = `Ctrl-C during training saves a checkpoint after the current step and stops; a second Ctrl-C,
SIGTERM or SIGHUP also save, then exit at once (no final evaluation); --resume continues exactly.
FASTWEIGHTS_DEBUG_CHECKS=1 stops at the first op that produces NaN or Infinity, naming it.`;

/** A compare command's --models (or its default list): names, trimmed, none twice and at least one. */
export function modelList(given: string | undefined, fallback: readonly string[], command: string): string[] {
  const models = (given ?? fallback.join(',')).split(',').map((m) => m.trim()).filter((m) => m !== '');
  if (models.length === 0) throw new UsageError(`${command}: --models '${given}' names no model (give a comma-separated list, e.g. softmax,delta)`);
  if (new Set(models).size !== models.length) throw new UsageError(`${command}: --models '${given}' names a model twice`);
  return models;
}

/** A compare command's --seeds: 1 to MAX_SEEDS runs per model, with seeds first, first + 1, … all safe integers. */
export function seedCount(given: string | undefined, first: number, command: string): number {
  const seeds = intOption(given, 'seeds', 1, 1, MAX_SEEDS);
  if (seeds - 1 > Number.MAX_SAFE_INTEGER - first) throw new UsageError(`${command}: --seed ${first} with --seeds ${seeds} runs past the largest safe integer`);
  return seeds;
}

/** Results or checkpoints of other settings in a comparison's --out are the caller's to resolve, not a crash. */
export function comparisonMistakes(command: string): (err: Error) => never {
  return (err) => {
    if (/other settings|not valid JSON|not a list of results/.test(err.message)) throw new UsageError(`${command}: ${err.message}`);
    throw err;
  };
}

/**
 * What a training checkpoint's JSON files must hold, checked field by field before anything is
 * built from them: a missing field, a wrong type or an impossible value (batchSize 0, a negative
 * step, a dModel of a billion) is refused with its path (`config.training.batchSize must be an
 * integer ≥ 1, got 0`) instead of surfacing later as "Cannot read properties of undefined", an
 * allocation failure, or a run that trains on empty batches.
 *
 * Unknown fields are refused too: a misspelt key would otherwise be silently ignored.
 */
import type { Tensor } from '../tensor/tensor.js';
import { parseAttentionSpec } from '../nn/attention/spec.js';

export type Rule = (value: unknown, path: string) => void;

export class CheckpointSchemaError extends Error {
  override name = 'CheckpointSchemaError';
}

function fail(path: string, want: string, value: unknown): never {
  const got = value === undefined ? 'nothing (the field is missing)' : JSON.stringify(value);
  throw new CheckpointSchemaError(`${path} must be ${want}, got ${got && got.length > 60 ? `${got.slice(0, 57)}...` : got}`);
}

export const int =
  (min: number, max = Number.MAX_SAFE_INTEGER): Rule =>
  (v, path) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) fail(path, max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`, v);
  };

/** A finite number in [min, max] (or [min, max) when `openMax`). */
export const num =
  (min: number, max = Number.MAX_VALUE, openMax = false): Rule =>
  (v, path) => {
    const ok = typeof v === 'number' && Number.isFinite(v) && v >= min && (openMax ? v < max : v <= max);
    if (!ok) fail(path, `a number in [${min}, ${max === Number.MAX_VALUE ? '∞' : max}${openMax ? ')' : ']'}`, v);
  };

export const bool: Rule = (v, path) => {
  if (typeof v !== 'boolean') fail(path, 'true or false', v);
};

export const str: Rule = (v, path) => {
  if (typeof v !== 'string' || v === '') fail(path, 'a non-empty string', v);
};

/** A SHA-256 digest in lowercase hex (a corpus file's). */
export const sha256Hex: Rule = (v, path) => {
  if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) fail(path, 'a SHA-256 in hex (64 characters 0-9a-f)', v);
};

export const literal =
  (expected: string | number): Rule =>
  (v, path) => {
    if (v !== expected) fail(path, JSON.stringify(expected), v);
  };

export const attentionName: Rule = (v, path) => {
  str(v, path);
  try {
    parseAttentionSpec(v as string);
  } catch (error) {
    throw new CheckpointSchemaError(`${path}: ${(error as Error).message}`);
  }
};

/** One of a fixed list of strings. */
export const oneOf =
  (choices: readonly string[]): Rule =>
  (v, path) => {
    if (typeof v !== 'string' || !choices.includes(v)) fail(path, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`, v);
  };

export const nullable =
  (rule: Rule): Rule =>
  (v, path) => {
    if (v !== null) rule(v, path);
  };

export const arrayOf =
  (rule: Rule, length?: number): Rule =>
  (v, path) => {
    if (!Array.isArray(v)) fail(path, 'an array', v);
    if (length !== undefined && v.length !== length) fail(path, `an array of ${length}`, v);
    v.forEach((item, i) => rule(item, `${path}[${i}]`));
  };

/** Fields marked optional may be absent (never null). */
export interface Field {
  rule: Rule;
  optional?: boolean;
}

export const optional = (rule: Rule): Field => ({ rule, optional: true });

export const object =
  (fields: Record<string, Rule | Field>, extra: 'refuse' | 'allow' = 'refuse'): Rule =>
  (v, path) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(path, 'an object', v);
    const record = v as Record<string, unknown>;
    for (const [key, spec] of Object.entries(fields)) {
      const field = typeof spec === 'function' ? { rule: spec } : spec;
      if (!Object.hasOwn(record, key)) {
        if (field.optional) continue;
        fail(`${path}.${key}`, 'present', undefined);
      }
      field.rule(record[key], `${path}.${key}`);
    }
    if (extra === 'refuse') {
      const unknown = Object.keys(record).filter((key) => !Object.hasOwn(fields, key));
      if (unknown.length > 0) throw new CheckpointSchemaError(`${path} has an unexpected field '${unknown[0]}' (misspelt, or written by another version)`);
    }
  };

// ---------------------------------------------------------------------------------------------
// The pieces every trainer's checkpoint shares

/** Largest model dimension accepted from a file: far above anything trainable here, far below an allocation failure. */
const MAX_DIM = 1 << 20;

export const sharedModelFields = {
  vocabSize: int(1, MAX_DIM),
  attention: attentionName,
  dModel: int(1, MAX_DIM),
  heads: int(1, MAX_DIM),
  dHead: optional(int(1, MAX_DIM)),
  ffHidden: optional(int(1, MAX_DIM)),
  dropout: optional(num(0, 1, true)),
  seed: int(0),
  featureSeed: optional(int(0)),
  attentionNormalise: optional(bool),
  scaleOutput: optional(bool),
};

export const sharedTrainingFields = {
  vocabSize: int(259, MAX_DIM),
  lr: num(0, 10),
  warmupSteps: int(0),
  weightDecay: num(0, 10),
  clip: num(0),
  steps: optional(int(1)),
  minutes: optional(num(0)),
  evalEvery: int(1),
  saveEvery: int(1),
  seed: int(0),
};

const rngState = object({ s: arrayOf(int(0, 0xffffffff), 4), spare: nullable(num(-Number.MAX_VALUE)) });

const history = object({
  steps: arrayOf(object({ step: int(1), loss: num(-Number.MAX_VALUE), lr: num(0), gradNorm: num(0) })),
  evals: arrayOf(object({ step: int(1) }, 'allow')),
  elapsedSeconds: num(0),
});

/** The state every trainer saves (trainWithCheckpoints), plus the trainer's own fields. */
export function trainingState(extra: Record<string, Rule | Field>): Rule {
  const shape = object({ step: int(0), optimizer: object({ step: int(0), lr: num(0, 10) }), modelRng: rngState, history, ...extra });
  return (v, path) => {
    shape(v, path);
    const s = v as { step: number; optimizer: { step: number } };
    if (s.optimizer.step !== s.step) throw new CheckpointSchemaError(`${path}.optimizer.step ${s.optimizer.step} differs from ${path}.step ${s.step}; the state is not one save's`);
  };
}

export { rngState };

/** Runs a rule and prefixes its error with where the value came from (the checkpoint directory). */
export function validate(rule: Rule, value: unknown, path: string, source: string): void {
  try {
    rule(value, path);
  } catch (error) {
    if (error instanceof CheckpointSchemaError) throw new CheckpointSchemaError(`${source}: invalid checkpoint: ${error.message}`);
    throw error;
  }
}

/**
 * The weights must be exactly those of the model the config describes: the same names, shapes
 * and dtypes (checked before the model is built, on the parameter count, and after, name by name).
 */
export function checkParameterCount(expected: number, weights: Map<string, Tensor>, source: string): void {
  let held = 0;
  for (const t of weights.values()) held += t.size;
  if (held !== expected) {
    throw new CheckpointSchemaError(`${source}: the config describes a model of ${expected} parameters but the weights hold ${held}; the config does not belong to these weights`);
  }
}

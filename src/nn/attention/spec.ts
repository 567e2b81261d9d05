/**
 * The attention kind as a typed value: parsed once where a name enters as text (a command-line
 * flag, a checkpoint's config, a model config given to a constructor) and passed everywhere after,
 * so that no other file works out again what a name means.
 *
 * | name            | φ          | update |
 * | softmax         | –          | –      |
 * | linear          | elu        | sum    |
 * | performer       | favor (m)  | sum    |
 * | dpfp            | dpfp (ν)   | sum    |
 * | delta           | elu        | delta  |
 * | performer-delta | favor (m)  | delta  |
 * | dpfp-delta      | dpfp (ν)   | delta  |
 *
 * A name may carry its knob as a suffix: `dpfp-2` is dpfp with ν = 2, `performer-64` is m = 64,
 * `dpfp-delta-3` is dpfp-delta with ν = 3 (docs/architecture.md, "The attention family").
 */

export const MODEL_NAMES = ['softmax', 'linear', 'performer', 'dpfp', 'delta', 'performer-delta', 'dpfp-delta'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** How the memory is written: softmax attention keeps every key and value, the fast weight rules one matrix. */
export type UpdateRule = 'softmax' | 'sum' | 'delta';
/** The feature map φ of a fast weight model: elu + 1, FAVOR+ random features, or DPFP. */
export type FeatureMapKind = 'elu' | 'favor' | 'dpfp';

export interface AttentionSpec {
  /** The family member, without its knob. */
  readonly model: ModelName;
  /** The canonical name, knob included when one was given: `dpfp-2`, `performer-64`, `delta`. */
  readonly name: string;
  readonly update: UpdateRule;
  /** null for softmax attention, which has no φ. */
  readonly featureMap: FeatureMapKind | null;
  /** FAVOR+ random features (performer variants; d_dot = 2m, m defaults to d_key). */
  readonly m?: number;
  /** DPFP capacity (dpfp variants; d_dot = 2·d_key·ν, ν defaults to 1). */
  readonly nu?: number;
  /** A fixed-size state (the fast weights) that can be carried from one segment to the next; softmax's key/value cache grows instead. */
  readonly fastWeights: boolean;
  /** FAVOR+ draws new random features for every training batch. */
  readonly stochastic: boolean;
}

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

/** The spec of `model` with its optional knob (m for performer variants, ν for dpfp ones). */
export function attentionSpec(model: ModelName, knob?: { m?: number; nu?: number }): AttentionSpec {
  const update: UpdateRule = model === 'softmax' ? 'softmax' : model.endsWith('delta') ? 'delta' : 'sum';
  const featureMap: FeatureMapKind | null = model === 'softmax' ? null : model.startsWith('performer') ? 'favor' : model.startsWith('dpfp') ? 'dpfp' : 'elu';
  const m = featureMap === 'favor' ? knob?.m : undefined;
  const nu = featureMap === 'dpfp' ? knob?.nu : undefined;
  const name = m !== undefined ? `${model}-${m}` : nu !== undefined ? `${model}-${nu}` : model;
  return Object.freeze({ model, name, update, featureMap, ...(m !== undefined ? { m } : {}), ...(nu !== undefined ? { nu } : {}), fastWeights: update !== 'softmax', stochastic: featureMap === 'favor' });
}

/** Parses `dpfp-2`, `performer-64`, `dpfp-delta-3`, `delta`, … into a spec; unknown names list the valid ones. */
export function parseAttentionSpec(text: string): AttentionSpec {
  const trimmed = text.trim();
  if (isModelName(trimmed)) return attentionSpec(trimmed);
  const match = /^(.*)-(\d+)$/.exec(trimmed);
  if (match && isModelName(match[1]!)) {
    const model = match[1] as ModelName;
    const value = Number(match[2]);
    if (value < 1) throw new Error(`model '${text}': the number suffix (${model.startsWith('dpfp') ? 'ν' : 'm'}) must be at least 1`);
    if (model.startsWith('dpfp')) return attentionSpec(model, { nu: value });
    if (model.startsWith('performer')) return attentionSpec(model, { m: value });
    throw new Error(`model '${text}': only dpfp (ν) and performer (m) variants take a number suffix`);
  }
  throw new Error(`unknown model '${text}' (valid: ${MODEL_NAMES.join(', ')}; dpfp and performer variants take a suffix, e.g. dpfp-2, performer-64)`);
}

export function formatAttentionSpec(spec: AttentionSpec): string {
  return spec.name;
}

/** d_dot, the size of φ's output for keys of size dKey, without building the map (FAVOR+ would draw its features). */
export function featureSize(spec: AttentionSpec, dKey: number): number {
  if (spec.featureMap === 'dpfp') return 2 * dKey * (spec.nu ?? 1);
  if (spec.featureMap === 'favor') return 2 * (spec.m ?? dKey);
  return dKey;
}

/** The parameters of one attention layer: W_q, W_k, W_v, W_o, and the delta rule's β projection (tested against parameterCount()). */
export function attentionParameters(spec: AttentionSpec, dModel: number, heads: number, dHead: number): number {
  return 4 * dModel * heads * dHead + (spec.update === 'delta' ? dModel * heads + heads : 0);
}


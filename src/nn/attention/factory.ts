/**
 * The paper's attention family by name (docs/architecture.md, "The attention family"):
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
 * A spec may carry its knob as a suffix: `dpfp-2` is dpfp with ν = 2, `performer-64` is m = 64,
 * `dpfp-delta-3` is dpfp-delta with ν = 3.
 */
import { Rng } from '../../tensor/rng.js';
import type { DType } from '../../tensor/tensor.js';
import { DpfpFeatureMap, EluFeatureMap, FavorFeatureMap, type FeatureMap } from './featureMaps.js';
import { FastWeightAttention } from './fastWeightAttention.js';
import { SoftmaxAttention } from './softmaxAttention.js';

export const MODEL_NAMES = ['softmax', 'linear', 'performer', 'dpfp', 'delta', 'performer-delta', 'dpfp-delta'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface AttentionSpec {
  model: ModelName;
  /** FAVOR+ random features (performer variants); d_dot = 2m. */
  m?: number;
  /** DPFP capacity knob (dpfp variants); d_dot = 2·dHead·ν. */
  nu?: number;
}

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

/** Parses `dpfp-2`, `performer-64`, `dpfp-delta-3`, `delta`, … into a spec; unknown names list the valid ones. */
export function parseAttentionSpec(text: string): AttentionSpec {
  const trimmed = text.trim();
  if (isModelName(trimmed)) return { model: trimmed };
  const match = /^(.*)-(\d+)$/.exec(trimmed);
  if (match && isModelName(match[1]!)) {
    const model = match[1] as ModelName;
    const value = Number(match[2]);
    if (value < 1) throw new Error(`model '${text}': the number suffix (${model.startsWith('dpfp') ? 'ν' : 'm'}) must be at least 1`);
    if (model.startsWith('dpfp')) return { model, nu: value };
    if (model.startsWith('performer')) return { model, m: value };
    throw new Error(`model '${text}': only dpfp (ν) and performer (m) variants take a number suffix`);
  }
  throw new Error(`unknown model '${text}' (valid: ${MODEL_NAMES.join(', ')}; dpfp and performer variants take a suffix, e.g. dpfp-2, performer-64)`);
}

export function formatAttentionSpec(spec: AttentionSpec): string {
  if (spec.model.startsWith('dpfp') && spec.nu !== undefined) return `${spec.model}-${spec.nu}`;
  if (spec.model.startsWith('performer') && spec.m !== undefined) return `${spec.model}-${spec.m}`;
  return spec.model;
}

export interface AttentionBuildOptions {
  dModel: number;
  heads: number;
  dHead: number;
  causal: boolean;
  rng: Rng;
  dtype?: DType;
  /** Seed of the fixed FAVOR+ features used in eval mode (saved in configs so a reload sees the same ones). */
  featureSeed?: number;
  sumNormalise?: boolean;
  attentionNormalise?: boolean;
  scaleOutput?: boolean;
}

/**
 * φ for a parsed model name, the one feature-map factory (the Transformer layers and the retrieval
 * model both build theirs here); performer's m defaults to dKey, dpfp's ν to 1. `rng` draws FAVOR+'s
 * training features, `featureSeed` its fixed evaluation ones. Softmax has no φ.
 */
export function makeFeatureMap(spec: AttentionSpec, dKey: number, rng: Rng, featureSeed: number, dtype: DType = 'float32'): FeatureMap {
  switch (spec.model) {
    case 'linear':
    case 'delta':
      return new EluFeatureMap(dKey);
    case 'dpfp':
    case 'dpfp-delta':
      return new DpfpFeatureMap(dKey, spec.nu ?? 1);
    case 'performer':
    case 'performer-delta':
      return new FavorFeatureMap(dKey, spec.m ?? dKey, rng, new Rng(featureSeed), dtype);
    default:
      throw new Error(`model '${spec.model}' has no feature map`);
  }
}

export function createAttention(spec: AttentionSpec | string, options: AttentionBuildOptions): SoftmaxAttention | FastWeightAttention {
  const s = typeof spec === 'string' ? parseAttentionSpec(spec) : spec;
  if (!isModelName(s.model)) throw new Error(`unknown model '${s.model}' (valid: ${MODEL_NAMES.join(', ')})`);
  const { rng, dtype } = options;
  if (s.model === 'softmax') {
    return new SoftmaxAttention({ dModel: options.dModel, heads: options.heads, dHead: options.dHead, causal: options.causal, rng, ...(dtype ? { dtype } : {}) });
  }
  const featureMap = makeFeatureMap(s, options.dHead, rng, options.featureSeed ?? 1234, dtype);
  return new FastWeightAttention({
    dModel: options.dModel,
    heads: options.heads,
    dHead: options.dHead,
    featureMap,
    update: s.model.endsWith('delta') ? 'delta' : 'sum',
    causal: options.causal,
    rng,
    ...(dtype ? { dtype } : {}),
    ...(options.sumNormalise !== undefined ? { sumNormalise: options.sumNormalise } : {}),
    ...(options.attentionNormalise !== undefined ? { attentionNormalise: options.attentionNormalise } : {}),
    ...(options.scaleOutput !== undefined ? { scaleOutput: options.scaleOutput } : {}),
  });
}

/**
 * Builds an attention layer of the paper's family from its spec (./spec.ts; docs/architecture.md,
 * "The attention family"), and its feature map φ.
 */
import { Rng } from '../../tensor/rng.js';
import type { DType } from '../../tensor/tensor.js';
import { DpfpFeatureMap, EluFeatureMap, FavorFeatureMap, type FeatureMap } from './featureMaps.js';
import { FastWeightAttention } from './fastWeightAttention.js';
import { SoftmaxAttention } from './softmaxAttention.js';
import { parseAttentionSpec, type AttentionSpec } from './spec.js';
import { DEFAULT_FEATURE_SEED } from '../stackShape.js';

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
  /** ε of the sum normalisation φ / (Σφ + ε) (default 10⁻⁶). */
  phiEps?: number;
  attentionNormalise?: boolean;
  scaleOutput?: boolean;
  /** Causal fast weight layers: run sequences longer than this in blocks recomputed in backward (FastWeightAttentionOptions.blockSize). */
  blockSize?: number;
  /** How the β projection's bias starts (InitOptions.biasInit). */
  biasInit?: 'zero' | 'uniform';
}

/**
 * φ for an attention spec, the one feature-map factory (the Transformer layers and the retrieval
 * model both build theirs here); performer's m defaults to dKey, dpfp's ν to 1. `rng` draws FAVOR+'s
 * training features, `featureSeed` its fixed evaluation ones. Softmax has no φ.
 */
export function makeFeatureMap(spec: AttentionSpec, dKey: number, rng: Rng, featureSeed: number, dtype: DType = 'float32'): FeatureMap {
  switch (spec.featureMap) {
    case 'elu':
      return new EluFeatureMap(dKey);
    case 'dpfp':
      return new DpfpFeatureMap(dKey, spec.nu ?? 1);
    case 'favor':
      return new FavorFeatureMap(dKey, spec.m ?? dKey, rng, new Rng(featureSeed), dtype);
    default:
      throw new Error(`model '${spec.name}' has no feature map`);
  }
}

/** An attention layer; a name given as text (the library's users may) is parsed here, where it enters. */
export function createAttention(spec: AttentionSpec | string, options: AttentionBuildOptions): SoftmaxAttention | FastWeightAttention {
  const s = typeof spec === 'string' ? parseAttentionSpec(spec) : spec;
  checkBuildOptions(options);
  const { rng, dtype } = options;
  if (s.update === 'softmax') {
    return new SoftmaxAttention({ dModel: options.dModel, heads: options.heads, dHead: options.dHead, causal: options.causal, rng, ...(dtype ? { dtype } : {}) });
  }
  const featureMap = makeFeatureMap(s, options.dHead, rng, options.featureSeed ?? DEFAULT_FEATURE_SEED, dtype);
  return new FastWeightAttention({
    dModel: options.dModel,
    heads: options.heads,
    dHead: options.dHead,
    featureMap,
    update: s.update,
    causal: options.causal,
    rng,
    ...(dtype ? { dtype } : {}),
    ...(options.sumNormalise !== undefined ? { sumNormalise: options.sumNormalise } : {}),
    ...(options.phiEps !== undefined ? { phiEps: options.phiEps } : {}),
    ...(options.biasInit !== undefined ? { biasInit: options.biasInit } : {}),
    ...(options.attentionNormalise !== undefined ? { attentionNormalise: options.attentionNormalise } : {}),
    ...(options.scaleOutput !== undefined ? { scaleOutput: options.scaleOutput } : {}),
    ...(options.blockSize !== undefined ? { blockSize: options.blockSize } : {}),
  });
}

/**
 * The options a JavaScript caller (no type checker) may leave out or get wrong, named in one line
 * instead of failing inside a constructor with "Cannot read properties of undefined".
 */
function checkBuildOptions(options: AttentionBuildOptions | undefined): void {
  if (options === null || typeof options !== 'object') throw new TypeError('createAttention: give the options { dModel, heads, dHead, causal, rng }');
  for (const key of ['dModel', 'heads', 'dHead'] as const) {
    const value: unknown = options[key];
    if (!Number.isInteger(value) || (value as number) < 1) throw new TypeError(`createAttention: options.${key} must be an integer ≥ 1, got ${String(value)}`);
  }
  if (typeof options.causal !== 'boolean') throw new TypeError(`createAttention: options.causal must be true or false, got ${String(options.causal)}`);
  if (!(options.rng instanceof Rng)) throw new TypeError(`createAttention: options.rng must be an Rng (e.g. new Rng(1)), the generator of the initial weights; got ${options.rng === undefined ? 'none' : String(options.rng)}`);
}

/**
 * The config.json of a flash-linear-attention (fla) DeltaNet on Hugging Face (`model_type: "delta_net"`),
 * read into the settings the model here is built from. Defaults are fla's DeltaNetConfig's.
 *
 * Every key is sorted into one of four kinds (docs/pretrained.md):
 *   the architecture, implemented;
 *   choices of fla's GPU kernels or training loss that do not change the model's outputs (accepted);
 *   keys that Hugging Face writes into every config (accepted, not used);
 *   keys this implementation does not support (hybrid `attn` layers, `attnres_block_size`, …): refused
 *   by name, as is any key not in these lists, so a model is never run with a setting silently ignored.
 */

export type QkActivation = 'silu' | 'relu' | 'elu' | 'identity';
export type QkNorm = 'l2' | 'sum';

export interface DeltaNetConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numHeads: number;
  /** key_dim = ⌊hidden · expand_k⌋, split into numHeads heads of headKDim. */
  keyDim: number;
  valueDim: number;
  headKDim: number;
  headVDim: number;
  useGate: boolean;
  useShortConv: boolean;
  convSize: number;
  useBeta: boolean;
  allowNegEigval: boolean;
  qkActivation: QkActivation;
  qkNorm: QkNorm;
  normEps: number;
  /** The gated MLP's width, resolved by fla's rule when config.json leaves it null. */
  intermediateSize: number;
  tieWordEmbeddings: boolean;
  initializerRange: number;
  bosTokenId: number | null;
  eosTokenId: number | null;
  padTokenId: number | null;
  /** config.json's own keys and values, written back unchanged on export. */
  raw: Record<string, unknown>;
}

/** fla's DeltaNetConfig defaults (read from its configuration_delta_net.py). */
export const FLA_DELTA_NET_DEFAULTS = {
  attn_mode: 'chunk',
  hidden_size: 2048,
  expand_k: 1,
  expand_v: 1,
  use_gate: false,
  use_short_conv: true,
  allow_neg_eigval: false,
  conv_size: 4,
  use_beta: true,
  use_output_norm: true,
  num_heads: 16,
  qk_norm: 'l2',
  qk_activation: 'silu',
  max_position_embeddings: 2048,
  hidden_ratio: 4,
  intermediate_size: null,
  hidden_act: 'swish',
  num_hidden_layers: 24,
  norm_eps: 1e-6,
  attn: null,
  use_cache: true,
  pad_token_id: null,
  bos_token_id: 1,
  eos_token_id: 2,
  tie_word_embeddings: false,
  initializer_range: 0.02,
  fuse_norm: true,
  fuse_swiglu: true,
  fuse_cross_entropy: true,
  fuse_linear_cross_entropy: false,
  use_l2warp: false,
  vocab_size: 32000,
  attnres_block_size: null,
} as const;

/** Keys whose value only picks one of fla's GPU kernels or its training loss: the outputs are the same. */
const KERNEL_CHOICES = new Set(['attn_mode', 'fuse_norm', 'fuse_swiglu', 'fuse_cross_entropy', 'fuse_linear_cross_entropy', 'use_cache']);

/** Keys Hugging Face's PretrainedConfig writes; none changes the forward pass. */
const HUGGING_FACE_KEYS = new Set([
  'model_type', 'architectures', 'transformers_version', 'torch_dtype', 'dtype', '_name_or_path',
  'output_attentions', 'output_hidden_states', 'return_dict', 'use_return_dict', 'torchscript',
  'max_position_embeddings', // fla's DeltaNet has no position encoding; the key is kept for hybrid layers
]);

/**
 * Keys only a setting other than the one here would matter for: accepted at that value, refused
 * otherwise. `use_output_norm`: fla's DeltaNet layer takes it but always builds `o_norm`, so both
 * values load the same weights and compute the same thing.
 */
const ACCEPTED_ONLY_AT: Record<string, { value: unknown; why: string }> = {
  attn: { value: null, why: 'hybrid softmax-attention layers are not implemented' },
  attnres_block_size: { value: null, why: 'attention residuals (AttnRes) are not implemented' },
  use_l2warp: { value: false, why: "the L2-warp training loss is not implemented" },
  hidden_act: { value: 'swish', why: "only the 'swish' gated MLP is implemented" },
  // Older fla configs: accepted where they name what the model here does.
  norm_first: { value: false, why: 'the extra first norm of older fla models is not implemented' },
  elementwise_affine: { value: true, why: 'norms without a weight are not implemented' },
  use_rope: { value: false, why: 'rotary positions are not implemented' },
};

const IMPLEMENTED = new Set([
  'vocab_size', 'hidden_size', 'num_hidden_layers', 'num_heads', 'expand_k', 'expand_v', 'use_gate',
  'use_short_conv', 'conv_size', 'use_beta', 'allow_neg_eigval', 'qk_activation', 'qk_norm', 'norm_eps',
  'hidden_ratio', 'intermediate_size', 'tie_word_embeddings', 'initializer_range', 'bos_token_id',
  'eos_token_id', 'pad_token_id', 'use_output_norm',
]);

export class FlaConfigError extends Error {
  override name = 'FlaConfigError';
}

/** fla's GatedMLP rule: ⌊hidden · ratio · 2 / 3⌋ rounded up to a multiple of 256 (5,632 at hidden 2048). */
export function flaIntermediateSize(hiddenSize: number, hiddenRatio: number | null, intermediateSize: number | null): number {
  if (intermediateSize !== null) return intermediateSize;
  const ratio = hiddenRatio ?? 4;
  const raw = Math.floor((hiddenSize * ratio * 2) / 3);
  return 256 * Math.ceil(raw / 256);
}

/**
 * Reads a parsed config.json. `source` (a file path) starts every error message.
 * Throws FlaConfigError naming the key for a wrong model_type, a key not implemented, or a bad value.
 */
export function parseDeltaNetConfig(json: unknown, source = 'config.json'): DeltaNetConfig {
  const fail = (why: string): never => {
    throw new FlaConfigError(`${source}: ${why}`);
  };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return fail('not a JSON object');
  const raw = json as Record<string, unknown>;
  if (raw.model_type !== 'delta_net') {
    fail(`model_type is ${JSON.stringify(raw.model_type ?? null)}; only fla's "delta_net" models are supported`);
  }
  for (const [key, value] of Object.entries(raw)) {
    const only = ACCEPTED_ONLY_AT[key];
    if (only !== undefined) {
      if (value !== only.value && !(only.value === null && value === undefined)) fail(`config key '${key}' = ${JSON.stringify(value)} is not supported (${only.why})`);
      continue;
    }
    if (!IMPLEMENTED.has(key) && !KERNEL_CHOICES.has(key) && !HUGGING_FACE_KEYS.has(key)) fail(`config key '${key}' is not implemented here`);
  }
  const get = <K extends keyof typeof FLA_DELTA_NET_DEFAULTS>(key: K): unknown => (key in raw ? raw[key] : FLA_DELTA_NET_DEFAULTS[key]);
  const positiveInt = (key: keyof typeof FLA_DELTA_NET_DEFAULTS): number => {
    const v = get(key);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(`config key '${key}' must be a positive integer, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const positive = (key: keyof typeof FLA_DELTA_NET_DEFAULTS): number => {
    const v = get(key);
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) fail(`config key '${key}' must be a positive number, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const bool = (key: keyof typeof FLA_DELTA_NET_DEFAULTS): boolean => {
    const v = get(key);
    if (typeof v !== 'boolean') fail(`config key '${key}' must be true or false, got ${JSON.stringify(v)}`);
    return v as boolean;
  };
  const oneOf = <T extends string>(key: keyof typeof FLA_DELTA_NET_DEFAULTS, allowed: readonly T[]): T => {
    const v = get(key);
    if (!allowed.includes(v as T)) fail(`config key '${key}' must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  };
  const tokenId = (key: 'bos_token_id' | 'eos_token_id' | 'pad_token_id'): number | null => {
    const v = get(key);
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`config key '${key}' must be a token id or null, got ${JSON.stringify(v)}`);
    return v as number;
  };

  oneOf('attn_mode', ['chunk', 'fused_recurrent']);
  bool('use_output_norm');
  const hiddenSize = positiveInt('hidden_size');
  const numHeads = positiveInt('num_heads');
  const expandK = positive('expand_k');
  const expandV = positive('expand_v');
  // Python's int(hidden_size * expand): truncation toward zero.
  const keyDim = Math.trunc(hiddenSize * expandK);
  const valueDim = Math.trunc(hiddenSize * expandV);
  if (keyDim % numHeads !== 0) fail(`key dim ${keyDim} (hidden_size · expand_k) is not divisible by num_heads ${numHeads}`);
  if (valueDim % numHeads !== 0) fail(`value dim ${valueDim} (hidden_size · expand_v) is not divisible by num_heads ${numHeads}`);
  const hiddenRatio = get('hidden_ratio');
  if (hiddenRatio !== null && (typeof hiddenRatio !== 'number' || !(hiddenRatio > 0))) fail(`config key 'hidden_ratio' must be a positive number or null, got ${JSON.stringify(hiddenRatio)}`);
  const intermediate = get('intermediate_size');
  if (intermediate !== null && (typeof intermediate !== 'number' || !Number.isInteger(intermediate) || intermediate < 1)) {
    fail(`config key 'intermediate_size' must be a positive integer or null, got ${JSON.stringify(intermediate)}`);
  }
  const eps = positive('norm_eps');
  const range = get('initializer_range');
  if (typeof range !== 'number' || !(range >= 0)) fail(`config key 'initializer_range' must be a non-negative number, got ${JSON.stringify(range)}`);
  if (get('fuse_cross_entropy') === true && get('fuse_linear_cross_entropy') === true) {
    fail("config keys 'fuse_cross_entropy' and 'fuse_linear_cross_entropy' cannot both be true (fla refuses this too)");
  }

  return {
    vocabSize: positiveInt('vocab_size'),
    hiddenSize,
    numHiddenLayers: positiveInt('num_hidden_layers'),
    numHeads,
    keyDim,
    valueDim,
    headKDim: keyDim / numHeads,
    headVDim: valueDim / numHeads,
    useGate: bool('use_gate'),
    useShortConv: bool('use_short_conv'),
    convSize: positiveInt('conv_size'),
    useBeta: bool('use_beta'),
    allowNegEigval: bool('allow_neg_eigval'),
    qkActivation: oneOf('qk_activation', ['silu', 'relu', 'elu', 'identity'] as const),
    qkNorm: oneOf('qk_norm', ['l2', 'sum'] as const),
    normEps: eps,
    intermediateSize: flaIntermediateSize(hiddenSize, hiddenRatio as number | null, intermediate as number | null),
    tieWordEmbeddings: bool('tie_word_embeddings'),
    initializerRange: range as number,
    bosTokenId: tokenId('bos_token_id'),
    eosTokenId: tokenId('eos_token_id'),
    padTokenId: tokenId('pad_token_id'),
    raw: { ...raw },
  };
}

/**
 * config.json for a config: what it was read from (`raw`) with every architecture key written out,
 * so that fla's DeltaNetConfig (whatever its defaults become) and this reader build the same model.
 */
export function deltaNetConfigToJson(c: DeltaNetConfig, torchDtype: 'float32' | 'bfloat16' | 'float16'): Record<string, unknown> {
  return {
    ...c.raw,
    model_type: 'delta_net',
    architectures: ['DeltaNetForCausalLM'],
    torch_dtype: torchDtype,
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numHiddenLayers,
    num_heads: c.numHeads,
    // As given: key_dim = ⌊hidden · expand_k⌋ is recomputed from them, and a quotient could round below.
    expand_k: c.raw.expand_k ?? FLA_DELTA_NET_DEFAULTS.expand_k,
    expand_v: c.raw.expand_v ?? FLA_DELTA_NET_DEFAULTS.expand_v,
    use_gate: c.useGate,
    use_short_conv: c.useShortConv,
    conv_size: c.convSize,
    use_beta: c.useBeta,
    allow_neg_eigval: c.allowNegEigval,
    qk_activation: c.qkActivation,
    qk_norm: c.qkNorm,
    norm_eps: c.normEps,
    hidden_act: 'swish',
    intermediate_size: c.intermediateSize,
    tie_word_embeddings: c.tieWordEmbeddings,
    initializer_range: c.initializerRange,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenId,
    pad_token_id: c.padTokenId,
  };
}

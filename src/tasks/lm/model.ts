/**
 * Decoder-only language model: token embedding (tied with the output layer), optional absolute
 * positions (sinusoidal, or a learned table of one row per position of the segment), N pre-LN blocks whose self-attention is any of the seven model names, a final
 * LayerNorm, logits = h Eᵀ.
 *
 * With `scaledEmbedding` (what `lm train` builds) the embeddings start at std 1/√D and are multiplied
 * by √D on the way in, as in the translation model: tokens and positions then enter at comparable size
 * (about 1 and 0.7 per dimension) and the tied output starts with logits of order 1. Without it (the
 * layout of checkpoints written before the option) embeddings start at std 0.02 and the positions
 * outweigh them 35 to 1, so every layer first sees mostly where a token is, not which token it is:
 * training on segments sits on the unigram plateau for hundreds of steps, and carry-over training
 * learns to lean on fast weights that only its own history builds (docs/experiments.md, Table 4).
 * With `unitEmbedding` instead (`lm train --embedding unscaled`) they start N(0, 1) and enter as
 * they are, PyTorch's nn.Embedding default; the output stays tied to them either way.
 * `ffActivation`, `biasInit` and `phiEps` switch the feed-forward to ReLU, the biases to PyTorch's
 * uniform start and the ε of φ's sum normalisation (`lm train --preset replica` sets them, with the
 * two input-layer choices above, to a PyTorch replica's: docs/experiments.md, Table 4). `blockSize`
 * runs long segments through the attention in blocks recomputed in backward (`lm train --block-size`).
 *
 * The per-layer attention states (fast weights, or key/value caches for softmax) are returned so
 * that evaluation can carry memory across segments and generation can run one token at a time.
 */
import { Module } from '../../nn/module.js';
import { Embedding, LayerNorm } from '../../nn/layers.js';
import { parseAttentionSpec, type AttentionSpec } from '../../nn/attention/spec.js';
import { resolveStack, type ResolvedStack } from '../../nn/stackShape.js';
import type { AttentionState } from '../../nn/attention/types.js';
import { Tensor, randn, type DType } from '../../tensor/tensor.js';
import { Rng } from '../../tensor/rng.js';
import * as ops from '../../ops/index.js';
import { TransformerBlock, stackBlockOptions } from '../../nn/transformerBlock.js';
import { sinusoidalPositions } from '../../nn/positions.js';

export interface LanguageModelConfig {
  vocabSize: number;
  /** One of the seven model names, with an optional knob suffix (dpfp-2, performer-32). */
  attention: string;
  dModel: number;
  layers: number;
  heads: number;
  /** Key/value size per head (default dModel / heads). */
  dHead?: number;
  ffHidden?: number;
  dropout?: number;
  /** Training segment length L. */
  context: number;
  /** Absolute positions added to the embeddings (the paper's Table 3 also trains without: false). */
  positions: boolean;
  /**
   * With positions: a learned table [context, dModel], drawn N(0, 1) (the size of a scaled token
   * embedding on the way in), instead of the sinusoidal encodings. Absent or false: sinusoidal.
   */
  learnedPositions?: boolean;
  /**
   * Embeddings at std 1/√dModel, multiplied by √dModel on the way in (see the top of this file).
   * Absent or false: std 0.02, unscaled, as every checkpoint written before the option; `lm train`
   * sets it for new runs.
   */
  scaledEmbedding?: boolean;
  /**
   * Without scaledEmbedding: embeddings drawn N(0, 1) and added as they are (PyTorch's nn.Embedding
   * default; `lm train --embedding unscaled`). The output stays tied to them.
   */
  unitEmbedding?: boolean;
  /** The feed-forward's activation. Absent: GELU. */
  ffActivation?: FeedForwardActivation;
  /** How the biases (feed-forward, β) start: absent or 'zero', or 'uniform' in ±1/√fan_in (PyTorch's nn.Linear). */
  biasInit?: BiasInit;
  /** ε of φ's sum normalisation, φ / (Σφ + ε). Absent: 10⁻⁶. */
  phiEps?: number;
  /**
   * Fast weight models with a fixed φ: a sequence longer than this runs through each layer's
   * attention in blocks of this many steps, recomputed in backward (FastWeightAttentionOptions.blockSize):
   * less memory for a long context, the same values to float rounding. Absent: no blocks.
   */
  blockSize?: number;
  /** Seed of the weights' initialisation (and of the model's dropout/FAVOR+ stream). */
  seed: number;
  /** Seed of the fixed FAVOR+ features used in eval mode. */
  featureSeed?: number;
  attentionNormalise?: boolean;
  scaleOutput?: boolean;
}

export const FEED_FORWARD_ACTIVATIONS = ['gelu', 'relu'] as const;
export type FeedForwardActivation = (typeof FEED_FORWARD_ACTIVATIONS)[number];
export const BIAS_INITS = ['zero', 'uniform'] as const;
export type BiasInit = (typeof BIAS_INITS)[number];

/** A LanguageModelConfig with its attention kind parsed and every default filled in: what the model and the resource estimate read. */
export interface ResolvedLanguageModelConfig extends ResolvedStack {
  readonly attention: AttentionSpec;
  readonly vocabSize: number;
  readonly layers: number;
  readonly context: number;
  readonly positions: 'sinusoidal' | 'learned' | 'none';
  readonly scaledEmbedding: boolean;
  readonly ffActivation: FeedForwardActivation;
  readonly biasInit: BiasInit;
  readonly phiEps: number;
  readonly blockSize?: number;
  readonly seed: number;
}

/** Checks a config (it may come from a file or a library user) and resolves it; the one place its defaults live. */
export function resolveLanguageModelConfig(config: LanguageModelConfig): ResolvedLanguageModelConfig {
  const stack = resolveStack(config, 'language model config', ['vocabSize', 'dModel', 'layers', 'heads', 'context']);
  const { vocabSize, layers, context, seed } = config;
  if (config.learnedPositions === true && config.positions !== true) throw new Error('language model config: learnedPositions needs positions');
  if (config.unitEmbedding === true && config.scaledEmbedding === true) throw new Error('language model config: unitEmbedding contradicts scaledEmbedding');
  const ffActivation = config.ffActivation ?? 'gelu';
  if (!FEED_FORWARD_ACTIVATIONS.includes(ffActivation)) throw new Error(`language model config: ffActivation must be one of ${FEED_FORWARD_ACTIVATIONS.join(', ')}, got ${String(ffActivation)}`);
  const biasInit = config.biasInit ?? 'zero';
  if (!BIAS_INITS.includes(biasInit)) throw new Error(`language model config: biasInit must be one of ${BIAS_INITS.join(', ')}, got ${String(biasInit)}`);
  const phiEps = config.phiEps ?? 1e-6;
  if (!(phiEps >= 0 && phiEps <= 1)) throw new Error(`language model config: phiEps must be a number in [0, 1], got ${String(phiEps)}`);
  const positions = !config.positions ? 'none' : config.learnedPositions === true ? 'learned' : 'sinusoidal';
  const attention = parseAttentionSpec(config.attention);
  const { blockSize } = config;
  if (blockSize !== undefined) {
    if (!(Number.isSafeInteger(blockSize) && blockSize >= 1)) throw new Error(`language model config: blockSize must be an integer ≥ 1, got ${String(blockSize)}`);
    if (!attention.fastWeights || attention.stochastic) throw new Error(`language model config: blockSize needs a fast weight model with a fixed φ; '${attention.name}' ${attention.fastWeights ? 'draws new random features at every forward' : 'is softmax attention'}`);
  }
  return { ...stack, attention, vocabSize, layers, context, positions, scaledEmbedding: config.scaledEmbedding === true, ffActivation, biasInit, phiEps, ...(blockSize !== undefined ? { blockSize } : {}), seed };
}

export function validateLanguageModelConfig(config: LanguageModelConfig): void {
  resolveLanguageModelConfig(config);
}

export interface LanguageModelOutput {
  /** [B, T, vocab] */
  logits: Tensor;
  /** One per layer. */
  states: AttentionState[];
}

export class LanguageModel extends Module {
  readonly embedding: Embedding;
  readonly blocks: TransformerBlock[];
  readonly finalNorm: LayerNorm;
  /** Learned positions [context, dModel], or null (sinusoidal or none). */
  readonly positionTable: Tensor | null;
  /** Draws dropout masks and FAVOR+ features; saved with checkpoints. */
  readonly rng: Rng;

  /** The config with its attention kind parsed and its defaults filled in. */
  readonly resolved: ResolvedLanguageModelConfig;

  constructor(readonly config: LanguageModelConfig, dtype: DType = 'float32') {
    super();
    const r = (this.resolved = resolveLanguageModelConfig(config));
    this.rng = new Rng(r.seed);
    this.embedding = this.child('embedding', new Embedding(r.vocabSize, r.dModel, { rng: this.rng, dtype, scaled: r.scaledEmbedding, ...(config.unitEmbedding && { std: 1 }) }));
    this.blocks = [];
    for (let i = 0; i < r.layers; i++) {
      this.blocks.push(
        this.child(
          `blocks.${i}`,
          new TransformerBlock({ ...stackBlockOptions(r, this.rng, dtype), attention: r.attention, causal: true, featureSeed: r.featureSeed + i, ffActivation: r.ffActivation, biasInit: r.biasInit, phiEps: r.phiEps, ...(r.blockSize !== undefined ? { blockSize: r.blockSize } : {}) }),
        ),
      );
    }
    this.finalNorm = this.child('finalNorm', new LayerNorm(r.dModel, { dtype }));
    // Drawn last, so that every other weight is the one a sinusoidal model of the same seed starts from.
    this.positionTable = r.positions === 'learned' ? this.param('positionTable', randn([r.context, r.dModel], this.rng, { dtype, std: 1 })) : null;
  }

  get name(): string {
    return this.resolved.attention.name;
  }

  /** True for the fast weight models, which carry a constant-size state. */
  get isFastWeight(): boolean {
    return this.resolved.attention.fastWeights;
  }

  /**
   * ids: B·T token ids, row-major [B, T]. `states` continue from a previous call;
   * `positionOffset` is the position of the first token (positions restart at 0 in every segment
   * unless it is given; a learned table has rows for positions 0 … context − 1 only).
   */
  forward(ids: ArrayLike<number>, B: number, T: number, options: { states?: AttentionState[]; positionOffset?: number } = {}): LanguageModelOutput {
    if (ids.length !== B * T) throw new Error(`LanguageModel: ${ids.length} ids do not fill [${B}, ${T}]`);
    if (options.states && options.states.length !== this.blocks.length) {
      throw new Error(`LanguageModel: ${options.states.length} states for ${this.blocks.length} layers`);
    }
    let x = this.embedding.forward(ids, [B, T]); // [B, T, D]
    const offset = options.positionOffset ?? 0;
    if (this.positionTable) {
      // Past the table's last row, slice's own error names the range asked for and the table's shape.
      x = ops.add(x, ops.slice(this.positionTable, 0, offset, offset + T));
    } else if (this.resolved.positions === 'sinusoidal') {
      x = ops.add(x, sinusoidalPositions(T, this.config.dModel, offset, x.dtype));
    }
    const states: AttentionState[] = [];
    this.blocks.forEach((block, i) => {
      const r = block.forward(x, { state: options.states?.[i] });
      x = r.output;
      if (r.state) states.push(r.state);
    });
    const h = this.finalNorm.forward(x);
    // Tied output layer: logits = h Eᵀ.
    const logits = ops.matmul(ops.reshape(h, [B * T, this.config.dModel]), ops.transpose(this.embedding.weight));
    return { logits: ops.reshape(logits, [B, T, this.config.vocabSize]), states };
  }
}

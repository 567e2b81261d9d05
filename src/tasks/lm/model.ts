/**
 * Decoder-only language model: token embedding (tied with the output layer), optional sinusoidal
 * positions, N pre-LN blocks whose self-attention is any of the seven model names, a final
 * LayerNorm, logits = h Eᵀ.
 *
 * With `scaledEmbedding` (what `lm train` builds) the embeddings start at std 1/√D and are multiplied
 * by √D on the way in, as in the translation model: tokens and positions then enter at comparable size
 * (about 1 and 0.7 per dimension) and the tied output starts with logits of order 1. Without it (the
 * layout of checkpoints written before the option) embeddings start at std 0.02 and the positions
 * outweigh them 35 to 1, so every layer first sees mostly where a token is, not which token it is:
 * training on segments sits on the unigram plateau for hundreds of steps, and carry-over training
 * learns to lean on fast weights that only its own history builds (docs/experiments.md, Table 4).
 *
 * The per-layer attention states (fast weights, or key/value caches for softmax) are returned so
 * that evaluation can carry memory across segments and generation can run one token at a time.
 */
import { Module } from '../../nn/module.js';
import { Embedding, LayerNorm } from '../../nn/layers.js';
import { parseAttentionSpec, formatAttentionSpec } from '../../nn/attention/factory.js';
import type { AttentionState } from '../../nn/attention/types.js';
import { Tensor, type DType } from '../../tensor/tensor.js';
import { Rng } from '../../tensor/rng.js';
import * as ops from '../../ops/index.js';
import { TransformerBlock } from '../../nn/transformerBlock.js';
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
  /** Sinusoidal absolute positions (the paper's Table 3 also trains without: false). */
  positions: boolean;
  /**
   * Embeddings at std 1/√dModel, multiplied by √dModel on the way in (see the top of this file).
   * Absent or false: std 0.02, unscaled, as every checkpoint written before the option; `lm train`
   * sets it for new runs.
   */
  scaledEmbedding?: boolean;
  /** Seed of the weights' initialisation (and of the model's dropout/FAVOR+ stream). */
  seed: number;
  /** Seed of the fixed FAVOR+ features used in eval mode. */
  featureSeed?: number;
  attentionNormalise?: boolean;
  scaleOutput?: boolean;
}

export function validateLanguageModelConfig(config: LanguageModelConfig): void {
  const positive = ['vocabSize', 'dModel', 'layers', 'heads', 'context'] as const;
  for (const key of positive) {
    const v = config[key];
    if (!Number.isInteger(v) || v < 1) throw new Error(`language model config: ${key} must be a positive integer, got ${v}`);
  }
  parseAttentionSpec(config.attention);
  if (config.dHead === undefined && config.dModel % config.heads !== 0) {
    throw new Error(`language model config: dModel ${config.dModel} is not divisible by heads ${config.heads} (or set dHead)`);
  }
  if (config.dropout !== undefined && !(config.dropout >= 0 && config.dropout < 1)) throw new Error(`language model config: dropout must be in [0, 1), got ${config.dropout}`);
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
  /** Draws dropout masks and FAVOR+ features; saved with checkpoints. */
  readonly rng: Rng;
  /** √D with scaledEmbedding, else 1. */
  private readonly embedScale: number;

  constructor(readonly config: LanguageModelConfig, dtype: DType = 'float32') {
    super();
    validateLanguageModelConfig(config);
    this.rng = new Rng(config.seed);
    const spec = parseAttentionSpec(config.attention);
    const dHead = config.dHead ?? config.dModel / config.heads;
    this.embedScale = config.scaledEmbedding ? Math.sqrt(config.dModel) : 1;
    const std = config.scaledEmbedding ? 1 / Math.sqrt(config.dModel) : 0.02;
    this.embedding = this.child('embedding', new Embedding(config.vocabSize, config.dModel, { rng: this.rng, dtype, std }));
    this.blocks = [];
    for (let i = 0; i < config.layers; i++) {
      this.blocks.push(
        this.child(
          `blocks.${i}`,
          new TransformerBlock({
            attention: spec,
            causal: true,
            dModel: config.dModel,
            heads: config.heads,
            dHead,
            ffHidden: config.ffHidden ?? 4 * config.dModel,
            dropout: config.dropout ?? 0,
            rng: this.rng,
            dtype,
            featureSeed: (config.featureSeed ?? 1234) + i,
            ...(config.attentionNormalise !== undefined ? { attentionNormalise: config.attentionNormalise } : {}),
            ...(config.scaleOutput !== undefined ? { scaleOutput: config.scaleOutput } : {}),
          }),
        ),
      );
    }
    this.finalNorm = this.child('finalNorm', new LayerNorm(config.dModel, { dtype }));
  }

  get name(): string {
    return formatAttentionSpec(parseAttentionSpec(this.config.attention));
  }

  /** True for the fast weight models, which carry a constant-size state. */
  get isFastWeight(): boolean {
    return parseAttentionSpec(this.config.attention).model !== 'softmax';
  }

  /**
   * ids: B·T token ids, row-major [B, T]. `states` continue from a previous call;
   * `positionOffset` is the position of the first token (positions restart at 0 in every segment
   * unless it is given).
   */
  forward(ids: ArrayLike<number>, B: number, T: number, options: { states?: AttentionState[]; positionOffset?: number } = {}): LanguageModelOutput {
    if (ids.length !== B * T) throw new Error(`LanguageModel: ${ids.length} ids do not fill [${B}, ${T}]`);
    if (options.states && options.states.length !== this.blocks.length) {
      throw new Error(`LanguageModel: ${options.states.length} states for ${this.blocks.length} layers`);
    }
    let x = this.embedding.forward(ids, [B, T]); // [B, T, D]
    if (this.embedScale !== 1) x = ops.mul(x, this.embedScale);
    if (this.config.positions) {
      x = ops.add(x, sinusoidalPositions(T, this.config.dModel, options.positionOffset ?? 0, x.dtype));
    }
    const states: AttentionState[] = [];
    this.blocks.forEach((block, i) => {
      const state = options.states?.[i];
      const r = block.forward(x, state ? { state } : {});
      x = r.output;
      if (r.state) states.push(r.state);
    });
    const h = this.finalNorm.forward(x);
    // Tied output layer: logits = h Eᵀ.
    const logits = ops.matmul(ops.reshape(h, [B * T, this.config.dModel]), ops.transpose(this.embedding.weight));
    return { logits: ops.reshape(logits, [B, T, this.config.vocabSize]), states };
  }
}

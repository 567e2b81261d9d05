/**
 * The pre-LayerNorm Transformer block used by every model here:
 *   x ← x + Dropout(SelfAttention(LN(x)))
 *   x ← x + Dropout(CrossAttention(LN(x), memory))   (decoders of encoder–decoder models only)
 *   x ← x + Dropout(FeedForward(LN(x)))
 * Shapes: x [B, T, D], memory [B, S, D].
 */
import { Module } from './module.js';
import { FeedForward, LayerNorm } from './layers.js';
import { createAttention, type AttentionBuildOptions } from './attention/factory.js';
import type { AttentionSpec } from './attention/spec.js';
import type { AttentionLayer, AttentionState } from './attention/types.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../tensor/rng.js';
import type { DType } from '../tensor/tensor.js';
import type { ResolvedStack } from './stackShape.js';
import * as ops from '../ops/index.js';

export interface BlockOptions extends Omit<AttentionBuildOptions, 'causal'> {
  attention: AttentionSpec;
  causal: boolean;
  ffHidden: number;
  dropout: number;
  /** The feed-forward's activation (default GELU). */
  ffActivation?: 'gelu' | 'relu';
  /** Adds a cross-attention sublayer of this kind (encoder–decoder models). */
  crossAttention?: AttentionSpec;
}

/** The options every block of a stack shares; the attention kind, causality and feature seed are each block's. */
export function stackBlockOptions(stack: ResolvedStack, rng: Rng, dtype: DType) {
  return {
    dModel: stack.dModel,
    heads: stack.heads,
    dHead: stack.dHead,
    ffHidden: stack.ffHidden,
    dropout: stack.dropout,
    rng,
    dtype,
    ...(stack.attentionNormalise !== undefined ? { attentionNormalise: stack.attentionNormalise } : {}),
    ...(stack.scaleOutput !== undefined ? { scaleOutput: stack.scaleOutput } : {}),
  };
}

export interface BlockInput {
  state?: AttentionState;
  /** [B, T] 1 = real, 0 = padding: keys of self-attention (non-causal blocks). */
  selfKeyMask?: Tensor;
  memory?: Tensor;
  /** [B, S] padding mask of the memory. */
  memoryKeyMask?: Tensor;
}

export class TransformerBlock extends Module {
  readonly norm1: LayerNorm;
  readonly attention: AttentionLayer & Module;
  readonly normCross: LayerNorm | null;
  readonly cross: (AttentionLayer & Module) | null;
  readonly norm2: LayerNorm;
  readonly feedForward: FeedForward;
  private readonly rng: Rng;
  private readonly dropout: number;

  constructor(options: BlockOptions) {
    super();
    const dtype = options.dtype ?? 'float32';
    this.rng = options.rng;
    this.dropout = options.dropout;
    this.norm1 = this.child('norm1', new LayerNorm(options.dModel, { dtype }));
    this.attention = this.child('attention', createAttention(options.attention, options));
    if (options.crossAttention !== undefined) {
      this.normCross = this.child('normCross', new LayerNorm(options.dModel, { dtype }));
      // Cross-attention is never causal and never carries state; it keeps the φ options.
      this.cross = this.child('cross', createAttention(options.crossAttention, { ...options, causal: false }));
    } else {
      this.normCross = null;
      this.cross = null;
    }
    this.norm2 = this.child('norm2', new LayerNorm(options.dModel, { dtype }));
    this.feedForward = this.child('feedForward', new FeedForward(options.dModel, options.ffHidden, { rng: options.rng, dtype, dropout: options.dropout, activation: options.ffActivation ?? 'gelu', ...(options.biasInit ? { biasInit: options.biasInit } : {}) }));
  }

  forward(x: Tensor, input: BlockInput = {}): { output: Tensor; state?: AttentionState } {
    const drop = (t: Tensor) => ops.dropout(t, this.dropout, this.rng, this.training);
    const a = this.attention.forward(this.norm1.forward(x), { state: input.state, keyMask: input.selfKeyMask });
    let h = ops.add(x, drop(a.output));
    if (this.cross && this.normCross) {
      if (!input.memory) throw new Error('TransformerBlock: a block with cross-attention needs memory');
      const c = this.cross.forward(this.normCross.forward(h), { memory: input.memory, keyMask: input.memoryKeyMask });
      h = ops.add(h, drop(c.output));
    }
    h = ops.add(h, drop(this.feedForward.forward(this.norm2.forward(h))));
    return { output: h, ...(a.state ? { state: a.state } : {}) };
  }
}

/**
 * Encoder–decoder Transformer for translation (the paper's §6.3 setting, scaled down).
 *
 *   encoder: shared embedding · √D + sinusoidal positions → N non-causal pre-LN blocks → LayerNorm
 *   decoder: shared embedding · √D + sinusoidal positions → M causal pre-LN blocks with
 *            cross-attention over the encoder output → LayerNorm → logits = h Eᵀ (tied)
 *
 * One embedding serves both languages (a joint BPE vocabulary) and the output layer. Self-attention
 * in both stacks is any of the seven model names; cross-attention is softmax by default, `linear`
 * (or any other name) as an option. Source padding is masked in encoder self-attention and in
 * cross-attention; target padding sits after the last real token, so causal attention never sees
 * it before a real token and the loss ignores it.
 *
 * A source may hold a translation memory after a <bos> separator (translationMemory.ts): its
 * positions restart at 0 after the separator, so the memory's t-th token has the position code of
 * the decoder's t-th input, and copying an aligned near-twin is a match of equal positions. A source
 * without the separator is encoded as before.
 *
 * The decoder can also run one token at a time, carrying per-layer states (fast weights for the FWP
 * models, key/value caches for softmax): that is how greedy and beam search decode.
 */
import { Module } from '../../nn/module.js';
import { Embedding, LayerNorm } from '../../nn/layers.js';
import { parseAttentionSpec, type AttentionSpec } from '../../nn/attention/spec.js';
import { resolveStack, type ResolvedStack } from '../../nn/stackShape.js';
import type { AttentionState } from '../../nn/attention/types.js';
import { Tensor, allocate, type DType } from '../../tensor/tensor.js';
import { Rng } from '../../tensor/rng.js';
import * as ops from '../../ops/index.js';
import { BOS_ID, PAD_ID } from '../../data/bpe.js';
import { TransformerBlock, stackBlockOptions } from '../../nn/transformerBlock.js';
import { sinusoidalPositions } from '../../nn/positions.js';

/** Separates the English from a translation memory in a source (translationMemory.ts); no other source holds it. */
export const MEMORY_SEPARATOR_ID = BOS_ID;

export interface TranslationModelConfig {
  vocabSize: number;
  /** Self-attention of encoder and decoder: one of the seven model names (dpfp-2, performer-32, …). */
  attention: string;
  /** Cross-attention kind (default 'softmax'). */
  crossAttention?: string;
  dModel: number;
  encoderLayers: number;
  decoderLayers: number;
  heads: number;
  /** Key/value size per head (default dModel / heads). */
  dHead?: number;
  ffHidden?: number;
  dropout?: number;
  /** Seed of the weights' initialisation (and of the model's dropout/FAVOR+ stream). */
  seed: number;
  /** Seed of the fixed FAVOR+ features used in eval mode. */
  featureSeed?: number;
  attentionNormalise?: boolean;
  scaleOutput?: boolean;
}

/** A TranslationModelConfig with its attention kinds parsed and every default filled in: what the model and the resource estimate read. */
export interface ResolvedTranslationModelConfig extends ResolvedStack {
  readonly attention: AttentionSpec;
  readonly crossAttention: AttentionSpec;
  readonly vocabSize: number;
  readonly encoderLayers: number;
  readonly decoderLayers: number;
  readonly seed: number;
}

/** Checks a config (it may come from a file or a library user) and resolves it; the one place its defaults live. */
export function resolveTranslationModelConfig(config: TranslationModelConfig): ResolvedTranslationModelConfig {
  const stack = resolveStack(config, 'translation model config', ['vocabSize', 'dModel', 'encoderLayers', 'decoderLayers', 'heads']);
  const { vocabSize, encoderLayers, decoderLayers, seed } = config;
  return { ...stack, attention: parseAttentionSpec(config.attention), crossAttention: parseAttentionSpec(config.crossAttention ?? 'softmax'), vocabSize, encoderLayers, decoderLayers, seed };
}

export function validateTranslationModelConfig(config: TranslationModelConfig): void {
  resolveTranslationModelConfig(config);
}

/** The encoder's result, which every decoder call reads. */
export interface EncodedSource {
  /** [B, S, D] */
  memory: Tensor;
  /** [B, S] 1 = real token, 0 = padding. */
  mask: Tensor;
}

export interface DecoderOutput {
  /** [B, T, vocab] */
  logits: Tensor;
  /** One per decoder layer: the self-attention state after these T tokens. */
  states: AttentionState[];
}

export class TranslationModel extends Module {
  readonly embedding: Embedding;
  readonly encoderBlocks: TransformerBlock[] = [];
  readonly encoderNorm: LayerNorm;
  readonly decoderBlocks: TransformerBlock[] = [];
  readonly decoderNorm: LayerNorm;
  /** Draws dropout masks and FAVOR+ features; saved with checkpoints. */
  readonly rng: Rng;

  /** The config with its attention kinds parsed and its defaults filled in. */
  readonly resolved: ResolvedTranslationModelConfig;

  constructor(readonly config: TranslationModelConfig, dtype: DType = 'float32') {
    super();
    const r = (this.resolved = resolveTranslationModelConfig(config));
    this.rng = new Rng(r.seed);
    const D = r.dModel;
    this.embedding = this.child('embedding', new Embedding(r.vocabSize, D, { rng: this.rng, dtype, scaled: true }));
    const common = { ...stackBlockOptions(r, this.rng, dtype), attention: r.attention };
    for (let i = 0; i < r.encoderLayers; i++) {
      this.encoderBlocks.push(this.child(`encoder.${i}`, new TransformerBlock({ ...common, causal: false, featureSeed: r.featureSeed + i })));
    }
    this.encoderNorm = this.child('encoderNorm', new LayerNorm(D, { dtype }));
    for (let i = 0; i < r.decoderLayers; i++) {
      this.decoderBlocks.push(
        this.child(`decoder.${i}`, new TransformerBlock({ ...common, causal: true, crossAttention: r.crossAttention, featureSeed: r.featureSeed + 1000 + i })),
      );
    }
    this.decoderNorm = this.child('decoderNorm', new LayerNorm(D, { dtype }));
  }

  /** e.g. `dpfp-2 (cross: softmax)`. */
  get name(): string {
    return `${this.resolved.attention.name} (cross: ${this.resolved.crossAttention.name})`;
  }

  /** Embedded tokens plus positions offset, offset + 1, …: [B, T, D]. */
  private embed(ids: ArrayLike<number>, B: number, T: number, positionOffset: number): Tensor {
    const x = this.embedding.forward(ids, [B, T]);
    return ops.add(x, sinusoidalPositions(T, this.config.dModel, positionOffset, x.dtype));
  }

  /** source: B·S ids, row-major [B, S], right-padded with PAD_ID. */
  encode(source: ArrayLike<number>, B: number, S: number): EncodedSource {
    if (source.length !== B * S) throw new Error(`TranslationModel.encode: ${source.length} ids do not fill [${B}, ${S}]`);
    const mask = paddingMask(source, B, S, this.embedding.weight.dtype);
    const positions = sourcePositions(source, B, S);
    let x =
      positions === null
        ? this.embed(source, B, S, 0)
        : ops.add(this.embedding.forward(source, [B, S]), ops.embedding(sinusoidalPositions(S, this.config.dModel, 0, this.embedding.weight.dtype), positions, [B, S]));
    for (const block of this.encoderBlocks) x = block.forward(x, { selfKeyMask: mask }).output;
    return { memory: this.encoderNorm.forward(x), mask };
  }

  /**
   * target: B·T decoder inputs, row-major [B, T] (<bos> y1 … , right-padded). With `states` it
   * continues a sequence whose first `positionOffset` tokens were already decoded.
   */
  decode(target: ArrayLike<number>, B: number, T: number, encoded: EncodedSource, options: { states?: AttentionState[]; positionOffset?: number } = {}): DecoderOutput {
    const { hidden, states } = this.decodeHidden(target, B, T, encoded, options);
    const logits = ops.matmul(hidden, ops.transpose(this.embedding.weight)); // tied output layer
    return { logits: ops.reshape(logits, [B, T, this.config.vocabSize]), states };
  }

  /** decode() up to the output layer: the final hidden states [B·T, D], row-major over [B, T]. */
  private decodeHidden(target: ArrayLike<number>, B: number, T: number, encoded: EncodedSource, options: { states?: AttentionState[]; positionOffset?: number }): { hidden: Tensor; states: AttentionState[] } {
    if (target.length !== B * T) throw new Error(`TranslationModel.decode: ${target.length} ids do not fill [${B}, ${T}]`);
    if (encoded.memory.shape[0] !== B) throw new Error(`TranslationModel.decode: memory has batch ${encoded.memory.shape[0]}, the target ${B}`);
    if (options.states && options.states.length !== this.decoderBlocks.length) {
      throw new Error(`TranslationModel.decode: ${options.states.length} states for ${this.decoderBlocks.length} decoder layers`);
    }
    let x = this.embed(target, B, T, options.positionOffset ?? 0);
    const states: AttentionState[] = [];
    this.decoderBlocks.forEach((block, i) => {
      const state = options.states?.[i];
      const r = block.forward(x, { memory: encoded.memory, memoryKeyMask: encoded.mask, ...(state ? { state } : {}) });
      x = r.output;
      if (r.state) states.push(r.state);
    });
    return { hidden: ops.reshape(this.decoderNorm.forward(x), [B * T, this.config.dModel]), states };
  }

  /** Teacher-forced logits [B, T, vocab] for padded sources [B, S] and decoder inputs [B, T]. */
  forward(source: ArrayLike<number>, B: number, S: number, target: ArrayLike<number>, T: number): Tensor {
    return this.decode(target, B, T, this.encode(source, B, S)).logits;
  }

  /**
   * The summed teacher-forced cross-entropy of the real (non-PAD) targets [B, T], a scalar: the same
   * as crossEntropy(forward(…), targets, { ignoreIndex: PAD_ID, reduction: 'sum' }), but the output
   * layer and the softmax run on the targets' rows only. Padding is a fifth of a typical batch's
   * rows, and the output layer (D × vocabulary) is the model's largest product.
   */
  targetLoss(source: ArrayLike<number>, B: number, S: number, decoderInput: ArrayLike<number>, T: number, targets: ArrayLike<number>, labelSmoothing = 0): Tensor {
    if (targets.length !== B * T) throw new Error(`TranslationModel.targetLoss: ${targets.length} targets do not fill [${B}, ${T}]`);
    const rows: number[] = [];
    const kept: number[] = [];
    const V = this.config.vocabSize;
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      if (t === PAD_ID) continue;
      // Checked here so that the message names the position in [B, T], not in the kept rows.
      if (!Number.isInteger(t) || t < 0 || t >= V) throw new Error(`TranslationModel.targetLoss: target ${t} at position ${i} is not a token id in [0, ${V})`);
      rows.push(i);
      kept.push(t);
    }
    const { hidden } = this.decodeHidden(decoderInput, B, T, this.encode(source, B, S), {});
    // The targets' rows of the hidden states (a gather: its backward puts the gradient back in place).
    const logits = ops.matmul(ops.embedding(hidden, rows), ops.transpose(this.embedding.weight));
    return ops.crossEntropy(logits, kept, { labelSmoothing, reduction: 'sum' });
  }
}

/**
 * [B, S] position of each source token: 0, 1, … up to and including a MEMORY_SEPARATOR_ID, then
 * 0, 1, … again for the memory after it. Null when no row holds the separator (positions 0 … S − 1
 * in every row).
 */
export function sourcePositions(source: ArrayLike<number>, B: number, S: number): Int32Array | null {
  let any = false;
  const positions = new Int32Array(B * S);
  for (let b = 0; b < B; b++) {
    let start = 0;
    for (let i = 0; i < S; i++) {
      positions[b * S + i] = i - start;
      if (source[b * S + i] === MEMORY_SEPARATOR_ID && start === 0) {
        start = i + 1;
        any = true;
      }
    }
  }
  return any ? positions : null;
}

/** [B, S] 1 where ids are real tokens, 0 where they are PAD_ID. */
export function paddingMask(ids: ArrayLike<number>, B: number, S: number, dtype: DType = 'float32'): Tensor {
  const data = allocate(dtype, B * S);
  for (let i = 0; i < B * S; i++) data[i] = ids[i] === PAD_ID ? 0 : 1;
  return new Tensor(data, [B, S]);
}

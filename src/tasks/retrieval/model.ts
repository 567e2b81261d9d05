/**
 * The single attention layer of the paper's retrieval experiments (§6.1, Appendix D).
 *
 * Inputs per step t: x_t = [e(key_t); onehot(value_t)] ∈ R^{dEmb + S}, e a learned key embedding.
 *   k_t = W_k x_t ∈ R^{dKey},  v_t = W_v x_t ∈ R^S,  β_t = σ(w_β · x_t + b_β)  (delta variants),
 *   q   = W_q [e(query); 0]  ∈ R^{dKey}   (only W_q's embedding rows can act, so W_q is [dEmb, dKey]).
 * φ' = sumNormalise(φ(·)) on keys and query, with φ from the model name (docs/architecture.md, "The attention family"). Read-outs:
 *   sum rule:   v̂ = (Σ_t v_t ⊗ φ'(k_t)) φ'(q) = Σ_t (φ'(k_t)·φ'(q)) v_t
 *   delta rule: W_L from the delta-rule scan over the L steps, v̂ = W_L φ'(q)
 *   softmax:    v̂ = Σ_t softmax_t(q·k_t/√dKey) v_t
 *
 * Only the last read is needed, so the sum rule and softmax read as attention weights a_t over the
 * sequence, and by linearity Σ_t a_t W_v x_t = W_v (Σ_t a_t x_t): the value projection is applied once
 * to the weighted input instead of to every step. Same function, far less work when S is large
 * (that is why W_v has no bias; with one the identity would need Σ a_t = 1). The delta rule's update
 * depends on v_t step by step, so it projects every step.
 *
 * FAVOR+ draws its random training features once per forward (beginForward), so the keys and the query
 * of a batch share one draw.
 */
import { Module } from '../../nn/module.js';
import { Embedding, Linear } from '../../nn/layers.js';
import { sumNormalise, type FeatureMap } from '../../nn/attention/featureMaps.js';
import { makeFeatureMap } from '../../nn/attention/factory.js';
import { parseAttentionSpec, type AttentionSpec, type UpdateRule } from '../../nn/attention/spec.js';
import { DEFAULT_FEATURE_SEED } from '../../nn/stackShape.js';
import { Tensor, zeros, type DType } from '../../tensor/tensor.js';
import { Rng } from '../../tensor/rng.js';
import * as ops from '../../ops/index.js';
import { fastWeightDelta } from '../../ops/fastweight.js';
import { noGrad } from '../../autograd/graph.js';
import type { RetrievalBatch } from './batches.js';

/** The fast weights of one sequence, step by step (RetrievalModel.fastWeightTrace). */
export interface FastWeightTrace {
  /** W_1 … W_L, each [S, dDot] row-major: W_t maps φ'(query) to the retrieved value. */
  states: Float64Array[];
  /** φ'(q), [dDot]: W_L times this is the model's read-out for the sequence. */
  query: Float64Array;
  /** The update rule that wrote them. */
  rule: 'sum' | 'delta';
}

export interface RetrievalModelOptions {
  /** A model name of the attention family (docs/architecture.md), with its knob as a suffix: `linear`, `dpfp-2`, `performer-64`, `delta`, … */
  model: string | AttentionSpec;
  /** Number of keys and values. */
  S: number;
  /** Key and query size before φ. */
  dKey: number;
  /** Key embedding size. */
  dEmb: number;
  /** Draws the initial weights and, in training, FAVOR+'s features. */
  rng: Rng;
  dtype?: DType;
  /** Seed of FAVOR+'s fixed evaluation features (default DEFAULT_FEATURE_SEED). */
  featureSeed?: number;
}

export class RetrievalModel extends Module {
  readonly spec: AttentionSpec;
  /** Canonical name, e.g. `dpfp-2`. */
  readonly name: string;
  /** Size of φ's output (dKey for softmax, which has no φ). */
  readonly dDot: number;
  readonly S: number;
  readonly dKey: number;
  readonly dEmb: number;
  readonly keyEmbedding: Embedding;
  readonly key: Linear;
  readonly value: Linear;
  readonly query: Linear;
  readonly beta: Linear | null;
  /** The generator given at construction: after the initial weights, FAVOR+ draws its training features from it (data-parallel steps reseed it per micro-batch, src/train/dataParallel.ts). */
  readonly rng: Rng;
  private readonly featureMap: FeatureMap | null;
  private readonly update: UpdateRule;

  constructor(options: RetrievalModelOptions) {
    super();
    const { S, dKey, dEmb, rng } = options;
    for (const [what, n] of [['S', S], ['dKey', dKey], ['dEmb', dEmb]] as const) {
      if (!Number.isInteger(n) || n < 1) throw new Error(`RetrievalModel: ${what} must be a positive integer, got ${n}`);
    }
    this.spec = typeof options.model === 'string' ? parseAttentionSpec(options.model) : options.model;
    this.name = this.spec.name;
    this.S = S;
    this.dKey = dKey;
    this.dEmb = dEmb;
    this.rng = rng;
    this.update = this.spec.update;
    this.featureMap = this.update === 'softmax' ? null : makeFeatureMap(this.spec, dKey, rng, options.featureSeed ?? DEFAULT_FEATURE_SEED, options.dtype);
    this.dDot = this.featureMap?.dDot ?? dKey;

    const init = { rng, ...(options.dtype ? { dtype: options.dtype } : {}) };
    const dIn = dEmb + S;
    // Unit-variance embeddings (PyTorch's default): the projections start with keys of order one.
    this.keyEmbedding = this.child('keyEmbedding', new Embedding(S, dEmb, { ...init, std: 1 }));
    this.key = this.child('key', new Linear(dIn, dKey, { ...init, bias: false }));
    this.value = this.child('value', new Linear(dIn, S, { ...init, bias: false }));
    this.query = this.child('query', new Linear(dEmb, dKey, { ...init, bias: false }));
    this.beta = this.update === 'delta' ? this.child('beta', new Linear(dIn, 1, { ...init, bias: true })) : null;
  }

  /** The retrieved value v̂ for every sequence of the batch, [B, S]. */
  forward(batch: RetrievalBatch): Tensor {
    const { batch: B, L, S } = batch;
    if (S !== this.S) throw new Error(`RetrievalModel: built for S = ${this.S}, got a batch with S = ${S}`);
    const x = this.inputs(batch); // [B, L, dEmb + S]
    const kRaw = this.key.forward(x); // [B, L, dKey]
    const qRaw = this.query.forward(this.keyEmbedding.forward(batch.query, [B, 1])); // [B, 1, dKey]

    if (this.update === 'softmax') {
      const scores = ops.mul(ops.matmul(kRaw, ops.transpose(qRaw)), 1 / Math.sqrt(this.dKey)); // [B, L, 1]
      return this.readWeighted(ops.softmax(scores, 1), x);
    }

    // A fresh FAVOR+ draw for this batch, shared by its keys and query; both go through φ' in one call, then apart again.
    this.featureMap!.beginForward?.(this.training);
    const features = sumNormalise(this.featureMap!.apply(ops.concat([kRaw, qRaw], 1), this.training)); // [B, L + 1, dDot]
    const k = ops.slice(features, 1, 0, L); // [B, L, dDot]
    const q = ops.slice(features, 1, L, L + 1); // [B, 1, dDot]

    if (this.update === 'sum') return this.readWeighted(ops.matmul(k, ops.transpose(q)), x);

    const d = this.dDot;
    const v = ops.reshape(this.value.forward(x), [B, 1, L, S]);
    const beta = ops.reshape(ops.sigmoid(this.beta!.forward(x)), [B, 1, L]);
    const k4 = ops.reshape(k, [B, 1, L, d]);
    // Only W_L is read; the scan's per-step outputs (queried with the keys themselves) go unused.
    const { finalState } = fastWeightDelta(k4, k4, v, beta); // [B, 1, S, dDot]
    const read = ops.matmul(finalState, ops.reshape(q, [B, 1, d, 1])); // [B, 1, S, 1]
    return ops.reshape(read, [B, S]);
  }

  /**
   * The fast weight matrix after every step of sequence `index` of the batch, for showing how the
   * layer writes (sum rule: W_t = W_{t−1} + v_t ⊗ φ'(k_t); delta rule: W_t = W_{t−1} +
   * β_t (v_t − W_{t−1} φ'(k_t)) ⊗ φ'(k_t), from W_0 = 0). forward() never builds these matrices
   * for the sum rule; this recomputes them from the same projections, in eval mode, without a graph.
   */
  fastWeightTrace(batch: RetrievalBatch, index = 0): FastWeightTrace {
    if (this.update === 'softmax') throw new Error('RetrievalModel.fastWeightTrace: softmax attention has no fast weights');
    if (!Number.isInteger(index) || index < 0 || index >= batch.batch) throw new Error(`RetrievalModel.fastWeightTrace: index ${index} is not a sequence of this batch (0..${batch.batch - 1})`);
    const { batch: B, L, S } = batch;
    const d = this.dDot;
    const rule = this.update;
    const projected = noGrad(() => {
      this.featureMap!.beginForward?.(false);
      const x = this.inputs(batch);
      const qRaw = this.query.forward(this.keyEmbedding.forward(batch.query, [B, 1]));
      const features = sumNormalise(this.featureMap!.apply(ops.concat([this.key.forward(x), qRaw], 1), false)); // [B, L + 1, d]
      const beta = this.beta === null ? null : ops.sigmoid(this.beta.forward(x)); // [B, L, 1]
      return { features: features.data, values: this.value.forward(x).data, beta: beta?.data ?? null };
    });
    const k = (t: number) => projected.features.subarray((index * (L + 1) + t) * d, (index * (L + 1) + t + 1) * d);
    const states: Float64Array[] = [];
    let W = new Float64Array(S * d);
    for (let t = 0; t < L; t++) {
      const key = k(t);
      const v = projected.values.subarray((index * L + t) * S, (index * L + t + 1) * S);
      const beta = projected.beta === null ? 1 : projected.beta[index * L + t]!;
      const next = W.slice();
      for (let i = 0; i < S; i++) {
        let retrieved = 0;
        if (rule === 'delta') for (let j = 0; j < d; j++) retrieved += W[i * d + j]! * key[j]!;
        const write = beta * (v[i]! - retrieved);
        for (let j = 0; j < d; j++) next[i * d + j] = next[i * d + j]! + write * key[j]!;
      }
      states.push(next);
      W = next;
    }
    return { states, query: Float64Array.from(k(L)), rule };
  }

  /** x_t = [e(key_t); onehot(value_t)], [B, L, dEmb + S]. */
  private inputs(batch: RetrievalBatch): Tensor {
    const { batch: B, L, S } = batch;
    const embedded = this.keyEmbedding.forward(batch.keys, [B, L]);
    const oneHot = zeros([B, L, S], { dtype: embedded.dtype });
    for (let i = 0; i < B * L; i++) oneHot.data[i * S + batch.values[i]!] = 1;
    return ops.concat([embedded, oneHot], -1);
  }

  /** v̂ = Σ_t a_t W_v x_t computed as W_v (Σ_t a_t x_t); weights [B, L, 1], x [B, L, dIn] → [B, S]. */
  private readWeighted(weights: Tensor, x: Tensor): Tensor {
    const mixed = ops.matmul(ops.transpose(weights), x); // [B, 1, dIn]
    return ops.reshape(this.value.forward(mixed), [x.shape[0]!, this.S]);
  }
}

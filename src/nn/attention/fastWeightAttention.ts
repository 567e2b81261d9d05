/**
 * Multi-head fast weight attention: linear attention (the sum rule) or the delta rule, with any
 * feature map φ. Per head and step (docs/architecture.md, "The attention family"):
 *   k, v, q = W_k x, W_v x, W_q x;  β = σ(w_β · x);  φ' = φ / Σφ (sum normalisation)
 *   sum rule:   W_t = W_{t−1} + v_t ⊗ φ'(k_t);                     y_t = W_t φ'(q_t)
 *   delta rule: W_t = W_{t−1} + β_t (v_t − W_{t−1} φ'(k_t)) ⊗ φ'(k_t);  y_t = W_t φ'(q_t)
 * The scans run in one autograd op each (src/ops/fastweight.ts → kernels).
 *
 * Non-causal form (encoders, cross-attention): the sum rule reads every query against the sum of
 * all writes, φ'(Q)(φ'(K)ᵀV); the delta rule writes the whole sequence, then reads with every query
 * from the final fast weights.
 */
import { Module } from '../module.js';
import { Linear, type InitOptions } from '../layers.js';
import { Tensor } from '../../tensor/tensor.js';
import { shapeToString } from '../../tensor/shape.js';
import * as ops from '../../ops/index.js';
import { fastWeightDelta, fastWeightSum } from '../../ops/fastweight.js';
import { sumNormalise, type FeatureMap } from './featureMaps.js';
import { mergeHeads, splitHeads } from './heads.js';
import type { AttentionInput, AttentionLayer, AttentionOutput, AttentionState } from './types.js';

export interface FastWeightAttentionOptions extends InitOptions {
  dModel: number;
  heads: number;
  /** Key (and query) size per head before φ. */
  dHead: number;
  /** Value size per head (default dHead). */
  dValue?: number;
  /** Feature map from dHead to d_dot. */
  featureMap: FeatureMap;
  update: 'sum' | 'delta';
  causal: boolean;
  /** Divide φ by its sum (the paper's Eq. 29). Default true. */
  sumNormalise?: boolean;
  /** ε of that division, φ / (Σφ + ε): default 10⁻⁶; 0 divides by the sum alone. */
  phiEps?: number;
  /** Sum rule only: divide by z_t · φ(q_t) (the Linear Transformer's normaliser). Default false. */
  attentionNormalise?: boolean;
  /** Multiply y by 1/√dHead as the official LM code does. Default false. */
  scaleOutput?: boolean;
}

export class FastWeightAttention extends Module implements AttentionLayer {
  readonly causal: boolean;
  readonly query: Linear;
  readonly keyValue: Linear;
  readonly beta: Linear | null;
  readonly out: Linear;
  private readonly heads: number;
  private readonly dHead: number;
  private readonly dValue: number;

  constructor(readonly options: FastWeightAttentionOptions) {
    super();
    const { dModel, heads, dHead } = options;
    if (!(heads >= 1 && dHead >= 1 && dModel >= 1)) throw new Error(`FastWeightAttention: dModel, heads and dHead must be ≥ 1 (got ${dModel}, ${heads}, ${dHead})`);
    if (options.update === 'delta' && options.attentionNormalise) throw new Error('FastWeightAttention: attention normalisation applies to the sum rule only');
    this.causal = options.causal;
    this.heads = heads;
    this.dHead = dHead;
    this.dValue = options.dValue ?? dHead;
    // No biases on the projections, as in the official code.
    this.query = this.child('query', new Linear(dModel, heads * dHead, { ...options, bias: false }));
    this.keyValue = this.child('keyValue', new Linear(dModel, heads * (dHead + this.dValue), { ...options, bias: false }));
    this.beta = options.update === 'delta' ? this.child('beta', new Linear(dModel, heads, { ...options, bias: true })) : null;
    this.out = this.child('out', new Linear(heads * this.dValue, dModel, { ...options, bias: false }));
  }

  /** x [B, T, D] → { output [B, T, D], state (causal) } */
  forward(x: Tensor, input: AttentionInput = {}): AttentionOutput {
    const source = input.memory ?? x;
    if (x.rank !== 3 || source.rank !== 3 || x.shape[0] !== source.shape[0]) {
      throw new Error(`FastWeightAttention: x must be [B, T, D] and memory [B, S, D]; got ${shapeToString(x.shape)}${input.memory ? ` and ${shapeToString(input.memory.shape)}` : ''}`);
    }
    if (this.causal && input.memory) throw new Error('FastWeightAttention: a causal layer cannot take memory (use a non-causal layer for cross-attention)');
    const { heads, dHead, dValue } = this;
    this.options.featureMap.beginForward?.(this.training); // one FAVOR+ draw shared by q and k
    const phi = (t: Tensor): Tensor => {
      const map = this.options.featureMap;
      if (this.options.sumNormalise === false) return map.apply(t, this.training);
      // Normalisation cancels a positive factor per row, which lets the map keep large inputs in
      // range (DPFP of 1e30 is 1e60, Infinity in float32; FAVOR+ of a key of norm 20 underflows to 0).
      return sumNormalise(map.applyUpToRowScale ? map.applyUpToRowScale(t, this.training) : map.apply(t, this.training), this.options.phiEps);
    };
    const q = phi(splitHeads(this.query.forward(x), heads)); // [B, H, T, dDot]
    const [kRaw, v] = ops.split(this.keyValue.forward(source), [heads * dHead, heads * dValue], -1);
    let k = phi(splitHeads(kRaw!, heads)); // [B, H, S, dDot]
    const vh = splitHeads(v!, heads); // [B, H, S, dv]
    if (input.keyMask) k = ops.mul(k, maskForHeads(input.keyMask, source)); // padding writes nothing
    const beta = this.beta ? ops.permute(ops.sigmoid(this.beta.forward(source)), [0, 2, 1]) : null; // [B, H, S]

    let y: Tensor;
    let state: AttentionState | undefined;
    if (this.causal) {
      const prev = input.state;
      if (prev && prev.kind !== 'fast-weights') throw new Error('FastWeightAttention: expected a fast-weights state');
      const result =
        beta === null
          ? fastWeightSum(q, k, vh, {
              normalise: this.options.attentionNormalise ?? false,
              ...(prev ? { initialState: prev.W } : {}),
              ...(prev?.z ? { initialZ: prev.z } : {}),
            })
          : fastWeightDelta(q, k, vh, beta, prev ? { initialState: prev.W } : {});
      y = result.output;
      state = { kind: 'fast-weights', W: result.finalState.detach(), ...(result.finalZ ? { z: result.finalZ.detach() } : {}) };
    } else if (beta === null) {
      // φ'(Q) (φ'(K)ᵀ V): every query reads the sum of all writes.
      const kv = ops.matmul(ops.transpose(k), vh); // [B, H, dDot, dv]
      y = ops.matmul(q, kv);
      if (this.options.attentionNormalise) {
        const z = ops.sum(k, 2, true); // [B, H, 1, dDot]
        y = ops.div(y, ops.add(ops.sum(ops.mul(q, z), -1, true), 1e-6));
      }
    } else {
      // Write the whole sequence with the delta rule, then read every query from the final W.
      const { finalState } = fastWeightDelta(k, k, vh, beta); // W_T [B, H, dv, dDot]
      y = ops.matmul(q, ops.transpose(finalState));
    }
    if (this.options.scaleOutput) y = ops.mul(y, 1 / Math.sqrt(dHead));
    return { output: this.out.forward(mergeHeads(y)), ...(state ? { state } : {}) };
  }
}

/** keyMask [B, S] → [B, 1, S, 1] in the dtype of the source, checking its shape. */
export function maskForHeads(keyMask: Tensor, source: Tensor): Tensor {
  const [B, S] = source.shape as [number, number];
  if (keyMask.rank !== 2 || keyMask.shape[0] !== B || keyMask.shape[1] !== S) {
    throw new Error(`attention: keyMask must have shape [${B}, ${S}], got ${shapeToString(keyMask.shape)}`);
  }
  const m = keyMask.dtype === source.dtype ? keyMask : keyMask.to(source.dtype);
  return ops.reshape(m, [B, 1, S, 1]);
}

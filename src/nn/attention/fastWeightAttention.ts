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
import { checkpointBlocks, type KnownBlock } from '../../ops/checkpoint.js';
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
  /**
   * Causal layers: a sequence longer than this runs in blocks of this many steps, the fast weights
   * carried from block to block, and each block's φ, heads and scan run again in backward instead of
   * their activations kept (src/ops/checkpoint.ts); the projections q, kv and the output are kept, so
   * no product is computed twice, and a block's backward does its share of the projections' backward
   * (gradients of x's rows, weight gradients summed block by block). Memory, in A = one [B, T, d_model]
   * float32 array (128 MiB at T = 64k, d_model 512, B = 1) with H·dk = H·dv = d_model: kept from
   * forward to backward q (1 A), kv (2 A) and the output (1 A), plus the fast weights before each
   * block; in backward x's gradient (1 A) and one block's activations and gradients (about
   * 27 A · blockSize / T); the caller's x and the output's gradient besides. About 6 A and a block
   * for the layer, against ~27 A over the whole sequence (docs/kernels.md, "Long sequences"). Same
   * values to float rounding. Not with a feature map that draws random features (FAVOR+). Default:
   * no blocks.
   */
  blockSize?: number;
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
    const { dModel, heads, dHead, blockSize } = options;
    if (!(heads >= 1 && dHead >= 1 && dModel >= 1)) throw new Error(`FastWeightAttention: dModel, heads and dHead must be ≥ 1 (got ${dModel}, ${heads}, ${dHead})`);
    if (options.update === 'delta' && options.attentionNormalise) throw new Error('FastWeightAttention: attention normalisation applies to the sum rule only');
    if (blockSize !== undefined) {
      if (!(Number.isInteger(blockSize) && blockSize >= 1)) throw new Error(`FastWeightAttention: blockSize must be an integer ≥ 1, got ${blockSize}`);
      if (!options.causal) throw new Error('FastWeightAttention: blockSize applies to causal layers only');
      // A block run again in backward must see the features its forward saw.
      if (options.featureMap.beginForward) throw new Error(`FastWeightAttention: blockSize needs a fixed feature map; '${options.featureMap.name}' draws new features at every forward`);
    }
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
    this.options.featureMap.beginForward?.(this.training); // one FAVOR+ draw shared by q and k
    const masks = input.keyMask ? [maskRows(input.keyMask, source)] : []; // [B, S]

    if (this.causal) {
      const prev = input.state;
      if (prev && prev.kind !== 'fast-weights') throw new Error('FastWeightAttention: expected a fast-weights state');
      const states = prev ? [prev.W, ...(prev.z ? [prev.z] : [])] : [];
      const block = this.options.blockSize;
      const r = block !== undefined && x.shape[1]! > block ? checkpointBlocks((xs, ss, known) => this.causalStep(xs, ss, known), [x, ...masks], states, block, this.parameters()) : this.causalStep([x, ...masks], states);
      const [W, z] = r.states as [Tensor, Tensor?];
      const state: AttentionState = { kind: 'fast-weights', W: W.detach(), ...(z ? { z: z.detach() } : {}) };
      return { output: r.output, state };
    }
    const gate = this.beta ? ops.sigmoid(this.beta.forward(source)) : null; // β [B, S, H]
    const [q, k, vh] = this.headsOf(this.query.forward(x), this.keyValue.forward(source), masks[0]);
    let y: Tensor;
    if (gate === null) {
      // φ'(Q) (φ'(K)ᵀ V): every query reads the sum of all writes.
      const kvSum = ops.matmul(ops.transpose(k), vh); // [B, H, dDot, dv]
      y = ops.matmul(q, kvSum);
      if (this.options.attentionNormalise) {
        const z = ops.sum(k, 2, true); // [B, H, 1, dDot]
        y = ops.div(y, ops.add(ops.sum(ops.mul(q, z), -1, true), 1e-6));
      }
    } else {
      // Write the whole sequence with the delta rule, then read every query from the final W.
      const { finalState } = fastWeightDelta(k, k, vh, ops.permute(gate, [0, 2, 1])); // W_T [B, H, dv, dDot]
      y = ops.matmul(q, ops.transpose(finalState));
    }
    return { output: this.out.forward(this.merged(y)) };
  }

  /**
   * The causal layer over x [B, T, D] (and its keyMask [B, T]): the projections, φ, the heads, the
   * scan from `states` ([W] or [W, z], or none: zeros), the output projection. Returns the output
   * [B, T, D], the states after the last step, [W, z?] (on the graph), and the projections q
   * [B, T, H·dk] and kv [B, T, H·(dk + dv)] to keep for a block's run in backward. `known` (that
   * run): the block's output and those projections, taken as the products' values (ops.matmul's
   * `known`; none of these projections has a bias), so that the run computes again only β's
   * projection (H columns), φ, the heads and the scan.
   */
  private causalStep([x, mask]: Tensor[], states: Tensor[], known?: KnownBlock): { output: Tensor; states: Tensor[]; keep: Tensor[] } {
    const qx = this.query.forward(x!, known?.kept[0]), kv = this.keyValue.forward(x!, known?.kept[1]);
    const [q, k, vh] = this.headsOf(qx, kv, mask);
    const [W, z] = states;
    const r = this.beta
      ? fastWeightDelta(q, k, vh, ops.permute(ops.sigmoid(this.beta.forward(x!)), [0, 2, 1]), W ? { initialState: W } : {})
      : fastWeightSum(q, k, vh, { normalise: this.options.attentionNormalise ?? false, ...(W ? { initialState: W } : {}), ...(z ? { initialZ: z } : {}) });
    return { output: this.out.forward(this.merged(r.output), known?.output), states: [r.finalState, ...(r.finalZ ? [r.finalZ] : [])], keep: [qx, kv] };
  }

  /** The projections q [B, T, H·dk], kv [B, S, H·(dk + dv)] and mask [B, S] → φ'(q) [B, H, T, dDot], φ'(k) [B, H, S, dDot] (padding writes nothing), v [B, H, S, dv]. */
  private headsOf(qx: Tensor, kv: Tensor, mask: Tensor | undefined): [Tensor, Tensor, Tensor] {
    const { heads, dHead, dValue } = this;
    const [kRaw, v] = ops.split(kv, [heads * dHead, heads * dValue], -1);
    let k = this.phi(splitHeads(kRaw!, heads));
    if (mask) k = ops.mul(k, ops.reshape(mask, [mask.shape[0]!, 1, mask.shape[1]!, 1]));
    return [this.phi(splitHeads(qx, heads)), k, splitHeads(v!, heads)];
  }

  /** φ' of the heads [B, H, T, dHead] → [B, H, T, dDot]. */
  private phi(t: Tensor): Tensor {
    const map = this.options.featureMap;
    if (this.options.sumNormalise === false) return map.apply(t, this.training);
    // Normalisation cancels a positive factor per row, which lets the map keep large inputs in
    // range (DPFP of 1e30 is 1e60, Infinity in float32; FAVOR+ of a key of norm 20 underflows to 0).
    return sumNormalise(map.applyUpToRowScale ? map.applyUpToRowScale(t, this.training) : map.apply(t, this.training), this.options.phiEps);
  }

  /** y [B, H, T, dv] (scaled by 1/√dHead when asked) → [B, T, H·dv]. */
  private merged(y: Tensor): Tensor {
    return mergeHeads(this.options.scaleOutput ? ops.mul(y, 1 / Math.sqrt(this.dHead)) : y);
  }
}

/** keyMask [B, S], checked against the source and in its dtype. */
function maskRows(keyMask: Tensor, source: Tensor): Tensor {
  const [B, S] = source.shape as [number, number];
  if (keyMask.rank !== 2 || keyMask.shape[0] !== B || keyMask.shape[1] !== S) {
    throw new Error(`attention: keyMask must have shape [${B}, ${S}], got ${shapeToString(keyMask.shape)}`);
  }
  return keyMask.dtype === source.dtype ? keyMask : keyMask.to(source.dtype);
}

/** keyMask [B, S] → [B, 1, S, 1] in the dtype of the source, checking its shape. */
export function maskForHeads(keyMask: Tensor, source: Tensor): Tensor {
  const [B, S] = source.shape as [number, number];
  return ops.reshape(maskRows(keyMask, source), [B, 1, S, 1]);
}

/**
 * Multi-head softmax attention, the Transformer baseline: y_t = Σ_j softmax_j(q_t·k_j/√dk) v_j,
 * over j ≤ t when causal. With a key/value cache it extends one segment or token at a time.
 */
import { Module } from '../module.js';
import { Linear, type InitOptions } from '../layers.js';
import { Tensor, allocate } from '../../tensor/tensor.js';
import { shapeToString } from '../../tensor/shape.js';
import * as ops from '../../ops/index.js';
import { mergeHeads, splitHeads } from './heads.js';
import { castTo, maskedAttentionProduct } from '../../ops/index.js';
import { hasNonFinite, maxAbs } from './robust.js';

/** Above this bound on |q|·|k|·dHead, float32 scores could overflow (float32's largest is 3.4e38). */
const FLOAT32_SAFE_PRODUCT = 1e36;
import type { AttentionInput, AttentionLayer, AttentionOutput, AttentionState } from './types.js';

export interface SoftmaxAttentionOptions extends InitOptions {
  dModel: number;
  heads: number;
  dHead: number;
  dValue?: number;
  causal: boolean;
}

export class SoftmaxAttention extends Module implements AttentionLayer {
  readonly causal: boolean;
  readonly query: Linear;
  readonly keyValue: Linear;
  readonly out: Linear;
  private readonly heads: number;
  private readonly dHead: number;
  private readonly dValue: number;

  constructor(options: SoftmaxAttentionOptions) {
    super();
    this.causal = options.causal;
    this.heads = options.heads;
    this.dHead = options.dHead;
    this.dValue = options.dValue ?? options.dHead;
    this.query = this.child('query', new Linear(options.dModel, options.heads * options.dHead, { ...options, bias: false }));
    this.keyValue = this.child('keyValue', new Linear(options.dModel, options.heads * (options.dHead + this.dValue), { ...options, bias: false }));
    this.out = this.child('out', new Linear(options.heads * this.dValue, options.dModel, { ...options, bias: false }));
  }

  /** x [B, T, D] → { output [B, T, D], state (causal: the key/value cache) } */
  forward(x: Tensor, input: AttentionInput = {}): AttentionOutput {
    const source = input.memory ?? x;
    if (x.rank !== 3 || source.rank !== 3 || x.shape[0] !== source.shape[0]) {
      throw new Error(`SoftmaxAttention: x must be [B, T, D] and memory [B, S, D]; got ${shapeToString(x.shape)}${input.memory ? ` and ${shapeToString(input.memory.shape)}` : ''}`);
    }
    if (this.causal && input.memory) throw new Error('SoftmaxAttention: a causal layer cannot take memory');
    const q = splitHeads(this.query.forward(x), this.heads); // [B, H, T, dk]
    const [kRaw, vRaw] = ops.split(this.keyValue.forward(source), [this.heads * this.dHead, this.heads * this.dValue], -1);
    let k = splitHeads(kRaw!, this.heads);
    let v = splitHeads(vRaw!, this.heads);
    const prev = input.state;
    if (prev) {
      if (prev.kind !== 'kv-cache') throw new Error('SoftmaxAttention: expected a kv-cache state');
      k = ops.concat([prev.keys, k], 2);
      v = ops.concat([prev.values, v], 2);
    }
    const [B, , T] = q.shape as [number, number, number];
    const S = k.shape[2]!;
    // Scores in float64 when float32 products of large queries and keys would overflow (1e30 inputs).
    const wide = x.dtype === 'float32' && maxAbs(q.data) * maxAbs(k.data) * this.dHead > FLOAT32_SAFE_PRODUCT;
    const blocked = blockedPositions(B, T, S, this.causal, input.keyMask, wide ? 'float64' : x.dtype);
    const scale = 1 / Math.sqrt(this.dHead);
    let y: Tensor; // [B, H, T, dv]
    if (!wide && !(blocked && hasNonFinite(v.data))) {
      y = ops.attention(q, k, v, blocked, scale); // the fused op (src/ops/attention.ts)
    } else {
      // The same steps op by op, for the rare inputs the fused op does not take.
      let scores = ops.mul(ops.matmul(wide ? castTo(q, 'float64') : q, ops.transpose(wide ? castTo(k, 'float64') : k)), scale); // [B, H, T, S]
      // The mask is applied by selection before softmax, so a NaN score of a blocked key never reaches it.
      if (blocked) scores = ops.maskedFill(scores, blocked, -1e9);
      const probabilities = wide ? castTo(ops.softmax(scores, -1), x.dtype) : ops.softmax(scores, -1);
      // A blocked weight is exactly 0, but 0 · NaN = NaN: with a non-finite value anywhere, only the
      // open keys are multiplied, so a NaN in the future cannot reach the past.
      y = blocked && hasNonFinite(v.data) ? maskedAttentionProduct(probabilities, v, blocked) : ops.matmul(probabilities, v);
    }
    const state: AttentionState | undefined = this.causal ? { kind: 'kv-cache', keys: k.detach(), values: v.detach() } : undefined;
    return { output: this.out.forward(mergeHeads(y)), ...(state ? { state } : {}) };
  }
}

/**
 * 1 where query t may not see key s: the future (causal; the last T of S keys are the new ones)
 * and padding (keyMask 0). Shape [B, 1, T, S]; null when nothing is blocked.
 */
function blockedPositions(B: number, T: number, S: number, causal: boolean, keyMask: Tensor | undefined, dtype: Tensor['dtype']): Tensor | null {
  if (!causal && !keyMask) return null;
  if (keyMask && (keyMask.rank !== 2 || keyMask.shape[0] !== B || keyMask.shape[1] !== S)) {
    throw new Error(`attention: keyMask must have shape [${B}, ${S}], got ${shapeToString(keyMask.shape)}`);
  }
  const data = allocate(dtype, B * T * S);
  const offset = S - T; // keys before the current segment (cache)
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let s = 0; s < S; s++) {
        const future = causal && s > t + offset;
        const padded = keyMask !== undefined && keyMask.data[b * S + s] === 0;
        data[(b * T + t) * S + s] = future || padded ? 1 : 0;
      }
  return new Tensor(data, [B, 1, T, S]);
}

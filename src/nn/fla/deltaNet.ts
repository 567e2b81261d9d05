/**
 * fla's DeltaNet layer (its `fla/layers/delta_net.py`, read for every detail; docs/pretrained.md):
 *   q, k, v = q_proj x, k_proj x, v_proj x                     [B, T, key/value dim]
 *   with short convolutions: q, k = conv(q), conv(k), SiLU inside the convolution when the q/k
 *     activation is silu; v = SiLU(conv(v)) always. Without: q, k = SiLU(q), SiLU(k) when silu; v = SiLU(v).
 *   per head: q, k = relu | elu + 1 | identity (the activations other than silu, after the convolution)
 *   qk_norm "sum": q, k divided by their sums (no eps, as fla); "l2": x / √(Σx² + 1e-6), as fla's kernels
 *   q scaled by d_k^−1/2 (fla's kernels' default scale)
 *   β = σ(b_proj x) per head (1 without use_beta), × 2 with allow_neg_eigval
 *   delta rule: W_t = W_{t−1} + β_t (v_t − W_{t−1} k_t) ⊗ k_t,  o_t = W_t q_t   (src/ops/fastweight.ts)
 *   o = RMSNorm(o) per head, or RMSNorm(o) ⊙ SiLU(g_proj x) with use_gate;  out = o_proj o.
 * Shapes: x [B, T, hidden]; the state is the fast weights W [B, H, d_v, d_k] and the three
 * convolution caches [B, conv_size − 1, dim]: constant in the length of the text.
 */
import { Module } from '../module.js';
import { Tensor, ones } from '../../tensor/tensor.js';
import { shapeToString } from '../../tensor/shape.js';
import * as ops from '../../ops/index.js';
import { l2Normalise } from '../../ops/norms.js';
import { fastWeightDelta } from '../../ops/fastweight.js';
import { splitHeads } from '../attention/heads.js';
import type { DeltaNetConfig } from './config.js';
import { RMSNorm, ShortConvolution, TorchLinear, forwardStacked, keepsCompact, stackedLinears, type FlaInit } from './layers.js';
import type { CompactMatrix } from '../../../kernels/index.js';

/** What one DeltaNet layer carries from one call to the next. */
export interface DeltaNetLayerState {
  /** Fast weights, [B, H, d_v, d_k]. */
  W: Tensor;
  /** Inputs of the last conv_size − 1 steps of q, k, v, each [B, conv_size − 1, dim] (null without short convolutions). */
  conv: { q: Tensor; k: Tensor; v: Tensor } | null;
}

/** fla's `l2norm` eps. */
const L2_NORM_EPS = 1e-6;

export class DeltaNetAttention extends Module {
  readonly qProj: TorchLinear;
  readonly kProj: TorchLinear;
  readonly vProj: TorchLinear;
  readonly bProj: TorchLinear | null;
  readonly qConv: ShortConvolution | null;
  readonly kConv: ShortConvolution | null;
  readonly vConv: ShortConvolution | null;
  readonly gProj: TorchLinear | null;
  readonly oNorm: RMSNorm;
  readonly oProj: TorchLinear;
  /** q, k, v, b (with use_beta) and g (with use_gate) projections, in that order. */
  readonly inputProjections: readonly TorchLinear[];
  /** Their weights as one compact matrix [Σ outputs, hidden] when kept compact (stackedLinears), else null. */
  readonly stackedInputProjections: CompactMatrix | null;

  constructor(readonly config: DeltaNetConfig, init: FlaInit) {
    super();
    const { hiddenSize, keyDim, valueDim, numHeads } = config;
    // Registration order follows fla's module, so the state dict lists names as PyTorch does.
    // Every map of the block's input, [q; k; v; b; g], stacked into one matrix when kept compact;
    // otherwise g is drawn after the convolutions, in fla's order.
    const compact = keepsCompact(init);
    const outs = [keyDim, keyDim, valueDim, ...(config.useBeta ? [numHeads] : []), ...(config.useGate && compact ? [valueDim] : [])];
    const { linears, stacked } = stackedLinears(hiddenSize, outs, init);
    this.stackedInputProjections = stacked;
    const [q, k, v] = linears as [TorchLinear, TorchLinear, TorchLinear];
    this.qProj = this.child('q_proj', q);
    this.kProj = this.child('k_proj', k);
    this.vProj = this.child('v_proj', v);
    this.bProj = config.useBeta ? this.child('b_proj', linears[3]!) : null;
    const qkSilu = config.qkActivation === 'silu';
    this.qConv = config.useShortConv ? this.child('q_conv1d', new ShortConvolution(keyDim, config.convSize, qkSilu, init)) : null;
    this.kConv = config.useShortConv ? this.child('k_conv1d', new ShortConvolution(keyDim, config.convSize, qkSilu, init)) : null;
    this.vConv = config.useShortConv ? this.child('v_conv1d', new ShortConvolution(valueDim, config.convSize, true, init)) : null;
    this.gProj = config.useGate ? this.child('g_proj', compact ? linears[linears.length - 1]! : new TorchLinear(hiddenSize, valueDim, init)) : null;
    this.inputProjections = this.gProj && !compact ? [...linears, this.gProj] : linears;
    this.oNorm = this.child('o_norm', new RMSNorm(config.headVDim, config.normEps, init.dtype));
    this.oProj = this.child('o_proj', new TorchLinear(valueDim, hiddenSize, init));
  }

  /** x [B, T, hidden] → output [B, T, hidden] and the state after x. */
  forward(x: Tensor, state?: DeltaNetLayerState): { output: Tensor; state: DeltaNetLayerState } {
    const { config } = this;
    if (x.rank !== 3 || x.shape[2] !== config.hiddenSize) throw new Error(`DeltaNetAttention: x must be [B, T, ${config.hiddenSize}], got ${shapeToString(x.shape)}`);
    const [B, T] = x.shape as [number, number];
    const projected = forwardStacked(x, this.inputProjections, this.stackedInputProjections);
    let [q, k, v] = projected as [Tensor, Tensor, Tensor];
    let conv: DeltaNetLayerState['conv'] = null;
    if (this.qConv && this.kConv && this.vConv) {
      const cq = this.qConv.forward(q, state?.conv?.q ?? null);
      const ck = this.kConv.forward(k, state?.conv?.k ?? null);
      const cv = this.vConv.forward(v, state?.conv?.v ?? null);
      [q, k, v] = [cq.output, ck.output, cv.output];
      conv = { q: cq.cache, k: ck.cache, v: cv.cache };
    } else {
      if (config.qkActivation === 'silu') [q, k] = [ops.silu(q), ops.silu(k)];
      v = ops.silu(v);
    }
    let qh = splitHeads(q, config.numHeads); // [B, H, T, d_k]
    let kh = splitHeads(k, config.numHeads);
    const vh = splitHeads(v, config.numHeads); // [B, H, T, d_v]
    if (config.qkActivation === 'relu') [qh, kh] = [ops.relu(qh), ops.relu(kh)];
    else if (config.qkActivation === 'elu') [qh, kh] = [ops.eluPlusOne(qh), ops.eluPlusOne(kh)];
    if (config.qkNorm === 'sum') [qh, kh] = [sumNormalised(qh, config, 'q'), sumNormalised(kh, config, 'k')];
    else [qh, kh] = [l2Normalise(qh, L2_NORM_EPS), l2Normalise(kh, L2_NORM_EPS)];
    qh = ops.mul(qh, 1 / Math.sqrt(config.headKDim));

    let beta: Tensor = this.bProj
      ? ops.permute(ops.sigmoid(projected[3]!), [0, 2, 1]) // [B, H, T]
      : ones([B, config.numHeads, T], { dtype: x.dtype });
    if (config.allowNegEigval) beta = ops.mul(beta, 2);

    const { output, finalState } = fastWeightDelta(qh, kh, vh, beta, state ? { initialState: state.W } : {});
    let o = ops.permute(output, [0, 2, 1, 3]); // [B, T, H, d_v]
    if (this.gProj) {
      const g = ops.reshape(projected[projected.length - 1]!, [B, T, config.numHeads, config.headVDim]);
      o = this.oNorm.forwardGated(o, g);
    } else {
      o = this.oNorm.forward(o);
    }
    const merged = ops.reshape(o, [B, T, config.valueDim]);
    // finalState is a view of one block with the whole output [B, H, T, d_v]: carried on as it is, it
    // would keep a long prompt's output alive with the state, so it is copied out when that is larger.
    const W = output.size > finalState.size ? finalState.clone() : finalState.detach();
    return { output: this.oProj.forward(merged), state: { W, conv } };
  }
}

/** x / Σx per head and step, without eps as fla; a zero sum (where fla gives NaN) is an error saying why. */
function sumNormalised(x: Tensor, config: DeltaNetConfig, what: 'q' | 'k'): Tensor {
  try {
    return ops.sumNormaliseLastAxis(x, 0);
  } catch {
    throw new Error(`DeltaNetAttention: qk_norm "sum" divides ${what} by its sum, and one head's ${what} sums to 0 after qk_activation "${config.qkActivation}" (fla gives NaN there)`);
  }
}

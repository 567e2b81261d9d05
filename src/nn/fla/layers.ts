/**
 * The small layers of fla's DeltaNet, with the parameter names and shapes of its PyTorch modules so a
 * state dict loads as it is (docs/pretrained.md): TorchLinear (weight [out, in], no bias), RMSNorm,
 * ShortConvolution (weight [D, 1, W]) and GatedMLP. Initialisation as fla's: normal(0, initializer
 * range) for projections and convolutions, ones for norm weights.
 */
import { Module } from '../module.js';
import { Tensor, ones, randn, zeros, type DType } from '../../tensor/tensor.js';
import type { Rng } from '../../tensor/rng.js';
import * as ops from '../../ops/index.js';
import { rmsNorm } from '../../ops/norms.js';
import { linearOutIn } from '../../ops/projection.js';
import { causalConv1d, causalConv1dCache } from '../../ops/shortConv.js';
import { residentWeight } from '../../../kernels/index.js';

export interface FlaInit {
  rng: Rng;
  /** Standard deviation of the normal initialisation (fla's initializer_range, 0.02). */
  std: number;
  dtype?: DType;
  /** Zeros instead of random draws: for a model whose weights are about to be loaded. */
  empty?: boolean;
  /**
   * With `empty` and float32: matrices placed in WebAssembly memory (kernels/matmul/resident.ts), where
   * the kernels read them without a copy and one-token steps take the matrix-vector kernel.
   */
  resident?: boolean;
}

/** A weight drawn from normal(0, std), or zeros when `empty` (resident ones when asked). */
function initialWeight(shape: number[], init: FlaInit): Tensor {
  const dtype = init.dtype ?? 'float32';
  if (init.empty && init.resident && dtype === 'float32' && shape.length === 2) return new Tensor(residentWeight(shape[0]! * shape[1]!), shape);
  return init.empty ? zeros(shape, { dtype }) : randn(shape, init.rng, { dtype, std: init.std });
}

/** y = x Wᵀ, W [out, in] as PyTorch's nn.Linear(bias=False). x [..., in] → [..., out]. */
export class TorchLinear extends Module {
  readonly weight: Tensor;

  constructor(readonly inFeatures: number, readonly outFeatures: number, init: FlaInit) {
    super();
    this.weight = this.param('weight', initialWeight([outFeatures, inFeatures], init));
  }

  forward(x: Tensor): Tensor {
    return linearOutIn(x, this.weight);
  }
}

/**
 * Token ids → rows of weight [vocab, dim], as PyTorch's nn.Embedding: the row of `paddingId` (fla
 * passes pad_token_id) gets no gradient. ids [...shape] → [...shape, dim].
 */
export class TorchEmbedding extends Module {
  readonly weight: Tensor;

  constructor(readonly vocabSize: number, readonly dim: number, init: FlaInit, readonly paddingId: number | null = null) {
    super();
    this.weight = this.param('weight', initialWeight([vocabSize, dim], init));
  }

  forward(ids: ArrayLike<number>, shape: readonly number[]): Tensor {
    return ops.embedding(this.weight, ids, shape, this.paddingId);
  }
}

/** x / √(mean(x²) + eps) ⊙ weight over the last axis. [..., dim] → [..., dim]. */
export class RMSNorm extends Module {
  readonly weight: Tensor;

  constructor(readonly dim: number, readonly eps: number, dtype: DType = 'float32') {
    super();
    this.weight = this.param('weight', ones([dim], { dtype }));
  }

  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }

  /** fla's FusedRMSNormGated with swish: rmsNorm(x) ⊙ weight ⊙ g σ(g). x, g [..., dim]. */
  forwardGated(x: Tensor, g: Tensor): Tensor {
    return ops.mul(rmsNorm(x, this.weight, this.eps), ops.silu(g));
  }
}

/**
 * fla's ShortConvolution: a causal depthwise convolution of kernel size W over time, then SiLU when
 * `silu`. weight [D, 1, W] (PyTorch's Conv1d layout); x [B, T, D]; cache [B, W − 1, D] (the inputs
 * before x). Returns the output and the cache after x.
 */
export class ShortConvolution extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly dim: number, readonly kernelSize: number, readonly silu: boolean, init: FlaInit & { bias?: boolean }) {
    super();
    const dtype = init.dtype ?? 'float32';
    this.weight = this.param('weight', initialWeight([dim, 1, kernelSize], init));
    this.bias = init.bias ? this.param('bias', zeros([dim], { dtype })) : null;
  }

  forward(x: Tensor, cache: Tensor | null): { output: Tensor; cache: Tensor } {
    const y = causalConv1d(x, ops.reshape(this.weight, [this.dim, this.kernelSize]), this.bias, cache);
    return { output: this.silu ? ops.silu(y) : y, cache: causalConv1dCache(x, cache, this.kernelSize) };
  }
}

/** fla's GatedMLP with swish: down(silu(gate(x)) ⊙ up(x)). [..., hidden] → [..., hidden]. */
export class GatedMLP extends Module {
  readonly gate: TorchLinear;
  readonly up: TorchLinear;
  readonly down: TorchLinear;

  constructor(readonly hiddenSize: number, readonly intermediateSize: number, init: FlaInit) {
    super();
    this.gate = this.child('gate_proj', new TorchLinear(hiddenSize, intermediateSize, init));
    this.up = this.child('up_proj', new TorchLinear(hiddenSize, intermediateSize, init));
    this.down = this.child('down_proj', new TorchLinear(intermediateSize, hiddenSize, init));
  }

  forward(x: Tensor): Tensor {
    return this.down.forward(ops.mul(ops.silu(this.gate.forward(x)), this.up.forward(x)));
  }
}

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
import { linearCompact, embeddingCompact } from '../../ops/compact.js';
import { CompactMatrix, type CompactDType } from '../../../kernels/index.js';

export interface FlaInit {
  rng: Rng;
  /** Standard deviation of the normal initialisation (fla's initializer_range, 0.02). */
  std: number;
  dtype?: DType;
  /** Zeros instead of random draws: for a model whose weights are about to be loaded. */
  empty?: boolean;
  /**
   * With `empty` and float32, for inference: the matrices (projections, embeddings, output head) kept
   * in this format in WebAssembly memory (kernels/matmul/resident.ts), where the kernels read them in
   * place and one-token steps take the matrix-vector kernel. Not parameters: no gradients.
   */
  compact?: CompactDType;
}

/** A weight drawn from normal(0, std), or zeros when `empty`. */
function initialWeight(shape: number[], init: FlaInit): Tensor {
  const dtype = init.dtype ?? 'float32';
  return init.empty ? zeros(shape, { dtype }) : randn(shape, init.rng, { dtype, std: init.std });
}

/** A matrix [rows, cols]: compact when the init asks for it (FlaInit.compact), else initialWeight's. */
function initialMatrix(rows: number, cols: number, init: FlaInit): Tensor | CompactMatrix {
  if (init.empty && init.compact && (init.dtype ?? 'float32') === 'float32') return new CompactMatrix(rows, cols, init.compact);
  return initialWeight([rows, cols], init);
}

/** y = x Wᵀ, W [out, in] as PyTorch's nn.Linear(bias=False). x [..., in] → [..., out]. */
export class TorchLinear extends Module {
  /** [out, in]: a parameter, or kept compact for inference (FlaInit.compact). */
  readonly weight: Tensor | CompactMatrix;

  constructor(readonly inFeatures: number, readonly outFeatures: number, init: FlaInit) {
    super();
    const w = initialMatrix(outFeatures, inFeatures, init);
    this.weight = w instanceof Tensor ? this.param('weight', w) : this.compactWeight('weight', w);
  }

  forward(x: Tensor): Tensor {
    return this.weight instanceof Tensor ? linearOutIn(x, this.weight) : linearCompact(x, this.weight);
  }
}

/**
 * Token ids → rows of weight [vocab, dim], as PyTorch's nn.Embedding: the row of `paddingId` (fla
 * passes pad_token_id) gets no gradient. ids [...shape] → [...shape, dim].
 */
export class TorchEmbedding extends Module {
  /** [vocab, dim]: a parameter, or kept compact for inference (FlaInit.compact). */
  readonly weight: Tensor | CompactMatrix;

  constructor(readonly vocabSize: number, readonly dim: number, init: FlaInit, readonly paddingId: number | null = null) {
    super();
    const w = initialMatrix(vocabSize, dim, init);
    this.weight = w instanceof Tensor ? this.param('weight', w) : this.compactWeight('weight', w);
  }

  forward(ids: ArrayLike<number>, shape: readonly number[]): Tensor {
    return this.weight instanceof Tensor ? ops.embedding(this.weight, ids, shape, this.paddingId) : embeddingCompact(this.weight, ids, shape);
  }

  /** x Eᵀ: the embedding matrix as a tied output layer. x [..., dim] → [..., vocab]. */
  logits(x: Tensor): Tensor {
    return this.weight instanceof Tensor ? linearOutIn(x, this.weight) : linearCompact(x, this.weight);
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

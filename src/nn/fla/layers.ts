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
import { CompactMatrix, MATVEC_MAX_ROWS, type CompactDType } from '../../../kernels/index.js';

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

/** True when the init keeps matrices compact (FlaInit.compact): then nothing is drawn from its generator. */
export function keepsCompact(init: FlaInit): init is FlaInit & { compact: CompactDType } {
  return init.empty === true && init.compact !== undefined && (init.dtype ?? 'float32') === 'float32';
}

/** A matrix [rows, cols]: compact when the init asks for it (FlaInit.compact), else initialWeight's. */
function initialMatrix(rows: number, cols: number, init: FlaInit): Tensor | CompactMatrix {
  if (keepsCompact(init)) return new CompactMatrix(rows, cols, init.compact);
  return initialWeight([rows, cols], init);
}

/** y = x Wᵀ, W [out, in] as PyTorch's nn.Linear(bias=False). x [..., in] → [..., out]. */
export class TorchLinear extends Module {
  /** [out, in]: a parameter, or kept compact for inference (FlaInit.compact). */
  readonly weight: Tensor | CompactMatrix;

  /** `rowsOf`: the weight is these rows of a stacked compact matrix (stackedLinears) instead of a matrix of its own. */
  constructor(readonly inFeatures: number, readonly outFeatures: number, init: FlaInit, rowsOf?: { stacked: CompactMatrix; firstRow: number }) {
    super();
    const w = rowsOf ? rowsOf.stacked.rowsView(rowsOf.firstRow, rowsOf.firstRow + outFeatures) : initialMatrix(outFeatures, inFeatures, init);
    this.weight = w instanceof Tensor ? this.param('weight', w) : this.compactWeight('weight', w);
  }

  forward(x: Tensor): Tensor {
    return this.weight instanceof Tensor ? linearOutIn(x, this.weight) : linearCompact(x, this.weight);
  }
}

/**
 * Linear maps of the same input x [..., in] with outputs of `outs` features each. Kept compact
 * (FlaInit.compact), their weights are row ranges of one matrix [Σ outs, in] (`stacked`): each is still
 * a weight of its own for the state dict, the loader and export, while a one-token step computes them
 * all in one matrix-vector product (`forwardStacked`), which reads the same bytes in one pass of the
 * threads instead of one hand-off each (docs/pretrained.md, "Speed and memory"). Otherwise separate
 * matrices, as one TorchLinear each; `stacked` is null.
 */
export function stackedLinears(inFeatures: number, outs: readonly number[], init: FlaInit): { linears: TorchLinear[]; stacked: CompactMatrix | null } {
  // Drawn one after another, in order, as separate maps would be.
  if (!keepsCompact(init)) return { linears: outs.map((out) => new TorchLinear(inFeatures, out, init)), stacked: null };
  const whole = new CompactMatrix(outs.reduce((a, b) => a + b, 0), inFeatures, init.compact);
  let firstRow = 0;
  const linears = outs.map((out) => {
    const linear = new TorchLinear(inFeatures, out, init, { stacked: whole, firstRow });
    firstRow += out;
    return linear;
  });
  return { linears, stacked: whole };
}

/**
 * The outputs of stacked linear maps for x [..., in]: with a stacked matrix and few rows of x (one-token
 * steps, where the matrix-vector kernel runs), one product split along the last axis; else each map's
 * own. The same bits either way (the kernel computes each output from its weight row and x alone).
 */
export function forwardStacked(x: Tensor, linears: readonly TorchLinear[], stacked: CompactMatrix | null): Tensor[] {
  const rows = x.shape[x.rank - 1] === 0 ? 0 : x.size / x.shape[x.rank - 1]!;
  if (stacked === null || rows > MATVEC_MAX_ROWS) return linears.map((linear) => linear.forward(x));
  const y = linearCompact(x, stacked);
  let from = 0;
  return linears.map((linear) => ops.slice(y, y.rank - 1, from, (from += linear.outFeatures)));
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
  /** [gate; up] as one compact matrix [2 · intermediate, hidden] when kept compact (stackedLinears), else null. */
  readonly gateUp: CompactMatrix | null;
  readonly down: TorchLinear;

  constructor(readonly hiddenSize: number, readonly intermediateSize: number, init: FlaInit) {
    super();
    const { linears: [gate, up], stacked } = stackedLinears(hiddenSize, [intermediateSize, intermediateSize], init);
    this.gate = this.child('gate_proj', gate!);
    this.up = this.child('up_proj', up!);
    this.gateUp = stacked;
    this.down = this.child('down_proj', new TorchLinear(intermediateSize, hiddenSize, init));
  }

  forward(x: Tensor): Tensor {
    const [gate, up] = forwardStacked(x, [this.gate, this.up], this.gateUp);
    return this.down.forward(ops.mul(ops.silu(gate!), up!));
  }
}

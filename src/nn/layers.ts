/** The basic layers: Linear, Embedding, LayerNorm, FeedForward. Shapes in doc comments. */
import { Module } from './module.js';
import { Tensor, rand, randn, ones, zeros, type DType } from '../tensor/tensor.js';
import type { Rng } from '../tensor/rng.js';
import { shapeToString } from '../tensor/shape.js';
import * as ops from '../ops/index.js';

export interface InitOptions {
  rng: Rng;
  dtype?: DType;
  /**
   * How biases start: 'zero' (the default), or 'uniform' in ±1/√inFeatures, the weights' range
   * (PyTorch's nn.Linear default; `lm train --bias-init uniform`).
   */
  biasInit?: 'zero' | 'uniform';
}

/** y = x W + b. x [..., inFeatures] → [..., outFeatures]; W is stored [inFeatures, outFeatures]. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: InitOptions & { bias?: boolean }) {
    super();
    const dtype = options.dtype ?? 'float32';
    // Uniform(±1/√in): keeps the output variance near the input's at initialisation.
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.param('weight', rand([inFeatures, outFeatures], options.rng, { dtype, low: -bound, high: bound }));
    if (options.bias === false) this.bias = null;
    else this.bias = this.param('bias', options.biasInit === 'uniform' ? rand([outFeatures], options.rng, { dtype, low: -bound, high: bound }) : zeros([outFeatures], { dtype }));
  }

  /** `product`: x W [..., outFeatures] computed earlier, taken as known (ops.matmul's `known`): then only the bias is added. */
  forward(x: Tensor, product?: Tensor): Tensor {
    return linear(x, this.weight, this.bias, product);
  }
}

/** The affine map of Linear as a function: x [..., in] · weight [in, out] + bias [out]; `product` as in Linear.forward. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null, product?: Tensor): Tensor {
  const [inF, outF] = weight.shape as [number, number];
  if (x.shape[x.rank - 1] !== inF) {
    throw new Error(`Linear(${inF} → ${outF}): input has shape ${shapeToString(x.shape)}, last axis must be ${inF}`);
  }
  // Fold every leading axis into one: a single [rows, in] · [in, out] product.
  let y = ops.matmul(ops.reshape(x, [-1, inF]), weight, product && ops.reshape(product, [-1, outF]));
  if (bias) y = ops.add(y, bias);
  return ops.reshape(y, [...x.shape.slice(0, -1), outF]);
}

/**
 * Token ids [...] → vectors [..., dim]. `scaled`: the weights start at std 1/√dim and the vectors
 * come out multiplied by √dim, so that tokens and sinusoidal positions have comparable size at the
 * input while a tied output layer starts with logits of order 1 (docs/experiments.md, Table 4: at
 * std 0.02 the positions outweighed the tokens 35 to 1). Otherwise std `std` (0.02) and no factor.
 */
export class Embedding extends Module {
  readonly weight: Tensor;
  /** √dim when scaled, else 1. */
  readonly scale: number;

  constructor(readonly vocabSize: number, readonly dim: number, options: InitOptions & { std?: number; scaled?: boolean }) {
    super();
    this.scale = options.scaled ? Math.sqrt(dim) : 1;
    const std = options.scaled ? 1 / Math.sqrt(dim) : (options.std ?? 0.02);
    this.weight = this.param('weight', randn([vocabSize, dim], options.rng, { dtype: options.dtype ?? 'float32', std }));
  }

  forward(ids: ArrayLike<number>, shape: readonly number[]): Tensor {
    const x = ops.embedding(this.weight, ids, shape);
    return this.scale === 1 ? x : ops.mul(x, this.scale);
  }
}

/** Layer normalisation over the last axis with a learned scale and shift. */
export class LayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(readonly dim: number, options: { dtype?: DType; eps?: number } = {}) {
    super();
    this.weight = this.param('weight', ones([dim], { dtype: options.dtype ?? 'float32' }));
    this.bias = this.param('bias', zeros([dim], { dtype: options.dtype ?? 'float32' }));
    this.eps = options.eps ?? 1e-5;
  }

  private readonly eps: number;

  forward(x: Tensor): Tensor {
    return ops.layerNorm(x, this.weight, this.bias, this.eps);
  }
}

/** Position-wise feed-forward: Linear → activation → dropout → Linear. [..., dim] → [..., dim]. */
export class FeedForward extends Module {
  readonly up: Linear;
  readonly down: Linear;

  constructor(
    readonly dim: number,
    readonly hidden: number,
    readonly options: InitOptions & { dropout?: number; activation?: 'relu' | 'gelu' },
  ) {
    super();
    this.up = this.child('up', new Linear(dim, hidden, options));
    this.down = this.child('down', new Linear(hidden, dim, options));
  }

  forward(x: Tensor): Tensor {
    let h = this.up.forward(x);
    h = this.options.activation === 'gelu' ? ops.gelu(h) : ops.relu(h);
    // The same generator that initialised the weights draws the dropout masks: one RNG state per
    // model, saved in checkpoints so a resumed run draws the masks the uninterrupted run would have.
    h = ops.dropout(h, this.options.dropout ?? 0, this.options.rng, this.training);
    return this.down.forward(h);
  }
}

/** Splitting a model-width tensor into heads and merging them back. */
import type { Tensor } from '../../tensor/tensor.js';
import * as ops from '../../ops/index.js';

/** [B, T, H·d] → [B, H, T, d] */
export function splitHeads(x: Tensor, heads: number): Tensor {
  const [B, T, width] = x.shape as [number, number, number];
  return ops.permute(ops.reshape(x, [B, T, heads, width / heads]), [0, 2, 1, 3]);
}

/** [B, H, T, d] → [B, T, H·d] */
export function mergeHeads(x: Tensor): Tensor {
  const [B, H, T, d] = x.shape as [number, number, number, number];
  return ops.reshape(ops.permute(x, [0, 2, 1, 3]), [B, T, H * d]);
}

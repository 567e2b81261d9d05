/**
 * The two uses of a weight kept compact for inference (kernels/matmul/resident.ts: float32, bfloat16
 * or half, in WebAssembly memory): a linear map y = x Wᵀ and an embedding lookup. No gradients: such a
 * weight is not a parameter (a model to be trained is loaded with float32 Tensors), and a product
 * that would need one, with recording on and an input that requires grad, is an error.
 * x [..., in]; W [out, in] → [..., out]. ids [...shape] → [...shape, dim].
 */
import { isGradEnabled } from '../autograd/graph.js';
import { Tensor, allocateUninitialized } from '../tensor/tensor.js';
import { shapeToString, sizeOf } from '../tensor/shape.js';
import { compactMatmul, compactRows, getBackend, type CompactMatrix } from '../../kernels/index.js';
import { assertTensor } from './util.js';

function assertNoGradient(op: string, x: Tensor, w: CompactMatrix): void {
  if (isGradEnabled() && x.requiresGrad) {
    throw new Error(`${op}: the weight [${w.rows}, ${w.cols}] is kept as ${w.dtype} for inference and has no gradient; run under inference(), or load the model without resident weights to train it`);
  }
}

/** y = x Wᵀ with W [out, in] compact. x [..., in] (float32) → [..., out]. */
export function linearCompact(x: Tensor, weight: CompactMatrix): Tensor {
  const op = 'linearCompact';
  assertTensor(x, op, 'x');
  const { rows: outF, cols: inF } = weight;
  if (x.dtype !== 'float32') throw new Error(`${op}: input is ${x.dtype}; weights kept compact multiply float32 inputs`);
  if (x.rank < 1 || x.shape[x.rank - 1] !== inF) throw new Error(`${op}: input ${shapeToString(x.shape)} must end in ${inF} for weight [${outF}, ${inF}]`);
  assertNoGradient(op, x, weight);
  const rows = inF === 0 ? x.size : x.size / inF;
  const out = allocateUninitialized('float32', rows * outF) as Float32Array;
  compactMatmul(x.data as Float32Array, rows, weight, out, (args) => getBackend().matmul(args));
  return new Tensor(out, [...x.shape.slice(0, -1), outF]);
}

/** Rows of the table [vocab, dim] (compact) for ids of shape idsShape → [...idsShape, dim] float32. */
export function embeddingCompact(table: CompactMatrix, ids: ArrayLike<number>, idsShape: readonly number[] = [ids.length]): Tensor {
  const op = 'embeddingCompact';
  if (sizeOf(idsShape) !== ids.length) throw new Error(`${op}: ${ids.length} ids do not fill shape ${shapeToString(idsShape)}`);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= table.rows) throw new Error(`${op}: id ${id} at position ${i} is outside the vocabulary [0, ${table.rows})`);
  }
  const out = allocateUninitialized('float32', ids.length * table.cols) as Float32Array;
  compactRows(table, ids, out);
  return new Tensor(out, [...idsShape, table.cols]);
}

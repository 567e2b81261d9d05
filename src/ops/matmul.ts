/**
 * Batched matrix product with broadcast batch dimensions: a [..., m, k] · b [..., k, n] → [..., m, n].
 * The arithmetic runs in the selected kernel backend (kernels/index.ts); this file only plans the
 * batch layout and wires the backward:  dA = dC · Bᵀ,  dB = Aᵀ · dC  (summed over broadcast batches).
 * `known`: the product computed earlier and kept (a block run again in backward, src/ops/checkpoint.ts),
 * taken as the value without computing it again; the backward is the same.
 */
import { record } from '../autograd/graph.js';
import { Tensor, allocate, allocateUninitialized, type FloatArray } from '../tensor/tensor.js';
import { broadcastShapes, shapeToString, sizeOf } from '../tensor/shape.js';
import { getBackend } from '../../kernels/index.js';
import { expandData, reduceToShape } from './broadcast.js';
import { assertSameDType, assertTensor } from './util.js';

export function matmul(a: Tensor, b: Tensor, known?: Tensor): Tensor {
  assertTensor(a, 'matmul', 'a');
  assertTensor(b, 'matmul', 'b');
  if (a.rank < 2 || b.rank < 2) {
    throw new Error(`matmul: both operands need rank ≥ 2, got ${shapeToString(a.shape)} and ${shapeToString(b.shape)}`);
  }
  const dtype = assertSameDType('matmul', a, b);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [k2, n] = b.shape.slice(-2) as [number, number];
  if (k !== k2) throw new Error(`matmul: inner dimensions differ: ${shapeToString(a.shape)} · ${shapeToString(b.shape)}`);
  const aBatchShape = a.shape.slice(0, -2);
  const bBatchShape = b.shape.slice(0, -2);
  const batchShape = broadcastShapes(aBatchShape, bBatchShape, 'matmul');
  const batch = sizeOf(batchShape);

  // A batch operand is read with stride 0 when it is one matrix for all; otherwise it is expanded.
  const layoutOf = (t: Tensor, own: number[]) => {
    if (sizeOf(own) === 1) return { data: t.data, stride: 0 };
    if (own.length === batchShape.length && own.every((d, i) => d === batchShape[i])) return { data: t.data, stride: t.shape.at(-2)! * t.shape.at(-1)! };
    const full = [...batchShape, ...t.shape.slice(-2)];
    return { data: expandData(t.data, t.shape, full), stride: t.shape.at(-2)! * t.shape.at(-1)! };
  };
  const A = layoutOf(a, aBatchShape);
  const B = layoutOf(b, bBatchShape);
  const outShape = [...batchShape, m, n];
  const kernels = getBackend();
  let out: FloatArray;
  if (known) {
    if (shapeToString(known.shape) !== shapeToString(outShape) || known.dtype !== dtype) throw new Error(`matmul: the known product must be ${dtype} ${shapeToString(outShape)}, got ${known.dtype} ${shapeToString(known.shape)}`);
    out = known.data;
  } else {
    // Every element is written when k > 0 (no accumulate); k = 0 leaves the zeros of a fresh array.
    out = k > 0 ? allocateUninitialized(dtype, batch * m * n) : allocate(dtype, batch * m * n);
    kernels.matmul({ a: A.data, b: B.data, out, batch, m, n, k, transA: false, transB: false, aBatchStride: A.stride, bBatchStride: B.stride });
  }

  return record('matmul', [a, b], new Tensor(out, outShape), (g) => {
    let ga = null;
    let gb = null;
    if (a.requiresGrad) {
      // dA[batch] = g[batch] · B[batch]ᵀ, then summed down to a's batch shape.
      const full = n > 0 ? allocateUninitialized(dtype, batch * m * k) : allocate(dtype, batch * m * k);
      kernels.matmul({ a: g, b: B.data, out: full, batch, m, n: k, k: n, transA: false, transB: true, aBatchStride: m * n, bBatchStride: B.stride });
      ga = reduceToShape(full, [...batchShape, m, k], a.shape);
    }
    if (b.requiresGrad) {
      const full = m > 0 ? allocateUninitialized(dtype, batch * k * n) : allocate(dtype, batch * k * n);
      kernels.matmul({ a: A.data, b: g, out: full, batch, m: k, n, k: m, transA: true, transB: false, aBatchStride: A.stride, bBatchStride: m * n });
      gb = reduceToShape(full, [...batchShape, k, n], b.shape);
    }
    return [ga, gb];
  });
}

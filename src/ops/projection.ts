/**
 * A linear map with its weight stored [out, in], as PyTorch's nn.Linear (and so every Hugging Face
 * checkpoint) stores it: y = x Wᵀ. The kernel reads W transposed in place, so a large pretrained
 * weight is never copied per call.  x [..., in]; weight [out, in] → [..., out].
 * Backward: dx = g W;  dW = gᵀ x (rows of x and g folded together).
 */
import { record } from '../autograd/graph.js';
import { Tensor, allocateUninitialized } from '../tensor/tensor.js';
import { shapeToString } from '../tensor/shape.js';
import { getBackend } from '../../kernels/index.js';
import { assertSameDType, assertTensor, like } from './util.js';

export function linearOutIn(x: Tensor, weight: Tensor): Tensor {
  const op = 'linearOutIn';
  assertTensor(x, op, 'x');
  assertTensor(weight, op, 'weight');
  if (weight.rank !== 2) throw new Error(`${op}: weight must have shape [out, in], got ${shapeToString(weight.shape)}`);
  const [outF, inF] = weight.shape as [number, number];
  if (x.rank < 1 || x.shape[x.rank - 1] !== inF) throw new Error(`${op}: input ${shapeToString(x.shape)} must end in ${inF} for weight ${shapeToString(weight.shape)}`);
  const dtype = assertSameDType(op, x, weight);
  const rows = inF === 0 ? x.size : x.size / inF;
  const out = inF > 0 ? allocateUninitialized(dtype, rows * outF) : like(x, rows * outF);
  const kernels = getBackend();
  kernels.matmul({ a: x.data, b: weight.data, out, batch: 1, m: rows, n: outF, k: inF, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 });
  return record(op, [x, weight], new Tensor(out, [...x.shape.slice(0, -1), outF]), (g) => {
    let dx = null;
    let dw = null;
    if (x.requiresGrad) {
      dx = like(x);
      if (outF > 0) kernels.matmul({ a: g, b: weight.data, out: dx, batch: 1, m: rows, n: inF, k: outF, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
    }
    if (weight.requiresGrad) {
      dw = like(weight);
      if (rows > 0) kernels.matmul({ a: g, b: x.data, out: dw, batch: 1, m: outF, n: inF, k: rows, transA: true, transB: false, aBatchStride: 0, bBatchStride: 0 });
    }
    return [dx, dw];
  });
}

/**
 * The affine map y = x · weight + bias (src/nn/layers.ts `linear`) when y is already known: y
 * computed earlier, off the graph, and kept. Returns y on the graph with the map's backward, so that
 * a block of a sequence run again in backward (src/ops/checkpoint.ts) needs no product to rebuild
 * its projections. x [..., in]; weight [in, out]; bias [out] or null; y [..., out].
 * Backward: dx = g weightᵀ;  dweight = xᵀ g;  dbias = Σ_rows g (rows of x and g folded together).
 */
import { record } from '../autograd/graph.js';
import { Tensor, allocate, allocateUninitialized } from '../tensor/tensor.js';
import { shapeToString } from '../tensor/shape.js';
import { getBackend } from '../../kernels/index.js';
import { reduceToShape } from './broadcast.js';
import { assertSameDType, assertTensor } from './util.js';

export function knownLinear(x: Tensor, weight: Tensor, bias: Tensor | null, y: Tensor): Tensor {
  const op = 'knownLinear';
  assertTensor(x, op, 'x');
  assertTensor(y, op, 'y');
  const [inF, outF] = weight.shape as [number, number];
  const rows = x.shape.slice(0, -1);
  const want = [...rows, outF];
  if (weight.rank !== 2 || x.shape.at(-1) !== inF || (bias !== null && (bias.rank !== 1 || bias.shape[0] !== outF)) || y.rank !== want.length || y.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${op}: shapes do not fit: x ${shapeToString(x.shape)} · weight ${shapeToString(weight.shape)}${bias ? ` + bias ${shapeToString(bias.shape)}` : ''} → y ${shapeToString(y.shape)}`);
  }
  const dtype = assertSameDType(op, x, weight, y, ...(bias ? [bias] : []));
  const m = rows.reduce((a, b) => a * b, 1);
  const kernels = getBackend();
  return record(op, bias ? [x, weight, bias] : [x, weight], new Tensor(y.data, y.shape), (g) => {
    let dx = null, dw = null;
    if (x.requiresGrad) {
      // A product over an empty axis writes nothing: start from zeros then.
      dx = outF > 0 ? allocateUninitialized(dtype, m * inF) : allocate(dtype, m * inF);
      kernels.matmul({ a: g, b: weight.data, out: dx, batch: 1, m, n: inF, k: outF, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 });
    }
    if (weight.requiresGrad) {
      dw = m > 0 ? allocateUninitialized(dtype, inF * outF) : allocate(dtype, inF * outF);
      kernels.matmul({ a: x.data, b: g, out: dw, batch: 1, m: inF, n: outF, k: m, transA: true, transB: false, aBatchStride: 0, bBatchStride: 0 });
    }
    return bias ? [dx, dw, bias.requiresGrad ? reduceToShape(g, [m, outF], [outF]) : null] : [dx, dw];
  });
}

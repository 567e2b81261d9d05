/**
 * Reductions over axes: sum, mean, max. `axes` undefined reduces everything; `keepdims` keeps the
 * reduced axes with size 1. All three share one index map: element i of x lands in out[index[i]];
 * when the reduced axes are the last ones (a whole-tensor sum, a row sum) element i lands in
 * out[⌊i / count⌋] and no map is built. Sums add in element order, rounding to the dtype after every
 * addition, whichever path runs.
 */
import { record } from '../autograd/graph.js';
import { Tensor, type FloatArray } from '../tensor/tensor.js';
import { normaliseAxis, sizeOf, shapeToString } from '../tensor/shape.js';
import { broadcastIndex } from './broadcast.js';
import { assertTensor, like } from './util.js';

interface Reduction {
  keptShape: number[]; // reduced axes set to 1
  outShape: number[]; // keptShape or with the reduced axes dropped
  index: Int32Array | null; // input element → output element; null when the reduced axes are the last ones
  count: number; // elements reduced into each output
}

function plan(op: string, x: Tensor, axes: number | number[] | undefined, keepdims: boolean): Reduction {
  assertTensor(x, op);
  const list = axes === undefined ? x.shape.map((_, i) => i) : (Array.isArray(axes) ? axes : [axes]).map((a) => normaliseAxis(a, x.rank, op));
  if (new Set(list).size !== list.length) throw new Error(`${op}: repeated axis in [${axes}]`);
  const reduced = new Set(list);
  const keptShape = x.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const outShape = keepdims ? keptShape : x.shape.filter((_, i) => !reduced.has(i));
  let count = 1;
  for (const a of list) count *= x.shape[a]!;
  const trailing = list.every((a) => a >= x.rank - list.length);
  return { keptShape, outShape, index: trailing ? null : broadcastIndex(keptShape, x.shape), count };
}

/** out[j] = the sum of the elements that land in it, added in element order. */
function accumulate(x: FloatArray, r: Reduction, out: FloatArray): void {
  if (r.index !== null) {
    for (let i = 0; i < x.length; i++) out[r.index[i]!]! += x[i]!;
    return;
  }
  const n = r.count;
  // A float32 sum rounds after each addition, as `out[j] += x[i]` on a Float32Array does.
  if (out instanceof Float32Array) {
    for (let j = 0; j < out.length; j++) {
      let s = 0;
      for (let i = j * n; i < (j + 1) * n; i++) s = Math.fround(s + x[i]!);
      out[j] = s;
    }
  } else {
    for (let j = 0; j < out.length; j++) {
      let s = 0;
      for (let i = j * n; i < (j + 1) * n; i++) s += x[i]!;
      out[j] = s;
    }
  }
}

/** gx[i] = g[the output element i landed in] / divisor. */
function spread(g: FloatArray, r: Reduction, gx: FloatArray, divisor = 1): void {
  if (r.index !== null) {
    for (let i = 0; i < gx.length; i++) gx[i] = g[r.index[i]!]! / divisor;
    return;
  }
  for (let j = 0; j < g.length; j++) gx.fill(g[j]! / divisor, j * r.count, (j + 1) * r.count);
}

export function sum(x: Tensor, axes?: number | number[], keepdims = false): Tensor {
  const r = plan('sum', x, axes, keepdims);
  const out = like(x, sizeOf(r.outShape));
  accumulate(x.data, r, out);
  return record('sum', [x], new Tensor(out, r.outShape), (g) => {
    const gx = like(x);
    spread(g, r, gx);
    return [gx];
  });
}

export function mean(x: Tensor, axes?: number | number[], keepdims = false): Tensor {
  const r = plan('mean', x, axes, keepdims);
  if (r.count === 0) throw new Error(`mean: reducing over an empty axis of shape ${shapeToString(x.shape)}`);
  const out = like(x, sizeOf(r.outShape));
  accumulate(x.data, r, out);
  for (let j = 0; j < out.length; j++) out[j]! /= r.count;
  return record('mean', [x], new Tensor(out, r.outShape), (g) => {
    const gx = like(x);
    spread(g, r, gx, r.count);
    return [gx];
  });
}

/** Maximum; the gradient goes to the first maximal element of each group. */
export function max(x: Tensor, axes?: number | number[], keepdims = false): Tensor {
  const r = plan('max', x, axes, keepdims);
  if (r.count === 0) throw new Error(`max: reducing over an empty axis of shape ${shapeToString(x.shape)}`);
  const n = sizeOf(r.outShape);
  const out = like(x, n).fill(-Infinity);
  const argmax = new Int32Array(n).fill(-1);
  for (let i = 0; i < x.size; i++) {
    const j = r.index ? r.index[i]! : Math.floor(i / r.count);
    if (x.data[i]! > out[j]! || argmax[j] === -1) {
      out[j] = x.data[i]!;
      argmax[j] = i;
    }
  }
  return record('max', [x], new Tensor(out, r.outShape), (g) => {
    const gx = like(x);
    for (let j = 0; j < n; j++) gx[argmax[j]!] = g[j]!;
    return [gx];
  });
}

/**
 * Reductions over axes: sum, mean, max. `axes` undefined reduces everything; `keepdims` keeps the
 * reduced axes with size 1. All three share one index map: element i of x lands in out[index[i]].
 */
import { record } from '../autograd/graph.js';
import { Tensor } from '../tensor/tensor.js';
import { normaliseAxis, sizeOf, shapeToString } from '../tensor/shape.js';
import { broadcastIndex } from './broadcast.js';
import { assertTensor, like } from './util.js';

interface Reduction {
  keptShape: number[]; // reduced axes set to 1
  outShape: number[]; // keptShape or with the reduced axes dropped
  index: Int32Array | null; // input element → output element
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
  return { keptShape, outShape, index: broadcastIndex(keptShape, x.shape), count };
}

export function sum(x: Tensor, axes?: number | number[], keepdims = false): Tensor {
  const r = plan('sum', x, axes, keepdims);
  const out = like(x, sizeOf(r.outShape));
  for (let i = 0; i < x.size; i++) out[r.index ? r.index[i]! : i]! += x.data[i]!;
  return record('sum', [x], new Tensor(out, r.outShape), (g) => {
    const gx = like(x);
    for (let i = 0; i < gx.length; i++) gx[i] = g[r.index ? r.index[i]! : i]!;
    return [gx];
  });
}

export function mean(x: Tensor, axes?: number | number[], keepdims = false): Tensor {
  const r = plan('mean', x, axes, keepdims);
  if (r.count === 0) throw new Error(`mean: reducing over an empty axis of shape ${shapeToString(x.shape)}`);
  const out = like(x, sizeOf(r.outShape));
  for (let i = 0; i < x.size; i++) out[r.index ? r.index[i]! : i]! += x.data[i]!;
  for (let j = 0; j < out.length; j++) out[j]! /= r.count;
  return record('mean', [x], new Tensor(out, r.outShape), (g) => {
    const gx = like(x);
    for (let i = 0; i < gx.length; i++) gx[i] = g[r.index ? r.index[i]! : i]! / r.count;
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
    const j = r.index ? r.index[i]! : i;
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

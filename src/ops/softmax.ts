/**
 * softmax and logSoftmax along one axis, numerically stable (the row maximum is subtracted).
 * The axis is viewed as rows: [outer, n, inner] with element (o, j, i) at o·n·inner + j·inner + i.
 */
import { record } from '../autograd/graph.js';
import { Tensor } from '../tensor/tensor.js';
import { normaliseAxis } from '../tensor/shape.js';
import { assertTensor, like } from './util.js';
import { getBackend } from '../../kernels/index.js';

function layout(x: Tensor, axis: number, op: string): { outer: number; n: number; inner: number } {
  const a = normaliseAxis(axis, x.rank, op);
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < a; i++) outer *= x.shape[i]!;
  for (let i = a + 1; i < x.rank; i++) inner *= x.shape[i]!;
  return { outer, n: x.shape[a]!, inner };
}

export function softmax(x: Tensor, axis = -1): Tensor {
  assertTensor(x, 'softmax');
  const { outer, n, inner } = layout(x, axis, 'softmax');
  // Over the last axis (attention scores) the rows are contiguous: the kernel backend's row softmax.
  const y = inner === 1 ? getBackend().softmaxRows(x.data, outer, n).probs : like(x);
  for (let o = 0; o < outer && inner !== 1; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let m = -Infinity;
      for (let j = 0; j < n; j++) m = Math.max(m, x.data[base + j * inner]!);
      let s = 0;
      for (let j = 0; j < n; j++) s += y[base + j * inner] = Math.exp(x.data[base + j * inner]! - m);
      for (let j = 0; j < n; j++) y[base + j * inner]! /= s;
    }
  }
  return record('softmax', [x], new Tensor(y, x.shape), (g) => {
    // dx_j = y_j (g_j − Σ_k g_k y_k)
    const gx = like(g);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let dot = 0;
        for (let j = 0; j < n; j++) dot += g[base + j * inner]! * y[base + j * inner]!;
        for (let j = 0; j < n; j++) gx[base + j * inner] = y[base + j * inner]! * (g[base + j * inner]! - dot);
      }
    }
    return [gx];
  });
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  assertTensor(x, 'logSoftmax');
  const { outer, n, inner } = layout(x, axis, 'logSoftmax');
  const y = like(x);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let m = -Infinity;
      for (let j = 0; j < n; j++) m = Math.max(m, x.data[base + j * inner]!);
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.exp(x.data[base + j * inner]! - m);
      const lse = m + Math.log(s);
      for (let j = 0; j < n; j++) y[base + j * inner] = x.data[base + j * inner]! - lse;
    }
  }
  return record('logSoftmax', [x], new Tensor(y, x.shape), (g) => {
    // dx_j = g_j − softmax_j Σ_k g_k
    const gx = like(g);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let total = 0;
        for (let j = 0; j < n; j++) total += g[base + j * inner]!;
        for (let j = 0; j < n; j++) gx[base + j * inner] = g[base + j * inner]! - Math.exp(y[base + j * inner]!) * total;
      }
    }
    return [gx];
  });
}

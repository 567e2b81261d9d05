/**
 * Shape ops. Tensors are always contiguous, so permute, slice and concat copy; reshape shares data.
 */
import { record } from '../autograd/graph.js';
import { Tensor } from '../tensor/tensor.js';
import { normaliseAxis, shapeToString, sizeOf, stridesOf, type Shape } from '../tensor/shape.js';
import { expandData, reduceToShape } from './broadcast.js';
import { assertSameDType, assertTensor, like } from './util.js';
import { getBackend } from '../../kernels/index.js';

/** New shape, same data; one dimension may be −1 (inferred). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  assertTensor(x, 'reshape');
  const target = [...shape];
  const unknown = target.indexOf(-1);
  if (unknown >= 0) {
    if (target.indexOf(-1, unknown + 1) >= 0) throw new Error(`reshape: more than one −1 in ${shapeToString(shape)}`);
    const known = sizeOf(target.filter((_, i) => i !== unknown));
    if (known === 0 || x.size % known !== 0) throw new Error(`reshape: cannot reshape ${shapeToString(x.shape)} into ${shapeToString(shape)}`);
    target[unknown] = x.size / known;
  }
  if (sizeOf(target) !== x.size || target.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`reshape: cannot reshape ${shapeToString(x.shape)} (${x.size} elements) into ${shapeToString(shape)}`);
  }
  return record('reshape', [x], new Tensor(x.data, target), (g) => [g]);
}

/** Reorders the axes: output axis i is input axis axes[i]. */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  assertTensor(x, 'permute');
  if (axes.length !== x.rank) throw new Error(`permute: ${axes.length} axes given for a tensor of shape ${shapeToString(x.shape)}`);
  const perm = axes.map((a) => normaliseAxis(a, x.rank, 'permute'));
  if (new Set(perm).size !== perm.length) throw new Error(`permute: axes [${axes}] are not a permutation`);
  const outShape = perm.map((a) => x.shape[a]!);
  // Trailing axes that stay in place move together as contiguous runs (the last axis of a head split).
  let kept = x.rank;
  while (kept > 0 && perm[kept - 1] === kept - 1) kept--;
  const run = sizeOf(x.shape.slice(kept));
  const index = permutationIndex(x.shape.slice(0, kept), perm.slice(0, kept));
  const kernels = getBackend();
  return record('permute', [x], new Tensor(kernels.gatherRuns(x.data, index, run), outShape), (g) => [kernels.scatterRuns(g, index, run)]);
}

/** Swaps two axes (default: the last two). */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  assertTensor(x, 'transpose');
  const a = normaliseAxis(axis0, x.rank, 'transpose');
  const b = normaliseAxis(axis1, x.rank, 'transpose');
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

// The head split and merge permute the same few shapes every step: their maps are kept.
const permutationCache = new Map<string, Int32Array>();
const PERMUTATION_CACHE_LIMIT = 256;

/** For each output element of x permuted by perm, the flat offset of its source in x (cached). */
function permutationIndex(shape: Shape, perm: number[]): Int32Array {
  const key = `${shape.join(',')}|${perm.join(',')}`;
  const hit = permutationCache.get(key);
  if (hit) return hit;
  const index = computePermutationIndex(shape, perm);
  if (permutationCache.size >= PERMUTATION_CACHE_LIMIT) permutationCache.clear();
  permutationCache.set(key, index);
  return index;
}

function computePermutationIndex(shape: Shape, perm: number[]): Int32Array {
  const inStrides = stridesOf(shape);
  const outShape = perm.map((a) => shape[a]!);
  const strides = perm.map((a) => inStrides[a]!);
  const n = sizeOf(shape);
  const index = new Int32Array(n);
  const counter = new Array<number>(perm.length).fill(0);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    index[i] = offset;
    for (let ax = perm.length - 1; ax >= 0; ax--) {
      counter[ax]!++;
      offset += strides[ax]!;
      if (counter[ax]! < outShape[ax]!) break;
      offset -= strides[ax]! * outShape[ax]!;
      counter[ax] = 0;
    }
  }
  return index;
}

/** Elements start ≤ i < end along `axis` (negative indices count from the end). */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  assertTensor(x, 'slice');
  const ax = normaliseAxis(axis, x.rank, 'slice');
  const n = x.shape[ax]!;
  const s = start < 0 ? start + n : start;
  const e = end === undefined ? n : end < 0 ? end + n : end;
  if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > n || s > e) {
    throw new Error(`slice: range [${start}, ${end ?? n}) is out of bounds for axis ${axis} of shape ${shapeToString(x.shape)}`);
  }
  const outer = sizeOf(x.shape.slice(0, ax));
  const inner = sizeOf(x.shape.slice(ax + 1));
  const outShape = [...x.shape];
  outShape[ax] = e - s;
  const out = like(x, outer * (e - s) * inner);
  const len = (e - s) * inner;
  for (let o = 0; o < outer; o++) out.set(x.data.subarray(o * n * inner + s * inner, o * n * inner + e * inner), o * len);
  return record('slice', [x], new Tensor(out, outShape), (g) => {
    const gx = like(x);
    for (let o = 0; o < outer; o++) gx.set(g.subarray(o * len, (o + 1) * len), o * n * inner + s * inner);
    return [gx];
  });
}

/** Joins tensors along an existing axis; all other dimensions must agree. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new Error('concat: needs at least one tensor');
  tensors.forEach((t, i) => assertTensor(t, 'concat', `tensor ${i}`));
  assertSameDType('concat', ...tensors);
  const first = tensors[0]!;
  const ax = normaliseAxis(axis, first.rank, 'concat');
  for (const t of tensors) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new Error(`concat: shapes ${tensors.map((u) => shapeToString(u.shape)).join(', ')} do not agree off axis ${axis}`);
    }
  }
  const outer = sizeOf(first.shape.slice(0, ax));
  const inner = sizeOf(first.shape.slice(ax + 1));
  const sizes = tensors.map((t) => t.shape[ax]!);
  const total = sizes.reduce((a, b) => a + b, 0);
  const outShape = [...first.shape];
  outShape[ax] = total;
  const out = like(first, outer * total * inner);
  let offset = 0;
  tensors.forEach((t, k) => {
    const len = sizes[k]! * inner;
    for (let o = 0; o < outer; o++) out.set(t.data.subarray(o * len, (o + 1) * len), o * total * inner + offset);
    offset += len;
  });
  return record('concat', [...tensors], new Tensor(out, outShape), (g) => {
    let off = 0;
    return tensors.map((t, k) => {
      const len = sizes[k]! * inner;
      const gt = like(t);
      for (let o = 0; o < outer; o++) gt.set(g.subarray(o * total * inner + off, o * total * inner + off + len), o * len);
      off += len;
      return gt;
    });
  });
}

/** Joins tensors of equal shape along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new Error('stack: needs at least one tensor');
  const first = tensors[0]!;
  for (const t of tensors) {
    assertTensor(t, 'stack');
    if (shapeToString(t.shape) !== shapeToString(first.shape)) {
      throw new Error(`stack: all tensors must have one shape, got ${tensors.map((u) => shapeToString(u.shape)).join(', ')}`);
    }
  }
  const ax = normaliseAxis(axis, first.rank + 1, 'stack');
  const expandedShape = [...first.shape.slice(0, ax), 1, ...first.shape.slice(ax)];
  return concat(tensors.map((t) => reshape(t, expandedShape)), ax);
}

/** Splits along an axis into pieces of the given sizes, or into `count` equal pieces. */
export function split(x: Tensor, sizesOrCount: number | readonly number[], axis = 0): Tensor[] {
  assertTensor(x, 'split');
  const ax = normaliseAxis(axis, x.rank, 'split');
  const n = x.shape[ax]!;
  let sizes: number[];
  if (typeof sizesOrCount === 'number') {
    if (!Number.isInteger(sizesOrCount) || sizesOrCount <= 0 || n % sizesOrCount !== 0) {
      throw new Error(`split: cannot split axis ${axis} of size ${n} into ${sizesOrCount} equal pieces`);
    }
    sizes = new Array<number>(sizesOrCount).fill(n / sizesOrCount);
  } else {
    sizes = [...sizesOrCount];
    if (sizes.reduce((a, b) => a + b, 0) !== n) throw new Error(`split: sizes [${sizes}] do not add up to ${n} (axis ${axis} of ${shapeToString(x.shape)})`);
  }
  const pieces: Tensor[] = [];
  let start = 0;
  for (const s of sizes) {
    pieces.push(slice(x, ax, start, start + s));
    start += s;
  }
  return pieces;
}

/** Broadcasts x to a larger shape (NumPy rules), copying. */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  assertTensor(x, 'broadcastTo');
  const ok = shape.length >= x.rank && x.shape.every((d, i) => d === 1 || d === shape[shape.length - x.rank + i]);
  if (!ok) throw new Error(`broadcastTo: cannot broadcast ${shapeToString(x.shape)} to ${shapeToString(shape)}`);
  const out = expandData(x.data, x.shape, shape);
  return record('broadcastTo', [x], new Tensor(out === x.data ? out.slice() : out, shape), (g) => [reduceToShape(g, shape, x.shape)]);
}

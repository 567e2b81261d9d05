/**
 * Index maps for broadcasting and reductions, shared by the elementwise and reduction ops.
 *
 * `broadcastIndex(src, out)` gives, for every element of a tensor of shape `out`, the flat offset of
 * the element of `src` it reads when `src` is broadcast to `out`. The same map drives reductions:
 * reducing x to a smaller shape r is "for every i of x, add x[i] into r[index[i]]".
 */
import { broadcastStrides, sameShape, sizeOf, type Shape } from '../tensor/shape.js';
import { allocate, type FloatArray } from '../tensor/tensor.js';
import { getBackend } from '../../kernels/index.js';

const cache = new Map<string, Int32Array>();
const CACHE_LIMIT = 512;

/** Offsets into `src` (broadcast to `out`) for each element of `out`; null when the shapes are equal. */
export function broadcastIndex(src: Shape, out: Shape): Int32Array | null {
  if (sameShape(src, out)) return null;
  const key = `${src.join(',')}>${out.join(',')}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const n = sizeOf(out);
  const index = new Int32Array(n);
  const strides = broadcastStrides(src, out);
  const rank = out.length;
  const counter = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    index[i] = offset;
    // Odometer increment from the last axis, updating the source offset incrementally.
    for (let ax = rank - 1; ax >= 0; ax--) {
      counter[ax]!++;
      offset += strides[ax]!;
      if (counter[ax]! < out[ax]!) break;
      offset -= strides[ax]! * out[ax]!;
      counter[ax] = 0;
    }
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, index);
  return index;
}

/**
 * The period of `src` broadcast to `out` when the broadcast only repeats src's data over leading
 * axes, so that output element i reads src[i mod period]; null otherwise. Equal shapes (period =
 * size), scalars (1) and a bias [D] over [..., D] (D) are the common cases, and they need no index
 * map: the fast loops of the elementwise ops and reductions use the period instead.
 */
export function broadcastPeriod(src: Shape, out: Shape): number | null {
  let first = 0;
  while (first < src.length && src[first] === 1) first++;
  const core = src.length - first;
  if (core > out.length) return null;
  for (let i = 0; i < core; i++) if (src[first + i] !== out[out.length - core + i]) return null;
  return sizeOf(src);
}

/** Sums a gradient of shape `from` down to shape `to` (the inverse of broadcasting `to` to `from`). */
export function reduceToShape(grad: FloatArray, from: Shape, to: Shape): FloatArray {
  if (sameShape(from, to)) return grad;
  const period = broadcastPeriod(to, from);
  // A periodic broadcast (a bias over rows, a scalar) reduces by column sums over [rows, period].
  if (period !== null) return getBackend().sumRows(grad, grad.length / period, period);
  const out = allocate(grad instanceof Float64Array ? 'float64' : 'float32', sizeOf(to));
  const index = broadcastIndex(to, from)!;
  for (let i = 0; i < grad.length; i++) out[index[i]!]! += grad[i]!;
  return out;
}

/** Materialises `data` of shape `src` broadcast to shape `out`. */
export function expandData(data: FloatArray, src: Shape, out: Shape): FloatArray {
  if (sameShape(src, out)) return data;
  const period = broadcastPeriod(src, out);
  if (period !== null) {
    const res = allocate(data instanceof Float64Array ? 'float64' : 'float32', sizeOf(out));
    for (let i = 0; i < res.length; i += period) res.set(data.subarray(0, period), i);
    return res;
  }
  const index = broadcastIndex(src, out)!;
  const res = allocate(data instanceof Float64Array ? 'float64' : 'float32', index.length);
  for (let i = 0; i < index.length; i++) res[i] = data[index[i]!]!;
  return res;
}

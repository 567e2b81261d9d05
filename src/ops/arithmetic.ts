/**
 * Binary elementwise ops with NumPy broadcasting. Each op: forward, then the backward that maps
 * the output gradient g to each input's gradient, summed back down to that input's shape.
 * Either operand may be a plain number.
 */
import { record } from '../autograd/graph.js';
import { Tensor, type FloatArray } from '../tensor/tensor.js';
import { broadcastShapes, sizeOf, shapeToString } from '../tensor/shape.js';
import { broadcastIndex, broadcastPeriod, reduceToShape } from './broadcast.js';
import { asTensor, assertSameDType, like, type Operand } from './util.js';
import { getBackend } from '../../kernels/index.js';
import type { BinaryOp } from '../../kernels/index.js';

/** −1 per dtype: sub's backward negates g as a product (exact, −0 included). */
const MINUS_ONE = { float32: new Float32Array([-1]), float64: new Float64Array([-1]) };

interface Broadcast {
  a: Tensor;
  b: Tensor;
  shape: number[];
  ia: Int32Array | null;
  ib: Int32Array | null;
  /** broadcastPeriod of each operand (null: it needs its index map). */
  pa: number | null;
  pb: number | null;
}

function prepare(op: string, x: Operand, y: Operand): Broadcast {
  if (typeof x === 'number' && typeof y === 'number') throw new Error(`${op}: at least one operand must be a Tensor`);
  const dtype = x instanceof Tensor ? x.dtype : (y as Tensor).dtype;
  const a = asTensor(x, dtype, op);
  const b = asTensor(y, dtype, op);
  assertSameDType(op, a, b);
  const shape = broadcastShapes(a.shape, b.shape, op);
  const pa = broadcastPeriod(a.shape, shape), pb = broadcastPeriod(b.shape, shape);
  return { a, b, shape, pa, pb, ia: pa === null ? broadcastIndex(a.shape, shape) : null, ib: pb === null ? broadcastIndex(b.shape, shape) : null };
}

/**
 * out[i] = a[i] op b[i] with both operands broadcast. The common broadcasts (same shape, scalar, a
 * bias over rows) cycle through the operand by its period in the backend's kernel; others are
 * expanded through their index map first.
 */
function apply(p: Broadcast, op: BinaryOp): FloatArray {
  const n = sizeOf(p.shape);
  const ad = p.pa === null ? expanded(p.a, p.ia, n) : p.a.data;
  const bd = p.pb === null ? expanded(p.b, p.ib, n) : p.b.data;
  return getBackend().binary(op, ad, p.pa ?? n, bd, p.pb ?? n, n);
}

/** Values of an input at every output position (the input broadcast to the output shape). */
function expanded(t: Tensor, index: Int32Array | null, n: number): FloatArray {
  if (index !== null) {
    const out = like(t, n);
    for (let i = 0; i < n; i++) out[i] = t.data[index[i]!]!;
    return out;
  }
  if (t.size === n) return t.data;
  // A periodic operand (see broadcastPeriod): its data tiled.
  const out = like(t, n);
  for (let i = 0; i < n; i += t.size) out.set(t.data, i);
  return out;
}

export function add(x: Operand, y: Operand): Tensor {
  const p = prepare('add', x, y);
  const out = new Tensor(apply(p, 'add'), p.shape);
  return record('add', [p.a, p.b], out, (g) => [reduceToShape(g, p.shape, p.a.shape), reduceToShape(g, p.shape, p.b.shape)]);
}

export function sub(x: Operand, y: Operand): Tensor {
  const p = prepare('sub', x, y);
  const out = new Tensor(apply(p, 'sub'), p.shape);
  return record('sub', [p.a, p.b], out, (g) => {
    const neg = getBackend().binary('mul', g, g.length, MINUS_ONE[p.a.dtype], 1, g.length); // −g, exactly
    return [reduceToShape(g, p.shape, p.a.shape), reduceToShape(neg, p.shape, p.b.shape)];
  });
}

/** g ⊙ other (or g ⊘ other), where `other` is an operand cycled by its period (or expanded through its index map). */
function timesOperand(g: FloatArray, other: Tensor, period: number | null, index: Int32Array | null, divide: boolean): FloatArray {
  const n = g.length;
  const od = period === null ? expanded(other, index, n) : other.data;
  return getBackend().binary(divide ? 'div' : 'mul', g, n, od, period ?? n, n);
}

export function mul(x: Operand, y: Operand): Tensor {
  const p = prepare('mul', x, y);
  const out = new Tensor(apply(p, 'mul'), p.shape);
  return record('mul', [p.a, p.b], out, (g) => [
    p.a.requiresGrad ? reduceToShape(timesOperand(g, p.b, p.pb, p.ib, false), p.shape, p.a.shape) : null,
    p.b.requiresGrad ? reduceToShape(timesOperand(g, p.a, p.pa, p.ia, false), p.shape, p.b.shape) : null,
  ]);
}

export function div(x: Operand, y: Operand): Tensor {
  const p = prepare('div', x, y);
  const zero = p.b.data.indexOf(0);
  if (zero >= 0) throw new Error(`div: division by zero (divisor of shape ${shapeToString(p.b.shape)} is 0 at flat index ${zero})`);
  const out = new Tensor(apply(p, 'div'), p.shape);
  return record('div', [p.a, p.b], out, (g) => {
    const ga = timesOperand(g, p.b, p.pb, p.ib, true); // d(a/b)/da = 1/b
    let gb: FloatArray | null = null;
    if (p.b.requiresGrad) {
      // d(a/b)/db = −a/b² = −out/b
      gb = like(g);
      for (let i = 0; i < g.length; i++) gb[i] = -ga[i]! * out.data[i]!;
    }
    return [p.a.requiresGrad ? reduceToShape(ga, p.shape, p.a.shape) : null, gb === null ? null : reduceToShape(gb, p.shape, p.b.shape)];
  });
}

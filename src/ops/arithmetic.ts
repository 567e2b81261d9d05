/**
 * Binary elementwise ops with NumPy broadcasting. Each op: forward, then the backward that maps
 * the output gradient g to each input's gradient, summed back down to that input's shape.
 * Either operand may be a plain number.
 */
import { record } from '../autograd/graph.js';
import { Tensor, type FloatArray } from '../tensor/tensor.js';
import { broadcastShapes, sizeOf, shapeToString } from '../tensor/shape.js';
import { broadcastIndex, reduceToShape } from './broadcast.js';
import { asTensor, assertSameDType, like, type Operand } from './util.js';

interface Broadcast {
  a: Tensor;
  b: Tensor;
  shape: number[];
  ia: Int32Array | null;
  ib: Int32Array | null;
}

function prepare(op: string, x: Operand, y: Operand): Broadcast {
  if (typeof x === 'number' && typeof y === 'number') throw new Error(`${op}: at least one operand must be a Tensor`);
  const dtype = x instanceof Tensor ? x.dtype : (y as Tensor).dtype;
  const a = asTensor(x, dtype, op);
  const b = asTensor(y, dtype, op);
  assertSameDType(op, a, b);
  const shape = broadcastShapes(a.shape, b.shape, op);
  return { a, b, shape, ia: broadcastIndex(a.shape, shape), ib: broadcastIndex(b.shape, shape) };
}

/** out[i] = f(a[ia[i]], b[ib[i]]) */
function apply(p: Broadcast, f: (x: number, y: number) => number): FloatArray {
  const { a, b, ia, ib } = p;
  const out = like(a, sizeOf(p.shape));
  const ad = a.data;
  const bd = b.data;
  for (let i = 0; i < out.length; i++) out[i] = f(ad[ia ? ia[i]! : i]!, bd[ib ? ib[i]! : i]!);
  return out;
}

/** Values of an input at every output position (the input broadcast to the output shape). */
function expanded(t: Tensor, index: Int32Array | null, n: number): FloatArray {
  if (index === null) return t.data;
  const out = like(t, n);
  for (let i = 0; i < n; i++) out[i] = t.data[index[i]!]!;
  return out;
}

export function add(x: Operand, y: Operand): Tensor {
  const p = prepare('add', x, y);
  const out = new Tensor(apply(p, (u, v) => u + v), p.shape);
  return record('add', [p.a, p.b], out, (g) => [reduceToShape(g, p.shape, p.a.shape), reduceToShape(g, p.shape, p.b.shape)]);
}

export function sub(x: Operand, y: Operand): Tensor {
  const p = prepare('sub', x, y);
  const out = new Tensor(apply(p, (u, v) => u - v), p.shape);
  return record('sub', [p.a, p.b], out, (g) => {
    const neg = like(g);
    for (let i = 0; i < g.length; i++) neg[i] = -g[i]!;
    return [reduceToShape(g, p.shape, p.a.shape), reduceToShape(neg, p.shape, p.b.shape)];
  });
}

export function mul(x: Operand, y: Operand): Tensor {
  const p = prepare('mul', x, y);
  const out = new Tensor(apply(p, (u, v) => u * v), p.shape);
  return record('mul', [p.a, p.b], out, (g) => {
    const n = g.length;
    const av = expanded(p.a, p.ia, n);
    const bv = expanded(p.b, p.ib, n);
    const ga = like(g);
    const gb = like(g);
    for (let i = 0; i < n; i++) {
      ga[i] = g[i]! * bv[i]!;
      gb[i] = g[i]! * av[i]!;
    }
    return [reduceToShape(ga, p.shape, p.a.shape), reduceToShape(gb, p.shape, p.b.shape)];
  });
}

export function div(x: Operand, y: Operand): Tensor {
  const p = prepare('div', x, y);
  const zero = p.b.data.indexOf(0);
  if (zero >= 0) throw new Error(`div: division by zero (divisor of shape ${shapeToString(p.b.shape)} is 0 at flat index ${zero})`);
  const out = new Tensor(apply(p, (u, v) => u / v), p.shape);
  return record('div', [p.a, p.b], out, (g) => {
    const n = g.length;
    const bv = expanded(p.b, p.ib, n);
    const ga = like(g);
    const gb = like(g);
    for (let i = 0; i < n; i++) {
      ga[i] = g[i]! / bv[i]!;
      gb[i] = (-g[i]! * out.data[i]!) / bv[i]!; // d(a/b)/db = −a/b² = −out/b
    }
    return [reduceToShape(ga, p.shape, p.a.shape), reduceToShape(gb, p.shape, p.b.shape)];
  });
}

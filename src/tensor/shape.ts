/** Shapes, strides and NumPy-style broadcasting. Pure functions on number arrays. */

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides: the last axis is contiguous. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function shapeToString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The largest tensor a typed array can hold here (V8 limits an array's length). */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

export function assertValidShape(shape: Shape, where: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${where}: invalid shape ${shapeToString(shape)} (dimensions must be non-negative integers)`);
  }
  const size = sizeOf(shape);
  if (size > MAX_TENSOR_ELEMENTS) {
    throw new Error(`${where}: shape ${shapeToString(shape)} holds ${size.toPrecision(3)} elements, more than one array can (${MAX_TENSOR_ELEMENTS})`);
  }
}

/** The broadcast of two shapes (NumPy rules: align right, sizes equal or one of them 1). */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${shapeToString(a)} and ${shapeToString(b)} cannot be broadcast together`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides for reading a tensor of `shape` as if it had the (larger) broadcast shape `target`:
 * broadcast axes get stride 0.
 */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  const own = stridesOf(shape);
  const out = new Array<number>(target.length).fill(0);
  const offset = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[offset + i] = shape[i] === 1 ? 0 : own[i]!;
  return out;
}

/** Normalise a possibly negative axis; the error names the op and the shape. */
export function normaliseAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) {
    throw new Error(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return a;
}

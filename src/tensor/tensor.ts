/**
 * The Tensor: a contiguous row-major typed array with a shape, a dtype and, when it takes part in a
 * differentiated computation, a link to the graph node of the op that produced it.
 *
 * float32 is the default (speed, memory); float64 is for gradient checks and references.
 * Tensors are immutable by convention: ops return new tensors. Only optimisers write into
 * parameters' data, outside the graph.
 */
import { assertValidShape, shapeToString, sizeOf, stridesOf, type Shape } from './shape.js';
import { Rng } from './rng.js';
import { allocate, dtypeOf, type DType } from '../../kernels/index.js';
import type { FloatArray } from '../../kernels/index.js';

// One FloatArray type and one allocator for the whole code base: the kernels own them (they are the
// lowest layer), the Tensor re-exports them so library users find them beside the Tensor.
export { allocate, allocateUninitialized, allocLike, dtypeOf, type DType } from '../../kernels/index.js';
export type { FloatArray } from '../../kernels/index.js';

/** Maps d(loss)/d(output) to d(loss)/d(input) for every input (null: no gradient for that input). */
export type BackwardFn = (gradOutput: FloatArray) => (FloatArray | null)[];

/** The op that produced a tensor, as recorded by autograd/graph.ts (declared here so the Tensor needs no import from autograd). */
export interface GraphNode {
  op: string;
  inputs: Tensor[];
  backward: BackwardFn;
  released: boolean;
}

/**
 * The reverse-mode walk lives in autograd/graph.ts, which imports this file; it attaches itself here
 * when it loads (see attachBackward) so that the Tensor does not import the graph: no import circle.
 */
let backwardWalk: ((root: Tensor, gradient?: Tensor) => void) | undefined;

/** @internal Called once by autograd/graph.ts: the walk that Tensor.backward runs. */
export function attachBackward(walk: (root: Tensor, gradient?: Tensor) => void): void {
  backwardWalk = walk;
}

export function assertDType(dtype: string, where: string): asserts dtype is DType {
  if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`${where}: unknown dtype '${dtype}' (use 'float32' or 'float64')`);
}

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  name?: string;
}

export class Tensor {
  readonly data: FloatArray;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** True when gradients flow to this tensor: parameters, and results of ops on them. */
  requiresGrad: boolean;
  /** The accumulated gradient after backward() (leaves only). */
  grad: Tensor | null = null;
  /** The op that produced this tensor; null for leaves and for tensors made without grad. */
  node: GraphNode | null = null;
  /** Optional label used in error messages and checkpoints. */
  name: string | undefined;

  constructor(data: FloatArray, shape: Shape, options: { requiresGrad?: boolean; name?: string } = {}) {
    assertValidShape(shape, 'Tensor');
    if (data.length !== sizeOf(shape)) {
      throw new Error(`Tensor: data has ${data.length} elements but shape ${shapeToString(shape)} needs ${sizeOf(shape)}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
    this.requiresGrad = options.requiresGrad ?? false;
    this.name = options.name;
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item(): tensor has shape ${shapeToString(this.shape)}, not a single element`);
    return this.data[0]!;
  }

  /** Nested plain arrays (numbers for rank 0). */
  toArray(): NestedArray {
    const strides = stridesOf(this.shape);
    const build = (axis: number, offset: number): NestedArray => {
      if (axis === this.shape.length) return this.data[offset]!;
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[axis]!; i++) out.push(build(axis + 1, offset + i * strides[axis]!));
      return out;
    };
    return build(0, 0);
  }

  /**
   * Reverse-mode differentiation from this tensor. It must be a scalar unless `gradient` (same shape)
   * is given. Gradients accumulate into `.grad` of every leaf that requires grad; the graph is then
   * released, so a second backward through it is an error.
   */
  backward(gradient?: Tensor): void {
    // Every tensor with a graph node was made by autograd's record(), so the walk is attached by then;
    // a leaf can be reached here with autograd never loaded only by importing this file alone.
    if (backwardWalk === undefined) throw new Error('backward(): autograd is not loaded (import the package entry, or src/autograd/graph.js)');
    backwardWalk(this, gradient);
  }

  /** The same data, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A deep copy of the data (never shares memory), off the graph. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** A copy converted to another dtype, off the graph. */
  to(dtype: DType): Tensor {
    assertDType(dtype, 'Tensor.to');
    const out = allocate(dtype, this.size);
    out.set(this.data);
    return new Tensor(out, this.shape);
  }

  toString(): string {
    return `Tensor(${shapeToString(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

export type NestedArray = number | NestedArray[];

// ---------------------------------------------------------------------------------------------
// Creation

export function zeros(shape: Shape, options: TensorOptions = {}): Tensor {
  assertValidShape(shape, 'zeros');
  return new Tensor(allocate(options.dtype ?? 'float32', sizeOf(shape)), shape, options);
}

export function ones(shape: Shape, options: TensorOptions = {}): Tensor {
  return full(shape, 1, options);
}

export function full(shape: Shape, value: number, options: TensorOptions = {}): Tensor {
  const t = zeros(shape, options);
  t.data.fill(value);
  return t;
}

/** [start, stop) in steps of `step`, like NumPy's arange. */
export function arange(start: number, stop?: number, step = 1, options: TensorOptions = {}): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0 || !Number.isFinite(step)) throw new Error('arange: step must be a finite non-zero number');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const t = zeros([n], options);
  for (let i = 0; i < n; i++) t.data[i] = start + i * step;
  return t;
}

/**
 * A tensor from nested arrays, a typed array or a plain number array (with `shape`).
 * Ragged nesting and non-numbers are refused.
 */
export function tensor(values: NestedArray | ArrayLike<number>, shapeOrOptions?: Shape | TensorOptions, maybeOptions: TensorOptions = {}): Tensor {
  const shapeGiven = Array.isArray(shapeOrOptions) ? (shapeOrOptions as Shape) : undefined;
  const options = (Array.isArray(shapeOrOptions) ? maybeOptions : (shapeOrOptions as TensorOptions | undefined)) ?? {};
  if (values instanceof Float32Array || values instanceof Float64Array) {
    const dtype = options.dtype ?? dtypeOf(values);
    const data = allocate(dtype, values.length);
    data.set(values);
    return new Tensor(data, shapeGiven ?? [values.length], options);
  }
  if (typeof values === 'number') {
    const data = allocate(options.dtype ?? 'float32', 1);
    data[0] = values;
    return new Tensor(data, shapeGiven ?? [], options);
  }
  const shape: number[] = [];
  let probe: unknown = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  if (!Array.isArray(values) && typeof (values as ArrayLike<number>).length === 'number') {
    shape.length = 0;
    shape.push((values as ArrayLike<number>).length);
  }
  const flat: number[] = [];
  const walk = (v: unknown, axis: number): void => {
    if (axis === shape.length) {
      if (typeof v !== 'number') throw new Error(`tensor: expected a number at depth ${axis}, got ${typeof v}`);
      flat.push(v);
      return;
    }
    const arr = v as ArrayLike<unknown>;
    if (arr === null || typeof arr !== 'object' || arr.length !== shape[axis]) {
      throw new Error(`tensor: ragged nested array (expected length ${shape[axis]} at depth ${axis})`);
    }
    for (let i = 0; i < arr.length; i++) walk(arr[i], axis + 1);
  };
  walk(values, 0);
  const data = allocate(options.dtype ?? 'float32', flat.length);
  data.set(flat);
  return new Tensor(data, shapeGiven ?? shape, options);
}

/** Standard normal entries times `std`, from a seeded generator. */
export function randn(shape: Shape, rng: Rng, options: TensorOptions & { std?: number; mean?: number } = {}): Tensor {
  const t = zeros(shape, options);
  const std = options.std ?? 1;
  const mean = options.mean ?? 0;
  for (let i = 0; i < t.size; i++) t.data[i] = mean + std * rng.normal();
  return t;
}

/** Uniform entries in [low, high), from a seeded generator. */
export function rand(shape: Shape, rng: Rng, options: TensorOptions & { low?: number; high?: number } = {}): Tensor {
  const t = zeros(shape, options);
  const low = options.low ?? 0;
  const high = options.high ?? 1;
  for (let i = 0; i < t.size; i++) t.data[i] = low + (high - low) * rng.uniform();
  return t;
}

/** A [n, m] matrix of ones on and below diagonal `k` (k = 0: the causal mask), zeros above. */
export function trilMask(n: number, m = n, k = 0, options: TensorOptions = {}): Tensor {
  const t = zeros([n, m], options);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) if (j - i <= k) t.data[i * m + j] = 1;
  return t;
}

/** Throws if any element is NaN or infinite; `what` names the value in the message. */
export function assertFinite(t: Tensor | FloatArray, what: string): void {
  const data = t instanceof Tensor ? t.data : t;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new Error(`${what}: non-finite value ${data[i]} at flat index ${i}`);
  }
}

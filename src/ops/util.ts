/** Small checks and conversions shared by the ops. */
import { Tensor, allocLike, allocate, allocateUninitialized, dtypeOf, type DType, type FloatArray } from '../tensor/tensor.js';

/** A tensor or a plain number (made into a scalar of the other operand's dtype). */
export type Operand = Tensor | number;

export function asTensor(x: Operand, dtype: DType, op: string): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== 'number') throw new Error(`${op}: expected a Tensor or a number, got ${typeof x}`);
  const data = allocate(dtype, 1);
  data[0] = x;
  return new Tensor(data, []);
}

export function assertTensor(x: unknown, op: string, what = 'input'): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${op}: ${what} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
}

export function assertSameDType(op: string, ...tensors: Tensor[]): DType {
  const dtype = tensors[0]!.dtype;
  for (const t of tensors) {
    if (t.dtype !== dtype) {
      throw new Error(`${op}: dtype mismatch (${tensors.map((x) => x.dtype).join(' vs ')}); convert with .to('${dtype}')`);
    }
  }
  return dtype;
}

/** Like `like`, for outputs the caller writes whole: contents unspecified (kernels/alloc.ts). */
export function likeUninitialized(x: Tensor | FloatArray, n?: number): FloatArray {
  const data = x instanceof Tensor ? x.data : x;
  return allocateUninitialized(dtypeOf(data), n ?? data.length);
}

export function like(x: Tensor | FloatArray, n?: number): FloatArray {
  const data = x instanceof Tensor ? x.data : x;
  return allocLike(data, n ?? data.length);
}

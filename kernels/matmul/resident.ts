/**
 * Weights kept for inference in their file's format (float32, bfloat16 or IEEE half), placed once in
 * the wasm backend's memory (kernels/alloc.ts, allocateLongLived) so that the kernels read them where
 * they lie: a 16-bit weight stays two bytes. Products with a few rows of x (one-token decoding) run in
 * the matrix-vector kernels (kernels/wasm/assembly/matvec.ts), which widen 16-bit weights in
 * registers, the weight's rows split over the threads. Products with many rows (a prompt's prefill)
 * widen the weight a block of rows at a time into float32 and run the general matmul on each block,
 * so the float32 copy never exceeds one block. No gradients: training keeps float32 Tensors.
 * The kernels are a WebAssembly module of their own, added to the runtime on first use, so that a
 * bundle that never reaches them (the core entry's) does not carry them.
 */
import type { MatmulArgs } from '../types.js';
import { allocateLongLived } from '../alloc.js';
import { MIN_SPLIT_WORK } from '../wasm/call.js';
import { wasmRuntime, type KernelName, type WasmRuntime } from '../wasm/runtime.js';
import { residentModule } from '../wasm/generated/resident.js';

/** Rows of x up to which the matrix-vector kernel is used (above, matmul.ts's packed kernel wins). */
export const MATVEC_MAX_ROWS = 4;
/** Floats of one widened block of weight rows (8 MiB): the extra memory a prefill's product takes. */
export const WIDEN_BLOCK_FLOATS = 1 << 21;

export type CompactDType = 'float32' | 'bfloat16' | 'float16';

/** A matrix [rows, cols], row-major, in one of the CompactDTypes; 16-bit ones as their bit patterns. */
export class CompactMatrix {
  /** The values: float32, or the 16-bit patterns (host byte order, as every typed array here). */
  readonly values: Float32Array | Uint16Array;
  /** The block holding `values` (a float32 view of the same bytes): while it lives, its heap block stays taken. */
  private readonly block: Float32Array;

  /**
   * A matrix of its own memory, or (`over`) rows [firstRow, firstRow + rows) of another matrix of the
   * same width and format, over the same memory: linear maps of one input stacked into one matrix
   * (src/nn/fla/layers.ts) stay separate weights while one product computes them all.
   */
  constructor(readonly rows: number, readonly cols: number, readonly dtype: CompactDType, over?: CompactMatrix, firstRow = 0) {
    if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 0 && cols >= 0)) throw new Error(`CompactMatrix: shape [${rows}, ${cols}] is not two non-negative integers`);
    const n = rows * cols;
    if (over !== undefined) {
      if (over.cols !== cols || over.dtype !== dtype || !(Number.isInteger(firstRow) && firstRow >= 0 && firstRow + rows <= over.rows)) {
        throw new Error(`CompactMatrix: rows [${firstRow}, ${firstRow + rows}) of ${dtype} width ${cols} are not rows of a ${over.dtype} matrix [${over.rows}, ${over.cols}]`);
      }
      this.block = over.block;
      this.values = over.values.subarray(firstRow * cols, firstRow * cols + n);
      return;
    }
    const rt = wasmRuntime();
    // Long-lived blocks go to WebAssembly memory only when it is shared (its views survive growth).
    this.block = rt !== null && rt.shared ? allocateLongLived(dtype === 'float32' ? n : Math.ceil(n / 2)) : new Float32Array(dtype === 'float32' ? n : Math.ceil(n / 2));
    this.values = dtype === 'float32' ? this.block.subarray(0, n) : new Uint16Array(this.block.buffer, this.block.byteOffset, n);
  }

  /** Rows [r0, r1) as a matrix over the same memory. */
  rowsView(r0: number, r1: number): CompactMatrix {
    return new CompactMatrix(r1 - r0, this.cols, this.dtype, this, r0);
  }

  /** The values' bytes, for a loader to fill. */
  get bytes(): Uint8Array {
    return new Uint8Array(this.values.buffer, this.values.byteOffset, this.values.byteLength);
  }

  /** True when the runtime's kernels can read the values where they are (not after the runtime was replaced). */
  residentIn(rt: WasmRuntime | null): rt is WasmRuntime {
    return rt !== null && rt.heap.holds(this.block);
  }
}

const MATVEC_KERNEL: Record<CompactDType, KernelName> = { float32: 'matvecF32', bfloat16: 'matvecBF16', float16: 'matvecF16' };

/**
 * out [m, w.rows] = x [m, w.cols] · wᵀ. `matmul` is the backend's general product, for the blocks of
 * widened rows (and for float32 weights with many rows of x); `blockFloats` bounds a block.
 */
export function compactMatmul(x: Float32Array, m: number, w: CompactMatrix, out: Float32Array, matmul: (args: MatmulArgs) => void, blockFloats = WIDEN_BLOCK_FLOATS): void {
  const { rows: n, cols: k } = w;
  if (m === 0 || n === 0) return;
  if (k === 0) return void out.fill(0, 0, m * n);
  const rt = wasmRuntime();
  if (m <= MATVEC_MAX_ROWS && w.residentIn(rt)) return matvecResident(rt, x, m, w, out);
  const product = { batch: 1, k, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 };
  if (w.values instanceof Float32Array) return matmul({ ...product, a: x, b: w.values, out, m, n });
  // Widen a block of rows, multiply, scatter the block's columns into out.
  const blockRows = Math.max(1, Math.min(n, Math.floor(blockFloats / k)));
  // The widened block and the block's product live in the heap for the call (the matmul reads and
  // writes them in place), then go back: a prompt's products leave no garbage behind.
  const resident = w.residentIn(rt);
  const temporary = (floats: number) => (resident ? rt.heap.allocate(floats) : null) ?? new Float32Array(floats);
  const widened = temporary(blockRows * k);
  const parts = blockRows < n ? temporary(m * blockRows) : null;
  try {
    for (let j0 = 0; j0 < n; j0 += blockRows) {
      const j1 = Math.min(n, j0 + blockRows), count = j1 - j0;
      const block = widened.subarray(0, count * k);
      widenRows(w, j0, j1, block);
      const part = parts === null ? out : parts.subarray(0, m * count);
      matmul({ ...product, a: x, b: block, out: part, m, n: count });
      if (part !== out) for (let r = 0; r < m; r++) out.set(part.subarray(r * count, (r + 1) * count), r * n + j0);
    }
  } finally {
    if (resident) {
      rt.heap.release(widened);
      if (parts !== null) rt.heap.release(parts);
    }
  }
}

/** The matrix-vector kernel of w's dtype on resident weights, the n outputs split over the threads. */
function matvecResident(rt: WasmRuntime, x: Float32Array, m: number, w: CompactMatrix, out: Float32Array): void {
  const { rows: n, cols: k } = w;
  rt.addModule(residentModule);
  rt.reset();
  const rows = x.subarray(0, m * k);
  const arranged = w.dtype === 'bfloat16' ? new Float32Array(m * k) : rows;
  if (arranged !== rows) for (let r = 0; r < m; r++) arrangeForMatvec(rows.subarray(r * k, (r + 1) * k), w.dtype, arranged.subarray(r * k, (r + 1) * k));
  const target = out.subarray(0, m * n);
  const outp = rt.heap.holds(target) ? target.byteOffset : rt.alloc(m * n);
  runMatvec(rt, w, rt.put(arranged), outp, m);
  rt.copyOut(outp, m * n, target);
}

/** The kernel over x at `xp` (m rows, arranged) into out at `outp`, split over the threads when the product is large enough. */
function runMatvec(rt: WasmRuntime, w: CompactMatrix, xp: number, outp: number, m: number): void {
  const { rows: n, cols: k } = w;
  rt.run(MATVEC_KERNEL[w.dtype], (lo, hi) => [xp, w.values.byteOffset, outp, m, n, k, lo, hi], n, 0, m * n * k >= MIN_SPLIT_WORK / 4);
}

/**
 * One row x [k] into `into` [k] in the order the matrix-vector kernel of `dtype` reads it: as it is,
 * except for matvecBF16, which reads each group of eight below k & ~15 as its even-numbered
 * elements, then its odd-numbered ones.
 */
export function arrangeForMatvec(x: Float32Array, dtype: CompactDType, into: Float32Array): void {
  const k = x.length;
  if (dtype !== 'bfloat16') return into.set(x);
  const k16 = k & ~15;
  for (let g = 0; g < k16; g += 8) {
    for (let i = 0; i < 4; i++) {
      into[g + i] = x[g + 2 * i]!;
      into[g + 4 + i] = x[g + 2 * i + 1]!;
    }
  }
  for (let p = k16; p < k; p++) into[p] = x[p]!;
}

/**
 * out [w.rows] = w · x for one row x [w.cols] arranged by arrangeForMatvec, w resident in `rt` and x
 * and out living in its memory: read and written in place, nothing copied (a decoding step's products).
 */
export function matvecInPlace(rt: WasmRuntime, w: CompactMatrix, x: Float32Array, out: Float32Array): void {
  if (!w.residentIn(rt) || !rt.heap.holds(x) || !rt.heap.holds(out) || x.length !== w.cols || out.length !== w.rows) {
    throw new Error(`matvecInPlace: weight [${w.rows}, ${w.cols}], x [${x.length}] and out [${out.length}] must agree and all lie in the runtime's memory`);
  }
  rt.reset();
  runMatvec(rt, w, x.byteOffset, out.byteOffset, 1);
}

/** Rows [j0, j1) of w as float32, into `into` ((j1 − j0) · cols floats): in the wasm kernel where w is resident. */
export function widenRows(w: CompactMatrix, j0: number, j1: number, into: Float32Array): void {
  const from = j0 * w.cols, count = (j1 - j0) * w.cols;
  if (w.values instanceof Float32Array) return into.set(w.values.subarray(from, from + count));
  const rt = wasmRuntime();
  if (count >= 4096 && w.residentIn(rt) && rt.heap.holds(into)) {
    rt.addModule(residentModule);
    rt.reset();
    const src = w.values.byteOffset + 2 * from;
    rt.run('widen16', (lo, hi) => [src, into.byteOffset, w.dtype === 'bfloat16' ? 1 : 0, lo, hi], count, 0, count >= MIN_SPLIT_WORK, 8);
    return;
  }
  widen16Js(w.values, w.dtype === 'bfloat16', from, count, into);
}

/** The rows `ids` of w as float32, one after another: out [ids.length, cols] (an embedding lookup). */
export function compactRows(w: CompactMatrix, ids: ArrayLike<number>, out: Float32Array): void {
  const k = w.cols;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (w.values instanceof Float32Array) out.set(w.values.subarray(id * k, (id + 1) * k), i * k);
    else widen16Js(w.values, w.dtype === 'bfloat16', id * k, k, out.subarray(i * k, (i + 1) * k));
  }
}

const wide = new Float32Array(1);
const wideBits = new Uint32Array(wide.buffer);

/**
 * count 16-bit values from `from` as float32 into `into`: bfloat16 as the upper half of a float32;
 * a half's magnitude moved into float32's places and scaled by 2^112 (the exponent biases' difference,
 * which also makes half subnormals float32 normals), infinity and NaN by hand, then the sign.
 */
function widen16Js(bits: Uint16Array, brain: boolean, from: number, count: number, into: Float32Array): void {
  if (brain) {
    const out = new Uint32Array(into.buffer, into.byteOffset, count);
    for (let i = 0; i < count; i++) out[i] = bits[from + i]! << 16;
    return;
  }
  for (let i = 0; i < count; i++) {
    const h = bits[from + i]!;
    wideBits[0] = (h & 0x7fff) << 13;
    wide[0] *= 2 ** 112;
    if ((h & 0x7c00) === 0x7c00) wideBits[0] = wideBits[0]! | 0x7f800000;
    wideBits[0] = wideBits[0]! | ((h & 0x8000) << 16);
    into[i] = wide[0]!;
  }
}

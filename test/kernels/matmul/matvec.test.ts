/**
 * Weights kept compact for inference (kernels/matmul/resident.ts): float32, bfloat16 and half
 * matrices in WebAssembly memory. The matrix-vector kernels (a few rows of x) and the widened-block
 * path (many rows) are pinned to a float64 reference whose weights are decoded by src/io/halfFloat.ts
 * on random shapes (odd sizes, one row, one output, one input); the widening kernel gives every
 * 16-bit pattern's exact float32; one thread and two give the same bits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { referenceBackend } from '../../../kernels/backends/reference.js';
import { wasmBackend } from '../../../kernels/backends/wasm.js';
import { CompactMatrix, compactMatmul, compactRows, MATVEC_MAX_ROWS, widenRows, type CompactDType } from '../../../kernels/matmul/resident.js';
import { setWasmThreads, threadsWanted, wasmRuntime } from '../../../kernels/wasm/runtime.js';
import '../../../kernels/threads/index.js'; // the thread pool, for the runs on two threads
import { bf16BytesToFloat32, f16BytesToFloat32, float32ToBf16Bits } from '../../../src/io/halfFloat.js';
import { Rng } from '../../../src/tensor/rng.js';
import { randomArray } from '../helpers.js';

const DTYPES: CompactDType[] = ['float32', 'bfloat16', 'float16'];

/** A compact matrix of random values: bf16 rounded from uniform(−1, 1); half as any finite bit pattern (subnormals to 65504). */
function randomMatrix(rng: Rng, rows: number, cols: number, dtype: CompactDType): CompactMatrix {
  const w = new CompactMatrix(rows, cols, dtype);
  const values = w.values;
  for (let i = 0; i < values.length; i++) {
    if (values instanceof Float32Array) values[i] = 2 * rng.uniform() - 1;
    else if (dtype === 'bfloat16') values[i] = float32ToBf16Bits(2 * rng.uniform() - 1);
    else values[i] = Math.floor(rng.uniform() * 0x7c00) | (rng.uniform() < 0.5 ? 0x8000 : 0);
  }
  return w;
}

/** The matrix's values as float64, decoded by the file reader's own functions (an independent reference). */
function decoded(w: CompactMatrix): Float64Array {
  if (w.values instanceof Float32Array) return Float64Array.from(w.values);
  const decode = w.dtype === 'bfloat16' ? bf16BytesToFloat32 : f16BytesToFloat32;
  return Float64Array.from(decode(w.bytes, 0, w.values.length));
}

/** out = x · wᵀ in float64, and Σ|x||w| per output (the scale of float32's rounding error). */
function reference(x: Float32Array, m: number, w: CompactMatrix): { want: Float64Array; scale: Float64Array } {
  const { rows: n, cols: k } = w;
  const wd = decoded(w);
  const args = { batch: 1, m, n, k, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 };
  const want = new Float64Array(m * n), scale = new Float64Array(m * n);
  referenceBackend.matmul({ ...args, a: Float64Array.from(x), b: wd, out: want });
  referenceBackend.matmul({ ...args, a: Float64Array.from(x, Math.abs), b: wd.map(Math.abs), out: scale });
  return { want, scale };
}

function product(x: Float32Array, m: number, w: CompactMatrix, blockFloats?: number): Float32Array {
  const out = new Float32Array(m * w.rows);
  compactMatmul(x, m, w, out, (args) => wasmBackend.matmul(args), blockFloats);
  return out;
}

describe('weights kept compact in WebAssembly memory', () => {
  const threads = threadsWanted();
  beforeAll(() => setWasmThreads(2));
  afterAll(() => setWasmThreads(threads));

  it('places the matrix in the shared memory at its format\'s width, zeroed', () => {
    for (const dtype of DTYPES) {
      const w = new CompactMatrix(7, 143, dtype);
      expect(w.residentIn(wasmRuntime()), dtype).toBe(true);
      expect(w.values.length).toBe(7 * 143);
      expect(w.bytes.length).toBe(7 * 143 * (dtype === 'float32' ? 4 : 2));
      expect(w.values.every((v) => v === 0)).toBe(true);
    }
  });

  it('the matrix-vector kernels and the widened blocks agree with the float64 reference on random shapes (1 row, 1 output, 1 input, odd sizes, several blocks)', () => {
    fc.assert(
      fc.property(
        fc.record({
          dtype: fc.constantFrom(...DTYPES),
          m: fc.oneof(fc.integer({ min: 1, max: MATVEC_MAX_ROWS }), fc.integer({ min: MATVEC_MAX_ROWS + 1, max: 13 })),
          n: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1000, max: 2100 })),
          k: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 200, max: 700 })),
          blockFloats: fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 5000 })),
          seed: fc.nat(),
        }),
        ({ dtype, m, n, k, blockFloats, seed }) => {
          const rng = new Rng(seed);
          const x = randomArray(rng, m * k, 'float32') as Float32Array;
          const w = randomMatrix(rng, n, k, dtype);
          const got = product(x, m, w, blockFloats);
          const { want, scale } = reference(x, m, w);
          for (let i = 0; i < got.length; i++) {
            expect(Math.abs(got[i]! - want[i]!), `${dtype} ${m}×${n}×${k} [${i}]`).toBeLessThanOrEqual(2 * k * 2 ** -24 * scale[i]! + 1e-30);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('widens every bfloat16 and half pattern to its exact float32, in the wasm kernel and in js', () => {
    for (const dtype of ['bfloat16', 'float16'] as const) {
      const n = 65536 + 7; // the last seven take the scalar tail: patterns 0–6 (half subnormals)
      const w = new CompactMatrix(1, n, dtype);
      for (let i = 0; i < n; i++) w.values[i] = i & 0xffff;
      const want = (dtype === 'bfloat16' ? bf16BytesToFloat32 : f16BytesToFloat32)(w.bytes, 0, n);
      const fromWasm = wasmRuntime()!.heap.allocate(n)!; // in the memory: widenRows runs the wasm kernel
      widenRows(w, 0, 1, fromWasm);
      const fromJs = new Float32Array(n);
      compactRows(w, [0], fromJs);
      for (const [got, where] of [[fromWasm, 'wasm'], [fromJs, 'js']] as const) {
        const bits = new Uint32Array(got.buffer, got.byteOffset, n), wantBits = new Uint32Array(want.buffer, want.byteOffset, n);
        for (let i = 0; i < n; i++) {
          if (Number.isNaN(want[i]!)) expect(Number.isNaN(got[i]!), `${dtype} ${where} ${i.toString(16)}`).toBe(true);
          else if (bits[i] !== wantBits[i]) expect(got[i], `${dtype} ${where} pattern ${i.toString(16)}`).toBe(want[i]);
        }
      }
    }
  });

  it('adds the resident kernels\' module to a fresh runtime on first use, once, for its pool threads too', () => {
    setWasmThreads(2); // a fresh runtime
    const rt = wasmRuntime()!;
    expect(rt.kernels.matvecBF16).toBeUndefined();
    const rng = new Rng(5);
    const [n, k] = [1500, 1023];
    const w = randomMatrix(rng, n, k, 'bfloat16');
    const x = randomArray(rng, k, 'float32') as Float32Array;
    const posted = rt.pool!.jobsPosted;
    const first = product(x, 1, w);
    expect(typeof rt.kernels.matvecBF16).toBe('function');
    expect(rt.pool!.jobsPosted).toBe(posted + 1);
    const kernels = rt.kernels;
    expect(Buffer.from(product(x, 1, w).buffer).equals(Buffer.from(first.buffer))).toBe(true);
    expect(rt.kernels).toBe(kernels);
  });

  it('gives the same bits on one thread and on two, and two threads share the rows', () => {
    for (const dtype of DTYPES) {
      const rng = new Rng(3);
      const [m, n, k] = [1, 2049, 1023];
      const x = randomArray(rng, m * k, 'float32') as Float32Array;
      const w = randomMatrix(rng, n, k, dtype);
      const pool = wasmRuntime()!.pool!;
      const posted = pool.jobsPosted;
      const two = product(x, m, w);
      expect(pool.jobsPosted, dtype).toBe(posted + 1);
      setWasmThreads(1);
      try {
        const again = new CompactMatrix(n, k, dtype);
        again.values.set(w.values);
        expect(again.residentIn(wasmRuntime())).toBe(true);
        const one = product(x, m, again);
        expect(Buffer.from(one.buffer).equals(Buffer.from(two.buffer)), dtype).toBe(true);
      } finally {
        setWasmThreads(2);
      }
    }
  });

  it('works above 2 GiB: weights, copies in and out at addresses past 2³¹ (the memory may grow to 4 GiB)', () => {
    const rt = wasmRuntime()!;
    const filler = rt.heap.allocateBytes(2 ** 31); // address space only: never touched, so never in RSS
    expect(filler).toBeGreaterThan(0);
    try {
      const rng = new Rng(5);
      const w = randomMatrix(rng, 37, 101, 'bfloat16');
      expect(w.residentIn(rt)).toBe(true);
      expect(w.values.byteOffset).toBeGreaterThan(2 ** 31);
      const x = randomArray(rng, 101, 'float32') as Float32Array;
      const got = product(x, 1, w);
      const { want, scale } = reference(x, 1, w);
      got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(2 * 101 * 2 ** -24 * scale[i]!));
      // An input larger than the temporaries' arena is copied to the heap's end, past 2³¹, and read back.
      rt.reset();
      const big = randomArray(rng, 5_000_000, 'float32') as Float32Array;
      const at = rt.put(big);
      expect(at).toBeGreaterThan(2 ** 31);
      expect(Buffer.from(rt.take(at, big.length).buffer).equals(Buffer.from(big.buffer))).toBe(true);
      rt.reset();
    } finally {
      rt.heap.freeBytes(filler, 2 ** 31);
    }
  });
});

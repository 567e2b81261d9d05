/**
 * The matrix-vector path of decoding (kernels/matmul/resident.ts): a few rows of x times a resident
 * weight's transpose, pinned to the float64 reference on random shapes (odd sizes, one row, one
 * column, one input), the same bits on one thread and two, and the training path left alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { wasmBackend } from '../../../kernels/backends/wasm.js';
import { referenceBackend } from '../../../kernels/backends/reference.js';
import { isResidentWeight, MATVEC_MAX_ROWS, residentWeight, takesMatvec } from '../../../kernels/matmul/resident.js';
import { setWasmThreads, threadsWanted, wasmRuntime } from '../../../kernels/wasm/runtime.js';
import '../../../kernels/threads/index.js'; // the thread pool, for the runs on two threads
import { Rng } from '../../../src/tensor/rng.js';
import { randomArray } from '../helpers.js';

const product = (a: Float32Array, w: Float32Array, m: number, n: number, k: number) => {
  const out = new Float32Array(m * n);
  wasmBackend.matmul({ a, b: w, out, batch: 1, m, n, k, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 });
  return out;
};

const resident = (values: Float32Array) => {
  const w = residentWeight(values.length);
  w.set(values);
  return w;
};

describe('matrix-vector product on resident weights', () => {
  const threads = threadsWanted();
  beforeAll(() => setWasmThreads(2));
  afterAll(() => setWasmThreads(threads));

  it('places weights in the shared WebAssembly memory', () => {
    const w = residentWeight(1000);
    expect(isResidentWeight(w)).toBe(true);
    expect(wasmRuntime()!.heap.holds(w)).toBe(true);
    expect(w.every((v) => v === 0)).toBe(true);
    expect(isResidentWeight(new Float32Array(1000))).toBe(false);
  });

  it('agrees with the float64 reference on random shapes (1 row, 1 output, 1 input, odd sizes, above the thread split)', () => {
    fc.assert(
      fc.property(fc.record({ m: fc.integer({ min: 1, max: MATVEC_MAX_ROWS }), n: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1000, max: 3000 })),
        k: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 200, max: 900 })), seed: fc.nat() }), ({ m, n, k, seed }) => {
        const rng = new Rng(seed);
        const x = randomArray(rng, m * k, 'float32') as Float32Array;
        const w = resident(randomArray(rng, n * k, 'float32') as Float32Array);
        const args = { batch: 1, m, n, k, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 };
        expect(takesMatvec({ ...args, a: x, b: w, out: new Float32Array(m * n) })).toBe(true);
        const got = product(x, w, m, n, k);
        const want = new Float64Array(m * n);
        referenceBackend.matmul({ ...args, a: Float64Array.from(x), b: Float64Array.from(w), out: want });
        for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!), `${m}×${n}×${k} [${i}]`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(want[i]!)) * Math.sqrt(k) * 4);
      }),
      { numRuns: 40 },
    );
  });

  it('gives the same bits on one thread and on two, and two threads share the rows', () => {
    const rng = new Rng(3);
    const [m, n, k] = [1, 2049, 1023];
    const x = randomArray(rng, m * k, 'float32') as Float32Array;
    const values = randomArray(rng, n * k, 'float32') as Float32Array;
    const w = resident(values);
    const pool = wasmRuntime()!.pool!;
    const posted = pool.jobsPosted;
    const two = product(x, w, m, n, k);
    expect(pool.jobsPosted).toBe(posted + 1);
    setWasmThreads(1);
    try {
      const w = resident(values);
      expect(isResidentWeight(w)).toBe(true);
      const one = product(x, w, m, n, k);
      expect(Buffer.from(one.buffer).equals(Buffer.from(two.buffer))).toBe(true);
    } finally {
      setWasmThreads(2);
    }
  });

  it('leaves every other product to the general kernel (training keeps its bits)', () => {
    const rng = new Rng(4);
    const [n, k] = [37, 53];
    const w = resident(randomArray(rng, n * k, 'float32') as Float32Array);
    const base = { batch: 1, n, k, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0, out: new Float32Array(8 * n) };
    expect(takesMatvec({ ...base, m: MATVEC_MAX_ROWS + 1, a: new Float32Array((MATVEC_MAX_ROWS + 1) * k), b: w })).toBe(false);
    expect(takesMatvec({ ...base, m: 1, a: new Float32Array(k), b: Float32Array.from(w) })).toBe(false);
    expect(takesMatvec({ ...base, m: 1, a: new Float32Array(k), b: w, accumulate: true })).toBe(false);
    expect(takesMatvec({ ...base, m: 1, a: new Float32Array(k), b: w, transB: false })).toBe(false);
  });
});

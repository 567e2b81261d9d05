/**
 * The wasm backend pinned to the reference: float32 runs the WebAssembly SIMD kernels (shapes drawn
 * past the 4-float vector, the 4 × 8 matmul tile and the 256-deep k block), float64 the js fallback.
 * Then the threaded runtime: same bits with one thread and with two.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { wasmAvailable, wasmBackend } from '../../../kernels/backends/wasm.js';
import { resetWasmRuntime, setWasmThreads, wasmRuntime } from '../../../kernels/wasm/runtime.js';
import '../../../kernels/threads/index.js'; // the thread pool, for the runs on two threads
import { Rng } from '../../../src/tensor/rng.js';
import { referenceBackend } from '../../../kernels/backends/reference.js';
import { describeConformance } from './conformance.js';
import { randomArray, toleranceFor } from '../helpers.js';

describe('wasm backend availability', () => {
  it('loads the WebAssembly SIMD kernels in Node 20', () => {
    expect(wasmAvailable()).toBe(true);
  });

  it('fuses the matmul multiply-adds where relaxed SIMD is there (Node 20: behind the flag it turns on), and not with FASTWEIGHTS_RELAXED_SIMD=0', () => {
    const rng = new Rng(5);
    const [m, n, k] = [33, 40, 300];
    const a = randomArray(rng, m * k, 'float32'), b = randomArray(rng, k * n, 'float32');
    const product = () => {
      const out = new Float32Array(m * n);
      wasmBackend.matmul({ a, b, out, batch: 1, m, n, k, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
      return out;
    };
    try {
      resetWasmRuntime();
      expect(wasmRuntime()!.fused).toBe(true);
      const fused = product();
      vi.stubEnv('FASTWEIGHTS_RELAXED_SIMD', '0');
      resetWasmRuntime();
      expect(wasmRuntime()!.fused).toBe(false);
      const plain = product();
      // One rounding per multiply-add instead of two: close, and not the same bits (the patch is live).
      let differ = 0;
      for (let i = 0; i < plain.length; i++) {
        expect(Math.abs(fused[i]! - plain[i]!)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(plain[i]!)));
        if (fused[i] !== plain[i]) differ++;
      }
      expect(differ).toBeGreaterThan(plain.length / 10);
    } finally {
      vi.unstubAllEnvs();
      resetWasmRuntime();
    }
  });
});

describeConformance(wasmBackend, { dtypes: ['float32', 'float64'], tolerance: toleranceFor, numRuns: 60, maxSize: 13, maxT: 40 });
// Larger shapes: several tiles, panels and k blocks; not every case, fewer runs.
describeConformance(wasmBackend, { dtypes: ['float32'], tolerance: () => 5e-4, numRuns: 8, maxSize: 300, maxT: 70 });

describe('wasm matmul cache blocking', () => {
  it('agrees with the reference past the 256-row and 256-deep blocks (partial blocks, transposes, accumulate)', () => {
    const rng = new Rng(21);
    for (const [m, n, k] of [[601, 37, 300], [257, 9, 513], [300, 260, 1]] as const) {
      for (const [transA, transB, accumulate] of [[false, false, false], [true, false, true], [false, true, false], [true, true, true]] as const) {
        const a = randomArray(rng, m * k, 'float32'), b = randomArray(rng, k * n, 'float32');
        const start = randomArray(rng, m * n, 'float32');
        const got = Float32Array.from(start), want = Float64Array.from(start);
        const args = { batch: 1, m, n, k, transA, transB, accumulate, aBatchStride: 0, bBatchStride: 0 };
        wasmBackend.matmul({ ...args, a, b, out: got });
        referenceBackend.matmul({ ...args, a, b, out: want });
        for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!), `${m}×${n}×${k} ${transA} ${transB} ${accumulate} [${i}]`).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(want[i]!)) * Math.sqrt(k));
      }
    }
  });
});

describe('wasm threads', () => {
  afterAll(() => setWasmThreads(1));

  it('gives the same bits with one thread and with two (and two threads really share the work)', () => {
    fc.assert(
      fc.property(fc.record({ m: fc.integer({ min: 1, max: 200 }), n: fc.integer({ min: 1, max: 200 }), k: fc.integer({ min: 1, max: 300 }), batch: fc.integer({ min: 1, max: 3 }), N: fc.integer({ min: 3, max: 5 }), seed: fc.nat() }), ({ m, n, k, batch, N, seed }) => {
        const rng = new Rng(seed);
        const a = randomArray(rng, batch * m * k, 'float32');
        const b = randomArray(rng, batch * k * n, 'float32');
        // Scans of N ≥ 3 heads of this size, and 2²⁰ elements, are above the size where work is split.
        const T = 100, d = 64, big = 1 << 20;
        const q = randomArray(rng, N * T * d, 'float32', 0, 2 / d), kk = randomArray(rng, N * T * d, 'float32', 0, 2 / d);
        const v = randomArray(rng, N * T * d, 'float32'), beta = randomArray(rng, N * T, 'float32', 0, 1), dy = randomArray(rng, N * T * d, 'float32');
        const x = randomArray(rng, big, 'float32', -8, 8);
        const runAll = () => {
          const out = new Float32Array(batch * m * n);
          wasmBackend.matmul({ a, b, out, batch, m, n, k, transA: false, transB: true, aBatchStride: m * k, bBatchStride: k * n });
          const args = { q, k: kk, v, beta, N, T, dk: d, dv: d, initialState: null };
          const forward = wasmBackend.deltaScanForward(args);
          const grads = wasmBackend.deltaScanBackward({ ...args, forward, dy, dFinalState: null });
          const sumArgs = { q, k: kk, v, N, T, dk: d, dv: d, normalise: true, eps: 1e-6, initialState: null, initialZ: null };
          const sumForward = wasmBackend.sumScanForward(sumArgs);
          const sumGrads = wasmBackend.sumScanBackward({ ...sumArgs, forward: sumForward, dy, dFinalState: null, dFinalZ: null });
          const softmax = wasmBackend.softmaxRows(x, 1024, 1024);
          return [out, forward.y, grads.dk, grads.dbeta, sumForward.y, sumGrads.dq, wasmBackend.gelu(x), wasmBackend.geluWithSlope(x).y, wasmBackend.geluWithSlope(x).slope, softmax.probs, softmax.logSumExp,
            wasmBackend.binary('add', x, x.length, b, b.length, x.length), wasmBackend.sumRows(x, 4, x.length / 4),
            // A scalar operand is splatted into each thread's own scratch.
            wasmBackend.binary('mul', x, x.length, b.subarray(0, 1), 1, x.length), wasmBackend.binary('sub', b.subarray(1, 2), 1, x, x.length, x.length)];
        };
        setWasmThreads(1);
        const one = runAll();
        setWasmThreads(2);
        const pool = wasmRuntime()!.pool!;
        const two = runAll();
        expect(pool.jobsPosted).toBeGreaterThanOrEqual(9); // every scan and elementwise call above was split
        for (let i = 0; i < one.length; i++) expect(Buffer.from(two[i]!.buffer).equals(Buffer.from(one[i]!.buffer)), `output ${i}`).toBe(true);
      }),
      { numRuns: 6 },
    );
  });

  it('refuses a bad thread count with its name', () => {
    expect(() => setWasmThreads(0)).toThrow('setWasmThreads: expected an integer from 1 to 64, got 0');
    resetWasmRuntime();
  });
});

describe('FASTWEIGHTS_THREADS', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('sets the thread count, and a bad value is an error that names the variable', async () => {
    vi.stubEnv('FASTWEIGHTS_THREADS', '1');
    const one = await import('../../../kernels/wasm/runtime.js');
    expect(one.wasmRuntime()!.threads).toBe(1);
    vi.resetModules();
    vi.stubEnv('FASTWEIGHTS_THREADS', 'two');
    const bad = await import('../../../kernels/wasm/runtime.js');
    expect(() => bad.wasmRuntime()).toThrow("FASTWEIGHTS_THREADS must be an integer from 1 to 64, got 'two'");
  });

  it('FASTWEIGHTS_RELAXED_SIMD takes 0 or 1, and anything else is an error that names the variable', async () => {
    vi.stubEnv('FASTWEIGHTS_RELAXED_SIMD', 'no');
    const bad = await import('../../../kernels/wasm/runtime.js');
    expect(() => bad.wasmRuntime()).toThrow("FASTWEIGHTS_RELAXED_SIMD must be 0 or 1, got 'no'");
  });
});

/**
 * The gpu backend (gpu.js, mode webasm on these machines) pinned to the reference. gpu.js computes in
 * float32, so float32 gets a float32 tolerance; float64 runs through the js delegation and is checked
 * as tightly as the js backend.
 */
import { describe, expect, it } from 'vitest';
import { gpuBackend } from '../../../kernels/backends/gpu.js';
import { gpuMode } from '../../../kernels/gpu/context.js';
import { referenceBackend } from '../../../kernels/backends/reference.js';
import { describeConformance } from './conformance.js';
import { expectClose, randomArray, toleranceFor } from '../helpers.js';
import { Rng } from '../../../src/tensor/rng.js';

describe('gpu backend setup', () => {
  it('runs in a gpu.js mode and reads inputs that are views into a larger buffer', () => {
    expect(['webasm', 'cpu', 'webgl', 'webgl2', 'headlessgl', 'webgpu', 'gpu']).toContain(gpuMode());
    const buffer = new Float32Array(40).map((_, i) => (i % 7) - 3);
    const a = buffer.subarray(5, 5 + 6); // 2 × 3, starting at a non-zero byte offset
    const b = buffer.subarray(17, 17 + 12); // 3 × 4
    const expected = new Float32Array(8);
    const actual = new Float32Array(8);
    const args = { a, b, batch: 1, m: 2, n: 4, k: 3, transA: false, transB: false, aBatchStride: 6, bBatchStride: 12 };
    referenceBackend.matmul({ ...args, out: expected });
    gpuBackend.matmul({ ...args, out: actual });
    expectClose(actual, expected, 1e-6, 'matmul on views');
  });
});

describeConformance(gpuBackend, { dtypes: ['float32', 'float64'], tolerance: (d) => (d === 'float32' ? 1e-4 : toleranceFor(d)), numRuns: 20, maxSize: 11, maxT: 20 });

describe('gpu scans over several chunks', () => {
  it('sum (normalised) and delta scans with T = 130 (chunks of 64, 64 and 2) match the reference', () => {
    const rng = new Rng(3);
    const [N, T, dk, dv] = [2, 130, 3, 5];
    const q = randomArray(rng, N * T * dk, 'float32', 0.03, 0.6);
    const k = randomArray(rng, N * T * dk, 'float32', 0.03, 0.6);
    const v = randomArray(rng, N * T * dv, 'float32');
    const beta = randomArray(rng, N * T, 'float32', 0, 1);
    const initialState = randomArray(rng, N * dv * dk, 'float32');
    const dy = randomArray(rng, N * T * dv, 'float32');
    const sumArgs = { q, k, v, N, T, dk, dv, normalise: true, eps: 1e-5, initialState, initialZ: null };
    const [s0, s1] = [referenceBackend.sumScanForward(sumArgs), gpuBackend.sumScanForward(sumArgs)];
    expectClose(s1.y, s0.y, 1e-4, 'sum y');
    const [gs0, gs1] = [
      referenceBackend.sumScanBackward({ ...sumArgs, forward: s0, dy, dFinalState: null, dFinalZ: null }),
      gpuBackend.sumScanBackward({ ...sumArgs, forward: s1, dy, dFinalState: null, dFinalZ: null }),
    ];
    expectClose(gs1.dk, gs0.dk, 1e-4, 'sum dk');
    expectClose(gs1.dInitialState, gs0.dInitialState, 1e-4, 'sum dInitialState');
    const deltaArgs = { q, k, v, beta, N, T, dk, dv, initialState };
    const [d0, d1] = [referenceBackend.deltaScanForward(deltaArgs), gpuBackend.deltaScanForward(deltaArgs)];
    expectClose(d1.y, d0.y, 1e-4, 'delta y');
    expectClose(d1.finalState, d0.finalState, 1e-4, 'delta finalState');
    const [gd0, gd1] = [
      referenceBackend.deltaScanBackward({ ...deltaArgs, forward: d0, dy, dFinalState: null }),
      gpuBackend.deltaScanBackward({ ...deltaArgs, forward: d1, dy, dFinalState: null }),
    ];
    expectClose(gd1.dq, gd0.dq, 1e-4, 'delta dq');
    expectClose(gd1.dk, gd0.dk, 1e-4, 'delta dk');
    expectClose(gd1.dv, gd0.dv, 1e-4, 'delta dv');
    expectClose(gd1.dbeta, gd0.dbeta, 1e-4, 'delta dbeta');
    expectClose(gd1.dInitialState, gd0.dInitialState, 1e-4, 'delta dInitialState');
  });
});

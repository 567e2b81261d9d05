/**
 * Fixed kernel cases that pin a backend to the float64 reference, written without vitest or
 * fast-check so that they run inside a browser page (test/browser/pages/suite.ts) as well as in Node.
 * The backend gets float32 inputs; the reference gets the same values and computes in float64.
 * Each case returns its worst scaled error (|actual − expected| / max(1, max |expected|)) over
 * every output it compares, like test/kernels/helpers.ts's scaledError.
 */
import type { FloatArray, KernelBackend } from '../../../kernels/types.js';
import { referenceBackend as ref } from '../../../kernels/backends/reference.js';
import { Rng } from '../../../src/tensor/rng.js';

/** gpu.js computes in float32: the same tolerance as the Node gpu conformance tests. */
export const FLOAT32_TOLERANCE = 1e-4;

export interface KernelCaseResult {
  name: string;
  /** The worst scaled error over the case's outputs (NaN when an output was NaN or missing). */
  error: number;
  /** The output that had the worst error. */
  worst: string;
  agrees: boolean;
}

function uniform(rng: Rng, n: number, low = -1, high = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = low + (high - low) * rng.uniform();
  return out;
}

const wide = (a: Float32Array | null) => (a === null ? null : Float64Array.from(a));

function scaledError(actual: ArrayLike<number> | null, expected: ArrayLike<number> | null): number {
  if (actual === null || expected === null) return actual === expected ? 0 : NaN;
  if (actual.length !== expected.length) return NaN;
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i]! - expected[i]!);
    if (!(e <= worst)) worst = e; // NaN stays NaN
  }
  return worst / scale;
}

/** Compares named output pairs; the case's error is the worst of them. */
class Comparison {
  error = 0;
  worst = '';
  add(what: string, actual: FloatArray | null, expected: FloatArray | null): void {
    const e = scaledError(actual, expected);
    if (!(e <= this.error)) {
      this.error = e;
      this.worst = what;
    }
  }
}

interface Case {
  name: string;
  run(backend: KernelBackend, rng: Rng, comparison: Comparison): void;
}

function matmulCase(batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean, broadcastA = false, accumulate = false): Case {
  return {
    name: `matmul ${batch}×${m}×${n}×${k}${transA ? ' Aᵀ' : ''}${transB ? ' Bᵀ' : ''}${broadcastA ? ' A broadcast' : ''}${accumulate ? ' accumulate' : ''}`,
    run(backend, rng, comparison) {
      const a = uniform(rng, (broadcastA ? 1 : batch) * m * k);
      const b = uniform(rng, batch * k * n);
      const start = uniform(rng, batch * m * n);
      const common = { batch, m, n, k, transA, transB, aBatchStride: broadcastA ? 0 : m * k, bBatchStride: k * n, accumulate };
      const expected = Float64Array.from(start);
      ref.matmul({ ...common, a: wide(a)!, b: wide(b)!, out: expected });
      const actual = start.slice();
      backend.matmul({ ...common, a, b, out: actual });
      comparison.add('out', actual, expected);
    },
  };
}

function outerCase(batch: number, T: number, m: number, n: number): Case {
  return {
    name: `outer and outerSum ${batch}×${T}×${m}×${n}`,
    run(backend, rng, comparison) {
      const a = uniform(rng, batch * m), c = uniform(rng, batch * n);
      comparison.add('outer', backend.outer(a, c, batch, m, n), ref.outer(wide(a)!, wide(c)!, batch, m, n));
      const as = uniform(rng, batch * T * m), cs = uniform(rng, batch * T * n);
      comparison.add('outerSum', backend.outerSum(as, cs, batch, T, m, n), ref.outerSum(wide(as)!, wide(cs)!, batch, T, m, n));
    },
  };
}

function sumScanCase(N: number, T: number, dk: number, dv: number, normalise: boolean, withInitial: boolean): Case {
  return {
    name: `sum scan ${N}×${T}×${dk}×${dv}${normalise ? ' normalised' : ''}${withInitial ? ' with initial state' : ''}`,
    run(backend, rng, comparison) {
      // q, k positive and scaled like φ' outputs (summing to about one), so y stays of order one.
      const q = uniform(rng, N * T * dk, 0.1 / dk, 2 / dk), k = uniform(rng, N * T * dk, 0.1 / dk, 2 / dk), v = uniform(rng, N * T * dv);
      const initialState = withInitial ? uniform(rng, N * dv * dk) : null;
      const initialZ = withInitial && normalise ? uniform(rng, N * dk, 0, 1 / dk) : null;
      const dy = uniform(rng, N * T * dv);
      const dFinalState = uniform(rng, N * dv * dk);
      const dFinalZ = normalise ? uniform(rng, N * dk) : null;
      const shape = { N, T, dk, dv, normalise, eps: 1e-5 };
      const args32 = { ...shape, q, k, v, initialState, initialZ };
      const args64 = { ...shape, q: wide(q)!, k: wide(k)!, v: wide(v)!, initialState: wide(initialState), initialZ: wide(initialZ) };
      const f1 = backend.sumScanForward(args32), f0 = ref.sumScanForward(args64);
      comparison.add('y', f1.y, f0.y);
      comparison.add('finalState', f1.finalState, f0.finalState);
      comparison.add('finalZ', f1.finalZ, f0.finalZ);
      const g1 = backend.sumScanBackward({ ...args32, forward: f1, dy, dFinalState, dFinalZ });
      const g0 = ref.sumScanBackward({ ...args64, forward: f0, dy: wide(dy)!, dFinalState: wide(dFinalState), dFinalZ: wide(dFinalZ) });
      for (const key of ['dq', 'dk', 'dv', 'dInitialState', 'dInitialZ'] as const) comparison.add(key, g1[key], g0[key]);
    },
  };
}

function deltaScanCase(N: number, T: number, dk: number, dv: number, withInitial: boolean): Case {
  return {
    name: `delta scan ${N}×${T}×${dk}×${dv}${withInitial ? ' with initial state' : ''}`,
    run(backend, rng, comparison) {
      // ‖k‖ ≤ 1 and β in [0, 1] keep the delta rule contractive, as after φ'.
      const q = uniform(rng, N * T * dk, 0, 2 / dk), k = uniform(rng, N * T * dk, 0, 2 / dk), v = uniform(rng, N * T * dv);
      const beta = uniform(rng, N * T, 0, 1);
      const initialState = withInitial ? uniform(rng, N * dv * dk) : null;
      const dy = uniform(rng, N * T * dv), dFinalState = uniform(rng, N * dv * dk);
      const shape = { N, T, dk, dv };
      const args32 = { ...shape, q, k, v, beta, initialState };
      const args64 = { ...shape, q: wide(q)!, k: wide(k)!, v: wide(v)!, beta: wide(beta)!, initialState: wide(initialState) };
      const f1 = backend.deltaScanForward(args32), f0 = ref.deltaScanForward(args64);
      for (const key of ['y', 'finalState', 'writes', 'retrieved'] as const) comparison.add(key, f1[key], f0[key]);
      const g1 = backend.deltaScanBackward({ ...args32, forward: f1, dy, dFinalState });
      const g0 = ref.deltaScanBackward({ ...args64, forward: f0, dy: wide(dy)!, dFinalState: wide(dFinalState) });
      for (const key of ['dq', 'dk', 'dv', 'dbeta', 'dInitialState'] as const) comparison.add(key, g1[key], g0[key]);
    },
  };
}

/**
 * Shapes of every kind: 1 × 1, sizes that fit no tile, both transposes, batch broadcast, accumulate,
 * and scans longer than one chunk of the gpu backend's chunkwise form (64 steps), with and without
 * an initial state.
 */
export const KERNEL_CASES: readonly Case[] = [
  matmulCase(1, 1, 1, 1, false, false),
  matmulCase(1, 7, 5, 3, false, false),
  matmulCase(2, 9, 11, 13, true, false),
  matmulCase(2, 9, 11, 13, false, true),
  matmulCase(3, 6, 4, 10, true, true),
  matmulCase(3, 8, 8, 8, false, false, true),
  matmulCase(2, 5, 7, 6, false, false, false, true),
  matmulCase(1, 64, 48, 33, false, false),
  outerCase(1, 1, 1, 1),
  outerCase(2, 9, 5, 7),
  outerCase(3, 20, 8, 3),
  sumScanCase(1, 1, 1, 1, false, false),
  sumScanCase(2, 9, 4, 5, false, true),
  sumScanCase(2, 9, 4, 5, true, true),
  sumScanCase(1, 70, 6, 3, true, false),
  sumScanCase(2, 130, 3, 5, false, true),
  deltaScanCase(1, 1, 1, 1, false),
  deltaScanCase(2, 9, 4, 5, true),
  deltaScanCase(1, 70, 6, 3, false),
  deltaScanCase(2, 130, 3, 5, true),
];

/** Runs every case on `backend` (each from its own seed) and reports each one's agreement. */
export function runKernelCases(backend: KernelBackend, tolerance = FLOAT32_TOLERANCE): KernelCaseResult[] {
  return KERNEL_CASES.map((kernelCase, index) => {
    const comparison = new Comparison();
    kernelCase.run(backend, new Rng(1000 + index), comparison);
    return { name: kernelCase.name, error: comparison.error, worst: comparison.worst, agrees: comparison.error <= tolerance };
  });
}

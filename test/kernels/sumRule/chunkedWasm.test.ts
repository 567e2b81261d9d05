/**
 * The sum rule's chunkwise kernel in WebAssembly (kernels/wasm/assembly/sumRuleChunked.ts) pinned to
 * the float64 reference: one chunk of T steps (the causal masked form) and chunks of 1, 3, 5, 100 steps,
 * on random shapes from T = 1 past two blocks of 64 rows and d = 1 up, with and without an initial
 * state and a final-state gradient, gradients included; the same bits on one thread and on two; and
 * the per-shape rule runs the kernel it names.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { wasmBackend } from '../../../kernels/backends/wasm.js';
import { overriding } from '../../../kernels/backends/override.js';
import { setWasmThreads, wasmRuntime } from '../../../kernels/wasm/runtime.js';
import '../../../kernels/threads/index.js'; // the thread pool, for the runs on two threads
import { sumChunkFor, sumScanBackwardChunkedWasm, sumScanBackwardRecurrentWasm, sumScanBackwardWasm, sumScanForwardChunkedWasm, sumScanForwardRecurrentWasm, sumScanForwardWasm } from '../../../kernels/sumRule/wasm.js';
import type { FloatArray } from '../../../kernels/types.js';
import { Rng } from '../../../src/tensor/rng.js';
import { describeConformance } from '../backends/conformance.js';
import { randomArray, toleranceFor } from '../helpers.js';
import { sumRuleConformance } from './conformance.js';

/** The wasm backend with its sum scan replaced by the chunkwise kernel, chunks of `chunk` steps (Infinity: one chunk of T). */
const withChunks = (chunk: number) =>
  overriding(wasmBackend, 'wasm', {
    sumScanForward: (a) => sumScanForwardChunkedWasm(a, chunk),
    sumScanBackward: (a) => sumScanBackwardChunkedWasm(a, chunk),
  });

describe('chunkwise sum-rule kernel, one chunk of T steps (masked form)', () => {
  describeConformance(withChunks(Infinity), { dtypes: ['float32'], tolerance: toleranceFor, numRuns: 40, maxSize: 11, maxT: 20 }, [sumRuleConformance]);
  describeConformance(withChunks(Infinity), { dtypes: ['float32'], tolerance: toleranceFor, numRuns: 8, maxSize: 70, maxT: 150, minT: 60 }, [sumRuleConformance]);
});

for (const chunk of [1, 3, 5]) {
  describe(`chunkwise sum-rule kernel, chunks of ${chunk}`, () => {
    describeConformance(withChunks(chunk), { dtypes: ['float32'], tolerance: toleranceFor, numRuns: 20, maxSize: 9, maxT: 17 }, [sumRuleConformance]);
  });
}

describe('chunkwise sum-rule kernel, chunks of 100 (blocks of 64 rows inside)', () => {
  describeConformance(withChunks(100), { dtypes: ['float32'], tolerance: toleranceFor, numRuns: 8, maxSize: 40, maxT: 230, minT: 90 }, [sumRuleConformance]);
});

const bytesOf = (a: FloatArray) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const same = (a: FloatArray, b: FloatArray) => bytesOf(a).equals(bytesOf(b));

describe('chunkwise sum-rule kernel on threads', () => {
  afterAll(() => setWasmThreads(1));

  it('gives the same bits with one thread and with two, one chunk or several, normalised or not, with states', () => {
    const rng = new Rng(9);
    const [N, T, d] = [5, 130, 48];
    const q = randomArray(rng, N * T * d, 'float32', 0, 2 / d), k = randomArray(rng, N * T * d, 'float32', 0, 2 / d);
    const v = randomArray(rng, N * T * d, 'float32'), dy = randomArray(rng, N * T * d, 'float32');
    const initialState = randomArray(rng, N * d * d, 'float32'), dFinalState = randomArray(rng, N * d * d, 'float32');
    const runAll = () =>
      [Infinity, 40].flatMap((chunk) =>
        [false, true].flatMap((normalise) => {
          const args = { q, k, v, N, T, dk: d, dv: d, normalise, eps: 1e-6, initialState: chunk === 40 ? initialState : null, initialZ: null };
          const forward = sumScanForwardChunkedWasm(args, chunk);
          const grads = sumScanBackwardChunkedWasm({ ...args, forward, dy, dFinalState: chunk === 40 ? dFinalState : null, dFinalZ: null }, chunk);
          return [forward.y, forward.finalState, grads.dq, grads.dk, grads.dv, ...(grads.dInitialState ? [grads.dInitialState] : [])];
        }),
      );
    setWasmThreads(1);
    const one = runAll();
    setWasmThreads(2);
    const posted = wasmRuntime()!.pool!.jobsPosted;
    const two = runAll();
    expect(wasmRuntime()!.pool!.jobsPosted - posted).toBe(8); // every call was split
    expect(two.length).toBe(one.length);
    for (let i = 0; i < one.length; i++) expect(same(two[i]!, one[i]!), `output ${i}`).toBe(true);
  });
});

describe('which kernel the wasm backend runs', () => {
  it('the one sumChunkFor names: chunks of 64 for short sequences of wide heads, the recurrent one elsewhere', () => {
    expect(sumChunkFor(128, 64)).toBe(64);
    expect(sumChunkFor(256, 64)).toBe(0);
    expect(sumChunkFor(64, 16)).toBe(0);
    const rng = new Rng(4);
    for (const [N, T, d] of [[2, 100, 64], [2, 600, 16]] as const) {
      const q = randomArray(rng, N * T * d, 'float32', 0, 2 / d), k = randomArray(rng, N * T * d, 'float32', 0, 2 / d);
      const v = randomArray(rng, N * T * d, 'float32'), dy = randomArray(rng, N * T * d, 'float32');
      const args = { q, k, v, N, T, dk: d, dv: d, normalise: false, eps: 1e-6, initialState: null, initialZ: null };
      const chunk = sumChunkFor(T, d);
      const forward = chunk > 0 ? sumScanForwardChunkedWasm(args, chunk) : sumScanForwardRecurrentWasm(args);
      expect(same(sumScanForwardWasm(args).y, forward.y), `${T} × ${d} forward`).toBe(true);
      // Zeros for the final state's gradient (what the autograd op passes when nothing read it) are no gradient.
      const backward = { ...args, forward, dy, dFinalState: new Float32Array(N * d * d), dFinalZ: null };
      const want = chunk > 0 ? sumScanBackwardChunkedWasm({ ...backward, dFinalState: null }, chunk) : sumScanBackwardRecurrentWasm({ ...backward, dFinalState: null });
      expect(same(sumScanBackwardWasm(backward).dk, want.dk), `${T} × ${d} backward`).toBe(true);
    }
  });
});

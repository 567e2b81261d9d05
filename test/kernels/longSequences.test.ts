/**
 * The scans' long path: the chunkwise sum and delta forms over the wasm matmul (float32, chunks of
 * 64 steps) agree with the reference at T that crosses several chunks, gradients included; and the memory they ask for grows linearly in T (bytes
 * requested of kernels/alloc.ts, not RSS): no T × T or per-step d² buffer is kept.
 */
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../../kernels/backends/js.js';
import { overriding } from '../../kernels/backends/override.js';
import { bytesRequestedBy } from '../../kernels/alloc.js';
import { matmulWasm } from '../../kernels/matmul/wasm.js';
import { sumScanBackwardChunked, sumScanForwardChunked } from '../../kernels/sumRule/chunkwise.js';
import { deltaScanBackwardChunked, deltaScanForwardChunked } from '../../kernels/deltaRule/chunkwise.js';
import { Rng } from '../../src/tensor/rng.js';
import { describeConformance } from './backends/conformance.js';
import { randomArray, toleranceFor } from './helpers.js';
import { sumRuleConformance } from './sumRule/conformance.js';
import { deltaRuleConformance } from './deltaRule/conformance.js';

const CHUNK = 64;
const long = { dtypes: ['float32' as const], tolerance: toleranceFor, numRuns: 6, maxSize: 9, minT: 2 * CHUNK + 1, maxT: 5 * CHUNK + 3 };

describe('chunkwise scans over the wasm matmul, several chunks of 64', () => {
  const backend = overriding(jsBackend, 'wasm', {
    sumScanForward: (a) => sumScanForwardChunked(a, matmulWasm, CHUNK),
    sumScanBackward: (a) => sumScanBackwardChunked(a, matmulWasm, CHUNK),
    deltaScanForward: (a) => deltaScanForwardChunked(a, matmulWasm, CHUNK),
    deltaScanBackward: (a) => deltaScanBackwardChunked(a, matmulWasm, CHUNK),
  });
  describeConformance(backend, long, [sumRuleConformance, deltaRuleConformance]);
});

/** Bytes that one forward and backward of a scan form ask for at sequence length T (N = 2, dk = 8, dv = 5). */
type Pass = (T: number) => number;

function sumPass(chunk: (T: number) => number): Pass {
  return (T) => {
    const rng = new Rng(T);
    const [N, dk, dv] = [2, 8, 5];
    const args = { q: randomArray(rng, N * T * dk, 'float32', 0, 0.2), k: randomArray(rng, N * T * dk, 'float32', 0, 0.2), v: randomArray(rng, N * T * dv, 'float32'), N, T, dk, dv, normalise: true, eps: 1e-5, initialState: null, initialZ: null };
    const dy = randomArray(rng, N * T * dv, 'float32');
    return bytesRequestedBy(() => {
      const forward = sumScanForwardChunked(args, matmulWasm, chunk(T));
      sumScanBackwardChunked({ ...args, forward, dy, dFinalState: null, dFinalZ: null }, matmulWasm, chunk(T));
    });
  };
}

const deltaPass: Pass = (T) => {
  const rng = new Rng(T);
  const [N, dk, dv] = [2, 8, 5];
  const args = { q: randomArray(rng, N * T * dk, 'float32', 0, 0.2), k: randomArray(rng, N * T * dk, 'float32', 0, 0.2), v: randomArray(rng, N * T * dv, 'float32'), beta: randomArray(rng, N * T, 'float32', 0, 1), N, T, dk, dv, initialState: null };
  const dy = randomArray(rng, N * T * dv, 'float32');
  return bytesRequestedBy(() => {
    const forward = deltaScanForwardChunked(args, matmulWasm, CHUNK);
    deltaScanBackwardChunked({ ...args, forward, dy, dFinalState: null }, matmulWasm, CHUNK);
  });
};

/** Bytes at T, 2T, 4T, 8T lie on one line: each doubling adds twice what the last one added. */
function growsLinearly(pass: Pass, T: number): boolean {
  const [b1, b2, b4, b8] = [T, 2 * T, 4 * T, 8 * T].map(pass) as [number, number, number, number];
  return b4 - b2 === 2 * (b2 - b1) && b8 - b4 === 2 * (b4 - b2);
}

describe('memory of the long path', () => {
  it('the chunkwise sum rule asks for memory linear in T', () => {
    expect(growsLinearly(sumPass(() => CHUNK), 3 * CHUNK + 5)).toBe(true);
  });

  it('the chunkwise delta rule asks for memory linear in T', () => {
    expect(growsLinearly(deltaPass, 3 * CHUNK + 5)).toBe(true);
  });

  it('the masked form (one chunk of T steps) does not: the check sees a T × T buffer', () => {
    expect(growsLinearly(sumPass((T) => T), 3 * CHUNK + 5)).toBe(false);
  });
});

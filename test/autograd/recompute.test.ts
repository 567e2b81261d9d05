/**
 * Memory of a backward pass inside a scratch scope (kernels/alloc.ts, `scratchPeakBytes`: bytes of
 * pooled blocks held at once, not RSS): the walk gives gradients back once used (src/autograd/graph.ts),
 * and `recompute` (src/autograd/recompute.ts) holds a function's output, not its intermediates,
 * while giving the bits of the function's own graph, forward and backward.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/tensor/tensor.js';
import * as ops from '../../src/ops/index.js';
import { recompute } from '../../src/autograd/recompute.js';
import { EluFeatureMap, DpfpFeatureMap, sumNormalise } from '../../src/nn/attention/featureMaps.js';
import { splitHeads } from '../../src/nn/attention/heads.js';
import { scratchPeakBytes, withScratch } from '../../kernels/index.js';
import { randomTensor, seedArb } from '../helpers.js';

const float32 = (shape: number[], seed: number, requiresGrad = false) => new Tensor(randomTensor(shape, seed).to('float32').data, shape, { requiresGrad });

/** The output and x's gradient of Σ fn(x) ⊙ R, copied out of the scope. */
function outputAndGradient(fn: (x: Tensor) => Tensor, shape: number[], seed: number): { y: number[]; dx: number[] } {
  const x = float32(shape, seed, true);
  return withScratch(() => {
    const y = fn(x);
    ops.sum(ops.mul(y, float32(y.shape as number[], seed + 1))).backward();
    return { y: Array.from(y.data), dx: Array.from(x.grad!.data) };
  });
}

const shapes = fc.record({ B: fc.integer({ min: 1, max: 2 }), T: fc.integer({ min: 1, max: 40 }), heads: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 9 }), seed: seedArb });

describe('recompute', () => {
  it('gives the bits of the function’s own graph: φ after the head split (elu and dpfp, sum-normalised), and a slice', () => {
    fc.assert(
      fc.property(shapes, ({ B, T, heads, d, seed }) => {
        const maps = [new EluFeatureMap(2 * d), new DpfpFeatureMap(2 * d, 1)];
        const fns = [
          ...maps.map((map) => (x: Tensor) => sumNormalise(map.apply(splitHeads(x, heads)))),
          (x: Tensor) => splitHeads(ops.slice(x, -1, 0, heads * d), heads),
        ];
        for (const fn of fns) {
          const plain = outputAndGradient(fn, [B, T, 2 * heads * d], seed);
          const again = outputAndGradient((x) => recompute(fn, x), [B, T, 2 * heads * d], seed);
          expect(again.y).toEqual(plain.y);
          expect(again.dx).toEqual(plain.dx);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('holds the output between forward and backward, not the intermediates', () => {
    const n = 1 << 14; // floats per array, pooled
    const chain = (x: Tensor) => ops.mul(ops.exp(ops.mul(ops.sigmoid(ops.mul(x, 0.5)), 2)), 0.25); // five arrays of n
    const peak = (fn: (x: Tensor) => Tensor) => {
      const x = float32([n], 7, true);
      return scratchPeakBytes(() => ops.sum(fn(fn(fn(x)))).backward()) / (4 * n);
    };
    const plain = peak(chain);
    const recomputed = peak((x) => recompute(chain, x));
    // Three chains kept whole: 15 arrays before backward starts. Recomputed: 3 outputs, plus one
    // chain's 5 arrays and a couple of gradients while one is recomputed.
    expect(plain).toBeGreaterThanOrEqual(15);
    expect(recomputed).toBeLessThanOrEqual(10.5);
  });
});

describe('backward inside a scratch scope', () => {
  it('gives gradients back once used: a chain of k ops holds its k activations and a few gradients, not 2k arrays', () => {
    const n = 1 << 14, k = 12;
    const x = float32([n], 3, true);
    const peakArrays = scratchPeakBytes(() => {
      let y = x;
      for (let i = 0; i < k; i++) y = ops.mul(ops.tanh(y), 1.5);
      ops.sum(y).backward();
    }) / (4 * n);
    // Forward: 2k arrays (tanh and mul outputs). Without the early release the backward adds 2k more.
    expect(peakArrays).toBeGreaterThanOrEqual(2 * k);
    expect(peakArrays).toBeLessThanOrEqual(2 * k + 4);
  });
});

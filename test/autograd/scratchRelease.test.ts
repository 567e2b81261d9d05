/**
 * Memory of a backward pass inside a scratch scope (kernels/alloc.ts, `scratchPeakBytes`: bytes of
 * pooled blocks held at once, not RSS): the walk gives gradients back once used (src/autograd/graph.ts).
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/tensor/tensor.js';
import * as ops from '../../src/ops/index.js';
import { scratchPeakBytes } from '../../kernels/index.js';
import { randomTensor } from '../helpers.js';

const float32 = (shape: number[], seed: number, requiresGrad = false) => new Tensor(randomTensor(shape, seed).to('float32').data, shape, { requiresGrad });

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

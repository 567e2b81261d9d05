/**
 * Peak scratch memory of one causal fast weight layer's forward + backward, as bench/longChild.ts runs
 * it (kernels/alloc.ts, `scratchPeakBytes`), counted in [T, d_model] arrays: gradients and the scans'
 * own outputs go back to the pool once used (docs/kernels.md, "Giving memory back inside a scope").
 */
import { describe, expect, it } from 'vitest';
import { createAttention } from '../../src/nn/attention/factory.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import * as ops from '../../src/ops/index.js';
import { scratchPeakBytes } from '../../kernels/index.js';
import { randomTensor } from '../helpers.js';

const float32 = (shape: number[], seed: number, requiresGrad = false) => new Tensor(randomTensor(shape, seed).to('float32').data, shape, { requiresGrad });

describe('a long causal layer inside a scratch scope', () => {
  it('one causal layer forward + backward holds at most 29 arrays of [T, d_model] at its peak', () => {
    // The long-sequence layer's proportions (8 heads of 64 at d_model 512), scaled down.
    const T = 512, dModel = 64;
    for (const model of ['delta', 'linear']) {
      const layer = createAttention(model, { dModel, heads: 4, dHead: 16, causal: true, rng: new Rng(1) });
      const x = float32([1, T, dModel], 2, true);
      const R = float32([1, T, dModel], 3);
      const arrays = scratchPeakBytes(() => ops.sum(ops.mul(layer.forward(x).output, R)).backward()) / (4 * T * dModel);
      // Measured: delta 27.6, sum 24.4 (poison mode, as the tests run, pools the small arrays too).
      expect(arrays).toBeLessThanOrEqual(29);
    }
  });
});

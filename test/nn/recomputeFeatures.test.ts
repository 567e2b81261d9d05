/**
 * A fast weight layer that recomputes its feature maps in backward (`recomputeFeatures`, the default
 * for long inputs: src/nn/attention/fastWeightAttention.ts) gives the same bits as one that keeps
 * them, output and every gradient, and holds less scratch memory at its peak (kernels/alloc.ts,
 * `scratchPeakBytes`), counted in [T, d_model] arrays for one causal layer as bench/longChild.ts runs it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAttention } from '../../src/nn/attention/factory.js';
import { FastWeightAttention, RECOMPUTE_MIN_ELEMENTS } from '../../src/nn/attention/fastWeightAttention.js';
import { EluFeatureMap, DpfpFeatureMap, FavorFeatureMap, type FeatureMap } from '../../src/nn/attention/featureMaps.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import * as ops from '../../src/ops/index.js';
import { scratchPeakBytes, withScratch } from '../../kernels/index.js';
import { randomTensor, seedArb } from '../helpers.js';

const float32 = (shape: number[], seed: number, requiresGrad = false) => new Tensor(randomTensor(shape, seed).to('float32').data, shape, { requiresGrad });

interface Case {
  update: 'sum' | 'delta';
  map: 'elu' | 'dpfp';
  B: number;
  T: number;
  heads: number;
  dHead: number;
  seed: number;
}

function layerOf(c: Case, recomputeFeatures: boolean): FastWeightAttention {
  const dModel = 5;
  const featureMap = c.map === 'elu' ? new EluFeatureMap(c.dHead) : new DpfpFeatureMap(c.dHead, 1);
  return new FastWeightAttention({ dModel, heads: c.heads, dHead: c.dHead, featureMap, update: c.update, causal: true, rng: new Rng(c.seed), recomputeFeatures });
}

/** Output, x's gradient and every parameter's gradient of Σ out ⊙ R, in one scratch scope. */
function run(layer: FastWeightAttention, c: Case): number[][] {
  const x = float32([c.B, c.T, 5], c.seed + 1, true);
  const R = float32([c.B, c.T, 5], c.seed + 2);
  return withScratch(() => {
    const out = layer.forward(x).output;
    ops.sum(ops.mul(out, R)).backward();
    return [Array.from(out.data), Array.from(x.grad!.data), ...layer.parameters().map((p) => Array.from(p.grad!.data))];
  });
}

const cases = fc.record({
  update: fc.constantFrom('sum' as const, 'delta' as const), map: fc.constantFrom('elu' as const, 'dpfp' as const),
  B: fc.integer({ min: 1, max: 2 }), T: fc.integer({ min: 1, max: 30 }), heads: fc.integer({ min: 1, max: 3 }), dHead: fc.integer({ min: 1, max: 6 }), seed: seedArb,
});

describe('recomputing the feature maps in backward', () => {
  it('gives the same bits as keeping them: output, input gradient, parameter gradients', () => {
    fc.assert(
      fc.property(cases, (c) => {
        expect(run(layerOf(c, true), c)).toEqual(run(layerOf(c, false), c));
      }),
      { numRuns: 30 },
    );
  });

  it('is the default from RECOMPUTE_MIN_ELEMENTS key-value elements on, and never for a random map (FAVOR+)', () => {
    const rng = new Rng(1);
    const at = (T: number, featureMap: FeatureMap = new EluFeatureMap(4)) => {
      const layer = new FastWeightAttention({ dModel: 8, heads: 2, dHead: 4, featureMap, update: 'delta', causal: true, rng });
      return (layer as unknown as { recomputesFeatures(kv: Tensor): boolean }).recomputesFeatures(new Tensor(new Float32Array(T * 16), [1, T, 16]));
    };
    expect(at(RECOMPUTE_MIN_ELEMENTS / 16)).toBe(true);
    expect(at(RECOMPUTE_MIN_ELEMENTS / 16 - 1)).toBe(false);
    expect(at(RECOMPUTE_MIN_ELEMENTS / 16, new FavorFeatureMap(4, 4, new Rng(2), new Rng(3)))).toBe(false);
  });

  it('one causal layer forward + backward holds at most 24 arrays of [T, d_model] at its peak when it recomputes, 29 when not', () => {
    // The long-sequence layer's proportions (8 heads of 64 at d_model 512), scaled down.
    const T = 512, dModel = 64;
    for (const model of ['delta', 'linear']) {
      for (const recomputeFeatures of [true, false]) {
        const layer = createAttention(model, { dModel, heads: 4, dHead: 16, causal: true, rng: new Rng(1) }) as FastWeightAttention;
        (layer.options as { recomputeFeatures?: boolean }).recomputeFeatures = recomputeFeatures;
        const x = float32([1, T, dModel], 2, true);
        const R = float32([1, T, dModel], 3);
        const arrays = scratchPeakBytes(() => ops.sum(ops.mul(layer.forward(x).output, R)).backward()) / (4 * T * dModel);
        // Measured: delta 22.6 and 27.6, sum 19.3 and 24.4 (poison mode, as the tests run, pools the small arrays too).
        expect(arrays).toBeLessThanOrEqual(recomputeFeatures ? 24 : 29);
      }
    }
  });
});

/**
 * checkpointBlocks (src/ops/checkpoint.ts) over the delta and sum scans: float64 gradients against
 * finite differences on random shapes and block sizes (T not a multiple of the block, blocks of one
 * step, T = 1), so that the gradient of each block's final state reaches the block before it
 * through the scan's state gradients; the output and gradients equal one call over the whole
 * sequence; inside a scratch scope (released arrays poisoned with NaN, as the tests run) the same.
 * A step that keeps its values' projection and is handed it and its own output back in backward
 * (`keep`, `known`: no product computed again) has the right gradients, its weights' included.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { checkGradients, describeGradCheck } from '../../src/autograd/gradcheck.js';
import { fastWeightDelta, fastWeightSum } from '../../src/ops/fastweight.js';
import { checkpointBlocks, type BlockStep } from '../../src/ops/checkpoint.js';
import { linear } from '../../src/nn/layers.js';
import { permute, sum, mul } from '../../src/ops/index.js';
import { persistent, withScratch } from '../../kernels/index.js';
import { smallScanShapes } from '../kernels/helpers.js';

function uniform(shape: number[], rng: Rng, low: number, high: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float64Array.from({ length: n }, () => low + (high - low) * rng.uniform()), shape);
}

/** Blocks of the inputs q, k [B, T, H, dk], v [B, T, H, dv] (and β [B, T, H]) through one scan; output [B, T, H, dv]. */
function scanStep(rule: 'delta' | 'sum'): BlockStep {
  return (xs, states) => {
    const [q, k, v] = xs.slice(0, 3).map((x) => permute(x, [0, 2, 1, 3]));
    const [W, z] = states;
    const r =
      rule === 'delta'
        ? fastWeightDelta(q!, k!, v!, permute(xs[3]!, [0, 2, 1]), W ? { initialState: W } : {})
        : fastWeightSum(q!, k!, v!, { normalise: true, eps: 1e-3, ...(W ? { initialState: W } : {}), ...(z ? { initialZ: z } : {}) });
    return { output: permute(r.output, [0, 2, 1, 3]), states: [r.finalState, ...(r.finalZ ? [r.finalZ] : [])] };
  };
}

/** The scans' small shapes (N heads), a batch and a block size up to beyond T. */
const shapes = fc
  .record({ scan: smallScanShapes, B: fc.integer({ min: 1, max: 2 }), block: fc.integer({ min: 1, max: 6 }) })
  .map(({ scan: { N, ...scan }, B, block }) => ({ ...scan, H: N, B, block }));

type Case = { B: number; H: number; T: number; dk: number; dv: number; withInitial: boolean; seed: number };

/** The inputs and initial states of a random case: positive q, k as after φ (the sum rule's normaliser stays away from 0). */
function caseOf(rule: 'delta' | 'sum', { B, H, T, dk, dv, withInitial, seed }: Case): { inputs: Tensor[]; states: Tensor[] } {
  const rng = new Rng(seed);
  const inputs = [uniform([B, T, H, dk], rng, 0.1, 1), uniform([B, T, H, dk], rng, 0.1, 1), uniform([B, T, H, dv], rng, -1, 1)];
  if (rule === 'delta') inputs.push(uniform([B, T, H], rng, 0, 1));
  const states = withInitial ? [uniform([B, H, dv, dk], rng, -1, 1), ...(rule === 'sum' ? [uniform([B, H, dk], rng, 0.1, 1)] : [])] : [];
  return { inputs, states };
}

describe('checkpointBlocks over the fast weight scans', () => {
  for (const rule of ['delta', 'sum'] as const) {
    it(`${rule} rule: float64 gradients of every input and the initial states match finite differences`, () => {
      fc.assert(
        fc.property(shapes, (c) => {
          const { inputs, states } = caseOf(rule, c);
          const all = [...inputs, ...states];
          const n = inputs.length;
          const fn = (...xs: Tensor[]) => checkpointBlocks(scanStep(rule), xs.slice(0, n), xs.slice(n), c.block).output;
          const result = checkGradients(fn, all, { tolerance: 1e-6 });
          expect(result.ok, describeGradCheck(result, all)).toBe(true);
        }),
        { numRuns: 25 },
      );
    });

    it(`${rule} rule: output, final states and gradients equal one call over the whole sequence, in and out of a scratch scope`, () => {
      fc.assert(
        fc.property(shapes, fc.boolean(), (c, scoped) => {
          const { inputs, states } = caseOf(rule, c);
          const R = uniform([c.B, c.T, c.H, c.dv], new Rng(c.seed + 1), -1, 1);
          const run = (blocked: boolean) => {
            const xs = [...inputs, ...states].map((t) => new Tensor(t.data.slice(), t.shape, { requiresGrad: true }));
            const go = () => {
              const r = blocked ? checkpointBlocks(scanStep(rule), xs.slice(0, inputs.length), xs.slice(inputs.length), c.block) : scanStep(rule)(xs.slice(0, inputs.length), xs.slice(inputs.length));
              sum(mul(r.output, R)).backward();
              return [r.output, ...r.states].map((t) => persistent(t.data));
            };
            const values = scoped ? withScratch(go) : go();
            return [...values, ...xs.map((x) => x.grad!.data)];
          };
          const whole = run(false), blocked = run(true);
          expect(blocked.length).toBe(whole.length);
          whole.forEach((want, i) => want.forEach((w, j) => expect(Math.abs(blocked[i]![j]! - w), `array ${i} [${j}]`).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(w)))));
        }),
        { numRuns: 25 },
      );
    });
  }

  /**
   * The delta scan with its values projected, v = x Wv [B, T, H, dv], and its output too, y Wo: it
   * keeps v, and a run in backward takes v and the output as known products (Linear's `product`),
   * counted in `seen`.
   */
  const projectedStep = (Wv: Tensor, Wo: Tensor, seen = { known: 0 }): BlockStep => (xs, states, known) => {
    if (known) seen.known++;
    const v = linear(xs[2]!, Wv, null, known?.kept[0]);
    const r = scanStep('delta')([xs[0]!, xs[1]!, v, xs[3]!], states);
    return { output: linear(r.output, Wo, null, known?.output), states: r.states, keep: [v] };
  };

  it('a step that keeps its projections: float64 gradients of the inputs, states and weights match finite differences, and every run in backward is handed them', () => {
    fc.assert(
      fc.property(shapes, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), (c, dIn, dOut) => {
        const { inputs, states } = caseOf('delta', c);
        const rng = new Rng(c.seed + 7);
        // The third input is x [B, T, H, dIn], projected to the values.
        inputs[2] = uniform([c.B, c.T, c.H, dIn], rng, -1, 1);
        const weights = [uniform([dIn, c.dv], rng, -1, 1), uniform([c.dv, dOut], rng, -1, 1)];
        const all = [...inputs, ...weights, ...states];
        const seen = { known: 0 };
        const fn = (...xs: Tensor[]) => {
          const [Wv, Wo] = xs.slice(4, 6) as [Tensor, Tensor];
          return checkpointBlocks(projectedStep(Wv, Wo, seen), xs.slice(0, 4), xs.slice(6), c.block, [Wv, Wo]).output;
        };
        const result = checkGradients(fn, all, { tolerance: 1e-6 });
        expect(result.ok, describeGradCheck(result, all)).toBe(true);
        expect(seen.known).toBeGreaterThanOrEqual(Math.ceil(c.T / c.block));
      }),
      { numRuns: 25 },
    );
  });

  it('refuses a block size that is not a positive integer, and inputs of other lengths', () => {
    const { inputs } = caseOf('delta', { B: 1, H: 1, T: 3, dk: 2, dv: 2, withInitial: false, seed: 1 });
    expect(() => checkpointBlocks(scanStep('delta'), inputs, [], 0)).toThrow('checkpointBlocks: needs T ≥ 1 and an integer blockSize ≥ 1, got T = 3, blockSize 0');
    const short = uniform([1, 2, 1], new Rng(2), 0, 1);
    expect(() => checkpointBlocks(scanStep('delta'), [...inputs.slice(0, 3), short], [], 2)).toThrow('checkpointBlocks: every input must be [1, 3, ...] like the first, got [1, 2, 1]');
  });
});

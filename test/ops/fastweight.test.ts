/**
 * fastWeightSum and fastWeightDelta: gradients by checkGradients (float64, random shapes) through the
 * output and through the final state, on every CPU backend; forward equal to the kernel reference;
 * clear errors for bad shapes and dtypes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { checkGradients, describeGradCheck } from '../../src/autograd/gradcheck.js';
import { fastWeightDelta, fastWeightSum } from '../../src/ops/fastweight.js';
import { getBackend, setBackend, type BackendName } from '../../kernels/index.js';
import { deltaScanForwardReference } from '../../kernels/deltaRule/reference.js';

function uniform(shape: number[], rng: Rng, low: number, high: number, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = low + (high - low) * rng.uniform();
  return new Tensor(data, shape);
}

const shapes = fc.record({
  B: fc.integer({ min: 1, max: 2 }),
  H: fc.integer({ min: 1, max: 2 }),
  T: fc.integer({ min: 1, max: 5 }),
  dk: fc.integer({ min: 1, max: 3 }),
  dv: fc.integer({ min: 1, max: 3 }),
  withInitial: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

function expectGradientsOk(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const result = checkGradients(fn, inputs, { tolerance: 1e-6 });
  expect(result.ok, describeGradCheck(result, inputs)).toBe(true);
}

const initialBackend = getBackend().name;
afterAll(() => setBackend(initialBackend));

for (const backend of ['js', 'reference'] as BackendName[]) {
  describe(`fast weight ops on the ${backend} backend`, () => {
    it('fastWeightSum gradients (output and final state, with and without normalisation)', () => {
      setBackend(backend);
      fc.assert(
        fc.property(shapes, fc.boolean(), ({ B, H, T, dk, dv, withInitial, seed }, normalise) => {
          const rng = new Rng(seed);
          const low = normalise ? 0.1 : -1; // positive q, k (as after φ) keep the normaliser from 0
          const inputs = [uniform([B, H, T, dk], rng, low, 1), uniform([B, H, T, dk], rng, low, 1), uniform([B, H, T, dv], rng, -1, 1)];
          if (withInitial) inputs.push(uniform([B, H, dv, dk], rng, -1, 1));
          if (withInitial && normalise) inputs.push(uniform([B, H, dk], rng, 0.1, 1));
          const run = (xs: Tensor[]) =>
            fastWeightSum(xs[0]!, xs[1]!, xs[2]!, { normalise, eps: 1e-3, initialState: xs[3], initialZ: xs[4] });
          expectGradientsOk((...xs) => run(xs).output, inputs);
          expectGradientsOk((...xs) => run(xs).finalState, inputs);
          if (normalise) expectGradientsOk((...xs) => run(xs).finalZ!, inputs);
        }),
        { numRuns: 15 },
      );
    });

    it('fastWeightDelta gradients (output and final state)', () => {
      setBackend(backend);
      fc.assert(
        fc.property(shapes, ({ B, H, T, dk, dv, withInitial, seed }) => {
          const rng = new Rng(seed);
          const inputs = [uniform([B, H, T, dk], rng, -1, 1), uniform([B, H, T, dk], rng, -1, 1), uniform([B, H, T, dv], rng, -1, 1), uniform([B, H, T], rng, 0, 1)];
          if (withInitial) inputs.push(uniform([B, H, dv, dk], rng, -1, 1));
          const run = (xs: Tensor[]) => fastWeightDelta(xs[0]!, xs[1]!, xs[2]!, xs[3]!, { initialState: xs[4] });
          expectGradientsOk((...xs) => run(xs).output, inputs);
          expectGradientsOk((...xs) => run(xs).finalState, inputs);
        }),
        { numRuns: 15 },
      );
    });
  });
}

describe('fast weight ops: forward values and errors', () => {
  it('fastWeightDelta forward equals the reference kernel, and a carried state continues the scan', () => {
    setBackend('js');
    const rng = new Rng(7);
    const [B, H, T, dk, dv] = [1, 2, 6, 3, 2];
    const q = uniform([B, H, T, dk], rng, -1, 1);
    const k = uniform([B, H, T, dk], rng, -1, 1);
    const v = uniform([B, H, T, dv], rng, -1, 1);
    const beta = uniform([B, H, T], rng, 0, 1);
    const whole = fastWeightDelta(q, k, v, beta);
    const ref = deltaScanForwardReference({ q: q.data, k: k.data, v: v.data, beta: beta.data, N: B * H, T, dk, dv, initialState: null });
    ref.y.forEach((x, i) => expect(whole.output.data[i]).toBeCloseTo(x, 12));
    // Splitting the sequence in two and carrying the state gives the same final state.
    const half = (t: Tensor, d: number) => {
      const [a, b] = [new Float64Array(B * H * 3 * d), new Float64Array(B * H * 3 * d)];
      for (let n = 0; n < B * H; n++) {
        a.set(t.data.subarray(n * T * d, n * T * d + 3 * d), n * 3 * d);
        b.set(t.data.subarray(n * T * d + 3 * d, (n + 1) * T * d), n * 3 * d);
      }
      return [new Tensor(a, [B, H, 3, d]), new Tensor(b, [B, H, 3, d])] as const;
    };
    const [q1, q2] = half(q, dk);
    const [k1, k2] = half(k, dk);
    const [v1, v2] = half(v, dv);
    const [b1, b2] = half(beta, 1).map((t) => new Tensor(t.data, [B, H, 3]));
    const first = fastWeightDelta(q1, k1, v1, b1!);
    const second = fastWeightDelta(q2, k2, v2, b2!, { initialState: first.finalState });
    second.finalState.data.forEach((x, i) => expect(x).toBeCloseTo(whole.finalState.data[i]!, 12));
  });

  it('rejects mismatched shapes and dtypes with the op name and the shapes', () => {
    const rng = new Rng(1);
    const q = uniform([1, 2, 4, 3], rng, 0, 1);
    const v = uniform([1, 2, 4, 5], rng, 0, 1);
    expect(() => fastWeightSum(q, uniform([1, 2, 4, 2], rng, 0, 1), v)).toThrow(/fastWeightSum: k must have shape \[1, 2, 4, 3\], got \[1, 2, 4, 2\]/);
    expect(() => fastWeightDelta(q, q, v, uniform([1, 2, 5], rng, 0, 1))).toThrow(/fastWeightDelta: beta must have shape \[1, 2, 4\]/);
    expect(() => fastWeightDelta(q, q, v, uniform([1, 2, 4], rng, 0, 1), { initialState: uniform([1, 2, 3, 5], rng, 0, 1) })).toThrow(
      /initialState must have shape \[1, 2, 5, 3\]/,
    );
    expect(() => fastWeightSum(q, q, uniform([1, 2, 4, 5], rng, 0, 1, 'float32'))).toThrow(/fastWeightSum: dtype mismatch/);
    expect(() => fastWeightSum(q, q, v, { initialZ: uniform([1, 2, 3], rng, 0, 1) })).toThrow(/only used with normalise/);
    expect(() => fastWeightSum(uniform([2, 4, 3], rng, 0, 1), q, v)).toThrow(/fastWeightSum: q must have shape \[B, H, T, dk\], got \[2, 4, 3\]/);
  });
});

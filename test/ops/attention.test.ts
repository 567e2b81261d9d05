/**
 * The fused softmax-attention op (src/ops/attention.ts): gradients against finite differences in
 * float64 on random shapes (T = 1, S = 1, d = 1, fully blocked rows included), and forward and
 * gradients equal to the op-by-op composition it replaces, in float64 and float32, on every CPU backend.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { checkGradients, describeGradCheck } from '../../src/autograd/gradcheck.js';
import * as ops from '../../src/ops/index.js';
import { getBackend, setBackend, type BackendName } from '../../kernels/index.js';
import { randomTensor } from '../helpers.js';

function uniform(shape: number[], rng: Rng, dtype: 'float32' | 'float64', requiresGrad = true): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = 2 * rng.uniform() - 1;
  return new Tensor(data, shape, { requiresGrad });
}

/** [B, 1, T, S] of 0/1: causal (the last T of S keys are new), random padding, or none; some rows fully blocked. */
function blockedMask(B: number, T: number, S: number, kind: number, rng: Rng, dtype: 'float32' | 'float64'): Tensor | null {
  if (kind === 0) return null;
  const data = dtype === 'float64' ? new Float64Array(B * T * S) : new Float32Array(B * T * S);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let s = 0; s < S; s++) {
        const future = kind === 1 && s > t + S - T;
        const random = kind === 2 && rng.uniform() < 0.4;
        const wholeRow = kind === 3 && t === 0; // a query that sees nothing (padding)
        data[(b * T + t) * S + s] = future || random || wholeRow ? 1 : 0;
      }
  return new Tensor(data, [B, 1, T, S]);
}

function composed(q: Tensor, k: Tensor, v: Tensor, blocked: Tensor | null, scale: number): Tensor {
  let scores = ops.mul(ops.matmul(q, ops.transpose(k)), scale);
  if (blocked) scores = ops.maskedFill(scores, blocked, -1e9);
  return ops.matmul(ops.softmax(scores, -1), v);
}

const cases = fc.record({
  B: fc.integer({ min: 1, max: 2 }),
  H: fc.integer({ min: 1, max: 3 }),
  T: fc.integer({ min: 1, max: 5 }),
  extraKeys: fc.integer({ min: 0, max: 3 }),
  dk: fc.integer({ min: 1, max: 4 }),
  dv: fc.integer({ min: 1, max: 4 }),
  mask: fc.integer({ min: 0, max: 3 }),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

function inputs(c: { B: number; H: number; T: number; extraKeys: number; dk: number; dv: number; mask: number; seed: number }, dtype: 'float32' | 'float64') {
  const rng = new Rng(c.seed);
  const S = c.mask === 1 ? c.T + c.extraKeys : 1 + c.extraKeys + (c.seed % 4);
  const q = uniform([c.B, c.H, c.T, c.dk], rng, dtype), k = uniform([c.B, c.H, S, c.dk], rng, dtype), v = uniform([c.B, c.H, S, c.dv], rng, dtype);
  return { q, k, v, blocked: blockedMask(c.B, c.T, S, c.mask, rng, dtype), scale: 0.5 + rng.uniform() };
}

const initialBackend = getBackend().name;
afterAll(() => setBackend(initialBackend));

for (const backend of ['wasm', 'js', 'reference'] as BackendName[]) {
  describe(`attention (fused) on the ${backend} backend`, () => {
    it('gradients of q, k and v match finite differences (float64)', () => {
      setBackend(backend);
      fc.assert(
        fc.property(cases, (c) => {
          const { q, k, v, blocked, scale } = inputs(c, 'float64');
          const result = checkGradients((a, b, d) => ops.attention(a!, b!, d!, blocked, scale), [q, k, v], { tolerance: 1e-6 });
          expect(result.ok, describeGradCheck(result, [q, k, v])).toBe(true);
        }),
        { numRuns: 20 },
      );
    });

    for (const dtype of ['float64', 'float32'] as const) {
      it(`forward and gradients equal the op-by-op composition (${dtype})`, () => {
        setBackend(backend);
        const tolerance = dtype === 'float64' ? 1e-12 : 2e-6;
        fc.assert(
          fc.property(cases, (c) => {
            const results = [ops.attention, composed].map((f) => {
              const { q, k, v, blocked, scale } = inputs(c, dtype);
              const y = f(q, k, v, blocked, scale);
              const r = uniform(y.shape as number[], new Rng(c.seed + 1), dtype, false);
              ops.sum(ops.mul(y, r)).backward();
              return [y.data, q.grad!.data, k.grad!.data, v.grad!.data];
            });
            results[0]!.forEach((fused, i) => {
              const plain = results[1]![i]!;
              expect(fused.length).toBe(plain.length);
              for (let j = 0; j < fused.length; j++) expect(Math.abs(fused[j]! - plain[j]!)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(plain[j]!)));
            });
          }),
          { numRuns: 25 },
        );
      });
    }
  });
}

describe('attention: bad input', () => {
  const rng = new Rng(1);
  const q = uniform([1, 2, 3, 4], rng, 'float32'), k = uniform([1, 2, 5, 4], rng, 'float32'), v = uniform([1, 2, 5, 2], rng, 'float32');
  it('names the shapes that do not fit', () => {
    expect(() => ops.attention(q, uniform([1, 2, 5, 3], rng, 'float32'), v, null, 1)).toThrow(/attention: shapes do not fit: q \[1, 2, 3, 4\], k \[1, 2, 5, 3\]/);
    expect(() => ops.attention(q, k, uniform([1, 2, 4, 2], rng, 'float32'), null, 1)).toThrow(/shapes do not fit/);
    expect(() => ops.attention(uniform([2, 3, 4], rng, 'float32'), k, v, null, 1)).toThrow(/must be \[B, H, T, d\]/);
    expect(() => ops.attention(q, k, v, new Tensor(new Float32Array(15), [1, 3, 5]), 1)).toThrow(/blocked must be \[1, 1, 3, 5\]/);
  });
  it('refuses mixed dtypes and a non-finite scale', () => {
    expect(() => ops.attention(q, k, v.to('float64'), null, 1)).toThrow(/dtype mismatch/);
    expect(() => ops.attention(q, k, v, null, NaN)).toThrow(/scale must be finite/);
  });
});

describe('maskedAttentionProduct (the softmax layer\'s path when V holds a non-finite value)', () => {
  it('has exact gradients, and blocked keys take no part', () => {
    const blocked = new Tensor(Float64Array.from([0, 1, 1, 0, 0, 1, 0, 0, 0]), [1, 1, 3, 3]);
    const result = checkGradients((p, v) => ops.maskedAttentionProduct(p, v, blocked), [randomTensor([1, 2, 3, 3], 1), randomTensor([1, 2, 3, 2], 2)]);
    expect(result.ok, describeGradCheck(result)).toBe(true);
  });
});

/**
 * The ops of the fla DeltaNet (src/ops/norms.ts, shortConv.ts, projection.ts, silu): gradients against
 * finite differences in float64 on random shapes (T = 1, D = 1 included), forwards against plain
 * formulas written here, the convolution's decoding form against the full-sequence one, and errors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as coreOps from '../../src/ops/index.js';
import * as norms from '../../src/ops/norms.js';
import * as shortConv from '../../src/ops/shortConv.js';
import * as projection from '../../src/ops/projection.js';
import { siluReference, sigmoidReference } from '../../src/ops/unary.js';
import { Tensor } from '../../src/index.js';
import { RUNS, expectGradients, randomTensor, seedArb, shapeArb } from '../helpers.js';

// The fla ops are not in the core entry's ops (kept out of its size budget); the Node entry exports them.
const ops = { ...coreOps, ...norms, ...shortConv, ...projection };
const rowsArb = shapeArb(1, 4, 4);

describe('silu', () => {
  it('gradients', () => {
    fc.assert(fc.property(shapeArb(), seedArb, (s, seed) => expectGradients(ops.silu, [randomTensor(s, seed, -4, 4)])), RUNS);
  });
  it('is x · σ(x), also far out', () => {
    const x = new Tensor(new Float64Array([-800, -3, 0, 2, 800]), [5]);
    expect(Array.from(ops.silu(x).data)).toEqual([-800 / (1 + Math.exp(800)), -3 / (1 + Math.exp(3)), 0, 2 / (1 + Math.exp(-2)), 800]);
  });
});

/**
 * silu and sigmoid have loops of their own (the fla model's hot path); `unary`'s plain forms beside
 * them must give the same bits, forward and backward, in float32 (training's dtype) and float64, on
 * random shapes with values out to where σ saturates.
 */
describe('silu and sigmoid against their plain references', () => {
  const pairs = [
    ['silu', ops.silu, siluReference],
    ['sigmoid', ops.sigmoid, sigmoidReference],
  ] as const;
  for (const [name, fast, reference] of pairs) {
    it(`${name}: the same values and gradients, bit for bit`, () => {
      fc.assert(
        fc.property(shapeArb(1, 4, 7), seedArb, fc.boolean(), (s, seed, single) => {
          const make = () => {
            const t = randomTensor(s, seed, -30, 30);
            return new Tensor((single ? t.to('float32') : t).data, s, { requiresGrad: true });
          };
          const [a, b] = [make(), make()];
          const g = randomTensor(s, seed + 1);
          const weights = single ? g.to('float32') : g;
          const [ya, yb] = [fast(a), reference(b)];
          expect(Array.from(ya.data)).toEqual(Array.from(yb.data));
          ops.sum(ops.mul(ya, weights)).backward();
          ops.sum(ops.mul(yb, weights)).backward();
          expect(Array.from(a.grad!.data)).toEqual(Array.from(b.grad!.data));
        }),
        RUNS,
      );
    });
  }
});

describe('rmsNorm', () => {
  it('gradients with and without a weight', () => {
    fc.assert(
      fc.property(rowsArb, seedArb, fc.boolean(), (s, seed, withWeight) => {
        const D = s[s.length - 1]!;
        const inputs = [randomTensor(s, seed)];
        if (withWeight) inputs.push(randomTensor([D], seed + 1, 0.5, 2));
        expectGradients((x, w) => ops.rmsNorm(x!, w ?? null, 1e-3), inputs);
      }),
      RUNS,
    );
  });
  it('is x / √(mean(x²) + eps) · w', () => {
    fc.assert(
      fc.property(rowsArb, seedArb, (s, seed) => {
        const D = s[s.length - 1]!;
        const x = randomTensor(s, seed);
        const w = randomTensor([D], seed + 1);
        const y = ops.rmsNorm(x, w, 1e-6);
        for (let r = 0; r < x.size / D; r++) {
          let ms = 0;
          for (let j = 0; j < D; j++) ms += x.data[r * D + j]! ** 2 / D;
          for (let j = 0; j < D; j++) expect(y.data[r * D + j]).toBeCloseTo((x.data[r * D + j]! / Math.sqrt(ms + 1e-6)) * w.data[j]!, 12);
        }
      }),
      RUNS,
    );
  });
  it('refuses a weight of the wrong size and a non-positive eps', () => {
    const x = randomTensor([2, 3], 1);
    expect(() => ops.rmsNorm(x, randomTensor([4], 2))).toThrow('rmsNorm: weight must have shape [3] for input [2, 3], got [4]');
    expect(() => ops.rmsNorm(x, null, 0)).toThrow('rmsNorm: eps must be a positive number, got 0');
  });
});

describe('l2Normalise', () => {
  it('gradients', () => {
    fc.assert(fc.property(rowsArb, seedArb, (s, seed) => expectGradients((x) => ops.l2Normalise(x, 1e-3), [randomTensor(s, seed)])), RUNS);
  });
  it('is x / √(Σx² + eps): eps added to the sum, not the mean', () => {
    const x = new Tensor(new Float64Array([3, 4, 0, 0]), [2, 2]);
    const y = ops.l2Normalise(x, 1e-6);
    expect(y.data[0]).toBeCloseTo(3 / Math.sqrt(25 + 1e-6), 15);
    expect(y.data[1]).toBeCloseTo(4 / Math.sqrt(25 + 1e-6), 15);
    expect(Array.from(y.data.subarray(2))).toEqual([0, 0]); // an all-zero row stays zero, no NaN
  });
});

describe('causalConv1d', () => {
  const convArb = fc.record({
    B: fc.integer({ min: 1, max: 2 }),
    T: fc.integer({ min: 1, max: 6 }),
    D: fc.integer({ min: 1, max: 3 }),
    W: fc.integer({ min: 1, max: 4 }),
    withBias: fc.boolean(),
    withCache: fc.boolean(),
    seed: seedArb,
  });

  it('gradients reach x, weight, bias and the cache', () => {
    fc.assert(
      fc.property(convArb, ({ B, T, D, W, withBias, withCache, seed }) => {
        const inputs = [randomTensor([B, T, D], seed), randomTensor([D, W], seed + 1)];
        if (withBias) inputs.push(randomTensor([D], seed + 2));
        if (withCache) inputs.push(randomTensor([B, W - 1, D], seed + 3));
        expectGradients((...xs) => ops.causalConv1d(xs[0]!, xs[1]!, withBias ? xs[2]! : null, withCache ? xs[withBias ? 3 : 2]! : null), inputs);
      }),
      RUNS,
    );
  });

  it('equals the sum over the window written out, zeros before the start', () => {
    fc.assert(
      fc.property(convArb, ({ B, T, D, W, seed }) => {
        const x = randomTensor([B, T, D], seed);
        const w = randomTensor([D, W], seed + 1);
        const bias = randomTensor([D], seed + 2);
        const y = ops.causalConv1d(x, w, bias);
        for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) {
          let s = bias.data[d]!;
          for (let j = 0; j < W; j++) {
            const src = t - (W - 1) + j;
            if (src >= 0) s += w.data[d * W + j]! * x.data[(b * T + src) * D + d]!;
          }
          expect(y.data[(b * T + t) * D + d]).toBeCloseTo(s, 12);
        }
      }),
      RUNS,
    );
  });

  it('decoding token by token with the cache equals the full sequence', () => {
    fc.assert(
      fc.property(convArb, ({ B, T, D, W, seed }) => {
        const x = randomTensor([B, T, D], seed);
        const w = randomTensor([D, W], seed + 1);
        const full = ops.causalConv1d(x, w, null);
        let cache: Tensor | null = null;
        for (let t = 0; t < T; t++) {
          const xt = ops.slice(x, 1, t, t + 1);
          const yt = ops.causalConv1d(xt, w, null, cache);
          for (let b = 0; b < B; b++) for (let d = 0; d < D; d++) expect(yt.data[b * D + d]).toBeCloseTo(full.data[(b * T + t) * D + d]!, 12);
          cache = ops.causalConv1dCache(xt, cache, W);
        }
      }),
      RUNS,
    );
  });

  it('names a misshapen weight or cache', () => {
    const x = randomTensor([1, 3, 2], 1);
    expect(() => ops.causalConv1d(x, randomTensor([3, 4], 2))).toThrow('causalConv1d: weight must have shape [2, W] with W ≥ 1 for x [1, 3, 2], got [3, 4]');
    expect(() => ops.causalConv1d(x, randomTensor([2, 4], 2), null, randomTensor([1, 4, 2], 3))).toThrow('causalConv1d: cache must have shape [1, 3, 2], got [1, 4, 2]');
  });
});

describe('linearOutIn', () => {
  it('gradients, for a weight stored [out, in]', () => {
    fc.assert(
      fc.property(shapeArb(0, 2, 3), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), seedArb, (lead, inF, outF, seed) => {
        expectGradients(ops.linearOutIn, [randomTensor([...lead, inF], seed), randomTensor([outF, inF], seed + 1)]);
      }),
      RUNS,
    );
  });
  it('equals x · Wᵀ by matmul and transpose', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), seedArb, (rows, inF, outF, seed) => {
        const x = randomTensor([rows, inF], seed);
        const w = randomTensor([outF, inF], seed + 1);
        const want = ops.matmul(x, ops.transpose(w));
        const got = ops.linearOutIn(x, w);
        expect(got.shape).toEqual([rows, outF]);
        got.data.forEach((v, i) => expect(v).toBeCloseTo(want.data[i]!, 12));
      }),
      RUNS,
    );
  });
  it('names a weight that does not fit', () => {
    expect(() => ops.linearOutIn(randomTensor([2, 3], 1), randomTensor([3, 4], 2))).toThrow('linearOutIn: input [2, 3] must end in 4 for weight [3, 4]');
  });
});

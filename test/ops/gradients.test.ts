/**
 * Every op's gradient against central finite differences in float64, on random shapes
 * (rank 0–4, size-1 dimensions, broadcasting pairs) and random values in each op's safe domain.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import * as ops from '../../src/ops/index.js';
import { Rng, Tensor } from '../../src/index.js';
import { RUNS, broadcastPairArb, expectGradients, randomTensor, seedArb, shapeArb } from '../helpers.js';

describe('binary ops with broadcasting', () => {
  const cases: [string, (a: Tensor, b: Tensor) => Tensor, { low: number; high: number }][] = [
    ['add', ops.add, { low: -2, high: 2 }],
    ['sub', ops.sub, { low: -2, high: 2 }],
    ['mul', ops.mul, { low: -2, high: 2 }],
    ['div', ops.div, { low: 0.5, high: 2 }],
  ];
  for (const [name, op, range] of cases) {
    it(`${name}`, () => {
      fc.assert(
        fc.property(broadcastPairArb(), seedArb, ([sa, sb], seed) => {
          expectGradients(op, [randomTensor(sa, seed, range.low, range.high), randomTensor(sb, seed + 1, range.low, range.high)]);
        }),
        RUNS,
      );
    });
  }
  it('add and mul with a plain number', () => {
    fc.assert(
      fc.property(shapeArb(), seedArb, (s, seed) => {
        expectGradients((x) => ops.mul(ops.add(x, 1.5), -2), [randomTensor(s, seed)]);
      }),
      RUNS,
    );
  });
  it('an input used twice accumulates both paths', () => {
    fc.assert(
      fc.property(shapeArb(), seedArb, (s, seed) => {
        expectGradients((x) => ops.mul(ops.add(x, x), x), [randomTensor(s, seed)]);
      }),
      RUNS,
    );
  });
});

describe('unary ops', () => {
  const cases: [string, (x: Tensor) => Tensor, number, number, { at: number; gap: number }?][] = [
    ['neg', ops.neg, -2, 2],
    ['exp', ops.exp, -2, 2],
    ['log', ops.log, 0.2, 3],
    ['sqrt', ops.sqrt, 0.2, 3],
    ['abs', ops.abs, -2, 2, { at: 0, gap: 0.05 }],
    ['relu', ops.relu, -2, 2, { at: 0, gap: 0.05 }],
    ['elu', ops.elu, -2, 2, { at: 0, gap: 0.05 }],
    ['sigmoid', ops.sigmoid, -4, 4],
    ['tanh', ops.tanh, -3, 3],
    ['gelu', ops.gelu, -3, 3],
    ['eluPlusOne', ops.eluPlusOne, -2, 2, { at: 0, gap: 0.05 }],
    ['pow 3', (x) => ops.pow(x, 3), -2, 2],
    ['pow 0.5', (x) => ops.pow(x, 0.5), 0.2, 3],
    ['pow -2', (x) => ops.pow(x, -2), 0.5, 2],
  ];
  for (const [name, op, low, high, avoid] of cases) {
    it(name, () => {
      fc.assert(
        fc.property(shapeArb(), seedArb, (s, seed) => {
          expectGradients(op, [randomTensor(s, seed, low, high, avoid)]);
        }),
        RUNS,
      );
    });
  }
});

/** A shape with a chosen axis list (possibly empty = reduce all) and keepdims. */
const reductionArb = shapeArb(1, 4).chain((s) =>
  fc.record({
    shape: fc.constant(s),
    axes: fc.oneof(fc.constant(undefined), fc.subarray(s.map((_, i) => i), { minLength: 1 }), fc.integer({ min: -s.length, max: s.length - 1 })),
    keepdims: fc.boolean(),
    seed: seedArb,
  }),
);

describe('reductions', () => {
  it('sum', () => {
    fc.assert(fc.property(reductionArb, ({ shape, axes, keepdims, seed }) => expectGradients((x) => ops.sum(x, axes, keepdims), [randomTensor(shape, seed)])), RUNS);
  });
  it('mean', () => {
    fc.assert(fc.property(reductionArb, ({ shape, axes, keepdims, seed }) => expectGradients((x) => ops.mean(x, axes, keepdims), [randomTensor(shape, seed)])), RUNS);
  });
  it('max (distinct values, so the maximum is unique)', () => {
    fc.assert(
      fc.property(reductionArb, ({ shape, axes, keepdims, seed }) => {
        const x = randomTensor(shape, seed);
        // Well-separated distinct values: a random permutation of 0.1·k.
        const order = new Rng(seed).shuffle(Array.from(x.data, (_, i) => i));
        order.forEach((k, i) => (x.data[i] = 0.1 * k));
        expectGradients((t) => ops.max(t, axes, keepdims), [x]);
      }),
      RUNS,
    );
  });
});

const axisArb = shapeArb(1, 4).chain((s) => fc.record({ shape: fc.constant(s), axis: fc.integer({ min: -s.length, max: s.length - 1 }), seed: seedArb }));

describe('softmax family and losses', () => {
  it('softmax', () => {
    fc.assert(fc.property(axisArb, ({ shape, axis, seed }) => expectGradients((x) => ops.softmax(x, axis), [randomTensor(shape, seed)])), RUNS);
  });
  it('logSoftmax', () => {
    fc.assert(fc.property(axisArb, ({ shape, axis, seed }) => expectGradients((x) => ops.logSoftmax(x, axis), [randomTensor(shape, seed)])), RUNS);
  });
  it('crossEntropy with ignore index, label smoothing and every reduction', () => {
    fc.assert(
      fc.property(shapeArb(1, 3), fc.integer({ min: 1, max: 5 }), fc.double({ min: 0, max: 0.3, noNaN: true }), fc.constantFrom('mean', 'sum', 'none'), seedArb, (lead, C, smoothing, reduction, seed) => {
        const rows = lead.reduce((a, b) => a * b, 1);
        const rng = new Rng(seed);
        const targets = Array.from({ length: rows }, () => (rng.uniform() < 0.2 ? -100 : rng.int(C)));
        expectGradients(
          (x) => ops.crossEntropy(x, targets, { ignoreIndex: -100, labelSmoothing: smoothing, reduction: reduction as 'mean' }),
          [randomTensor([...lead, C], seed)],
        );
      }),
      RUNS,
    );
  });
  it('sumNormaliseLastAxis (positive rows)', () => {
    fc.assert(fc.property(shapeArb(1, 4), seedArb, (s, seed) => expectGradients((x) => ops.sumNormaliseLastAxis(x, 1e-3), [randomTensor(s, seed, 0.1, 2)])), RUNS);
  });
  it('halfSquaredError', () => {
    fc.assert(fc.property(shapeArb(1, 3), seedArb, (s, seed) => expectGradients(ops.halfSquaredError, [randomTensor(s, seed), randomTensor(s, seed + 1)])), RUNS);
  });
});

describe('matmul and layer ops', () => {
  it('batched matmul with broadcast batch dimensions', () => {
    fc.assert(
      fc.property(broadcastPairArb(2, 2), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), seedArb, ([ba, bb], m, k, n, seed) => {
        expectGradients(ops.matmul, [randomTensor([...ba, m, k], seed), randomTensor([...bb, k, n], seed + 1)]);
      }),
      RUNS,
    );
  });
  it('layerNorm with and without affine parameters', () => {
    fc.assert(
      fc.property(shapeArb(0, 2), fc.integer({ min: 2, max: 5 }), fc.boolean(), seedArb, (lead, D, affine, seed) => {
        const x = randomTensor([...lead, D], seed);
        if (affine) expectGradients((t, w, b) => ops.layerNorm(t, w, b), [x, randomTensor([D], seed + 1), randomTensor([D], seed + 2)]);
        else expectGradients((t) => ops.layerNorm(t, null, null), [x]);
      }),
      RUNS,
    );
  });
  it('embedding (repeated ids accumulate)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), shapeArb(1, 2), seedArb, (V, D, idsShape, seed) => {
        const rng = new Rng(seed);
        const ids = Array.from({ length: idsShape.reduce((a, b) => a * b, 1) }, () => rng.int(V));
        expectGradients((t) => ops.embedding(t, ids, idsShape), [randomTensor([V, D], seed)]);
      }),
      RUNS,
    );
  });
  it('dropout (same seed, same mask)', () => {
    fc.assert(
      fc.property(shapeArb(), fc.double({ min: 0, max: 0.9, noNaN: true }), seedArb, (s, p, seed) => {
        expectGradients((x) => ops.dropout(x, p, new Rng(seed), true), [randomTensor(s, seed)]);
      }),
      RUNS,
    );
  });
  it('where and maskedFill', () => {
    fc.assert(
      fc.property(broadcastPairArb(), seedArb, ([sa, sb], seed) => {
        const rng = new Rng(seed);
        const cond = randomTensor(sb, seed).to('float64');
        cond.data.forEach((_, i) => (cond.data[i] = rng.uniform() < 0.5 ? 1 : 0));
        expectGradients((a, b) => ops.where(cond, a, b), [randomTensor(sa, seed + 1), randomTensor(sb, seed + 2)]);
        const fits = sb.length <= sa.length && sb.every((d, i) => d === 1 || d === sa[sa.length - sb.length + i]);
        if (fits) expectGradients((a) => ops.maskedFill(a, cond, -5), [randomTensor(sa, seed + 3)]);
      }),
      RUNS,
    );
  });
});

describe('shape ops', () => {
  it('reshape (with −1)', () => {
    fc.assert(fc.property(shapeArb(), seedArb, (s, seed) => expectGradients((x) => ops.mul(ops.reshape(x, [-1]), 2), [randomTensor(s, seed)])), RUNS);
  });
  it('permute and transpose', () => {
    fc.assert(
      fc.property(shapeArb(2, 4), seedArb, (s, seed) => {
        const perm = new Rng(seed).shuffle(s.map((_, i) => i));
        expectGradients((x) => ops.permute(x, perm), [randomTensor(s, seed)]);
        expectGradients((x) => ops.transpose(x), [randomTensor(s, seed)]);
      }),
      RUNS,
    );
  });
  it('slice', () => {
    fc.assert(
      fc.property(axisArb, fc.nat(), fc.nat(), ({ shape, axis, seed }, u, v) => {
        const n = shape.at(axis)!;
        const start = u % n;
        const end = start + 1 + (v % (n - start));
        expectGradients((x) => ops.slice(x, axis, start, end), [randomTensor(shape, seed)]);
      }),
      RUNS,
    );
  });
  it('concat, stack and split', () => {
    fc.assert(
      fc.property(axisArb, fc.integer({ min: 1, max: 3 }), ({ shape, axis, seed }, extra) => {
        const other = [...shape];
        other[(axis + shape.length) % shape.length] = extra;
        expectGradients((a, b) => ops.concat([a, b], axis), [randomTensor(shape, seed), randomTensor(other, seed + 1)]);
        expectGradients((a, b) => ops.stack([a, b], axis), [randomTensor(shape, seed), randomTensor(shape, seed + 1)]);
        expectGradients((a) => ops.mul(ops.split(a, [1, shape.at(axis)! - 1].filter((d) => d > 0), axis).at(-1)!, 3), [randomTensor(shape, seed)]);
      }),
      RUNS,
    );
  });
  it('broadcastTo', () => {
    fc.assert(
      fc.property(broadcastPairArb(), seedArb, ([sa, sb], seed) => {
        const target = sa.length >= sb.length ? sa : sb;
        const small = sa.length >= sb.length ? sb : sa;
        const ok = small.every((d, i) => d === 1 || d === target[target.length - small.length + i]);
        if (ok) expectGradients((x) => ops.broadcastTo(x, target), [randomTensor(small, seed)]);
      }),
      RUNS,
    );
  });
});

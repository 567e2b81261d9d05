/** Forward properties that pin each op's meaning (gradients are in gradients.test.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ops from '../../src/ops/index.js';
import { Rng, Tensor, tensor } from '../../src/index.js';
import { RUNS, randomTensor, seedArb, shapeArb } from '../helpers.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-12) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]!)));
};

describe('forward semantics', () => {
  it('softmax rows sum to 1 and logSoftmax = log(softmax)', () => {
    fc.assert(
      fc.property(shapeArb(1, 4), seedArb, (s, seed) => {
        const x = randomTensor(s, seed, -30, 30);
        const y = ops.softmax(x, -1);
        const rowSums = ops.sum(y, -1);
        close(rowSums.data, new Float64Array(rowSums.size).fill(1));
        close(ops.logSoftmax(x, -1).data, y.data.map(Math.log), 1e-9);
      }),
      RUNS,
    );
  });
  it('matmul equals a naive triple loop, with batch broadcasting', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), seedArb, (batch, m, k, n, seed) => {
        const a = randomTensor([batch, m, k], seed);
        const b = randomTensor([k, n], seed + 1);
        const c = ops.matmul(a, ops.reshape(b, [1, k, n]));
        expect(c.shape).toEqual([batch, m, n]);
        for (let bi = 0; bi < batch; bi++)
          for (let i = 0; i < m; i++)
            for (let j = 0; j < n; j++) {
              let s = 0;
              for (let p = 0; p < k; p++) s += a.data[bi * m * k + i * k + p]! * b.data[p * n + j]!;
              expect(c.data[bi * m * n + i * n + j]).toBeCloseTo(s, 12);
            }
      }),
      RUNS,
    );
  });
  it('layerNorm output has mean 0 and variance 1 along the last axis', () => {
    fc.assert(
      fc.property(shapeArb(0, 3), fc.integer({ min: 2, max: 16 }), seedArb, (lead, D, seed) => {
        const y = ops.layerNorm(randomTensor([...lead, D], seed, -5, 5), null, null, 0);
        const mu = ops.mean(y, -1);
        const variance = ops.mean(ops.pow(y, 2), -1);
        close(mu.data, new Float64Array(mu.size), 1e-9);
        close(variance.data, new Float64Array(variance.size).fill(1), 1e-9);
      }),
      RUNS,
    );
  });
  it('crossEntropy equals −log softmax at the target, averaged over counted rows', () => {
    const logits = tensor([[1, 2, 3], [0, 0, 0], [5, -1, 2]], { dtype: 'float64' });
    const loss = ops.crossEntropy(logits, [2, -100, 0], { ignoreIndex: -100 });
    const ls = ops.logSoftmax(logits).data;
    expect(loss.item()).toBeCloseTo(-(ls[2]! + ls[6]!) / 2, 12);
    expect(ops.crossEntropy(logits, [-100, -100, -100], { ignoreIndex: -100 }).item()).toBe(0);
  });
  it('permute then the inverse permutation is the identity; transpose swaps indices', () => {
    const x = randomTensor([2, 3, 4], 7);
    const y = ops.permute(x, [2, 0, 1]);
    expect(y.shape).toEqual([4, 2, 3]);
    close(ops.permute(y, [1, 2, 0]).data, x.data);
    const t = ops.transpose(x);
    // t[1, 2, 1] (t is [2, 4, 3]) is x[1, 1, 2] (x is [2, 3, 4]).
    expect(t.data[1 * 12 + 2 * 3 + 1]).toBe(x.data[1 * 12 + 1 * 4 + 2]);
  });
  it('concat/split and stack round-trip', () => {
    const a = randomTensor([2, 3], 1);
    const b = randomTensor([2, 2], 2);
    const [a2, b2] = ops.split(ops.concat([a, b], 1), [3, 2], 1);
    close(a2!.data, a.data);
    close(b2!.data, b.data);
    expect(ops.stack([a, a, a], 1).shape).toEqual([2, 3, 3]);
  });
  it('dropout keeps the expectation and is the identity in eval mode', () => {
    const x = new Tensor(new Float64Array(20000).fill(1), [20000]);
    const y = ops.dropout(x, 0.3, new Rng(3), true);
    const zeros = y.data.filter((v) => v === 0).length / y.size;
    expect(zeros).toBeGreaterThan(0.28);
    expect(zeros).toBeLessThan(0.32);
    expect(ops.mean(y).item()).toBeCloseTo(1, 1);
    expect(ops.dropout(x, 0.3, new Rng(3), false)).toBe(x);
  });
  it('the fused feature-map ops equal their compositions', () => {
    fc.assert(
      fc.property(shapeArb(1, 3), seedArb, (s, seed) => {
        const x = randomTensor(s, seed);
        close(ops.eluPlusOne(x).data, ops.add(ops.elu(x), 1).data, 1e-15);
        const p = ops.exp(x);
        close(ops.sumNormaliseLastAxis(p, 1e-6).data, ops.div(p, ops.add(ops.sum(p, -1, true), 1e-6)).data, 1e-14);
      }),
      RUNS,
    );
  });
  it('trilMask, where and maskedFill', async () => {
    const { trilMask } = await import('../../src/index.js');
    expect(trilMask(3).toArray()).toEqual([[1, 0, 0], [1, 1, 0], [1, 1, 1]]);
    const x = tensor([[1, 2], [3, 4]]);
    expect(ops.maskedFill(x, tensor([[0, 1], [0, 0]]), -9).toArray()).toEqual([[1, -9], [3, 4]]);
  });
});

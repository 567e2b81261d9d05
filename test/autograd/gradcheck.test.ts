import { describe, expect, it } from 'vitest';
import { Tensor, checkGradients, record, ones } from '../../src/index.js';
import * as ops from '../../src/ops/index.js';
import { randomTensor } from '../helpers.js';

/** x³ with a deliberately wrong derivative (2x² instead of 3x²). */
function brokenCube(x: Tensor): Tensor {
  const out = x.data.map((v) => v ** 3);
  return record('brokenCube', [x], new Tensor(out, x.shape), (g) => [g.map((gi, i) => gi * 2 * x.data[i]! ** 2)]);
}

describe('checkGradients', () => {
  it('passes a correct composite and reports how many partials it compared', () => {
    const r = checkGradients((a, b) => ops.tanh(ops.matmul(a, b)), [randomTensor([3, 4], 1), randomTensor([4, 2], 2)]);
    expect(r.ok).toBe(true);
    expect(r.checked).toBe(12 + 8);
    expect(r.maxError).toBeLessThan(1e-8);
  });
  it('catches a wrong backward and says where', () => {
    const r = checkGradients(brokenCube, [randomTensor([5], 3, 0.5, 2)]);
    expect(r.ok).toBe(false);
    expect(r.worst).not.toBeNull();
    expect(r.worst!.input).toBe(0);
    expect(r.worst!.analytic / r.worst!.numeric).toBeCloseTo(2 / 3, 5);
  });
  it('refuses float32 inputs', () => {
    expect(() => checkGradients(ops.exp, [ones([2])])).toThrow(/finite differences need float64/);
  });
  it('leaves the caller’s tensors untouched', () => {
    const x = randomTensor([4], 5);
    const before = x.data.slice();
    checkGradients(ops.exp, [x]);
    expect(Array.from(x.data)).toEqual(Array.from(before));
    expect(x.grad).toBeNull();
  });
});

describe('checkGradients on parameters', () => {
  it('checks tensors used inside fn and restores their .grad', () => {
    const w = new Tensor(new Float64Array([0.3, -0.7, 1.1]), [3], { requiresGrad: true });
    const r = checkGradients((x) => ops.sum(ops.mul(ops.tanh(ops.mul(x, w)), w)), [randomTensor([2, 3], 9)], { parameters: [w] });
    expect(r.ok).toBe(true);
    expect(r.checked).toBe(6 + 3);
    expect(w.grad).toBeNull();
  });
  it('catches a wrong parameter gradient', () => {
    const w = new Tensor(new Float64Array([0.9, 1.3]), [2], { requiresGrad: true });
    const r = checkGradients((x) => ops.mul(brokenCube(w), x), [randomTensor([2], 1)], { parameters: [w] });
    expect(r.ok).toBe(false);
    expect(r.worst!.input).toBe(1); // parameters are numbered after the inputs
  });
});

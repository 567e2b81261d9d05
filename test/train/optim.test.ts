import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Tensor } from '../../src/tensor/tensor.js';
import { Adam, AdamW, SGD, clipGradNorm, defaultNoDecay, type NamedParameters, type Optimizer } from '../../src/train/optim.js';

const vec = (...v: number[]) => new Tensor(Float64Array.from(v), [v.length]);
const mat = (rows: number, cols: number, v: number[]) => new Tensor(Float64Array.from(v), [rows, cols]);
const setGrad = (p: Tensor, ...g: number[]) => {
  p.grad = new Tensor(Float64Array.from(g), p.shape);
};

/** Gradient of Σ (p − target)² for every parameter. */
function quadraticGrads(params: NamedParameters, target: number): void {
  for (const [, p] of params) p.grad = new Tensor(p.data.map((x) => 2 * (x - target)), p.shape);
}

describe('SGD', () => {
  it('plain step with weight decay: p ← p − lr(g + wd p)', () => {
    const p = vec(1, -2);
    const sgd = new SGD([['w', p]], { lr: 0.1, weightDecay: 0.5 });
    setGrad(p, 3, 4);
    sgd.step();
    expect(Array.from(p.data)).toEqual([1 - 0.1 * (3 + 0.5), -2 - 0.1 * (4 - 1)].map((x) => expect.closeTo(x, 12)));
  });

  it('momentum and Nesterov follow their recurrences', () => {
    for (const nesterov of [false, true]) {
      const p = vec(0);
      const sgd = new SGD([['w', p]], { lr: 0.5, momentum: 0.9, nesterov });
      const grads = [1, 2, -1];
      let b = 0;
      let expected = 0;
      for (const g of grads) {
        setGrad(p, g);
        sgd.step();
        b = 0.9 * b + g;
        expected -= 0.5 * (nesterov ? g + 0.9 * b : b);
        expect(p.data[0]).toBeCloseTo(expected, 12);
      }
    }
  });

  it('refuses Nesterov without momentum and out-of-range settings', () => {
    expect(() => new SGD([['w', vec(0)]], { lr: 0.1, nesterov: true })).toThrow(/nesterov needs momentum/);
    expect(() => new SGD([['w', vec(0)]], { lr: -1 })).toThrow(/lr must be a finite number ≥ 0, got -1/);
    expect(() => new SGD([['w', vec(0)]], { lr: 0.1, momentum: 1 })).toThrow(/momentum must be in \[0, 1\)/);
    expect(() => new SGD([['w', vec(0)], ['w', vec(1)]], { lr: 0.1 })).toThrow(/'w' appears twice/);
  });
});

describe('Adam and AdamW', () => {
  it('matches the bias-corrected recurrence step by step', () => {
    const p = vec(0.3);
    const adam = new Adam([['w', p]], { lr: 0.01, beta1: 0.8, beta2: 0.9, eps: 1e-6, weightDecay: 0.1 });
    let m = 0;
    let v = 0;
    let x = 0.3;
    for (let t = 1; t <= 4; t++) {
      const raw = Math.sin(t);
      setGrad(p, raw);
      adam.step();
      const g = raw + 0.1 * x;
      m = 0.8 * m + 0.2 * g;
      v = 0.9 * v + 0.1 * g * g;
      x -= (0.01 * (m / (1 - 0.8 ** t))) / (Math.sqrt(v / (1 - 0.9 ** t)) + 1e-6);
      expect(p.data[0]).toBeCloseTo(x, 12);
    }
  });

  it('the first step moves every coordinate by about lr, whatever the gradient scale (bias correction)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 6 }), (g) => {
        const p = new Tensor(new Float64Array(g.length), [g.length]);
        const adam = new Adam([['w', p]], { lr: 0.01 });
        setGrad(p, ...g);
        adam.step();
        for (const x of p.data) expect(x).toBeCloseTo(-0.01, 6);
      }),
    );
  });

  it('AdamW decays only weight matrices by default, decoupled from the gradient', () => {
    const weight = mat(1, 2, [2, -4]);
    const bias = vec(2);
    const gain = mat(1, 1, [2]);
    const params: NamedParameters = [['layer.weight', weight], ['layer.bias', bias], ['layerNorm.gain', gain]];
    const opt = new AdamW(params, { lr: 0.1, weightDecay: 0.5 });
    expect([opt.decays('layer.weight'), opt.decays('layer.bias'), opt.decays('layerNorm.gain')]).toEqual([true, false, false]);
    for (const [, p] of params) p.grad = new Tensor(new Float64Array(p.size), p.shape); // zero gradient: only decay acts
    opt.step();
    expect(Array.from(weight.data)).toEqual([2 * 0.95, -4 * 0.95]);
    expect(Array.from(bias.data)).toEqual([2]);
    expect(Array.from(gain.data)).toEqual([2]);
    expect(defaultNoDecay('encoder.w', vec(1, 2))).toBe(true); // 1-D
  });

  it('a custom noDecay predicate is honoured', () => {
    const w = mat(1, 1, [1]);
    const opt = new AdamW([['w', w]], { lr: 0.1, weightDecay: 0.5, noDecay: (name) => name === 'w' });
    expect(opt.decays('w')).toBe(false);
  });
});

describe('every optimiser', () => {
  const make: Record<string, (params: NamedParameters) => Optimizer> = {
    sgd: (ps) => new SGD(ps, { lr: 0.1 }),
    momentum: (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true }),
    adam: (ps) => new Adam(ps, { lr: 0.05 }),
    adamw: (ps) => new AdamW(ps, { lr: 0.05, weightDecay: 0 }),
  };

  for (const [kind, build] of Object.entries(make)) {
    it(`${kind}: minimises a quadratic`, () => {
      const params: NamedParameters = [['a', mat(2, 2, [1, -2, 3, 0.5])], ['b', vec(-1, 4)]];
      const opt = build(params);
      for (let i = 0; i < 500; i++) {
        quadraticGrads(params, 0.25);
        opt.step();
        opt.zeroGrad();
      }
      for (const [, p] of params) for (const x of p.data) expect(x).toBeCloseTo(0.25, 2);
    });

    it(`${kind}: resumes exactly from stateDict`, () => {
      const fresh = (): NamedParameters => [['a', mat(1, 3, [1, 2, 3])], ['b', vec(-1)]];
      const run = (params: NamedParameters, opt: Optimizer, steps: number) => {
        for (let i = 0; i < steps; i++) {
          quadraticGrads(params, -0.5);
          opt.step();
        }
      };
      const paramsA = fresh();
      const optA = build(paramsA);
      run(paramsA, optA, 5);
      const saved = optA.stateDict();
      const savedWeights = paramsA.map(([, p]) => p.data.slice());
      run(paramsA, optA, 5);

      const paramsB = fresh();
      paramsB.forEach(([, p], i) => p.data.set(savedWeights[i]!));
      const optB = build(paramsB);
      optB.loadStateDict(saved);
      expect(optB.stepCount).toBe(5);
      run(paramsB, optB, 5);
      paramsB.forEach(([, p], i) => expect(p.data).toEqual(paramsA[i]![1].data));
    });

    it(`${kind}: a non-finite gradient names the parameter and changes nothing`, () => {
      const a = vec(1, 2);
      const b = vec(3);
      const opt = build([['a', a], ['b', b]]);
      setGrad(a, 0.5, 0.5);
      setGrad(b, Number.NaN);
      expect(() => opt.step()).toThrow(/gradient of 'b' is non-finite \(NaN at flat index 0\)/);
      expect(Array.from(a.data)).toEqual([1, 2]);
      expect(opt.stepCount).toBe(0);
    });
  }

  it('skips parameters without a gradient', () => {
    const a = vec(1);
    const b = vec(2);
    const opt = new Adam([['a', a], ['b', b]], { lr: 0.1 });
    setGrad(a, 1);
    opt.step();
    expect(a.data[0]).not.toBe(1);
    expect(b.data[0]).toBe(2);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
  });

  it('lr can be changed between steps', () => {
    const p = vec(0);
    const opt = new SGD([['w', p]], { lr: 1 });
    opt.lr = 0.25;
    setGrad(p, 1);
    opt.step();
    expect(p.data[0]).toBe(-0.25);
  });
});

describe('optimizer state dicts', () => {
  it('use the documented buffer names and copy their data', () => {
    const w = mat(1, 2, [1, 2]);
    const adam = new Adam([['w', w]], { lr: 0.1 });
    setGrad(w, 1, 1);
    adam.step();
    const state = adam.stateDict();
    expect(Object.keys(state.buffers).sort()).toEqual(['m.w', 'v.w']);
    expect(state.step).toBe(1);
    state.buffers['m.w']![0] = 123;
    expect(adam.stateDict().buffers['m.w']![0]).not.toBe(123);
    expect(Object.keys(new SGD([['w', w]], { lr: 1, momentum: 0.5 }).stateDict().buffers)).toEqual(['momentum.w']);
  });

  it('refuses mismatched states with clear errors and stays unchanged', () => {
    const w = vec(1, 2);
    const adam = new Adam([['w', w]], { lr: 0.1 });
    const good = adam.stateDict();
    expect(() => adam.loadStateDict({ ...good, buffers: { 'm.w': new Float64Array(2) } })).toThrow(/missing buffer 'v\.w'/);
    expect(() => adam.loadStateDict({ ...good, buffers: { ...good.buffers, 'm.x': new Float64Array(2) } })).toThrow(/unexpected buffer\(s\) 'm\.x'/);
    expect(() => adam.loadStateDict({ ...good, buffers: { ...good.buffers, 'v.w': new Float64Array(3) } })).toThrow(/buffer 'v\.w' has 3 elements, the parameter has 2/);
    expect(() => adam.loadStateDict({ ...good, step: -1 })).toThrow(/step must be a non-negative integer/);
    const sgdState = new SGD([['w', vec(0, 0)]], { lr: 0.1, momentum: 0.9 }).stateDict();
    expect(() => adam.loadStateDict(sgdState)).toThrow(/unexpected buffer\(s\) 'momentum\.w'/);
    expect(adam.stateDict()).toEqual(good);
  });
});

describe('clipGradNorm', () => {
  it('returns the norm before clipping and scales gradients to maxNorm', () => {
    const a = vec(0, 0);
    const b = vec(0);
    setGrad(a, 3, 0);
    setGrad(b, 4);
    expect(clipGradNorm([['a', a], ['b', b], ['frozen', vec(1)]], 1)).toBe(5);
    expect(a.grad!.data[0]).toBeCloseTo(0.6, 6);
    expect(b.grad!.data[0]).toBeCloseTo(0.8, 6);
    expect(clipGradNorm([['a', a], ['b', b]], 10)).toBeCloseTo(1, 5);
    expect(b.grad!.data[0]).toBeCloseTo(0.8, 6); // under the limit: untouched
  });

  it('refuses non-finite gradients, naming the parameter', () => {
    const a = vec(0);
    setGrad(a, Number.POSITIVE_INFINITY);
    expect(() => clipGradNorm([['layer.w', a]], 1)).toThrow(/gradient of 'layer\.w' is non-finite/);
    expect(() => clipGradNorm([['layer.w', a]], 0)).toThrow(/maxNorm must be a positive finite number/);
  });
});

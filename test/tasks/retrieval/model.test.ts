import { describe, expect, it } from 'vitest';
import { Rng, checkGradients, describeGradCheck } from '../../../src/index.js';
import { retrievalBatch } from '../../../src/tasks/retrieval/batches.js';
import { RetrievalModel } from '../../../src/tasks/retrieval/model.js';
import { trainRetrieval, type RetrievalRunConfig } from '../../../src/tasks/retrieval/training.js';

const NAMES = ['softmax', 'linear', 'delta', 'dpfp-1', 'dpfp-3', 'dpfp-delta-2', 'performer-8', 'performer-delta-4', 'performer', 'dpfp'];

describe('retrieval model', () => {
  it('gives [B, S] for every model name, in train and eval mode, with the expected d_dot', () => {
    const dDots: Record<string, number> = { softmax: 4, linear: 4, delta: 4, 'dpfp-1': 8, 'dpfp-3': 24, 'dpfp-delta-2': 16, 'performer-8': 16, 'performer-delta-4': 8, performer: 8, dpfp: 8 };
    for (const setting of [1, 2] as const) {
      const batch = retrievalBatch(setting, 5, 3, new Rng(1));
      for (const name of NAMES) {
        const model = new RetrievalModel({ model: name, S: 5, dKey: 4, dEmb: 6, rng: new Rng(2) });
        expect(model.dDot, name).toBe(dDots[name]);
        const y = model.forward(batch);
        expect(y.shape, name).toEqual([3, 5]);
        expect(y.data.every(Number.isFinite), name).toBe(true);
        model.eval();
        expect(model.forward(batch).shape).toEqual([3, 5]);
      }
    }
  });

  it('only delta variants have a β projection; unknown names list the valid ones', () => {
    expect(new RetrievalModel({ model: 'delta', S: 3, dKey: 2, dEmb: 2, rng: new Rng(0) }).beta).not.toBeNull();
    expect(new RetrievalModel({ model: 'dpfp-2', S: 3, dKey: 2, dEmb: 2, rng: new Rng(0) }).beta).toBeNull();
    expect(() => new RetrievalModel({ model: 'lstm', S: 3, dKey: 2, dEmb: 2, rng: new Rng(0) })).toThrow(/valid: softmax, linear/);
  });

  it('FAVOR+ is fixed in eval mode and redrawn in training mode', () => {
    const batch = retrievalBatch(1, 4, 2, new Rng(5));
    const model = new RetrievalModel({ model: 'performer-4', S: 4, dKey: 3, dEmb: 4, rng: new Rng(6) });
    model.eval();
    expect(Array.from(model.forward(batch).data)).toEqual(Array.from(model.forward(batch).data));
    model.train();
    expect(Array.from(model.forward(batch).data)).not.toEqual(Array.from(model.forward(batch).data));
  });

  it('the sum rule read-out equals attention with weights φ′(k_t)·φ′(q) over the projected values', () => {
    // The model applies W_v after mixing the inputs; check against projecting every step first.
    const batch = retrievalBatch(2, 4, 2, new Rng(7));
    const model = new RetrievalModel({ model: 'linear', S: 4, dKey: 3, dEmb: 5, rng: new Rng(8), dtype: 'float64' });
    const y = model.forward(batch);
    const { keyEmbedding: E, key: Wk, value: Wv, query: Wq } = model;
    const dIn = 5 + 4;
    const phi = (v: number[]) => {
      const f = v.map((x) => (x > 0 ? x + 1 : Math.exp(x)));
      const s = f.reduce((a, b) => a + b, 0) + 1e-6;
      return f.map((x) => x / s);
    };
    const project = (x: number[], W: Float64Array | Float32Array, out: number) =>
      Array.from({ length: out }, (_, j) => x.reduce((s, xi, i) => s + xi * W[i * out + j]!, 0));
    for (let b = 0; b < 2; b++) {
      const qe = Array.from(E.weight.data.subarray(batch.query[b]! * 5, batch.query[b]! * 5 + 5));
      const q = phi(project(qe, Wq.weight.data, 3));
      const expected = new Array(4).fill(0);
      for (let t = 0; t < batch.L; t++) {
        const key = batch.keys[b * batch.L + t]!;
        const x = [...Array.from(E.weight.data.subarray(key * 5, key * 5 + 5)), ...Array.from({ length: 4 }, (_, i) => (i === batch.values[b * batch.L + t] ? 1 : 0))];
        expect(x.length).toBe(dIn);
        const k = phi(project(x, Wk.weight.data, 3));
        const a = k.reduce((s, ki, i) => s + ki * q[i]!, 0);
        project(x, Wv.weight.data, 4).forEach((v, i) => (expected[i] += a * v));
      }
      for (let i = 0; i < 4; i++) expect(y.data[b * 4 + i]).toBeCloseTo(expected[i], 10);
    }
  });

  it('passes a gradient check through every parameter (delta rule, DPFP, float64)', () => {
    const batch = retrievalBatch(2, 3, 2, new Rng(9));
    const model = new RetrievalModel({ model: 'dpfp-delta-1', S: 3, dKey: 2, dEmb: 3, rng: new Rng(10), dtype: 'float64' });
    const result = checkGradients(() => model.forward(batch), [], { parameters: model.parameters() });
    expect(result.ok, describeGradCheck(result)).toBe(true);
  });

  it('training: the delta rule learns setting 2 at S = 3 to a low loss, reproducibly', () => {
    const config: RetrievalRunConfig = {
      setting: 2, model: 'delta', S: 3, dKey: 8, dEmb: 7, batchSize: 32, lr: 3e-3, targetLoss: 1e-2,
      maxSteps: 600, evalEvery: 50, evalSize: 64, patience: 600, minImprovement: 0.01, seed: 1,
    };
    const first = trainRetrieval(config);
    expect(first.curve[0]!.evalLoss).toBeGreaterThan(0.1);
    expect(first.finalLoss).toBeLessThan(0.02);
    const again = trainRetrieval({ ...config, maxSteps: 100, targetLoss: 0 });
    expect(again.curve.map((p) => p.evalLoss)).toEqual(first.curve.slice(0, 2).map((p) => p.evalLoss));
  });
});

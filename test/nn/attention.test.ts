/** The paper's claims as tests: equivalence, overwrite, capacity, feature maps, and gradients of every variant. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DpfpFeatureMap,
  EluFeatureMap,
  FastWeightAttention,
  MODEL_NAMES,
  Rng,
  Tensor,
  createAttention,
  orthogonalRandomFeatures,
  favorFeatures,
  parseAttentionSpec,
  sumNormalise,
  trilMask,
  zeros,
  checkGradients,
  describeGradCheck,
  type AttentionState,
} from '../../src/index.js';
import * as ops from '../../src/ops/index.js';
import { fastWeightDelta, fastWeightSum } from '../../src/ops/fastweight.js';
import { randomTensor, seedArb } from '../helpers.js';

const maxAbsDiff = (a: Tensor, b: Tensor) => {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
};

/** Normalised positive features [B, H, T, d], as φ' would give. */
const features = (shape: number[], seed: number) => sumNormalise(ops.add(ops.elu(randomTensor(shape, seed)), 1));

describe('linear attention is a fast weight programmer', () => {
  it('the recurrent sum rule equals causal attention tril(φ′(Q)φ′(K)ᵀ)V', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), seedArb, (B, H, T, d, dv, seed) => {
        const q = features([B, H, T, d], seed);
        const k = features([B, H, T, d], seed + 1);
        const v = randomTensor([B, H, T, dv], seed + 2);
        const recurrent = fastWeightSum(q, k, v).output;
        const scores = ops.mul(ops.matmul(q, ops.transpose(k)), trilMask(T, T, 0, { dtype: 'float64' }));
        expect(maxAbsDiff(recurrent, ops.matmul(scores, v))).toBeLessThan(1e-12);
      }),
      { numRuns: 30 },
    );
  });
  it('the non-causal layer equals φ′(Q)(φ′(K)ᵀV), and the causal layer’s last step equals it too', () => {
    const rng = new Rng(3);
    const layer = createAttention('linear', { dModel: 6, heads: 2, dHead: 3, causal: false, rng, dtype: 'float64' }) as FastWeightAttention;
    const causal = createAttention('linear', { dModel: 6, heads: 2, dHead: 3, causal: true, rng: new Rng(3), dtype: 'float64' }) as FastWeightAttention;
    const x = randomTensor([2, 5, 6], 9);
    const full = layer.forward(x).output;
    const last = ops.slice(causal.forward(x).output, 1, 4, 5);
    // The final step of the causal scan has seen every key: it must equal the non-causal read at t = T.
    expect(maxAbsDiff(last, ops.slice(full, 1, 4, 5))).toBeLessThan(1e-12);
  });
});

/** n orthonormal keys of size d (n ≤ d), as rows of a [n, d] array. */
function orthonormalKeys(n: number, d: number, seed: number): Float64Array {
  const R = orthogonalRandomFeatures(n, d, new Rng(seed), 'float64');
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const row = R.data.subarray(i * d, (i + 1) * d);
    const norm = Math.hypot(...row);
    for (let j = 0; j < d; j++) out[i * d + j] = row[j]! / norm;
  }
  return out;
}

/** Writes (key i → value v_i) for a sequence of key indices, then reads with key `query`. */
function writeThenRead(rule: 'sum' | 'delta', keys: Float64Array, d: number, seq: number[], values: number[][], query: number): Float64Array {
  const T = seq.length + 1;
  const dv = values[0]!.length;
  const k = new Float64Array(T * d);
  const v = new Float64Array(T * dv);
  seq.forEach((key, t) => {
    k.set(keys.subarray(key * d, (key + 1) * d), t * d);
    v.set(values[t]!, t * dv);
  });
  const q = new Float64Array(T * d);
  q.set(keys.subarray(query * d, (query + 1) * d), (T - 1) * d); // only the last step's read matters
  const K = new Tensor(k, [1, 1, T, d]);
  const Q = new Tensor(q, [1, 1, T, d]);
  const V = new Tensor(v, [1, 1, T, dv]);
  const beta = new Tensor(new Float64Array(T).fill(1), [1, 1, T]);
  const y = rule === 'sum' ? fastWeightSum(Q, K, V).output : fastWeightDelta(Q, K, V, beta).output;
  return y.data.slice((T - 1) * dv, T * dv) as Float64Array;
}

describe('the delta rule overwrites; the sum rule cannot', () => {
  it('with β = 1 and orthonormal keys, the delta rule retrieves the latest value bound to a key', () => {
    const d = 8;
    const keys = orthonormalKeys(d, d, 1);
    const rng = new Rng(2);
    const seq = [0, 1, 2, 1, 3, 1, 0];
    const values = seq.map(() => Array.from({ length: 4 }, () => rng.normal()));
    const delta = writeThenRead('delta', keys, d, seq, values, 1);
    const sum = writeThenRead('sum', keys, d, seq, values, 1);
    const latest = values[5]!;
    delta.forEach((x, i) => expect(x).toBeCloseTo(latest[i]!, 10));
    // The sum rule returns the sum of the three values written to key 1, not the latest.
    const total = [1, 3, 5].map((t) => values[t]!).reduce((acc, v) => acc.map((a, i) => a + v[i]!));
    sum.forEach((x, i) => expect(x).toBeCloseTo(total[i]!, 10));
    expect(Math.max(...sum.map((x, i) => Math.abs(x - latest[i]!)))).toBeGreaterThan(0.1);
  });
});

describe('capacity is bounded by d_dot', () => {
  it('the sum rule stores d_dot orthogonal associations exactly, and d_dot + 1 keys never all exactly', () => {
    for (const d of [2, 5, 8]) {
      const keys = orthonormalKeys(d, d, d);
      const oneHot = (i: number, n: number) => Array.from({ length: n }, (_, j) => (j === i ? 1 : 0));
      const seq = Array.from({ length: d }, (_, i) => i);
      const values = seq.map((i) => oneHot(i, d + 1));
      for (let query = 0; query < d; query++) {
        const y = writeThenRead('sum', keys, d, seq, values, query);
        y.forEach((x, i) => expect(x).toBeCloseTo(values[query]![i]!, 10));
      }
      // d + 1 unit keys in R^d are linearly dependent, so no W maps them to d + 1 independent one-hot values.
      const rng = new Rng(d);
      const extra = new Float64Array((d + 1) * d).map(() => rng.normal());
      for (let i = 0; i <= d; i++) {
        const row = extra.subarray(i * d, (i + 1) * d);
        const n = Math.hypot(...row);
        row.forEach((x, j) => (row[j] = x / n));
      }
      const seq2 = Array.from({ length: d + 1 }, (_, i) => i);
      const values2 = seq2.map((i) => oneHot(i, d + 1));
      let worst = 0;
      for (let query = 0; query <= d; query++) {
        const y = writeThenRead('sum', extra, d, seq2, values2, query);
        worst = Math.max(worst, Math.max(...y.map((x, i) => Math.abs(x - values2[query]![i]!))));
      }
      expect(worst).toBeGreaterThan(1e-3);
    }
  });
});

describe('feature maps', () => {
  it('DPFP has size 2·d·ν, is non-negative, and matches the roll construction', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), seedArb, (d, nu, seed) => {
        fc.pre(nu < 2 * d);
        const x = randomTensor([3, d], seed);
        const phi = new DpfpFeatureMap(d, nu).apply(x);
        expect(phi.shape).toEqual([3, 2 * d * nu]);
        expect(Math.min(...phi.data)).toBeGreaterThanOrEqual(0);
        // Element (row, j, i): r_i · r_{(i − j) mod 2d}.
        for (let row = 0; row < 3; row++) {
          const r = [...Array.from({ length: d }, (_, i) => x.data[row * d + i]!), ...Array.from({ length: d }, (_, i) => -x.data[row * d + i]!)].map((v) => Math.max(v, 0));
          for (let j = 1; j <= nu; j++)
            for (let i = 0; i < 2 * d; i++) expect(phi.data[row * 2 * d * nu + (j - 1) * 2 * d + i]).toBeCloseTo(r[i]! * r[(i - j + 2 * d) % (2 * d)]!, 12);
        }
      }),
      { numRuns: 30 },
    );
  });
  it('sum-normalised features sum to 1', () => {
    const phi = sumNormalise(new EluFeatureMap(4).apply(randomTensor([5, 4], 1)), 0);
    ops.sum(phi, -1).data.forEach((s) => expect(s).toBeCloseTo(1, 12));
  });
  it('FAVOR+ estimates the softmax kernel exp(q·k) without bias', () => {
    // Mean over 400 independent draws of R (m = 16, d = 4); the standard error of the mean is
    // measured from the draws themselves, and the mean must be within 4 standard errors of exp(q·k).
    const d = 4;
    const rng = new Rng(2024);
    const q = randomTensor([1, d], 1, -0.5, 0.5);
    const k = randomTensor([1, d], 2, -0.5, 0.5);
    let exact = 0;
    for (let i = 0; i < d; i++) exact += q.data[i]! * k.data[i]!;
    exact = Math.exp(exact);
    const estimates: number[] = [];
    for (let draw = 0; draw < 400; draw++) {
      const R = orthogonalRandomFeatures(16, d, rng, 'float64');
      const pq = favorFeatures(q, R);
      const pk = favorFeatures(k, R);
      estimates.push(ops.sum(ops.mul(pq, pk)).item());
    }
    const mean = estimates.reduce((a, b) => a + b, 0) / estimates.length;
    const sd = Math.sqrt(estimates.reduce((a, b) => a + (b - mean) ** 2, 0) / (estimates.length - 1));
    expect(Math.abs(mean - exact)).toBeLessThan(4 * (sd / Math.sqrt(estimates.length)) + 1e-9);
    expect(sd).toBeGreaterThan(0);
  });
  it('orthogonal random features are orthogonal within a block', () => {
    const R = orthogonalRandomFeatures(6, 6, new Rng(1), 'float64');
    for (let i = 0; i < 6; i++)
      for (let j = i + 1; j < 6; j++) {
        let dot = 0;
        for (let c = 0; c < 6; c++) dot += R.data[i * 6 + c]! * R.data[j * 6 + c]!;
        expect(Math.abs(dot)).toBeLessThan(1e-9);
      }
  });
});

describe('the layer', () => {
  const variants = [...MODEL_NAMES.map((n) => n as string), 'dpfp-2', 'performer-3'];
  for (const name of variants) {
    for (const causal of [true, false]) {
      it(`${name} (${causal ? 'causal' : 'non-causal'}) passes checkGradients end to end`, () => {
        const layer = createAttention(name, { dModel: 4, heads: 2, dHead: 2, causal, rng: new Rng(5), dtype: 'float64' });
        layer.eval(); // fixed FAVOR+ features: finite differences need a deterministic function
        const x = randomTensor([2, 3, 4], 11);
        const result = checkGradients((t) => layer.forward(t).output, [x], { parameters: layer.parameters() });
        expect(result.ok, describeGradCheck(result)).toBe(true);
        expect(result.checked).toBe(x.size + layer.parameterCount());
      });
    }
  }
  it('carrying state across segments equals one pass over the whole sequence', () => {
    for (const name of ['linear', 'delta', 'dpfp-delta', 'softmax']) {
      const layer = createAttention(name, { dModel: 4, heads: 2, dHead: 2, causal: true, rng: new Rng(8), dtype: 'float64' });
      layer.eval();
      const x = randomTensor([1, 7, 4], 4);
      const whole = layer.forward(x).output;
      const first = layer.forward(ops.slice(x, 1, 0, 3));
      const second = layer.forward(ops.slice(x, 1, 3, 7), { state: first.state! });
      const third = ops.concat([first.output, second.output], 1);
      expect(maxAbsDiff(whole, third), name).toBeLessThan(1e-12);
      // And one token at a time.
      let state: AttentionState | undefined;
      const steps: Tensor[] = [];
      for (let t = 0; t < 7; t++) {
        const r = layer.forward(ops.slice(x, 1, t, t + 1), state ? { state } : {});
        steps.push(r.output);
        state = r.state;
      }
      expect(maxAbsDiff(whole, ops.concat(steps, 1)), name).toBeLessThan(1e-12);
    }
  });
  it('padding positions write nothing (keyMask)', () => {
    for (const name of ['linear', 'delta', 'softmax']) {
      const layer = createAttention(name, { dModel: 4, heads: 1, dHead: 2, causal: false, rng: new Rng(1), dtype: 'float64' });
      const x = randomTensor([1, 3, 4], 1);
      const padded = ops.concat([x, randomTensor([1, 2, 4], 2)], 1);
      const mask = new Tensor(new Float64Array([1, 1, 1, 0, 0]), [1, 5]);
      const a = layer.forward(x).output;
      const b = ops.slice(layer.forward(padded, { keyMask: mask }).output, 1, 0, 3);
      expect(maxAbsDiff(a, b), name).toBeLessThan(1e-12);
    }
  });
  it('unknown names list the valid ones; suffixes parse', () => {
    expect(() => parseAttentionSpec('lstm')).toThrow(/unknown model 'lstm' \(valid: softmax, linear, performer, dpfp, delta, performer-delta, dpfp-delta/);
    expect(parseAttentionSpec('dpfp-3')).toEqual({ model: 'dpfp', name: 'dpfp-3', update: 'sum', featureMap: 'dpfp', nu: 3, fastWeights: true, stochastic: false });
    expect(parseAttentionSpec('performer-64')).toEqual({ model: 'performer', name: 'performer-64', update: 'sum', featureMap: 'favor', m: 64, fastWeights: true, stochastic: true });
    expect(parseAttentionSpec('dpfp-delta-2')).toEqual({ model: 'dpfp-delta', name: 'dpfp-delta-2', update: 'delta', featureMap: 'dpfp', nu: 2, fastWeights: true, stochastic: false });
    expect(parseAttentionSpec(' delta ')).toEqual({ model: 'delta', name: 'delta', update: 'delta', featureMap: 'elu', fastWeights: true, stochastic: false });
    expect(parseAttentionSpec('softmax')).toEqual({ model: 'softmax', name: 'softmax', update: 'softmax', featureMap: null, fastWeights: false, stochastic: false });
    expect(() => parseAttentionSpec('delta-3')).toThrow(/only dpfp .* and performer/);
  });
  it('shape errors are clear', () => {
    const layer = createAttention('delta', { dModel: 4, heads: 2, dHead: 2, causal: true, rng: new Rng(1) });
    expect(() => layer.forward(zeros([2, 4]))).toThrow(/x must be \[B, T, D\]/);
    expect(() => layer.forward(zeros([1, 3, 5]))).toThrow(/Linear\(4 → 4\): input has shape \[1, 3, 5\]/);
  });
});

describe('FAVOR+ in training mode', () => {
  it('queries and keys of one forward share a draw, and the next forward draws anew', () => {
    const layer = createAttention('performer-4', { dModel: 4, heads: 1, dHead: 4, causal: false, rng: new Rng(3), dtype: 'float64' }) as FastWeightAttention;
    const fm = layer.options.featureMap;
    const x = randomTensor([1, 3, 4], 2);
    // Reading φ(x) twice within one forward gives the same features; after beginForward they change.
    fm.beginForward!(true);
    const a = fm.apply(x, true);
    const b = fm.apply(x, true);
    expect(maxAbsDiff(a, b)).toBe(0);
    fm.beginForward!(true);
    expect(maxAbsDiff(a, fm.apply(x, true))).toBeGreaterThan(0);
    // In eval mode the draw is fixed.
    expect(maxAbsDiff(fm.apply(x, false), fm.apply(x, false))).toBe(0);
  });
});

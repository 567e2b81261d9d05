/**
 * The causal fast weight layer run in blocks recomputed in backward (FastWeightAttentionOptions.blockSize)
 * against the same layer over the whole sequence: the same output, final state, input and parameter
 * gradients on random shapes and block sizes (T not a multiple of the block, blocks of one step,
 * T = 1, carried states, padding masks), float64 to 1e-10 and float32 on the default backend to
 * float rounding; the same bits with one thread and two; and a peak of scratch memory that stays a
 * few [T, d_model] arrays instead of the whole form's ~27 (docs/kernels.md, "Long sequences").
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Rng, Tensor, createAttention, type AttentionState, type DType, type FastWeightAttention } from '../../src/index.js';
import * as ops from '../../src/ops/index.js';
import { persistent, scratchPeakBytes, withScratch } from '../../kernels/index.js';
import { setWasmThreads, threadsWanted, wasmRuntime } from '../../kernels/wasm/runtime.js';
import '../../kernels/threads/index.js'; // the thread pool, for the runs on two threads
import { randomTensor, seedArb } from '../helpers.js';

/** The fast weight kinds: sum and delta rule, the sum rule with its normaliser (z carried too), DPFP. */
const KINDS: [string, { attentionNormalise?: boolean }][] = [['delta', {}], ['linear', {}], ['linear', { attentionNormalise: true }], ['dpfp-delta', {}]];

interface Case {
  kind: number;
  B: number;
  T: number;
  heads: number;
  dHead: number;
  block: number;
  carried: boolean;
  masked: boolean;
  /** Whether x needs a gradient (the parameters need theirs either way). */
  xGrad?: boolean;
  seed: number;
}

const cases = fc.record({
  kind: fc.integer({ min: 0, max: KINDS.length - 1 }),
  B: fc.integer({ min: 1, max: 2 }),
  T: fc.integer({ min: 1, max: 23 }),
  heads: fc.integer({ min: 1, max: 3 }),
  dHead: fc.integer({ min: 1, max: 4 }),
  block: fc.integer({ min: 1, max: 9 }),
  carried: fc.boolean(),
  masked: fc.boolean(),
  xGrad: fc.boolean(),
  seed: seedArb,
});

const layerOf = (c: Case, dtype: DType, blockSize?: number) => {
  const [name, extra] = KINDS[c.kind]!;
  const dModel = c.heads * c.dHead + 1; // d_model need not be heads · dHead
  return createAttention(name, { dModel, heads: c.heads, dHead: c.dHead, causal: true, rng: new Rng(c.seed), dtype, ...extra, ...(blockSize !== undefined ? { blockSize } : {}) }) as FastWeightAttention;
};

/** Output, final state and every gradient of one forward + backward (loss Σ out ⊙ R), as plain arrays. */
function run(c: Case, dtype: DType, blockSize?: number, scoped = false): Float64Array[] {
  const layer = layerOf(c, dtype, blockSize);
  const dModel = layer.options.dModel;
  const x = new Tensor(randomTensor([c.B, c.T, dModel], c.seed + 1).to(dtype).data, [c.B, c.T, dModel], { requiresGrad: c.xGrad ?? true });
  const R = randomTensor([c.B, c.T, dModel], c.seed + 2).to(dtype);
  const dDot = layer.options.featureMap.dDot;
  let state: AttentionState | undefined;
  if (c.carried) {
    // A carried state that itself receives gradients, and the sum rule's normaliser z (positive, as written by φ').
    const W = new Tensor(randomTensor([c.B, c.heads, c.dHead, dDot], c.seed + 3, -0.5, 0.5).to(dtype).data, [c.B, c.heads, c.dHead, dDot], { requiresGrad: true });
    const z = layer.options.attentionNormalise ? new Tensor(randomTensor([c.B, c.heads, dDot], c.seed + 4, 0.1, 1).to(dtype).data, [c.B, c.heads, dDot], { requiresGrad: true }) : undefined;
    state = { kind: 'fast-weights', W, ...(z ? { z } : {}) };
  }
  const rng = new Rng(c.seed + 5);
  const keyMask = c.masked ? new Tensor(Float64Array.from({ length: c.B * c.T }, () => (rng.uniform() < 0.3 ? 0 : 1)), [c.B, c.T]).to(dtype) : undefined;
  const go = () => {
    const r = layer.forward(x, { ...(state ? { state } : {}), ...(keyMask ? { keyMask } : {}) });
    ops.sum(ops.mul(r.output, R)).backward();
    const s = r.state as Extract<AttentionState, { kind: 'fast-weights' }>;
    return [r.output.data, s.W.data, ...(s.z ? [s.z.data] : [])].map((d) => persistent(d));
  };
  const values = scoped ? withScratch(go) : go();
  const grads = [...(x.requiresGrad ? [x] : []), ...(state?.kind === 'fast-weights' ? [state.W, ...(state.z ? [state.z] : [])] : []), ...layer.parameters()].map((t) => t.grad!.data);
  return [...values, ...grads].map((d) => Float64Array.from(d));
}

/** Largest |a − b| over max(1, largest |b|), array by array. */
function expectSame(blocked: Float64Array[], whole: Float64Array[], tolerance: number, what: string): void {
  expect(blocked.length, what).toBe(whole.length);
  whole.forEach((want, i) => {
    expect(blocked[i]!.length, `${what}: array ${i}`).toBe(want.length);
    let scale = 1, worst = 0;
    for (let j = 0; j < want.length; j++) scale = Math.max(scale, Math.abs(want[j]!));
    for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(blocked[i]![j]! - want[j]!));
    expect(worst / scale, `${what}: array ${i}`).toBeLessThanOrEqual(tolerance);
  });
}

const label = (c: Case) => `${KINDS[c.kind]![0]}${KINDS[c.kind]![1].attentionNormalise ? ' (normalised)' : ''}, B ${c.B}, T ${c.T}, ${c.heads} heads of ${c.dHead}, blocks of ${c.block}${c.carried ? ', carried state' : ''}${c.masked ? ', masked' : ''}${c.xGrad === false ? ', x without gradient' : ''}`;

describe('a causal fast weight layer in recomputed blocks', () => {
  it('equals the whole-sequence layer in float64: output, final state, gradients of x, the state and every parameter (to 1e-10)', () => {
    fc.assert(
      fc.property(cases, fc.boolean(), (c, scoped) => {
        expectSame(run(c, 'float64', c.block, scoped), run(c, 'float64'), 1e-10, label(c));
      }),
      { numRuns: 40 },
    );
  });

  it('equals the whole-sequence layer in float32 on the default backend, inside a scratch scope (to 2e-5)', () => {
    fc.assert(
      fc.property(cases, (c0) => {
        // Not the normalised sum rule with padding: where a row's first keys are all padding its normaliser
        // z · q is about eps: float32 gradients there are ill-conditioned (the two forms differed by 5e-4).
        const c = KINDS[c0.kind]![1].attentionNormalise ? { ...c0, masked: false } : c0;
        expectSame(run(c, 'float32', c.block, true), run(c, 'float32', undefined, true), 2e-5, label(c));
      }),
      { numRuns: 30 },
    );
  });

  it('blocks of one step and T = 1 are covered', () => {
    for (const kind of KINDS.keys()) {
      for (const [T, block] of [[1, 1], [1, 4], [5, 1], [7, 3]] as const) {
        const c = { kind, B: 2, T, heads: 2, dHead: 3, block, carried: true, masked: false, seed: 17 + T };
        expectSame(run(c, 'float64', block), run(c, 'float64'), 1e-10, label(c));
      }
    }
  });
});

describe('threads and memory', () => {
  const threads = threadsWanted();
  afterAll(() => setWasmThreads(threads));

  it('gives the same bits with one thread and with two (shapes large enough to be split)', () => {
    for (const kind of [0, 1]) {
      const c = { kind, B: 1, T: 200, heads: 4, dHead: 64, block: 48, carried: false, masked: false, seed: 3 };
      setWasmThreads(1);
      const one = run(c, 'float32', c.block, true);
      setWasmThreads(2);
      const two = run(c, 'float32', c.block, true);
      expect(wasmRuntime()!.pool!.jobsPosted).toBeGreaterThan(0);
      one.forEach((a, i) => expect(Buffer.from(two[i]!.buffer).equals(Buffer.from(a.buffer)), `${label(c)}: array ${i}`).toBe(true));
    }
  });

  /** Peak scratch bytes of one forward + backward, in [T, d_model] float32 arrays, as bench/longChild.ts runs it. */
  const peakArrays = (model: string, T: number, blockSize?: number) => {
    const dModel = 64;
    const layer = createAttention(model, { dModel, heads: 4, dHead: 16, causal: true, rng: new Rng(1), ...(blockSize ? { blockSize } : {}) });
    const x = new Tensor(randomTensor([1, T, dModel], 2).to('float32').data, [1, T, dModel], { requiresGrad: true });
    const R = new Tensor(randomTensor([1, T, dModel], 3).to('float32').data, [1, T, dModel]);
    return scratchPeakBytes(() => ops.sum(ops.mul(layer.forward(x).output, R)).backward()) / (4 * T * dModel);
  };

  it('holds about eight [T, d_model] arrays at its peak, not the whole form\'s ~27, and no more at 4T than at T', () => {
    for (const model of ['delta', 'linear']) {
      const whole = peakArrays(model, 1024);
      const [atT, at4T] = [peakArrays(model, 1024, 64), peakArrays(model, 4096, 64)];
      // Measured: whole 27.6 (delta) and 24.4 (sum); in blocks of 64, 8.4 and 8.2 at T = 1024, 7.4 and 7.3 at 4096:
      // the kept projections q and kv (3), the output, the loss's product, their gradients and x's, plus one
      // block (a sixteenth, then a sixty-fourth, of T).
      expect(whole, `${model}: the whole form`).toBeGreaterThan(20);
      expect(atT, `${model}: in blocks at T = 1024`).toBeLessThanOrEqual(10);
      expect(at4T, `${model}: in blocks at T = 4096`).toBeLessThanOrEqual(atT);
    }
  });
});

describe('what a block\'s run in backward computes', () => {
  it('no projection again but β\'s (H columns): the q, kv and output projections of the backward\'s runs take the products the forward kept', () => {
    const c = { kind: 0, B: 2, T: 10, heads: 2, dHead: 3, block: 4, carried: false, masked: false, seed: 5 };
    const layer = layerOf(c, 'float64', c.block);
    const x = new Tensor(randomTensor([c.B, c.T, layer.options.dModel], 6).data, [c.B, c.T, layer.options.dModel], { requiresGrad: true });
    const spies = [layer.query, layer.keyValue, layer.out, layer.beta!].map((l) => vi.spyOn(l, 'forward'));
    const output = layer.forward(x).output;
    // Three blocks (4 + 4 + 2 steps): three calls each in the forward, computing their products.
    expect(spies.map((s) => s.mock.calls.map((args) => args[1]))).toEqual([0, 1, 2, 3].map(() => [undefined, undefined, undefined]));
    ops.sum(ops.mul(output, randomTensor(output.shape, 7))).backward();
    // Three more in backward, last block first: each handed its block's product, but β's, computed again.
    const known = spies.map((s) => s.mock.calls.slice(3).map((args) => args[1]?.shape.slice(0, 2)));
    const handed = [[c.B, 2], [c.B, 4], [c.B, 4]];
    expect(known).toEqual([handed, handed, handed, [undefined, undefined, undefined]]);
  });
});

describe('bad options', () => {
  const base = { dModel: 4, heads: 2, dHead: 2, rng: new Rng(1) };
  it('names what is wrong', () => {
    expect(() => createAttention('delta', { ...base, causal: true, blockSize: 0 })).toThrow('FastWeightAttention: blockSize must be an integer ≥ 1, got 0');
    expect(() => createAttention('delta', { ...base, causal: false, blockSize: 8 })).toThrow('FastWeightAttention: blockSize applies to causal layers only');
    expect(() => createAttention('performer', { ...base, causal: true, blockSize: 8 })).toThrow("FastWeightAttention: blockSize needs a fixed feature map; 'favor' draws new features at every forward");
  });
});

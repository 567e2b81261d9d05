/**
 * Carry-over training's state handling, for every fast weight kind, through the data-parallel step
 * with one thread and with two (the worker runs from dist/, which `npm test` builds first):
 *  - k segments carried step to step give the losses and final fast weights of one forward over
 *    the k segments joined (positions off: they restart in every segment);
 *  - gradients stop at the segment boundary: a carried step's gradient is that of its segment
 *    alone from a constant state, not that of the joined sequence;
 *  - each row is one stream and keeps its own state however the batch is cut into micro-batches.
 */
import { describe, expect, it } from 'vitest';
import { DataParallel } from '../../dist/src/train/dataParallel.js';
import type { ReplicaSpec } from '../../dist/src/train/replica.js';
import { replica, type LmMicroBatch } from '../../dist/src/tasks/lm/replica.js';
import { carriedFromStates, statesFromCarried, type CarriedLayer } from '../../dist/src/train/microBatch.js';
import { LanguageModel, type LanguageModelConfig } from '../../dist/src/tasks/lm/model.js';
import { crossEntropy } from '../../dist/src/ops/loss.js';
import { reshape, slice } from '../../dist/src/ops/index.js';
import { noGrad } from '../../dist/src/autograd/graph.js';
import { Rng } from '../../dist/src/tensor/rng.js';

/** The kinds `lm train --carry` accepts (FAVOR+ redraws features every batch: refused), the sum rule also with its normaliser z carried. */
const KINDS: [string, Partial<LanguageModelConfig>][] = [
  ['linear', {}],
  ['linear', { attentionNormalise: true }],
  ['delta', {}],
  ['dpfp', {}],
  ['dpfp-delta', {}],
];
const label = ([attention, extra]: [string, Partial<LanguageModelConfig>]) => (extra.attentionNormalise ? `${attention} (normalised: z carried too)` : attention);

const B = 5, L = 4, K = 3, V = 40;

function config(attention: string, extra: Partial<LanguageModelConfig>): LanguageModelConfig {
  return { vocabSize: V, attention, dModel: 8, layers: 2, heads: 2, ffHidden: 16, context: L, positions: false, dropout: 0, seed: 5, scaledEmbedding: true, ...extra };
}

/** B streams of K·L + 1 tokens; segment s of the streams as a [B, L] batch of ids and targets. */
function streams(seed: number, rows = B) {
  const rng = new Rng(seed);
  const tokens = Array.from({ length: rows }, () => Int32Array.from({ length: K * L + 1 }, () => 4 + rng.int(V - 4)));
  const cut = (s: number, shift: number) => Int32Array.from({ length: rows * L }, (_, i) => tokens[Math.floor(i / L)]![s * L + (i % L) + shift]!);
  return { tokens, segment: (s: number) => ({ ids: cut(s, 0), targets: cut(s, 1) }) };
}

/** K carried steps through DataParallel, the weights frozen (gradients cleared each step). */
async function carried(spec: ReplicaSpec<LmMicroBatch, LanguageModel, LanguageModelConfig>, threads: number, microBatches: number, seed = 1) {
  const model = new LanguageModel(spec.config);
  model.train();
  const dp = new DataParallel(model, spec, { threads, microBatches });
  const data = streams(seed);
  const losses: number[] = [];
  let states: CarriedLayer[] | null = null;
  try {
    for (let s = 0; s < K; s++) {
      for (const [, p] of model.namedParameters()) p.grad = null;
      const r: { loss: number; states: CarriedLayer[] } = await dp.carryGradients({ B, L, ...data.segment(s), carry: { from: states } });
      losses.push(r.loss);
      states = r.states;
    }
  } finally {
    dp.close();
  }
  return { losses, states: states!, model, data };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
};

describe('carried fast weights through the data-parallel step', () => {
  for (const kind of KINDS) {
    it(`${label(kind)}: ${K} carried segments give the losses and final state of one forward over them joined, with 1 and 2 threads`, async () => {
      const spec = { replica, config: config(...kind) };
      const one = await carried(spec, 1, 2);
      const two = await carried(spec, 2, 2);
      expect(two.losses).toEqual(one.losses);
      two.states.forEach((layer, i) => expect(Array.from(layer.W)).toEqual(Array.from(one.states[i]!.W)));

      const whole = noGrad(() => one.model.forward(Int32Array.from(one.data.tokens.flatMap((row) => Array.from(row.subarray(0, K * L)))), B, K * L));
      const logits = whole.logits; // [B, K·L, V]
      for (let s = 0; s < K; s++) {
        const part = noGrad(() => crossEntropy(reshape(slice(logits, 1, s * L, (s + 1) * L), [B * L, V]), one.data.segment(s).targets).item());
        expect(one.losses[s]!, `segment ${s}`).toBeCloseTo(part, 5);
      }
      const joined = carriedFromStates(whole.states);
      one.states.forEach((layer, i) => {
        expect(layer.wShape).toEqual(joined[i]!.wShape);
        expect(maxDiff(layer.W, joined[i]!.W), `layer ${i} W`).toBeLessThan(1e-5);
        if (kind[1].attentionNormalise) expect(maxDiff(layer.z!, joined[i]!.z!), `layer ${i} z`).toBeLessThan(1e-5);
        else expect(layer.z).toBeNull();
      });
    });

    it(`${label(kind)}: gradients stop at the segment boundary`, async () => {
      const spec = { replica, config: config(...kind) };
      const data = streams(2);
      const grads = (m: LanguageModel) => m.namedParameters().map(([, p]) => Float64Array.from(p.grad!.data));
      // Two carried steps, two threads: the gradient left is the second step's.
      const model = new LanguageModel(spec.config);
      model.train();
      const dp = new DataParallel(model, spec, { threads: 2 });
      let first: CarriedLayer[];
      try {
        first = (await dp.carryGradients({ B, L, ...data.segment(0), carry: { from: null } })).states;
        for (const [, p] of model.namedParameters()) p.grad = null;
        await dp.carryGradients({ B, L, ...data.segment(1), carry: { from: first } });
      } finally {
        dp.close();
      }
      const got = grads(model);

      // Segment 1 alone from a constant copy of that state: the truncated gradient.
      const alone = new LanguageModel(spec.config);
      alone.train();
      crossEntropy(alone.forward(data.segment(1).ids, B, L, { states: statesFromCarried(first) }).logits, data.segment(1).targets).backward();
      const truncated = grads(alone);
      // Segments 0 and 1 joined, the loss on segment 1 only: the gradient through the boundary.
      const through = new LanguageModel(spec.config);
      through.train();
      const ids = Int32Array.from(data.tokens.flatMap((row) => Array.from(row.subarray(0, 2 * L))));
      const logits = through.forward(ids, B, 2 * L).logits;
      crossEntropy(reshape(slice(logits, 1, L, 2 * L), [B * L, V]), data.segment(1).targets).backward();
      const full = grads(through);

      let sinceBoundary = 0, acrossBoundary = 0;
      got.forEach((g, i) => {
        sinceBoundary = Math.max(sinceBoundary, maxDiff(g, truncated[i]!));
        acrossBoundary = Math.max(acrossBoundary, maxDiff(g, full[i]!));
      });
      expect(sinceBoundary).toBeLessThan(1e-5);
      expect(acrossBoundary).toBeGreaterThan(1e-3); // a hundred times the tolerance above: truncation shows
    });
  }

  // The delta rule, and the sum rule with its normaliser z (carried beside W).
  for (const kind of [KINDS[2]!, KINDS[1]!]) {
    it(`${label(kind)}: each row keeps its own stream's state however the batch is cut, with 1 and 2 threads`, async () => {
      const spec = { replica, config: config(...kind) };
      const runs = new Map<string, CarriedLayer[]>();
      for (const [threads, microBatches] of [[1, 1], [1, 2], [2, 2], [1, 3], [2, 3], [2, 5]] as const) {
        runs.set(`${threads}/${microBatches}`, (await carried(spec, threads, microBatches)).states);
      }
      // The same cut: the same bits whatever the thread count.
      for (const parts of [2, 3]) {
        expect(runs.get(`2/${parts}`)!.map((l) => Array.from(l.W))).toEqual(runs.get(`1/${parts}`)!.map((l) => Array.from(l.W)));
        expect(runs.get(`2/${parts}`)!.map((l) => l.z && Array.from(l.z))).toEqual(runs.get(`1/${parts}`)!.map((l) => l.z && Array.from(l.z)));
      }
      // Every cut: each row's state is that of its stream run alone.
      const data = streams(1);
      const model = new LanguageModel(spec.config);
      const width = runs.get('1/1')![0]!.W.length / B;
      const zWidth = kind[1].attentionNormalise ? runs.get('1/1')![0]!.z!.length / B : 0;
      for (let b = 0; b < B; b++) {
        let state: CarriedLayer[] | undefined;
        for (let s = 0; s < K; s++) {
          const row = (a: Int32Array) => a.subarray(b * L, (b + 1) * L);
          state = noGrad(() => carriedFromStates(model.forward(row(data.segment(s).ids), 1, L, state ? { states: statesFromCarried(state) } : {}).states));
        }
        for (const [cut, states] of runs) {
          states.forEach((layer, i) => {
            expect(maxDiff(layer.W.subarray(b * width, (b + 1) * width), state![i]!.W), `cut ${cut}, row ${b}, layer ${i}`).toBeLessThan(1e-5);
            if (zWidth > 0) expect(maxDiff(layer.z!.subarray(b * zWidth, (b + 1) * zWidth), state![i]!.z!), `cut ${cut}, row ${b}, layer ${i}, z`).toBeLessThan(1e-5);
            else expect(layer.z).toBeNull();
          });
        }
      }
    });
  }
});

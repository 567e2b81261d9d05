/**
 * Data-parallel steps: the same bits with one thread and with two (the worker runs from dist/, which
 * `npm test` builds first), gradients equal to those of the whole batch, and the loss the batch's
 * mean. Covers a language model, a translation model with padding (counted tokens differ per
 * micro-batch), the retrieval model the demo page trains (its worker module given by URL, as a page
 * gives it), and carry-over training, where each part's rows bring their fast weights and take
 * their final ones back.
 */
import { describe, expect, it } from 'vitest';
import { DataParallel } from '../../dist/src/train/dataParallel.js';
import type { CarriedLayer } from '../../dist/src/train/microBatch.js';
import type { ReplicaSpec } from '../../dist/src/train/replica.js';
import { replica as lmReplica, type LmMicroBatch } from '../../dist/src/tasks/lm/replica.js';
import { replica as mtReplica, type MtMicroBatch } from '../../dist/src/tasks/mt/replica.js';
import { replica as flaReplica } from '../../dist/src/tasks/lm/flaReplica.js';
import { replica as retrievalReplica, retrievalRows, type RetrievalRows } from '../../dist/src/tasks/retrieval/replica.js';
import { retrievalBatch, oneHotTargets } from '../../dist/src/tasks/retrieval/batches.js';
import type { RetrievalModel } from '../../dist/src/tasks/retrieval/model.js';
import type { DeltaNetForCausalLM } from '../../dist/src/nn/fla/index.js';
import type { LanguageModel } from '../../dist/src/tasks/lm/model.js';
import type { TranslationModel } from '../../dist/src/tasks/mt/model.js';
import { crossEntropy, halfSquaredError } from '../../dist/src/ops/loss.js';
import { Rng } from '../../dist/src/tensor/rng.js';
import { threadPool } from '../../dist/kernels/threads/index.js';
import type { Module } from '../../dist/src/nn/module.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySpec = ReplicaSpec<any, any, any>;
type MicroBatch = LmMicroBatch | MtMicroBatch | RetrievalRows;

const lmSpec: AnySpec = { replica: lmReplica, config: { vocabSize: 300, attention: 'delta', dModel: 16, layers: 1, heads: 2, context: 8, positions: true, seed: 3, dropout: 0.2 } };
const mtSpec: AnySpec = { replica: mtReplica, config: { vocabSize: 300, attention: 'linear', dModel: 16, encoderLayers: 1, decoderLayers: 1, heads: 2, seed: 4, dropout: 0.2 } };
const flaSpec: AnySpec = { replica: flaReplica, config: { vocabSize: 300, context: 8, seed: 5, fla: { model_type: 'delta_net', hidden_size: 16, num_hidden_layers: 1, num_heads: 2, intermediate_size: 24, use_gate: true } } };
// The demo page's retrieval models (demo/retrievalTrainer.ts), and one that draws random features in training.
const retrievalSpec: AnySpec = { replica: retrievalReplica, config: { model: 'delta', S: 10, dKey: 16, dEmb: 22 } };
const favorSpec: AnySpec = { replica: retrievalReplica, config: { model: 'performer-8', S: 6, dKey: 5, dEmb: 7 } };

function build(spec: AnySpec): LanguageModel | TranslationModel | DeltaNetForCausalLM | RetrievalModel {
  const model = spec.replica.build(spec.config);
  model.train();
  return model;
}

function lmBatch(rng: Rng, B: number): MicroBatch {
  const L = 8;
  return { B, L, ids: Int32Array.from({ length: B * L }, () => 4 + rng.int(296)), targets: Int32Array.from({ length: B * L }, () => 4 + rng.int(296)) };
}

/** Setting 2 of the retrieval task over the spec's S keys. */
const retrievalBatchOf = (S: number) => (rng: Rng, B: number): RetrievalRows => retrievalRows(retrievalBatch(2, S, B, rng));

function mtBatch(rng: Rng, B: number): MtMicroBatch {
  const S = 7, T = 6;
  const row = (width: number, length: number) => Array.from({ length: width }, (_, i) => (i < length ? 4 + rng.int(296) : 0));
  const source: number[] = [], decoderInput: number[] = [], targets: number[] = [];
  for (let b = 0; b < B; b++) {
    const n = 1 + rng.int(T); // some rows mostly padding
    source.push(...row(S, 1 + rng.int(S)));
    decoderInput.push(...row(T, n));
    targets.push(...row(T, n));
  }
  return { B, S, T, source: Int32Array.from(source), decoderInput: Int32Array.from(decoderInput), targets: Int32Array.from(targets), labelSmoothing: 0.1 };
}

/** Three steps of plain SGD through DataParallel; returns the losses and every parameter's bits. */
async function train(spec: AnySpec, threads: number, batches: MicroBatch[], module?: string): Promise<{ losses: number[]; params: Float32Array[] }> {
  const model = build(spec);
  const dp = new DataParallel(model, spec, { threads, ...(module ? { module } : {}) });
  const losses: number[] = [];
  try {
    for (const batch of batches) {
      for (const [, p] of model.namedParameters()) p.grad = null;
      losses.push(await dp.gradients(batch));
      for (const [, p] of model.namedParameters()) p.data.forEach((v, i) => (p.data[i] = v - 0.1 * p.grad!.data[i]!));
    }
  } finally {
    dp.close();
  }
  return { losses, params: model.namedParameters().map(([, p]) => p.data as Float32Array) };
}

describe('data-parallel training steps', () => {
  for (const [name, spec, makeBatch] of [['language model', lmSpec, lmBatch], ['translation model', mtSpec, mtBatch], ["fla's DeltaNet (lm train --arch fla)", flaSpec, lmBatch], ["retrieval model (the demo page's)", retrievalSpec, retrievalBatchOf(10)], ['retrieval model with FAVOR+ features', favorSpec, retrievalBatchOf(6)]] as const) {
    it(`${name}: one thread and two threads give the same bits`, async () => {
      const rng = new Rng(11);
      const batches = [makeBatch(rng, 5), makeBatch(rng, 4), makeBatch(rng, 1)];
      const one = await train(spec, 1, batches);
      const two = await train(spec, 2, batches);
      expect(two.losses).toEqual(one.losses);
      one.params.forEach((p, i) => expect(Buffer.from(two.params[i]!.buffer).equals(Buffer.from(p.buffer)), `parameter ${i}`).toBe(true));
    });
  }

  it('the loss is the mean over the whole batch, and without dropout the gradient is the whole batch\'s', async () => {
    const spec: AnySpec = { replica: mtReplica, config: { ...(mtSpec.config as object), dropout: 0 } };
    const batch = mtBatch(new Rng(5), 6);
    const model = build(spec);
    const dp = new DataParallel(model, spec, { threads: 2 });
    const loss = await dp.gradients(batch);
    dp.close();
    const split = mtReplica.splitRows(batch, 2);
    expect(split.map((b) => b.B)).toEqual([3, 3]);
    const whole = build(spec);
    const reference = crossEntropy((whole as TranslationModel).forward(batch.source, batch.B, batch.S, batch.decoderInput, batch.T), batch.targets, { ignoreIndex: 0, labelSmoothing: 0.1 });
    expect(loss).toBeCloseTo(reference.item(), 5);
    reference.backward();
    expectSameGradients(model, whole, 1e-5);
  });

  it("the retrieval replica: the loss is the whole batch's mean ½‖v* − v̂‖², and the gradient the whole batch's", async () => {
    const batch = retrievalBatchOf(10)(new Rng(6), 7);
    const model = build(retrievalSpec) as RetrievalModel;
    const dp = new DataParallel(model, retrievalSpec, { threads: 2 });
    const loss = await dp.gradients(batch);
    dp.close();
    expect(retrievalReplica.splitRows(batch, 2).map((b) => [b.B, b.batch, b.keys.length, b.query.length])).toEqual([[4, 4, 80, 4], [3, 3, 60, 3]]);
    const whole = build(retrievalSpec) as RetrievalModel;
    const reference = halfSquaredError(whole.forward(batch), oneHotTargets(batch));
    expect(loss).toBeCloseTo(reference.item(), 6);
    reference.backward();
    expectSameGradients(model, whole, 1e-6);
  });

  it('runs the parts from one module that exports both the task and the replica (the `module` option, as a page\'s bundle gives it), with the same bits', async () => {
    const dist = new URL('../../dist/src/', import.meta.url).href;
    // A page's worker module re-exports the two (demo/replicaWorker.ts); a data: URL does the same here.
    const module = `data:text/javascript,${encodeURIComponent(`export { open } from '${dist}train/dataParallelTask.js'; export { replica } from '${dist}tasks/retrieval/replica.js';`)}`;
    const rng = new Rng(13);
    const batches = [retrievalBatchOf(10)(rng, 6), retrievalBatchOf(10)(rng, 5)];
    const one = await train(retrievalSpec, 1, batches);
    const requests = threadPool().requestsSent;
    const two = await train(retrievalSpec, 2, batches, module);
    expect(threadPool().requestsSent - requests).toBe(batches.length);
    expect(two.losses).toEqual(one.losses);
    one.params.forEach((p, i) => expect(Buffer.from(two.params[i]!.buffer).equals(Buffer.from(p.buffer)), `parameter ${i}`).toBe(true));
  });

  it('carry-over training: one thread and two give the same bits, losses and carried fast weights, and the rows\' states are those of the batch run whole', async () => {
    const rng = new Rng(12);
    const batches = [lmBatch(rng, 5), lmBatch(rng, 5), lmBatch(rng, 5)] as LmMicroBatch[];
    const carryRun = async (threads: number, microBatches?: number) => {
      const model = build(lmSpec);
      const dp = new DataParallel(model, lmSpec, { threads, ...(microBatches ? { microBatches } : {}) });
      const losses: number[] = [];
      let states: CarriedLayer[] | null = null;
      try {
        for (const batch of batches) {
          for (const [, p] of model.namedParameters()) p.grad = null;
          const r = await dp.carryGradients({ ...batch, carry: { from: states } });
          losses.push(r.loss);
          states = r.states;
          for (const [, p] of model.namedParameters()) p.data.forEach((v, i) => (p.data[i] = v - 0.1 * p.grad!.data[i]!));
        }
      } finally {
        dp.close();
      }
      return { losses, states: states!, params: model.namedParameters().map(([, p]) => p.data as Float32Array) };
    };
    const one = await carryRun(1);
    const two = await carryRun(2);
    expect(two.losses).toEqual(one.losses);
    one.params.forEach((p, i) => expect(Buffer.from(two.params[i]!.buffer).equals(Buffer.from(p.buffer)), `parameter ${i}`).toBe(true));
    expect(one.states.map((l) => l.wShape)).toEqual([[5, 2, 8, 8]]);
    expect(two.states.map((l) => Array.from(l.W))).toEqual(one.states.map((l) => Array.from(l.W)));
    // Dropout draws differ with the cut, so compare with the whole batch on a model without it.
    const noDropout: AnySpec = { replica: lmReplica, config: { ...(lmSpec.config as object), dropout: 0 } };
    const parts = async (microBatches: number) => {
      const model = build(noDropout);
      const dp = new DataParallel(model, noDropout, { threads: 2, microBatches });
      try {
        const first = await dp.carryGradients({ ...batches[0]!, carry: { from: null } });
        return (await dp.carryGradients({ ...batches[1]!, carry: { from: first.states } })).states;
      } finally {
        dp.close();
      }
    };
    const [cut, whole] = [await parts(2), await parts(1)];
    cut[0]!.W.forEach((v, j) => expect(v).toBeCloseTo(whole[0]!.W[j]!, 5));
  });

  it('refuses bad options with their names', () => {
    const model = build(lmSpec);
    expect(() => new DataParallel(model, lmSpec, { threads: 0 })).toThrow('DataParallel: threads must be a positive integer, got 0');
    expect(() => new DataParallel(model, lmSpec, { threads: 1, microBatches: 0 })).toThrow('DataParallel: microBatches must be a positive integer, got 0');
  });
});

/** Every parameter's gradient in `model` within `tolerance` of the same parameter's in `whole`. */
function expectSameGradients(model: Module, whole: Module, tolerance: number): void {
  const got = model.namedParameters();
  whole.namedParameters().forEach(([name, p], i) => {
    const g = got[i]![1].grad!.data;
    let worst = 0;
    p.grad!.data.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - g[j]!))));
    expect(worst, name).toBeLessThan(tolerance);
  });
}

/**
 * Training steps under scratch scopes (kernels/alloc.ts; DataParallel runs every micro-batch in one)
 * compute the same bits as with every array fresh. The suite runs with FASTWEIGHTS_SCRATCH_POISON=1
 * (vitest.config.ts): released arrays turn to NaN and arrays of every size are pooled, so a tensor
 * that outlived its step (a cache, a kept gradient, a carried state) would change the numbers here.
 * Batches change shape from step to step, as translation batches do. Runs from dist/ (the worker).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DataParallel } from '../../dist/src/train/dataParallel.js';
import type { CarriedLayer } from '../../dist/src/train/microBatch.js';
import type { ReplicaSpec } from '../../dist/src/train/replica.js';
import { replica as lmReplica, type LmMicroBatch } from '../../dist/src/tasks/lm/replica.js';
import { replica as mtReplica, type MtMicroBatch } from '../../dist/src/tasks/mt/replica.js';
import type { LanguageModel } from '../../dist/src/tasks/lm/model.js';
import type { TranslationModel } from '../../dist/src/tasks/mt/model.js';
import { Rng } from '../../dist/src/tensor/rng.js';
import { setScratchEnabled } from '../../dist/kernels/alloc.js';

afterEach(() => setScratchEnabled(true));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySpec = ReplicaSpec<any, any, any>;
type MicroBatch = LmMicroBatch | MtMicroBatch;

const lm = (attention: string): AnySpec => ({ replica: lmReplica, config: { vocabSize: 300, attention, dModel: 16, layers: 2, heads: 2, context: 8, positions: true, seed: 3, dropout: 0.2 } });
const mt = (attention: string): AnySpec => ({ replica: mtReplica, config: { vocabSize: 300, attention, dModel: 16, encoderLayers: 1, decoderLayers: 2, heads: 2, seed: 4, dropout: 0.2 } });

function lmBatch(rng: Rng, B: number, L: number): LmMicroBatch {
  return { B, L, ids: Int32Array.from({ length: B * L }, () => 4 + rng.int(296)), targets: Int32Array.from({ length: B * L }, () => 4 + rng.int(296)) };
}

function mtBatch(rng: Rng, B: number, S: number, T: number): MicroBatch {
  const row = (width: number, length: number) => Array.from({ length: width }, (_, i) => (i < length ? 4 + rng.int(296) : 0));
  const source: number[] = [], decoderInput: number[] = [], targets: number[] = [];
  for (let b = 0; b < B; b++) {
    const n = 1 + rng.int(T);
    source.push(...row(S, 1 + rng.int(S)));
    decoderInput.push(...row(T, n));
    targets.push(...row(T, n));
  }
  return { B, S, T, source: Int32Array.from(source), decoderInput: Int32Array.from(decoderInput), targets: Int32Array.from(targets), labelSmoothing: 0.1 };
}

/** SGD steps through DataParallel (carrying fast weights when `carry`); the losses, parameters and carried state. */
async function train(spec: AnySpec, batches: MicroBatch[], options: { scratch: boolean; threads: number; carry?: boolean }) {
  setScratchEnabled(options.scratch);
  const model: LanguageModel | TranslationModel = spec.replica.build(spec.config);
  model.train();
  const dp = new DataParallel(model, spec, { threads: options.threads });
  const losses: number[] = [];
  let states: CarriedLayer[] | null = null;
  try {
    for (const batch of batches) {
      for (const [, p] of model.namedParameters()) p.grad = null;
      if (options.carry) {
        const r = await dp.carryGradients({ ...(batch as LmMicroBatch), carry: { from: states } });
        losses.push(r.loss);
        states = r.states;
      } else losses.push(await dp.gradients(batch));
      for (const [, p] of model.namedParameters()) p.data.forEach((v, i) => (p.data[i] = v - 0.1 * p.grad!.data[i]!));
    }
  } finally {
    dp.close();
    setScratchEnabled(true);
  }
  return { losses, params: model.namedParameters().map(([, p]) => Array.from(p.data)), states: states?.map((l) => Array.from(l.W)) ?? null };
}

describe('training in scratch scopes', () => {
  const cases: [string, AnySpec, (rng: Rng) => MicroBatch[], boolean][] = [
    ['lm delta, carried fast weights', lm('delta'), (rng) => [lmBatch(rng, 4, 8), lmBatch(rng, 4, 8), lmBatch(rng, 4, 8)], true],
    ['lm softmax, batches of changing shape', lm('softmax'), (rng) => [lmBatch(rng, 4, 8), lmBatch(rng, 3, 5), lmBatch(rng, 5, 8)], false],
    ['lm performer (a random draw every batch)', lm('performer-4'), (rng) => [lmBatch(rng, 4, 8), lmBatch(rng, 2, 8), lmBatch(rng, 4, 6)], false],
    ['lm dpfp-delta', lm('dpfp-delta-1'), (rng) => [lmBatch(rng, 4, 8), lmBatch(rng, 4, 7)], false],
    ['mt delta self-attention', mt('delta'), (rng) => [mtBatch(rng, 5, 7, 6), mtBatch(rng, 3, 9, 4), mtBatch(rng, 6, 5, 8)], false],
  ];
  for (const [name, spec, makeBatches, carry] of cases) {
    it(`${name}: the same bits as with fresh arrays, on one thread and two`, async () => {
      const batches = makeBatches(new Rng(21));
      const fresh = await train(spec, batches, { scratch: false, threads: 1, carry });
      const scratch = await train(spec, batches, { scratch: true, threads: 1, carry });
      const twoThreads = await train(spec, batches, { scratch: true, threads: 2, carry });
      expect(fresh.losses.every(Number.isFinite)).toBe(true);
      for (const run of [scratch, twoThreads]) {
        expect(run.losses).toEqual(fresh.losses);
        expect(run.params).toEqual(fresh.params);
        expect(run.states).toEqual(fresh.states);
      }
    });
  }
});

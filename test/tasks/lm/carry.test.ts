/**
 * Carry-over training (`lm train --carry`, the paper's Table 4): the batch's rows are parallel
 * streams read one segment per step, each layer's fast weights go from one step into the next,
 * detached (no gradient across the boundary), and the carried state is part of the checkpoint.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticCorpusFile } from './syntheticCorpus.js';
import { Rng, noGrad } from '../../../src/index.js';
import * as ops from '../../../src/ops/index.js';
import { LanguageModel, type LanguageModelConfig } from '../../../src/tasks/lm/model.js';
import { sequentialSegments, streamSegment, streamSegmentCount } from '../../../src/tasks/lm/batches.js';
import { loadLanguageModel, prepareLmData, trainLanguageModel, type LmData, type LmTrainingConfig } from '../../../src/tasks/lm/training.js';
import { carriedFromStates, statesFromCarried, type CarriedLayer } from '../../../src/train/microBatch.js';
import { replica } from '../../../src/tasks/lm/replica.js';
import { loadCheckpoint } from '../../../src/io/checkpoint.js';
import { evaluatePerplexity } from '../../../src/tasks/lm/perplexity.js';


const path = syntheticCorpusFile({ seed: 5, documents: 30, sentencesPerDocument: 40 });
const data = prepareLmData(path, 300);
const model = { attention: 'delta', dModel: 8, layers: 2, heads: 2, context: 8, dropout: 0, positions: true, seed: 2 };
const training = (over: Partial<LmTrainingConfig> = {}): LmTrainingConfig => ({
  corpus: path, vocabSize: 300, batchSize: 3, lr: 1e-2, warmupSteps: 1, weightDecay: 0.01, clip: 1, steps: 6, evalEvery: 3, evalTokens: 64, saveEvery: 100, seed: 7, carry: true, ...over,
});
const out = (name: string) => mkdtempSync(join(tmpdir(), `fw-carry-${name}-`));

/** The carried fast weights a checkpoint's state holds. */
function savedCarry(dir: string): CarriedLayer[] {
  const state = loadCheckpoint(dir).state as { carry: { W: number[]; wShape: number[]; z: number[] | null; zShape: number[] | null }[] };
  return state.carry.map((l) => ({ W: Float32Array.from(l.W), wShape: l.wShape, z: l.z && Float32Array.from(l.z), zShape: l.zShape }));
}

/** The mean cross-entropy of a forward of `ids` → `targets`, [B, L], from the given states (or from zero). */
function meanLoss(m: LanguageModel, ids: Int32Array, targets: Int32Array, B: number, L: number, states?: CarriedLayer[]): number {
  return noGrad(() => ops.crossEntropy(m.forward(ids, B, L, states ? { states: statesFromCarried(states) } : {}).logits, targets).item());
}

describe('parallel streams', () => {
  it('block s + 1 of each stream starts where block s ended, and the evaluation walk reads the same blocks', () => {
    const tokens = Int32Array.from({ length: 101 }, (_, i) => i);
    const B = 3, L = 4;
    expect(streamSegmentCount(tokens, B, L)).toBe(8); // 33 tokens per stream
    for (let s = 0; s + 1 < 8; s++) {
      const a = streamSegment(tokens, B, L, s);
      const b = streamSegment(tokens, B, L, s + 1);
      for (let r = 0; r < B; r++) {
        expect(b.inputs[r * L]).toBe(a.targets[r * L + L - 1]);
        expect(a.inputs[r * L]).toBe(r * 33 + s * L);
      }
    }
    const walked = [...sequentialSegments(tokens, B, L)];
    expect(walked.map((w) => Array.from(w.inputs))).toEqual(Array.from({ length: 8 }, (_, s) => Array.from(streamSegment(tokens, B, L, s).inputs)));
    expect(() => streamSegment(tokens, B, L, 8)).toThrow('streamSegment: block 8 is outside the 8 blocks of [3, 4] tokens the stream holds');
  });
});

describe('carry-mode evaluation with a warm-up', () => {
  it('scores from the state the warm-up tokens leave: the same as a walk over warm-up and scored segments that counts only the scored ones', () => {
    const lm = new LanguageModel({ ...model, vocabSize: 300 } as LanguageModelConfig);
    const B = 2, L = 8;
    const warmup = data.train.subarray(0, 3 * B * L + 1);
    const scored = data.valid.subarray(0, 4 * B * L + 1);
    const got = evaluatePerplexity(lm, scored, { mode: 'carry', batchSize: B, warmup });
    const want = noGrad(() => {
      let states;
      for (const batch of sequentialSegments(warmup, B, L)) states = lm.forward(batch.inputs, B, L, states ? { states } : {}).states;
      let nll = 0, count = 0;
      for (const batch of sequentialSegments(scored, B, L)) {
        const out = lm.forward(batch.inputs, B, L, { states: states! });
        states = out.states;
        nll += ops.crossEntropy(out.logits, batch.targets, { reduction: 'sum' }).item();
        count += batch.targets.length;
      }
      return { loss: nll / count, count };
    });
    expect(got.tokens).toBe(want.count);
    expect(got.loss).toBeCloseTo(want.loss, 6);
    expect(got.loss).not.toBeCloseTo(evaluatePerplexity(lm, scored, { mode: 'carry', batchSize: B }).loss, 6);
    expect(() => evaluatePerplexity(lm, scored, { mode: 'segments', batchSize: B, warmup })).toThrow('a warm-up only applies to carry mode');
  });
});

describe('carry-over training', () => {
  it('carries each layer\'s fast weights into the next step: step 2\'s loss is a forward of block 1 from the state block 0 left, not from zero', async () => {
    const oneDir = out('one');
    let stops = 0;
    const one = await trainLanguageModel({ out: oneDir, model, training: training(), data, shouldStop: () => ++stops > 1 });
    expect(one.step).toBe(1);
    const straight = await trainLanguageModel({ out: out('two'), model, training: training({ steps: 2 }), data });
    const B = 3, L = 8;
    const block0 = streamSegment(data.train, B, L, 0);
    const block1 = streamSegment(data.train, B, L, 1);

    // The state saved after step 1 is what the initial weights leave after block 0.
    const initial = new LanguageModel(loadLanguageModel(oneDir).config.model); // the config the run built, weights from its seed
    const expectedState = noGrad(() => carriedFromStates(initial.forward(block0.inputs, B, L).states));
    const saved = savedCarry(oneDir);
    expect(saved.map((l) => l.wShape)).toEqual([[3, 2, 4, 4], [3, 2, 4, 4]]);
    saved.forEach((layer, i) => layer.W.forEach((v, j) => expect(v).toBeCloseTo(expectedState[i]!.W[j]!, 6)));

    // Step 2 runs the weights after step 1 on block 1, starting from that state.
    const afterOne = loadLanguageModel(oneDir).model;
    const carried = meanLoss(afterOne, block1.inputs, block1.targets, B, L, saved);
    const reset = meanLoss(afterOne, block1.inputs, block1.targets, B, L);
    const step2 = straight.history.steps[1]!.loss;
    expect(step2).toBeCloseTo(carried, 5);
    expect(Math.abs(step2 - reset)).toBeGreaterThan(1e-4); // 100 times the tolerance of the equality above

    // --streams reads the same blocks without carrying: the same first step, then block 1 from zero.
    const streams = await trainLanguageModel({ out: out('streams'), model, training: training({ steps: 2, carry: undefined, streams: true }), data });
    expect(streams.history.steps[0]!.loss).toBe(straight.history.steps[0]!.loss);
    expect(streams.history.steps[1]!.loss).toBeCloseTo(reset, 5);

    // The default training reads other data and no state: its second step differs.
    const segments = await trainLanguageModel({ out: out('segments'), model, training: training({ steps: 2, carry: undefined }), data });
    expect(segments.history.steps[1]!.loss).not.toBe(step2);
    expect(loadCheckpoint(oneDir).config).toMatchObject({ training: { carry: true } });
  });

  it('stops gradients at the segment boundary: same loss as one long sequence, but the gradient of the second segment alone', () => {
    // No positions and no dropout: carrying the state over is then exactly a forward of the two segments joined.
    const config: LanguageModelConfig = { vocabSize: 40, attention: 'delta', dModel: 8, layers: 2, heads: 2, context: 6, dropout: 0, positions: false, seed: 3 };
    const rng = new Rng(8);
    const B = 2, L = 6;
    const tokens = Int32Array.from({ length: B * (2 * L + 1) }, () => 4 + rng.int(36));
    const row = (b: number, from: number, n: number) => tokens.subarray(b * (2 * L + 1) + from, b * (2 * L + 1) + from + n);
    const part = (from: number, shift: number) => Int32Array.from({ length: B * L }, (_, i) => row(Math.floor(i / L), from + shift, L)[i % L]!);
    const first = { ids: part(0, 0), targets: part(0, 1) };
    const second = { ids: part(L, 0), targets: part(L, 1) };
    const grads = (m: LanguageModel) => m.namedParameters().map(([name, p]) => [name, Float64Array.from(p.grad!.data)] as const);

    // Carry: block 0's forward (as a training step does), then block 1 from its state.
    const carry = new LanguageModel(config);
    const step0 = replica.partLoss(carry, { B, L, ...first, carry: { from: null } }, B * L);
    step0.loss.backward();
    carry.namedParameters().forEach(([, p]) => (p.grad = null));
    const step1 = replica.partLoss(carry, { B, L, ...second, carry: { from: step0.states! } }, B * L);
    step1.loss.backward();
    const carryGrads = grads(carry);

    // The whole rows as one sequence, the loss counted on the second half only: gradients flow through both halves.
    const whole = new LanguageModel(config);
    const ids = Int32Array.from({ length: B * 2 * L }, (_, i) => row(Math.floor(i / (2 * L)), 0, 2 * L)[i % (2 * L)]!);
    const logits = whole.forward(ids, B, 2 * L).logits; // [B, 2L, V]
    const secondHalf = ops.reshape(ops.slice(logits, 1, L, 2 * L), [B * L, config.vocabSize]);
    const loss = ops.crossEntropy(secondHalf, second.targets);
    expect(step1.loss.item()).toBeCloseTo(loss.item(), 5);
    loss.backward();
    const wholeGrads = grads(whole);

    // Block 1 alone from a constant state: the truncated gradient, which the carried step equals.
    const alone = new LanguageModel(config);
    const state = noGrad(() => carriedFromStates(alone.forward(first.ids, B, L).states));
    replica.partLoss(alone, { B, L, ...second, carry: { from: state } }, B * L).loss.backward();
    const aloneGrads = grads(alone);

    let differs = 0;
    carryGrads.forEach(([name, g], i) => {
      g.forEach((v, j) => expect(v, name).toBeCloseTo(aloneGrads[i]![1][j]!, 6));
      g.forEach((v, j) => (differs = Math.max(differs, Math.abs(v - wholeGrads[i]![1][j]!))));
    });
    // Through the first half the long sequence's gradient has more: truncation is visible.
    expect(differs).toBeGreaterThan(1e-3);
  });

  it('resumes exactly: 3 steps + resume to 6 (across the end of a pass, where the streams start again) gives the losses, weights and carried state of 6 straight', async () => {
    // A training split of 3 blocks of [3, 8]: step 4 starts the second pass from empty fast weights.
    const short: LmData = { ...data, train: data.train.subarray(0, 3 * 3 * 8 + 1) };
    expect(streamSegmentCount(short.train, 3, 8)).toBe(3);
    const m = { ...model, dropout: 0.1 };
    const straightDir = out('straight');
    const straight = await trainLanguageModel({ out: straightDir, model: m, training: training(), data: short });
    const splitDir = out('split');
    let stops = 0;
    await trainLanguageModel({ out: splitDir, model: m, training: training(), data: short, shouldStop: () => ++stops > 3 });
    const resumed = await trainLanguageModel({ out: splitDir, model: m, training: training({ carry: undefined }), resume: true, data: short });
    expect(resumed.config.training.carry).toBe(true); // the checkpoint's setting wins
    expect(resumed.history.steps.map((s) => s.loss)).toEqual(straight.history.steps.map((s) => s.loss));
    expect(resumed.history.evals).toEqual(straight.history.evals);
    const a = loadLanguageModel(straightDir).model.stateDict();
    const b = loadLanguageModel(splitDir).model.stateDict();
    for (const [name, t] of a) expect(Array.from(b.get(name)!.data), name).toEqual(Array.from(t.data));
    expect(savedCarry(splitDir).map((l) => Array.from(l.W))).toEqual(savedCarry(straightDir).map((l) => Array.from(l.W)));
  });

  it('refuses models without a carried state to train, and --carry on a checkpoint trained without it', async () => {
    await expect(trainLanguageModel({ out: out('softmax'), model: { ...model, attention: 'softmax' }, training: training(), data })).rejects.toThrow(
      "--carry needs a fast weight model: 'softmax' is softmax attention, whose key/value cache is not a fixed-size state to carry",
    );
    await expect(trainLanguageModel({ out: out('performer'), model: { ...model, attention: 'performer-4' }, training: training(), data })).rejects.toThrow(/FAVOR\+ redraws its random features/);
    const dir = out('plain');
    await trainLanguageModel({ out: dir, model, training: training({ steps: 1, carry: undefined }), data });
    await expect(trainLanguageModel({ out: dir, model, training: training({ steps: 2 }), resume: true, data })).rejects.toThrow('the checkpoint was trained without --carry');
  });

  it('refuses a checkpoint whose carried state does not fit the model', async () => {
    const dir = out('broken');
    await trainLanguageModel({ out: dir, model, training: training({ steps: 1 }), data });
    const manifest = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as { files: { state: { path: string } } };
    const statePath = join(dir, manifest.files.state.path);
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as { carry: unknown[] };
    state.carry = state.carry.slice(0, 1);
    // Rewrite the manifest's hash so that the checkpoint loads and the carried state itself is checked.
    const { createHash } = await import('node:crypto');
    const bytes = Buffer.from(JSON.stringify(state));
    writeFileSync(statePath, bytes);
    const m = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
    m.files.state.bytes = bytes.length;
    m.files.state.sha256 = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(m));
    await expect(trainLanguageModel({ out: dir, model, training: training({ steps: 2 }), resume: true, data })).rejects.toThrow("state.carry holds 1 layers' fast weights for a model of 2");
  });
});

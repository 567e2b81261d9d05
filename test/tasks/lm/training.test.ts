import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticCorpusFile } from './syntheticCorpus.js';
import { loadLanguageModel, prepareLmData, trainLanguageModel, type LmTrainingConfig } from '../../../src/tasks/lm/training.js';
import { LanguageModel } from '../../../src/tasks/lm/model.js';
import { trainingOptimizer } from '../../../src/train/checkpointedTraining.js';

const path = syntheticCorpusFile({ seed: 4, documents: 40, sentencesPerDocument: 60 });
const data = prepareLmData(path, 300);
const model = { attention: 'delta', dModel: 8, layers: 1, heads: 2, context: 8, dropout: 0.1, positions: true, seed: 2 };
const training = (steps: number): LmTrainingConfig => ({
  corpus: path, vocabSize: 300, batchSize: 2, lr: 3e-3, warmupSteps: 2, weightDecay: 0.01, clip: 1, steps: 6, evalEvery: 3, evalTokens: 64, saveEvery: steps, seed: 7,
});

describe('language-model training', () => {
  it('resumes exactly: 3 steps + resume to 6 gives the losses and weights of 6 steps straight', async () => {
    const straightDir = mkdtempSync(join(tmpdir(), 'fw-straight-'));
    const straight = await trainLanguageModel({ out: straightDir, model, training: training(100), data });
    const splitDir = mkdtempSync(join(tmpdir(), 'fw-split-'));
    let stops = 0;
    // Interrupt after step 3 (the loop saves before stopping), then resume.
    await trainLanguageModel({ out: splitDir, model, training: training(100), data, shouldStop: () => ++stops > 3 });
    expect(loadLanguageModel(splitDir).history.steps).toHaveLength(3);
    const resumed = await trainLanguageModel({ out: splitDir, model, training: training(100), resume: true, data });
    expect(resumed.history.steps.map((s) => s.loss)).toEqual(straight.history.steps.map((s) => s.loss));
    expect(resumed.history.evals).toEqual(straight.history.evals);
    const a = loadLanguageModel(straightDir).model.stateDict();
    const b = loadLanguageModel(splitDir).model.stateDict();
    for (const [name, t] of a) expect(Array.from(b.get(name)!.data), name).toEqual(Array.from(t.data));
  });
  it('training lowers the loss, and a corrupt weights file is refused naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-train-'));
    const r = await trainLanguageModel({ out: dir, model: { ...model, dropout: 0 }, training: { ...training(100), steps: 40, lr: 1e-2 }, data });
    const losses = r.history.steps.map((s) => s.loss);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! - 0.5);
    const weights = readdirSync(dir).find((f) => f.startsWith('model-'))!;
    const bytes = readFileSync(join(dir, weights));
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(join(dir, weights), bytes);
    expect(() => loadLanguageModel(dir)).toThrow(new RegExp(weights.replace('.', '\\.')));
  });
  it('a new run embeds tokens at the size of the positions (scaledEmbedding); a run that says otherwise, and its resume, keep the older layout', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'fw-scaled-'));
    await trainLanguageModel({ out: fresh, model, training: { ...training(100), steps: 2 }, data });
    expect(loadLanguageModel(fresh).config.model.scaledEmbedding).toBe(true);
    const older = mkdtempSync(join(tmpdir(), 'fw-unscaled-'));
    await trainLanguageModel({ out: older, model: { ...model, scaledEmbedding: false }, training: { ...training(100), steps: 2 }, data });
    const resumed = await trainLanguageModel({ out: older, model, training: { ...training(100), steps: 3 }, resume: true, data });
    expect(resumed.config.model.scaledEmbedding).toBe(false);
    expect(loadLanguageModel(older).config.model.scaledEmbedding).toBe(false);
  });
  it('a new run asking for unitEmbedding is not also given scaledEmbedding, and its checkpoint loads back the same model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-unit-'));
    const r = await trainLanguageModel({ out: dir, model: { ...model, unitEmbedding: true }, training: { ...training(100), steps: 2 }, data });
    const loaded = loadLanguageModel(dir);
    expect(loaded.config.model).toMatchObject({ scaledEmbedding: false, unitEmbedding: true });
    expect(loaded.model.embedding.scale).toBe(1);
    for (const [name, t] of r.model.stateDict()) expect(Array.from(loaded.model.stateDict().get(name)!.data), name).toEqual(Array.from(t.data));
  });
  it("the replica's choices (ReLU, uniform biases, φ without ε, decay on every parameter) are kept by the checkpoint: 3 steps + resume to 6 give the weights of 6 straight", async () => {
    const replicaModel = { ...model, dropout: 0, ffActivation: 'relu', biasInit: 'uniform', phiEps: 0, learnedPositions: true, unitEmbedding: true } as const;
    const replicaTraining = { ...training(100), weightDecay: 0.5, weightDecayOn: 'all' } as const;
    const straightDir = mkdtempSync(join(tmpdir(), 'fw-replica-straight-'));
    await trainLanguageModel({ out: straightDir, model: replicaModel, training: replicaTraining, data });
    const splitDir = mkdtempSync(join(tmpdir(), 'fw-replica-split-'));
    let stops = 0;
    await trainLanguageModel({ out: splitDir, model: replicaModel, training: replicaTraining, data, shouldStop: () => ++stops > 3 });
    // Resumed with the plain settings: what the run is comes from its checkpoint.
    await trainLanguageModel({ out: splitDir, model, training: training(100), resume: true, data });
    const loaded = loadLanguageModel(splitDir);
    expect(loaded.config.model).toMatchObject({ ffActivation: 'relu', biasInit: 'uniform', phiEps: 0 });
    expect(loaded.config.training.weightDecayOn).toBe('all');
    const a = loadLanguageModel(straightDir).model.stateDict();
    for (const [name, t] of a) expect(Array.from(loaded.model.stateDict().get(name)!.data), name).toEqual(Array.from(t.data));
    // Decay on every parameter is not decay on matrices: the same run with the default moves the gains elsewhere.
    const matricesDir = mkdtempSync(join(tmpdir(), 'fw-replica-matrices-'));
    await trainLanguageModel({ out: matricesDir, model: replicaModel, training: { ...replicaTraining, weightDecayOn: 'matrices' }, data });
    const gains = (dir: string) => Array.from(loadLanguageModel(dir).model.stateDict().get('finalNorm.weight')!.data);
    expect(gains(matricesDir)).not.toEqual(gains(straightDir));
  });
  it("weightDecayOn: 'all' decays biases and gains too; the default, matrices only (embeddings and the learned positions included)", () => {
    const lm = new LanguageModel({ ...model, vocabSize: 300, learnedPositions: true });
    const all = trainingOptimizer(lm, { lr: 1e-3, weightDecay: 0.01, weightDecayOn: 'all' });
    const matrices = trainingOptimizer(lm, { lr: 1e-3, weightDecay: 0.01 });
    for (const [name, p] of lm.namedParameters()) {
      expect(all.decays(name), name).toBe(true);
      expect(matrices.decays(name), name).toBe(p.rank >= 2);
    }
    expect(matrices.decays('embedding.weight') && matrices.decays('positionTable')).toBe(true);
    expect(matrices.decays('blocks.0.feedForward.up.bias') || matrices.decays('finalNorm.weight')).toBe(false);
  });
  it('resuming from a directory that holds no checkpoint says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-empty-'));
    await expect(trainLanguageModel({ out: dir, model, training: training(100), resume: true, data })).rejects.toThrow(/no checkpoint\.json/);
  });
});

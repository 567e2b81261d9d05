/**
 * `lm train --arch fla | --init DIR`, their resume, `lm export` of a run, and `lm generate | eval` of a
 * run (src/tasks/lm/flaCli.ts): tiny runs, and every mistake refused in one line before any work.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runLm } from '../../../src/tasks/lm/cli.js';
import { loadHfDeltaNet } from '../../../src/io/huggingFace.js';
import { loadFlaRun } from '../../../src/tasks/lm/flaTraining.js';
import { syntheticCorpusFile } from './syntheticCorpus.js';
import { run } from '../../runCommand.js';

const dir = mkdtempSync(join(tmpdir(), 'fw-fla-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const corpus = syntheticCorpusFile({ seed: 6, documents: 30, sentencesPerDocument: 40 });
const TINY = ['--vocab', '280', '--dim', '16', '--heads', '2', '--layers', '1', '--context', '8', '--batch', '2', '--save-every', '100', '--eval-every', '2', '--eval-tokens', '30'];
const lm = (...args: string[]) => run(runLm, args);

describe('lm train --arch fla, lm export, --init', () => {
  const runDir = join(dir, 'run');
  const hf = join(dir, 'hf');

  it('trains, resumes (found from --out alone), exports a Hugging Face directory, and fine-tunes it with --init', async () => {
    const r = await lm('train', '--arch', 'fla', '--corpus', corpus, '--out', runDir, '--steps', '2', '--json', '--gate', '--conv-size', '3', ...TINY);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ model: 'fla', step: 2, stoppedBy: 'steps' });
    expect(summary.validPerplexity).toBeGreaterThan(1);
    expect(summary.sample).not.toContain('\uFFFD');
    expect(loadFlaRun(runDir).model.config).toMatchObject({ hiddenSize: 16, numHeads: 2, numHiddenLayers: 1, useGate: true, convSize: 3, vocabSize: 280 });

    const resumed = await lm('train', '--resume', '--out', runDir, '--steps', '3');
    expect(resumed.stderr).toMatch(/resuming .* at step 2/);
    expect(loadFlaRun(runDir).history.steps).toHaveLength(3);

    const exported = await lm('export', '--checkpoint', runDir, '--out', hf);
    expect(exported.stdout).toMatch(/config\.json, model\.safetensors \(F32, [\d,]+ parameters\), tokenizer\.json/);
    expect(loadHfDeltaNet(hf).config.useGate).toBe(true);
    expect((await lm('generate', '--checkpoint', runDir, '--prompt', 'The', '--tokens', '5', '--temperature', '0')).code).toBe(0);
    const scored = await lm('eval', '--checkpoint', runDir, '--corpus', corpus, '--max-tokens', '50');
    expect(scored.stdout).toMatch(/perplexity [\d.]+ \(50 tokens/);

    const tuned = join(dir, 'tuned');
    const t = await lm('train', '--init', hf, '--corpus', corpus, '--out', tuned, '--steps', '1', '--context', '8', '--batch', '2', '--eval-every', '1', '--eval-tokens', '20');
    expect(t.code).toBe(0);
    expect(t.stderr).toContain(`model fla DeltaNet from ${hf}`);
    expect(loadFlaRun(tuned).config.training.init).toBe(hf);
  });

  it('refuses, in one line, what fla models cannot take and what cannot be exported', async () => {
    const out = join(dir, 'refused');
    await expect(lm('train', '--arch', 'fla', '--dropout', '0.1', '--out', out)).rejects.toThrow("lm train --arch fla: --dropout has no counterpart: fla's DeltaNet has no dropout");
    await expect(lm('train', '--arch', 'fla', '--carry', '--out', out)).rejects.toThrow('lm train --arch fla: --carry is not offered for fla models yet');
    await expect(lm('train', '--arch', 'fla', '--embedding', 'unscaled', '--out', out)).rejects.toThrow("lm train --arch fla: --embedding has no counterpart: fla's DeltaNet draws its embeddings at initializer_range (0.02)");
    await expect(lm('train', '--arch', 'fla', '--model', 'linear', '--out', out)).rejects.toThrow(/--model names this project's own models/);
    await expect(lm('train', '--arch', 'fla', '--qk-norm', 'l3', '--out', out)).rejects.toThrow("--qk-norm must be one of l2, sum, got 'l3'");
    await expect(lm('train', '--arch', 'transformer', '--out', out)).rejects.toThrow("--arch must be one of fastweights, fla, got 'transformer'");
    await expect(lm('train', '--gate', '--out', out)).rejects.toThrow('lm train: --gate is for fla models (--arch fla or --init DIR)');
    await expect(lm('compare', '--arch', 'fla')).rejects.toThrow('lm compare: --arch is for lm train');
    await expect(lm('train', '--init', hf, '--dim', '32', '--out', out)).rejects.toThrow(`lm train --init: --dim is set by ${join(hf, 'config.json')}`);
    await expect(lm('train', '--init', hf, '--resume', '--out', runDir)).rejects.toThrow(/--resume continues the run in --out, which keeps where it started; drop --init/);
    await expect(lm('train', '--init', 'test/fixtures/fla/default', '--corpus', corpus, '--out', out)).rejects.toThrow('--init: test/fixtures/fla/default has no tokenizer.json to read the corpus with');
    const llama = join(dir, 'llama');
    rmSync(llama, { recursive: true, force: true });
    await lm('export', '--checkpoint', runDir, '--out', llama);
    writeFileSync(join(llama, 'config.json'), JSON.stringify({ model_type: 'llama' }));
    await expect(lm('train', '--init', llama, '--corpus', corpus, '--out', out)).rejects.toThrow(`--init: ${join(llama, 'config.json')}: model_type is "llama"; only fla's "delta_net" models are supported`);
    expect(existsSync(join(out, 'checkpoint.json'))).toBe(false);

    // A run of lm train's own models: refused, naming the model and why.
    const delta = join(dir, 'delta');
    expect((await lm('train', '--corpus', corpus, '--out', delta, '--steps', '1', ...TINY)).code).toBe(0);
    await expect(lm('export', '--checkpoint', delta, '--out', join(dir, 'delta-hf'))).rejects.toThrow(`lm export: ${delta} holds a 'delta' model of lm train, which does not map onto fla's DeltaNet`);
    await expect(lm('export', '--checkpoint', runDir, '--out', hf)).rejects.toThrow(`lm export: ${hf} already holds a model (config.json); choose an empty directory`);
  });
});

/**
 * fla's DeltaNet trained here (src/tasks/lm/flaTraining.ts): exact resume, export to a Hugging Face
 * directory and back (identical logits; the tokenizer.json reads the corpus to our BPE's ids), the
 * reference script reading what we export, and fine-tuning from such a directory (`--init`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticCorpusFile } from './syntheticCorpus.js';
import { exportFlaRun, loadFlaRun, trainFlaLanguageModel, type FlaLmTrainingConfig } from '../../../src/tasks/lm/flaTraining.js';
import { loadHfDeltaNet } from '../../../src/io/huggingFace.js';
import { loadHfTokenizer } from '../../../src/data/hfTokenizerFile.js';
import { loadCorpus } from '../../../src/data/corpora.js';
import { inference } from '../../../src/nn/module.js';
import type { DeltaNetForCausalLM } from '../../../src/nn/fla/index.js';

const corpus = syntheticCorpusFile({ seed: 5, documents: 30, sentencesPerDocument: 40 });
const model = { context: 8, seed: 3, fla: { model_type: 'delta_net', hidden_size: 16, num_hidden_layers: 2, num_heads: 2, intermediate_size: 24, use_gate: true, bos_token_id: 1, eos_token_id: 2, pad_token_id: null } };
const training = (over: Partial<FlaLmTrainingConfig> = {}): FlaLmTrainingConfig => ({
  corpus, vocabSize: 300, batchSize: 4, lr: 1e-2, warmupSteps: 1, weightDecay: 0.01, clip: 1, steps: 6, evalEvery: 3, evalTokens: 40, saveEvery: 100, seed: 7, ...over,
});
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `fw-fla-${name}-`));
const IDS = [1, 17, 260, 5, 99, 42, 3, 250, 8];

const logitsOf = (m: DeltaNetForCausalLM, ids: number[]) => inference(m, () => Array.from(m.forward(ids, 1, ids.length).logits.data));
/** The largest difference in any row, over that row's largest logit. */
function relativeError(got: number[], want: number[], vocab: number): number {
  let worst = 0;
  for (let start = 0; start < want.length; start += vocab) {
    const row = want.slice(start, start + vocab);
    const scale = row.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    row.forEach((w, j) => (worst = Math.max(worst, Math.abs(got[start + j]! - w) / scale)));
  }
  return worst;
}

/** Debian's python3 with torch, as docs/pretrained.md runs the reference script; null when absent. */
const python = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0 ? '/usr/bin/python3' : null;
// CI (.ci/run) installs python3-torch and requires the comparison, so that it fails there instead of skipping.
if (python === null && process.env.FASTWEIGHTS_REQUIRE_TORCH === '1') throw new Error("FASTWEIGHTS_REQUIRE_TORCH=1 but /usr/bin/python3 cannot import torch (Debian's python3-torch)");

describe('lm train --arch fla (trainFlaLanguageModel)', () => {
  const straightDir = tmp('straight');
  const straight = trainFlaLanguageModel({ out: straightDir, model, training: training() });

  it('resumes exactly: 3 steps + resume to 6 gives the losses, evaluations and weights of 6 straight', async () => {
    const s = await straight;
    const losses = s.history.steps.map((x) => x.loss);
    expect(losses).toHaveLength(6);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    const splitDir = tmp('split');
    let stops = 0;
    await trainFlaLanguageModel({ out: splitDir, model, training: training(), shouldStop: () => ++stops > 3 });
    expect(loadFlaRun(splitDir).history.steps).toHaveLength(3);
    const resumed = await trainFlaLanguageModel({ out: splitDir, model, training: training(), resume: true });
    expect(resumed.history.steps.map((x) => x.loss)).toEqual(losses);
    expect(resumed.history.evals).toEqual(s.history.evals);
    const a = loadFlaRun(straightDir).model.stateDict();
    const b = loadFlaRun(splitDir).model.stateDict();
    for (const [name, t] of a) expect(Array.from(b.get(name)!.data), name).toEqual(Array.from(t.data));
  });

  it('exports a Hugging Face directory that loads back with identical logits, and whose tokenizer.json reads the corpus to our ids', async () => {
    await straight;
    const out = join(tmp('export'), 'hf');
    const written = exportFlaRun(straightDir, out);
    const run = loadFlaRun(straightDir);
    const { model: back, config } = loadHfDeltaNet(out);
    expect(config.vocabSize).toBe(run.tokenizer.vocabSize);
    expect(config.useGate).toBe(true);
    expect(logitsOf(back, IDS)).toEqual(logitsOf(run.model, IDS));
    expect(logitsOf(written, IDS)).toEqual(logitsOf(run.model, IDS));
    const hf = loadHfTokenizer(join(out, 'tokenizer.json'));
    const text = loadCorpus(corpus).documents.map((d) => d.text).join('\n\n');
    expect(hf.vocabSize).toBe(run.tokenizer.vocabSize);
    expect(hf.encode(text)).toEqual(run.tokenizer.bpe!.encode(text));
    expect(hf.decode(hf.encode(text))).toBe(text);
  });

  it('exports in bf16: read in place for decoding (resident) or not, the model gives the same logits', async () => {
    await straight;
    const out = join(tmp('bf16'), 'hf');
    exportFlaRun(straightDir, out, 'BF16');
    const plain = loadHfDeltaNet(out).model;
    const resident = loadHfDeltaNet(out, { resident: true }).model;
    const want = logitsOf(plain, IDS);
    expect(Math.max(...want.map(Math.abs))).toBeGreaterThan(0.1);
    expect(relativeError(logitsOf(resident, IDS), want, plain.config.vocabSize)).toBeLessThan(1e-5);
  });

  it.skipIf(python === null)('what it exports, the reference script (scripts/fla_reference.py) reads to the same logits within 1e-5 (skipped without /usr/bin/python3 and its torch)', async () => {
    await straight;
    const out = join(tmp('reference'), 'hf');
    exportFlaRun(straightDir, out);
    const file = join(out, 'reference.json');
    execFileSync(python!, ['scripts/fla_reference.py', 'logits', out, IDS.join(','), file], { stdio: 'ignore' });
    const reference = JSON.parse(readFileSync(file, 'utf8')) as { input_ids: number[]; logits: number[][] };
    expect(reference.input_ids).toEqual(IDS);
    expect(reference.logits).toHaveLength(IDS.length);
    const vocab = reference.logits[0]!.length;
    expect(vocab).toBe(loadFlaRun(straightDir).tokenizer.vocabSize);
    expect(relativeError(logitsOf(loadFlaRun(straightDir).model, IDS), reference.logits.flat(), vocab)).toBeLessThan(1e-5);
  });

  it('--init continues an exported model: its weights, its tokenizer.json, exact resume, and an export gives the tokenizer back', async () => {
    await straight;
    const hfDir = join(tmp('init-src'), 'hf');
    exportFlaRun(straightDir, hfDir);
    // lr 0: one step changes nothing, so the run holds exactly the directory's weights.
    const still = tmp('init-still');
    const r = await trainFlaLanguageModel({ out: still, model: { context: 8, seed: 0, fla: {} }, training: training({ init: hfDir, lr: 0, steps: 1 }) });
    expect(r.config.training.init).toBe(hfDir);
    expect(r.data.tokenizer.bpe).toBeNull();
    expect(logitsOf(loadFlaRun(still).model, IDS)).toEqual(logitsOf(loadHfDeltaNet(hfDir).model, IDS));
    const initTraining = training({ init: hfDir, steps: 4 });
    const straightInit = await trainFlaLanguageModel({ out: tmp('init-straight'), model: { context: 8, seed: 0, fla: {} }, training: initTraining });
    const splitDir = tmp('init-split');
    let stops = 0;
    await trainFlaLanguageModel({ out: splitDir, model: { context: 8, seed: 0, fla: {} }, training: initTraining, shouldStop: () => ++stops > 2 });
    const resumed = await trainFlaLanguageModel({ out: splitDir, model: { context: 8, seed: 0, fla: {} }, training: initTraining, resume: true });
    expect(resumed.history.steps.map((x) => x.loss)).toEqual(straightInit.history.steps.map((x) => x.loss));
    expect(resumed.history.evals).toEqual(straightInit.history.evals);
    for (const [name, t] of straightInit.model.stateDict()) expect(Array.from(resumed.model.stateDict().get(name)!.data), name).toEqual(Array.from(t.data));
    const again = join(tmp('init-export'), 'hf');
    exportFlaRun(splitDir, again);
    expect(JSON.parse(readFileSync(join(again, 'tokenizer.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(hfDir, 'tokenizer.json'), 'utf8')));
    expect(logitsOf(loadHfDeltaNet(again).model, IDS)).toEqual(logitsOf(resumed.model, IDS));
  });

  it('--init refuses a directory without tokenizer.json, and one that is not an fla DeltaNet, before reading weights', async () => {
    const bare = tmp('bare');
    cpSync('test/fixtures/fla/default', bare, { recursive: true });
    const start = (init: string) => trainFlaLanguageModel({ out: tmp('refused'), model: { context: 8, seed: 0, fla: {} }, training: training({ init }) });
    await expect(start(bare)).rejects.toThrow(`${bare} has no tokenizer.json to read the corpus with`);
    const llama = tmp('llama');
    writeFileSync(join(llama, 'config.json'), JSON.stringify({ model_type: 'llama' }));
    await expect(start(llama)).rejects.toThrow(`${join(llama, 'config.json')}: model_type is "llama"; only fla's "delta_net" models are supported`);
    await expect(start(tmp('empty'))).rejects.toThrow(/is not a Hugging Face model directory \(no config\.json\)/);
  });
});

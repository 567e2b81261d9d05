/** `fastweights mt`: a tiny end-to-end run (train, resume, translate, eval) and the usage errors. */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SNAPSHOT_EVERY, MT_PRESETS, mtTrainSettings, withPreset } from '../../../src/tasks/mt/cli.js';
import { run } from './runMt.js';
import { UsageError } from '../../../src/cli/args.js';
import { loadCheckpoint } from '../../../src/io/checkpoint.js';
import { trainTranslationModel } from '../../../src/tasks/mt/training.js';
import { BLEU_SIGNATURE } from '../../../src/index.js';

const TINY = ['--train-pairs', '40', '--vocab', '300', '--dim', '8', '--heads', '2', '--enc-layers', '1', '--dec-layers', '1', '--ff', '8', '--max-tokens', '200', '--eval-every', '100', '--bleu-sentences', '3', '--seed', '5'];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fastweights-mt-'));
  // mt eval caches the lookup baseline's matches; keep them out of the user's cache directory.
  vi.stubEnv('FASTWEIGHTS_CACHE_DIR', join(dir, 'cache'));
});
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

describe('mt train / translate / eval', () => {
  it('trains, resumes, translates and scores', async () => {
    const straight = join(dir, 'straight');
    expect((await run(['train', '--model', 'dpfp', '--out', straight, '--steps', '2', ...TINY])).code).toBe(0);
    const summary = await run(['train', '--model', 'dpfp', '--out', straight, '--steps', '3', '--resume', '--json', ...TINY]);
    expect(JSON.parse(summary.stdout)).toMatchObject({ step: 3, stoppedBy: 'steps', model: 'dpfp (cross: softmax)', bleuSentences: 3 });
    expect(loadCheckpoint(straight).state).toMatchObject({ step: 3 });

    const translated = await run(['translate', '--checkpoint', straight, '--max-len', '5', 'The house is big.', 'Hello.']);
    expect(translated.code).toBe(0);
    expect(translated.stdout.split('\n')).toHaveLength(2);
    const asJson = JSON.parse((await run(['translate', '--checkpoint', straight, '--max-len', '5', '--beam', '2', '--json', 'Thank you.'])).stdout);
    expect(asJson.translations[0].source).toBe('Thank you.');

    const scored = await run(['eval', '--checkpoint', straight, '--limit', '4', '--beam', '2', '--max-len', '6']);
    expect(scored.code).toBe(0);
    // A 3-step model: the warnings of a run too short to translate, on stderr beside the scores.
    expect(translated.stderr).toMatch(/^warning: 2 of 2 repeat one token 5 or more times in a row: the model is undertrained/);
    expect(scored.stderr).toMatch(/^warning: 4 of 4 repeat one token 5 or more times in a row: the model is undertrained/);
    expect(scored.stderr).toMatch(/\nwarning: BLEU 0\.00 is below the lookup baseline's \d+\.\d\d on the same 4 test pairs: copying the German/);
    expect(scored.stdout).toMatch(new RegExp(`^BLEU\\|${BLEU_SIGNATURE.replace(/\|/g, '\\|')} = \\d+\\.\\d\\d `));
    // Beside the model's BLEU: the lookup baseline on the same pairs and the novel subset.
    expect(scored.stdout).toMatch(/\nlookup baseline \(German side of the most similar training English\): BLEU \d+\.\d\d on the same 4 test pairs\n/);
    expect(scored.stdout).toMatch(/\nnovel subset: \d of 4 pairs \(nearest training English below 0\.4 similarity\): model BLEU (\d+\.\d\d|–), lookup baseline (\d+\.\d\d|–)$/);
    // The nearest training pairs, kept once per query set: the training pairs' own (the memory, leave-one-out), valid's and test's.
    expect(readdirSync(join(dir, 'cache'))).toHaveLength(3);
    const hypotheses = readFileSync(join(straight, 'hyp-test-beam2.de'), 'utf8');
    expect(hypotheses.split('\n')).toHaveLength(5); // four lines and the final newline
    const hypPath = join(dir, 'valid.de');
    const json = JSON.parse((await run(['eval', '--checkpoint', straight, '--split', 'valid', '--limit', '3', '--max-len', '6', '--hyp', hypPath, '--json'])).stdout);
    expect(json).toMatchObject({ split: 'valid', sentences: 3, beam: 1, signature: BLEU_SIGNATURE, hypotheses: hypPath });
    expect(json.lookupBleu).toBeGreaterThanOrEqual(0);
    expect(json.novel.pairs).toBeLessThanOrEqual(3);
    expect(existsSync(hypPath)).toBe(true);
  });

  it('an interrupted run, resumed, ends with exactly the weights of an uninterrupted one', async () => {
    const options = (out: string) => ({
      out,
      model: { attention: 'performer-delta-4', crossAttention: 'linear', dModel: 8, encoderLayers: 1, decoderLayers: 1, heads: 2, ffHidden: 8, dropout: 0.1, seed: 3 },
      training: { trainPairs: 40, vocabSize: 300, maxTokens: 150, maxLength: 64, lr: 3e-3, warmupSteps: 2, weightDecay: 0.01, clip: 1, labelSmoothing: 0.1, steps: 5, evalEvery: 100, bleuEvery: 0, bleuSentences: 2, saveEvery: 100, seed: 8 },
    });
    await trainTranslationModel(options(join(dir, 'api-straight')));
    let polls = 0;
    const first = await trainTranslationModel({ ...options(join(dir, 'api-resumed')), shouldStop: () => ++polls > 2 });
    expect(first).toMatchObject({ step: 2, stoppedBy: 'interrupt' });
    const second = await trainTranslationModel({ ...options(join(dir, 'api-resumed')), resume: true });
    expect(second.step).toBe(5);
    const a = loadCheckpoint(join(dir, 'api-straight'));
    const b = loadCheckpoint(join(dir, 'api-resumed'));
    for (const [name, t] of a.weights) expect(Array.from(b.weights.get(name)!.data), name).toEqual(Array.from(t.data));
    for (const [name, buffer] of Object.entries(a.optimizer)) expect(Array.from(b.optimizer[name]!), name).toEqual(Array.from(buffer));
  });

  it('keeps snapshots with --snapshot-every and averages the last K saves into a checkpoint mt eval reads', async () => {
    const out = join(dir, 'snapshotted');
    expect((await run(['train', '--model', 'softmax', '--out', out, '--steps', '5', '--snapshot-every', '2', ...TINY])).code).toBe(0);
    expect(readdirSync(join(out, 'snapshots')).sort()).toEqual(['step-00000002', 'step-00000004']);
    const averaged = await run(['average', '--checkpoint', out, '--last', '3']);
    expect(averaged.stdout).toBe(`mean of the weights at steps 2, 4, 5 of ${out}, in ${out}-avg3`);
    const saves = [join(out, 'snapshots', 'step-00000002'), join(out, 'snapshots', 'step-00000004'), out].map((d) => loadCheckpoint(d).weights);
    const mean = loadCheckpoint(`${out}-avg3`).weights;
    expect([...mean.keys()].sort()).toEqual([...saves[0]!.keys()].sort());
    for (const [name, t] of mean) {
      const expected = t.data.map((_, j) => Math.fround((saves[0]!.get(name)!.data[j]! + saves[1]!.get(name)!.data[j]! + saves[2]!.get(name)!.data[j]!) / 3));
      expect(Array.from(t.data)).toEqual(Array.from(expected));
    }
    expect((await run(['eval', '--checkpoint', `${out}-avg3`, '--limit', '2', '--max-len', '4', '--json'])).code).toBe(0);

    await expect(run(['average', '--checkpoint', out, '--last', '4'])).rejects.toThrow(/holds 2 snapshots before its final step 5, so 3 saves in all, fewer than the 4 asked for/);
    await expect(run(['average', '--checkpoint', out, '--last', '3'])).rejects.toThrow(/avg3 already holds a checkpoint/);
    await expect(run(['average', '--last', '3'])).rejects.toThrow(/--checkpoint DIR is required/);
    // A fresh run in the same directory starts without the earlier run's snapshots.
    expect((await run(['train', '--model', 'softmax', '--out', out, '--overwrite', '--steps', '1', ...TINY])).code).toBe(0);
    expect(existsSync(join(out, 'snapshots'))).toBe(false);
  });

  it('keeps a snapshot every 100 steps by default; --snapshot-every N changes it and 0 turns it off', () => {
    expect(mtTrainSettings({}, 'softmax').training.snapshotEvery).toBe(DEFAULT_SNAPSHOT_EVERY);
    expect(DEFAULT_SNAPSHOT_EVERY).toBe(100);
    expect(mtTrainSettings({ 'snapshot-every': '250' }, 'softmax').training.snapshotEvery).toBe(250);
    expect('snapshotEvery' in mtTrainSettings({ 'snapshot-every': '0' }, 'softmax').training).toBe(false);
    expect(() => mtTrainSettings({ 'snapshot-every': '-5' }, 'softmax')).toThrow(/--snapshot-every must be an integer ≥ 0/);
  });

  it('keeps the last 10 snapshots unless --snapshot-keep N says how many, recorded only when given', async () => {
    expect('snapshotKeep' in mtTrainSettings({}, 'softmax').training).toBe(false);
    expect(mtTrainSettings({ 'snapshot-keep': '40' }, 'softmax').training).toMatchObject({ snapshotEvery: DEFAULT_SNAPSHOT_EVERY, snapshotKeep: 40 });
    expect(() => mtTrainSettings({ 'snapshot-keep': '0' }, 'softmax')).toThrow(/--snapshot-keep must be an integer ≥ 1/);
    expect(() => mtTrainSettings({ 'snapshot-every': '0', 'snapshot-keep': '5' }, 'softmax')).toThrow(/--snapshot-keep needs snapshots; --snapshot-every 0 keeps none/);
    const out = join(dir, 'kept');
    expect((await run(['train', '--model', 'softmax', '--out', out, '--steps', '7', '--snapshot-every', '1', '--snapshot-keep', '3', ...TINY])).code).toBe(0);
    expect(readdirSync(join(out, 'snapshots')).sort()).toEqual(['step-00000005', 'step-00000006', 'step-00000007']);
    expect((loadCheckpoint(out).config as { training: object }).training).toMatchObject({ snapshotEvery: 1, snapshotKeep: 3 });
  });

  it('--preset hour gives the settings of its flags; flags beside it win and --steps replaces its minutes', () => {
    const hour = mtTrainSettings(withPreset({ preset: 'hour' }), 'softmax');
    expect(hour).toEqual(mtTrainSettings({ minutes: '60', 'enc-layers': '3', 'dec-layers': '3', 'snapshot-keep': '40' }, 'softmax'));
    expect(hour.training.minutes).toBe(60);
    expect([hour.model.encoderLayers, hour.model.decoderLayers]).toEqual([3, 3]);
    expect(hour.model).not.toEqual(mtTrainSettings({}, 'softmax').model);
    const shorter = mtTrainSettings(withPreset({ preset: 'hour', steps: '500', 'dec-layers': '2' }), 'softmax');
    expect(shorter.training).toMatchObject({ steps: 500 });
    expect('minutes' in shorter.training).toBe(false);
    expect([shorter.model.encoderLayers, shorter.model.decoderLayers]).toEqual([3, 2]);
    expect(mtTrainSettings(withPreset({ preset: 'hour', 'snapshot-every': '0' }), 'softmax').training).not.toHaveProperty('snapshotKeep');
    expect(mtTrainSettings(withPreset({ preset: 'hour', 'snapshot-keep': '20' }), 'softmax').training).toMatchObject({ snapshotKeep: 20 });
    expect(Object.keys(MT_PRESETS)).toEqual(['hour']);
    expect(() => withPreset({ preset: 'day' })).toThrow("mt train: unknown --preset 'day' (valid: hour)");
  });

  it('prints help', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/mt train/);
    expect((await run(['train', '--help'])).stdout).toMatch(/--length-penalty/);
  });

  it('refuses unknown subcommands, flags and bad values with usage errors', async () => {
    await expect(run(['fly'])).rejects.toThrow(/unknown subcommand 'fly'/);
    await expect(run(['train', '--model', 'dpfp', '--colour', 'red'])).rejects.toThrow(UsageError);
    await expect(run(['train', '--model', 'dpfp', '--colour', 'red'])).rejects.toThrow(/colour/);
    await expect(run(['train'])).rejects.toThrow(/--model NAME is required/);
    await expect(run(['train', '--model', 'transformer'])).rejects.toThrow(/unknown model 'transformer'/);
    await expect(run(['train', '--model', 'dpfp', '--cross', 'nope'])).rejects.toThrow(/unknown model 'nope'/);
    await expect(run(['train', '--model', 'dpfp', '--steps', '3', '--minutes', '1'])).rejects.toThrow(/either --steps or --minutes/);
    await expect(run(['train', '--model', 'dpfp', '--steps', 'many'])).rejects.toThrow(/--steps must be an integer/);
    await expect(run(['train', '--model', 'dpfp', '--dim', '10', '--heads', '4'])).rejects.toThrow(/divisible/);
    await expect(run(['compare', '--preset', 'hour'])).rejects.toThrow(/--preset is for 'mt train'/);
    await expect(run(['translate', 'Hello.'])).rejects.toThrow(/--checkpoint DIR is required/);
    await expect(run(['eval', '--checkpoint', join(dir, 'straight'), '--split', 'train'])).rejects.toThrow(/--split must be one of valid, test/);
    await expect(run(['eval', '--checkpoint', join(dir, 'straight'), '--beam', '0'])).rejects.toThrow(/--beam must be an integer ≥ 1/);
  });

  it('names a missing, corrupt or foreign checkpoint', async () => {
    await expect(run(['eval', '--checkpoint', join(dir, 'nowhere')])).rejects.toThrow(/cannot load checkpoint: .*does not exist/);
    await expect(run(['train', '--model', 'dpfp', '--out', join(dir, 'nowhere'), '--resume', '--steps', '1'])).rejects.toThrow(/nowhere holds no checkpoint to continue/);
    const broken = join(dir, 'broken');
    cpSync(join(dir, 'straight'), broken, { recursive: true });
    const modelFile = readdirSync(broken).find((f) => f.startsWith('model-'))!;
    writeFileSync(join(broken, modelFile), 'not a safetensors file');
    await expect(run(['translate', '--checkpoint', broken, 'Hello.'])).rejects.toThrow(/cannot load checkpoint: .*model-/);
  });

  it("trains on a user's file, records it by name and SHA-256, and asks for it again", async () => {
    const corpus = join(dir, 'my-pairs.tsv');
    const lines = Array.from({ length: 60 }, (_, i) => `The house number ${i} is big.\tDas Haus Nummer ${i} ist groß.`);
    writeFileSync(corpus, lines.join('\n') + '\n');
    const out = join(dir, 'own');
    const tiny = TINY.filter((_, i) => i >= 2); // without --train-pairs
    expect((await run(['train', '--model', 'linear', '--corpus', corpus, '--out', out, '--steps', '1', ...tiny])).code).toBe(0);
    const config = loadCheckpoint(out).config as { training: { corpus: string } };
    expect(config.training.corpus).toMatch(/^file:my-pairs\.tsv:sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(config)).not.toContain(dir);
    await expect(run(['eval', '--checkpoint', out, '--limit', '1'])).rejects.toThrow(/trained on your file my-pairs\.tsv .*--corpus FILE/);
    expect((await run(['eval', '--checkpoint', out, '--limit', '1', '--max-len', '4', '--corpus', corpus])).code).toBe(0);
    writeFileSync(corpus, lines.slice(1).join('\n') + '\n');
    await expect(run(['eval', '--checkpoint', out, '--limit', '1', '--corpus', corpus])).rejects.toThrow(/not the file this model was trained on/);
    await expect(run(['train', '--model', 'linear', '--corpus', 'wmt14'])).rejects.toThrow(/neither a shipped corpus \(ding, libreoffice\)/);
    await expect(run(['train', '--model', 'linear', '--data', corpus])).rejects.toThrow(/--data was renamed --corpus/);
  });
});

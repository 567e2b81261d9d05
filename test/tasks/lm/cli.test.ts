/** `fastweights lm`: tiny runs on a custom corpus, what is refused before any work, and the stop policy. */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runLm, samplePrompt } from '../../../src/tasks/lm/cli.js';
import { runMt } from '../../../src/tasks/mt/cli.js';
import { main } from '../../../src/cli/main.js';
import { StopState } from '../../../src/cli/interrupt.js';
import { UsageError } from '../../../src/cli/args.js';
import { Rng } from '../../../src/index.js';
import { loadCheckpoint } from '../../../src/io/checkpoint.js';
import { run } from '../../runCommand.js';

let dir: string;
let corpus: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-lm-cli-'));
  // A custom corpus with no blank lines at all: cut by size into documents.
  const rng = new Rng(9);
  const words = ['Die', 'Katze', 'schläft', 'und', 'der', 'Hund', 'bellt', 'im', 'Garten', 'über', 'Straße'];
  const lines = Array.from({ length: 300 }, () => Array.from({ length: 8 }, () => words[rng.int(words.length)]).join(' ') + '.');
  corpus = join(dir, 'lines.txt');
  writeFileSync(corpus, lines.join('\n'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TINY = ['--vocab', '270', '--dim', '8', '--heads', '2', '--layers', '1', '--context', '8', '--batch', '2', '--save-every', '100', '--eval-every', '1'];

describe('lm train on a custom corpus', () => {
  it('trains on a text without blank lines, prompts from the corpus, reports the unigram baseline, and a periodic evaluation that cannot run leaves the final one on the whole split', async () => {
    const out = join(dir, 'custom');
    const r = await run(runLm, ['train', '--corpus', corpus, '--out', out, '--steps', '2', '--eval-tokens', '1', '--json', ...TINY]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    // Periodic evaluation cannot run on 1 token; the final one scores the whole valid split regardless.
    expect(summary).toMatchObject({ step: 2, stoppedBy: 'steps' });
    expect(summary.validPerplexity).toBeGreaterThan(1);
    expect(summary.validTokens).toBeGreaterThan(100);
    expect(summary.prompt.split(' ')).toHaveLength(5);
    expect(readFileSync(corpus, 'utf8')).toContain(summary.prompt);
    expect(summary.sample).not.toContain('\uFFFD');
    expect(summary.unigramPerplexity).toBeGreaterThan(1);
    expect(r.stderr).toMatch(/periodic evaluation is off: it would score 2 valid tokens \(--eval-tokens 1/);
  });

  it('scores a short evaluation with a smaller batch, and warns at the unigram plateau', async () => {
    const r = await run(runLm, ['train', '--corpus', corpus, '--out', join(dir, 'plateau'), '--steps', '2', '--eval-tokens', '20', '--batch', '8', ...TINY.filter((a, i, all) => a !== '--batch' && all[i - 1] !== '--batch')]);
    expect(r.code).toBe(0);
    // Periodic evaluation scores the first 20 tokens and says so; the final line, the whole valid split.
    expect(r.stderr).toMatch(/validPpl during training: the first 20 of [\d,]+ valid tokens \(--eval-tokens\); the final one: the whole valid split/);
    expect(r.stdout).toMatch(/valid perplexity [\d.]+ on the whole valid split \(segments of 8, [\d,]+ tokens\); unigram baseline [\d.]+ on the same split/);
    expect(r.stderr).toMatch(/warning: valid perplexity [\d.]+ is (above|at) the unigram baseline \([\d.]+, token frequencies alone\)/);
  });

  it("ends on the steps made, tokens/s, the whole-valid perplexity and the unigram baseline, and a time budget says the figures depend on the machine's speed", async () => {
    const timed = await run(runLm, ['train', '--corpus', corpus, '--out', join(dir, 'timed'), '--minutes', '0.05', ...TINY]);
    expect(timed.code).toBe(0);
    // The summary, then the note, then the sample (whose text may hold line breaks).
    const [summary, note, sample] = timed.stdout.trim().split('\n');
    expect(summary).toMatch(/^delta: [\d,]+ steps? in \d+ s, [\d,.]+ tokens\/s on this machine; valid perplexity [\d.]+ on the whole valid split \(segments of 8, [\d,]+ tokens\); unigram baseline [\d.]+ on the same split$/);
    expect(note).toMatch(/^the 3-second budget makes the steps made, and so these figures, depend on this machine's speed and load; --steps \d+ in place of --minutes 0.05 trains the same number of steps on any machine$/);
    expect(sample).toMatch(/^sample: /);
    // A step budget is the same on any machine: no note; the JSON summary carries the speed.
    const fixed = await run(runLm, ['train', '--corpus', corpus, '--out', join(dir, 'fixed'), '--steps', '3', ...TINY]);
    expect(fixed.stdout).toMatch(/^delta: 3 steps in \d+ s, [\d,.]+ tokens\/s on this machine; valid perplexity/m);
    expect(fixed.stdout).not.toMatch(/budget makes/);
    const json = JSON.parse((await run(runLm, ['train', '--corpus', corpus, '--out', join(dir, 'fixed'), '--overwrite', '--steps', '3', '--json', ...TINY])).stdout);
    expect(json).toMatchObject({ step: 3, runSteps: 3 });
    expect(json.tokensPerSecond).toBeGreaterThan(0);
    expect(json.runSeconds).toBeGreaterThan(0);
  });

  it('refuses to overwrite a checkpoint without --overwrite, in lm and mt alike', async () => {
    const out = join(dir, 'custom');
    await expect(run(runLm, ['train', '--corpus', corpus, '--out', out, '--steps', '1', ...TINY])).rejects.toThrow(/already holds a checkpoint; pass --resume to continue it, --overwrite/);
    await expect(run(runMt, ['train', '--model', 'delta', '--out', out, '--steps', '1'])).rejects.toThrow(/mt train: .* already holds a checkpoint; pass --resume to continue it, --overwrite/);
    await expect(run(runLm, ['train', '--out', out, '--resume', '--overwrite'])).rejects.toThrow(/give one of them/);
  });
});

describe('lm train --carry', () => {
  it('trains carrying fast weights, records it in the config, scores itself carried, and eval says how it was trained', async () => {
    const out = join(dir, 'carry');
    const r = await run(runLm, ['train', '--corpus', corpus, '--out', out, '--steps', '2', '--carry', '--eval-tokens', '40', ...TINY]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/carry-over training: 2 streams of \d+ segments of 8 tokens/);
    expect(r.stdout).toMatch(/valid perplexity [\d.]+ on the whole valid split \(carried across segments of 8, [\d,]+ tokens\)/);
    expect(loadCheckpoint(out).config).toMatchObject({ training: { carry: true } });
    const e = await run(runLm, ['eval', '--checkpoint', out, '--mode', 'carry', '--max-tokens', '40', '--json']);
    expect(JSON.parse(e.stdout)).toMatchObject({ mode: 'carry', tokens: 40, trainedWithCarry: true, warmupSegments: 0 });
    expect(JSON.parse(e.stdout).unigramPerplexity).toBeGreaterThan(1);
    // By default the whole split, with the unigram baseline on the same tokens.
    const whole = await run(runLm, ['eval', '--checkpoint', out, '--mode', 'carry']);
    expect(whole.stdout).toMatch(/perplexity [\d.]+ \(mode carry, [\d,]+ tokens scored of the whole split's [\d,]+, loss [\d.]+ nats\/token; trained with --carry\); unigram baseline [\d.]+ on the same tokens$/);
    const first = await run(runLm, ['eval', '--checkpoint', out, '--mode', 'carry', '--max-tokens', '40']);
    expect(first.stdout).toMatch(/\(mode carry, 40 tokens scored of the first 41 of [\d,]+, loss/);
    const warm = await run(runLm, ['eval', '--checkpoint', out, '--mode', 'carry', '--max-tokens', '40', '--warmup-segments', '2', '--json']);
    expect(JSON.parse(warm.stdout)).toMatchObject({ mode: 'carry', tokens: 40, warmupSegments: 2 });
    expect(JSON.parse(warm.stdout).loss).not.toBe(JSON.parse(e.stdout).loss);
    await expect(run(runLm, ['eval', '--checkpoint', out, '--warmup-segments', '2'])).rejects.toThrow(/^lm eval: --warmup-segments needs --mode carry/);
    await expect(run(runLm, ['eval', '--checkpoint', out, '--mode', 'carry', '--warmup-segments', '100000000'])).rejects.toThrow(/^lm eval: --warmup-segments 100000000 needs \d+ training tokens; the training split has \d+$/);
  });

  it('--positions learned: a table of --context rows in the checkpoint, read back by eval and by --resume', async () => {
    const out = join(dir, 'learned');
    const r = await run(runLm, ['train', '--corpus', corpus, '--out', out, '--steps', '2', '--positions', 'learned', '--eval-tokens', '40', ...TINY]);
    expect(r.code).toBe(0);
    const saved = loadCheckpoint(out);
    expect(saved.config).toMatchObject({ model: { positions: true, learnedPositions: true } });
    expect(saved.weights.get('positionTable')!.shape).toEqual([8, 8]);
    const e = await run(runLm, ['eval', '--checkpoint', out, '--max-tokens', '40', '--json']);
    expect(JSON.parse(e.stdout)).toMatchObject({ mode: 'segments', tokens: 40 });
    const resumed = await run(runLm, ['train', '--corpus', corpus, '--out', out, '--steps', '3', '--resume', '--eval-tokens', '40', ...TINY]);
    expect(resumed.code).toBe(0);
    expect(loadCheckpoint(out).config).toMatchObject({ model: { learnedPositions: true } });
    // --no-pos is --positions none, and the default stays sinusoidal: no table, no learnedPositions.
    for (const [flags, positions] of [[['--no-pos'], false], [['--positions', 'none'], false], [[], true]] as const) {
      const plain = join(dir, `positions-${flags.join('')}`);
      expect((await run(runLm, ['train', '--corpus', corpus, '--out', plain, '--steps', '1', '--eval-tokens', '40', ...flags, ...TINY])).code).toBe(0);
      const c = loadCheckpoint(plain);
      expect(c.config).toMatchObject({ model: { positions } });
      expect((c.config as { model: object }).model).not.toHaveProperty('learnedPositions');
      expect(c.weights.has('positionTable')).toBe(false);
    }
  });

  it('--embedding unscaled: unit embeddings recorded in the checkpoint, read back by eval, --resume and generate; a bad value refused', async () => {
    const out = join(dir, 'unscaled');
    const r = await run(runLm, ['train', '--corpus', corpus, '--out', out, '--steps', '2', '--embedding', 'unscaled', '--carry', '--eval-tokens', '40', ...TINY]);
    expect(r.code).toBe(0);
    const saved = loadCheckpoint(out);
    expect(saved.config).toMatchObject({ model: { scaledEmbedding: false, unitEmbedding: true } });
    const table = Array.from(saved.weights.get('embedding.weight')!.data);
    expect(Math.sqrt(table.reduce((s, x) => s + x * x, 0) / table.length)).toBeCloseTo(1, 1); // N(0, 1), two small steps on
    for (const mode of ['segments', 'carry']) {
      const e = await run(runLm, ['eval', '--checkpoint', out, '--mode', mode, '--max-tokens', '40', '--json']);
      expect(JSON.parse(e.stdout)).toMatchObject({ mode, tokens: 40 });
    }
    const resumed = await run(runLm, ['train', '--corpus', corpus, '--out', out, '--steps', '3', '--resume', '--eval-tokens', '40', ...TINY]);
    expect(resumed.code).toBe(0);
    expect(loadCheckpoint(out).config).toMatchObject({ model: { scaledEmbedding: false, unitEmbedding: true } });
    expect((await run(runLm, ['generate', '--checkpoint', out, '--prompt', 'Die', '--tokens', '3'])).code).toBe(0);
    // The default (and --embedding scaled) stays the scaled table, with no unitEmbedding.
    const scaled = join(dir, 'scaled');
    expect((await run(runLm, ['train', '--corpus', corpus, '--out', scaled, '--steps', '1', '--embedding', 'scaled', '--eval-tokens', '40', ...TINY])).code).toBe(0);
    expect((loadCheckpoint(scaled).config as { model: object }).model).toMatchObject({ scaledEmbedding: true });
    expect((loadCheckpoint(scaled).config as { model: object }).model).not.toHaveProperty('unitEmbedding');
    await expect(run(runLm, ['train', '--corpus', corpus, '--out', join(dir, 'never'), '--embedding', 'unit', ...TINY])).rejects.toThrow("--embedding must be one of scaled, unscaled, got 'unit'");
  });

  it("--preset replica: the replica's six choices and no dropout, recorded in the checkpoint, read back by eval, --resume and generate; a flag beside it wins; --block-size recorded when given", async () => {
    const out = join(dir, 'replica');
    const r = await run(runLm, ['train', '--corpus', corpus, '--out', out, '--steps', '2', '--preset', 'replica', '--carry', '--eval-tokens', '40', ...TINY]);
    expect(r.code).toBe(0);
    const replica = { model: { dropout: 0, positions: true, learnedPositions: true, scaledEmbedding: false, unitEmbedding: true, ffActivation: 'relu', biasInit: 'uniform', phiEps: 0 }, training: { weightDecayOn: 'all', carry: true } };
    expect(loadCheckpoint(out).config).toMatchObject(replica);
    for (const mode of ['segments', 'carry']) {
      const e = await run(runLm, ['eval', '--checkpoint', out, '--mode', mode, '--max-tokens', '40', '--json']);
      expect(JSON.parse(e.stdout)).toMatchObject({ mode, tokens: 40 });
    }
    expect((await run(runLm, ['train', '--corpus', corpus, '--out', out, '--steps', '3', '--resume', '--eval-tokens', '40', ...TINY])).code).toBe(0);
    expect(loadCheckpoint(out).config).toMatchObject(replica);
    expect((await run(runLm, ['generate', '--checkpoint', out, '--prompt', 'Die', '--tokens', '3'])).code).toBe(0);
    // Each choice alone, and the preset with two of them switched back.
    const single = async (name: string, flags: string[]) => {
      const path = join(dir, `choice-${name}`);
      expect((await run(runLm, ['train', '--corpus', corpus, '--out', path, '--steps', '1', '--eval-tokens', '40', ...flags, ...TINY])).code).toBe(0);
      return loadCheckpoint(path).config as { model: Record<string, unknown>; training: Record<string, unknown> };
    };
    expect((await single('relu', ['--ff-activation', 'relu'])).model).toMatchObject({ ffActivation: 'relu', scaledEmbedding: true });
    expect((await single('uniform', ['--bias-init', 'uniform'])).model).toMatchObject({ biasInit: 'uniform' });
    expect((await single('eps', ['--phi-eps', '0'])).model).toMatchObject({ phiEps: 0 });
    expect((await single('decay', ['--weight-decay-on', 'all'])).training).toMatchObject({ weightDecayOn: 'all' });
    expect((await single('blocks', ['--block-size', '3'])).model).toMatchObject({ blockSize: 3 }); // segments of 8: blocks of 3, 3 and 2
    const mixed = await single('mixed', ['--preset', 'replica', '--ff-activation', 'gelu', '--dropout', '0.2']);
    expect(mixed.model).toMatchObject({ dropout: 0.2, biasInit: 'uniform', phiEps: 0, learnedPositions: true });
    expect(mixed.model).not.toHaveProperty('ffActivation');
    // --no-pos beside the preset is the user's --positions: no table.
    expect((await single('nopos', ['--preset', 'replica', '--no-pos'])).model).toMatchObject({ positions: false, unitEmbedding: true });
    // Without the flags the checkpoint is the one lm train always wrote.
    const plain = await single('plain', []);
    for (const field of ['ffActivation', 'biasInit', 'phiEps', 'learnedPositions', 'unitEmbedding', 'blockSize']) expect(plain.model, field).not.toHaveProperty(field);
    expect(plain.training).not.toHaveProperty('weightDecayOn');
    expect(plain.model).toMatchObject({ dropout: 0.1, scaledEmbedding: true });
  });

  it('refuses softmax attention before any work, in one line, and lm compare refuses --carry', async () => {
    const softmax = run(runLm, ['train', '--corpus', join(dir, 'missing.txt'), '--model', 'softmax', '--carry', '--out', join(dir, 'never'), ...TINY]);
    await expect(softmax).rejects.toThrow(UsageError);
    await expect(run(runLm, ['train', '--corpus', join(dir, 'missing.txt'), '--model', 'softmax', '--carry', '--out', join(dir, 'never'), ...TINY])).rejects.toThrow(
      /^lm train: --carry needs a fast weight model: 'softmax' is softmax attention, whose key\/value cache is not a fixed-size state to carry$/,
    );
    expect(existsSync(join(dir, 'never'))).toBe(false);
    await expect(run(runLm, ['compare', '--carry', '--out', join(dir, 'never')])).rejects.toThrow(/lm compare: --carry is for lm train/);
  });
});

describe('lm compare keys its rows by their settings', () => {
  it('refuses rows of other settings, and --overwrite replaces them', async () => {
    const out = join(dir, 'compare');
    const args = ['compare', '--corpus', corpus, '--models', 'linear', '--out', out, '--eval-tokens', '40', ...TINY];
    expect((await run(runLm, [...args, '--steps', '2'])).code).toBe(0);
    const again = await run(runLm, [...args, '--steps', '2']);
    expect(again.stderr).toMatch(/linear: already done with these settings, skipped/);
    await expect(run(runLm, [...args, '--steps', '3'])).rejects.toThrow(/holds results of 'linear' computed with other settings \(training\.steps 2 → 3\); pass --overwrite/);
    const replaced = await run(runLm, [...args, '--steps', '3', '--overwrite', '--json']);
    expect(JSON.parse(replaced.stdout)[0]).toMatchObject({ model: 'linear', steps: 3 });
    expect(readFileSync(join(out, 'results.csv'), 'utf8')).not.toContain('settings');
  });
});

describe('lm compare resumes', () => {
  it('a run left without its result row (as Ctrl-C leaves it), the scaled embedding its training filled in aside', async () => {
    const out = join(dir, 'compare-resume');
    const args = ['compare', '--corpus', corpus, '--models', 'linear', '--out', out, '--eval-tokens', '40', '--steps', '2', ...TINY];
    expect((await run(runLm, args)).code).toBe(0);
    expect((loadCheckpoint(join(out, 'linear-seed1')).config as { model: { scaledEmbedding?: boolean } }).model.scaledEmbedding).toBe(true);
    rmSync(join(out, 'results.json'));
    const again = await run(runLm, args);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^resuming .*linear-seed1 at step 2$/m);
  });
});

describe('lm compare --seeds', () => {
  const args = (out: string) => ['compare', '--corpus', corpus, '--models', 'linear,delta', '--out', out, '--eval-tokens', '40', '--steps', '2', ...TINY];

  it('trains each model per seed, reports mean ± sd, and a rerun with more seeds trains only the new seed', async () => {
    const out = join(dir, 'compare-seeds');
    const r = await run(runLm, [...args(out), '--seeds', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Mean ± sample standard deviation over 2 seeds/);
    expect(r.stdout).toMatch(/\| model \| seeds \| parameters \| steps \| train time \(s\), mean ± sd \| final train loss, mean ± sd \| valid ppl, mean ± sd \|/);
    expect(r.stdout).toMatch(/^\| linear \| 1, 2 \| \d+ \| 2 \| \d+ ± \d+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \|$/m);
    expect(r.stdout).toMatch(/^\| delta \| 1, 2 \| /m);
    const rows = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { model: string; seed: number; dir: string; validPpl: number }[];
    // Seeds outside, models inside: the first seed of every model comes first.
    expect(rows.map((x) => `${x.model}/${x.seed}`)).toEqual(['linear/1', 'delta/1', 'linear/2', 'delta/2']);
    expect(rows.map((x) => x.dir)).toEqual(['linear-seed1', 'delta-seed1', 'linear-seed2', 'delta-seed2']);
    expect(rows[0]!.validPpl).not.toBe(rows[2]!.validPpl);
    expect(readFileSync(join(out, 'results.csv'), 'utf8').split('\n')[0]).toBe('model,seed,dir,parameters,steps,trainSeconds,finalTrainLoss,validPpl,testPpl,testCarryPpl');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary[0]).toMatchObject({ model: 'linear', seeds: [1, 2], validPpl: { n: 2, mean: (rows[0]!.validPpl + rows[2]!.validPpl) / 2 } });
    expect(summary[0].validPpl.sd).toBeCloseTo(Math.abs(rows[0]!.validPpl - rows[2]!.validPpl) / Math.SQRT2, 9);

    const more = await run(runLm, [...args(out), '--seeds', '3', '--json']);
    expect(more.stderr).toMatch(/linear seed 1: already done with these settings, skipped/);
    expect(more.stderr).toMatch(/delta seed 2: already done with these settings, skipped/);
    expect(more.stderr).not.toMatch(/linear seed 3: already done/);
    const all = JSON.parse(more.stdout) as { model: string; seed: number; validPpl: number }[];
    expect(all.map((x) => `${x.model}/${x.seed}`)).toEqual(['linear/1', 'delta/1', 'linear/2', 'delta/2', 'linear/3', 'delta/3']);
    expect(all.slice(0, 4)).toEqual(rows);

    // --seed 2 alone is one of those runs already: nothing is trained.
    const second = await run(runLm, [...args(out), '--seed', '2']);
    expect(second.stderr).toMatch(/^linear: already done with these settings, skipped$/m);
    expect(second.stderr).not.toMatch(/train linear|step \d/);
  });

  it('reuses a results.json written before seeds were keys (seed inside the settings, checkpoint in DIR/<model>)', async () => {
    const out = join(dir, 'compare-old');
    const one = ['compare', '--corpus', corpus, '--models', 'linear', '--out', out, '--eval-tokens', '40', '--steps', '2', ...TINY];
    expect((await run(runLm, one)).code).toBe(0);
    const path = join(out, 'results.json');
    const [row] = JSON.parse(readFileSync(path, 'utf8'));
    // The old layout: no seed or dir in the row, the seed inside the settings, the checkpoint named after the model.
    const settings = JSON.parse(row.settings);
    settings.model.seed = 1;
    settings.training.seed = 1;
    const { seed: _seed, dir: _dir, ...old } = row;
    writeFileSync(path, JSON.stringify([{ ...old, settings: JSON.stringify(settings) }]));
    renameSync(join(out, 'linear-seed1'), join(out, 'linear'));
    const again = await run(runLm, [...one, '--json']);
    expect(again.stderr).toMatch(/linear: already done with these settings, skipped/);
    expect(JSON.parse(again.stdout)[0]).toMatchObject({ model: 'linear', seed: 1, dir: 'linear', validPpl: row.validPpl });
  });

  it('one seed prints the table of before (no seeds column, no ± 0)', async () => {
    const r = await run(runLm, ['compare', '--corpus', corpus, '--models', 'linear', '--out', join(dir, 'compare-one'), '--eval-tokens', '40', '--steps', '2', ...TINY]);
    expect(r.stdout).toMatch(/^\| model \| parameters \| steps \| train time \(s\) \| final train loss \| valid ppl \| test ppl \| test ppl, state carried \|$/m);
    expect(r.stdout).not.toMatch(/±/);
  });
});

describe('refused before any work, in one clear line', () => {
  const cases: [string[], RegExp][] = [
    [['lm', 'train', '--lr', '-1'], /^--lr must be a number in \[0, 10\], got '-1'$/],
    [['lm', 'train', '--warmup', '-5'], /^--warmup must be an integer ≥ 0, got '-5'$/],
    [['lm', 'train', '--bogus'], /^lm train: Unknown option '--bogus' \(see 'fastweights lm train --help'\)$/],
    [['lm', 'compare', '--models', ','], /^lm compare: --models ',' names no model/],
    [['lm', 'compare', '--seeds', '0'], /^--seeds must be an integer ≥ 1, got '0'$/],
    [['lm', 'compare', '--seeds', '-3'], /^--seeds must be an integer ≥ 1, got '-3'$/],
    [['lm', 'compare', '--seeds', 'two'], /^--seeds must be an integer ≥ 1, got 'two'$/],
    [['lm', 'compare', '--seeds', '100000'], /^--seeds must be at most 100, got '100000'$/],
    [['lm', 'compare', '--seed', '9007199254740991', '--seeds', '2'], /^lm compare: --seed 9007199254740991 with --seeds 2 runs past the largest safe integer$/],
    [['lm', 'train', '--seeds', '2'], /^lm train: --seeds is for 'lm compare'; train takes one --seed$/],
    [['lm', 'train', '--dim', '1000000'], /^lm train: the feed-forward weights \(--dim × --ff\) would hold 4000 billion numbers/],
    [['lm', 'train', '--layers', '100000'], /^lm train: training would need about [\d.]+ [GT]B \(5 billion parameters/],
    [['lm', 'train', '--dim', '63'], /^--dim 63 is not divisible by --heads 4$/],
    [['lm', 'train', '--model', 'dpfp-0'], /^model 'dpfp-0': the number suffix \(ν\) must be at least 1$/],
    [['lm', 'train', '--model', 'cuda'], /^unknown model 'cuda' \(valid: softmax, linear/],
    [['lm', 'train', '--vocab', '1e9'], /^--vocab must be at most 65536, got '1e9'$/],
    [['lm', 'train', '--positions', 'rotary'], /^--positions must be one of sinusoidal, learned, none, got 'rotary'$/],
    [['lm', 'train', '--positions', 'learned', '--no-pos'], /^--no-pos means --positions none; it contradicts --positions learned$/],
    [['lm', 'train', '--preset', 'torch'], /^unknown --preset 'torch' \(valid: replica\)$/],
    [['lm', 'train', '--ff-activation', 'tanh'], /^--ff-activation must be one of gelu, relu, got 'tanh'$/],
    [['lm', 'train', '--bias-init', 'normal'], /^--bias-init must be one of zero, uniform, got 'normal'$/],
    [['lm', 'train', '--phi-eps', '2'], /^--phi-eps must be a number in \[0, 1\], got '2'$/],
    [['lm', 'train', '--weight-decay-on', 'none'], /^--weight-decay-on must be one of matrices, all, got 'none'$/],
    [['lm', 'train', '--model', 'softmax', '--phi-eps', '0'], /^lm train: --phi-eps is the ε of φ's sum normalisation; 'softmax' is softmax attention, which has no φ$/],
    [['lm', 'train', '--preset', 'replica', '--no-pos', '--positions', 'learned'], /^--no-pos means --positions none; it contradicts --positions learned$/],
    [['lm', 'train', '--block-size', '0'], /^--block-size must be an integer ≥ 1, got '0'$/],
    [['lm', 'train', '--model', 'softmax', '--block-size', '64'], /^lm train: --block-size runs fast weight attention in blocks recomputed in backward; 'softmax' is softmax attention$/],
    [['lm', 'train', '--model', 'performer', '--block-size', '64'], /^lm train: --block-size runs fast weight attention in blocks recomputed in backward; 'performer' draws new random features at every forward, so a block run again would see other ones$/],
    [['lm', 'compare', '--block-size', '64'], /^lm compare: --block-size is for lm train$/],
    [['lm', 'train', '--arch', 'fla', '--block-size', '64'], /^lm train --arch fla: --block-size has no counterpart: fla's DeltaNet runs its scan chunkwise$/],
    [['lm', 'train', '--arch', 'fla', '--preset', 'replica'], /^lm train --arch fla: --preset sets this project's own model's choices/],
    [['lm', 'train', '--arch', 'fla', '--ff-activation', 'relu'], /^lm train --arch fla: --ff-activation has no counterpart: fla's DeltaNet has a gated \(SwiGLU\) feed-forward$/],
    [['lm', 'train', '--arch', 'fla', '--weight-decay-on', 'all'], /^lm train --arch fla: --weight-decay-on is not offered for fla models$/],
    [['mt', 'train', '--model', 'delta', '--dim', '4096', '--enc-layers', '64'], /^mt train: training would need about/],
    [['lm', 'eval', '--checkpoint', '/nonexistent'], /^lm eval: cannot load checkpoint: loadCheckpoint: checkpoint directory \/nonexistent does not exist$/],
  ];
  for (const [argv, message] of cases) {
    it(argv.join(' '), async () => {
      const r = await run(main, argv);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')).toHaveLength(1);
      expect(r.stderr.replace(/^fastweights: /, '')).toMatch(message);
      expect(r.stderr).not.toMatch(/fastweights: fastweights/);
    });
  }

  const badEnvironment: [string, string, string][] = [
    ['FASTWEIGHTS_THREADS', 'zero', "FASTWEIGHTS_THREADS must be an integer from 1 to 64, got 'zero'"],
    ['FASTWEIGHTS_RELAXED_SIMD', 'on', "FASTWEIGHTS_RELAXED_SIMD must be 0 or 1, got 'on'"],
    ['FASTWEIGHTS_SCRATCH', 'banana', "FASTWEIGHTS_SCRATCH must be 0 or 1, got 'banana'"],
    ['FASTWEIGHTS_SCRATCH_POISON', '2', "FASTWEIGHTS_SCRATCH_POISON must be 0 or 1, got '2'"],
    ['FASTWEIGHTS_DEBUG_CHECKS', 'yes', "FASTWEIGHTS_DEBUG_CHECKS must be 0 or 1, got 'yes'"],
    ['FASTWEIGHTS_DEBUG', 'verbose', "FASTWEIGHTS_DEBUG must be 0 or 1, got 'verbose'"],
    ['FASTWEIGHTS_BACKEND', 'cuda', "FASTWEIGHTS_BACKEND: unknown kernel backend 'cuda' (valid: wasm, js, gpu, reference)"],
  ];
  for (const [name, value, message] of badEnvironment) {
    it(`a bad ${name}, before the corpus is read`, async () => {
      vi.stubEnv(name, value);
      try {
        const r = await run(main, ['lm', 'train', '--steps', '1', '--out', join(dir, 'never')]);
        expect(r.code).toBe(2);
        expect(r.stderr).toBe(`fastweights: ${message}`);
        expect(existsSync(join(dir, 'never'))).toBe(false);
      } finally {
        vi.unstubAllEnvs();
      }
    });
  }

  it('lm generate refuses a length that would take hours, with the estimate', async () => {
    await expect(run(runLm, ['generate', '--checkpoint', join(dir, 'custom'), '--prompt', 'Die', '--tokens', '100000000'])).rejects.toThrow(
      /--tokens 100000000 would take about [\d.]+ hours with this model; at most about \d+ tokens fit in 30 minutes/,
    );
    const ok = await run(runLm, ['generate', '--checkpoint', join(dir, 'custom'), '--prompt', 'Die', '--tokens', '5']);
    expect(ok.stdout.startsWith('Die')).toBe(true);
  });
});

describe('the stop policy', () => {
  it('a first Ctrl-C stops after the step; a second signal, SIGTERM or SIGHUP make it urgent; the exit code names the first', () => {
    const ctrlC = new StopState();
    expect(ctrlC.receive('SIGINT')).toMatch(/saving a checkpoint after this step \(Ctrl-C again to skip the final evaluation\)/);
    expect([ctrlC.requested, ctrlC.urgent, ctrlC.exitCode]).toEqual([true, false, 130]);
    expect(ctrlC.receive('SIGINT')).toMatch(/interrupted again: saving a checkpoint after this step, then exiting/);
    expect(ctrlC.urgent).toBe(true);
    const term = new StopState();
    term.receive('SIGTERM');
    expect([term.urgent, term.exitCode]).toEqual([true, 143]);
    const hup = new StopState();
    hup.receive('SIGHUP');
    expect([hup.urgent, hup.exitCode]).toEqual([true, 129]);
  });

  for (const signals of [['SIGINT', 'SIGINT'], ['SIGTERM'], ['SIGHUP']] as const) {
    it(`${signals.join(' + ')} during training: a checkpoint of the last finished step, then exit ${signals[0] === 'SIGINT' ? 130 : signals[0] === 'SIGTERM' ? 143 : 129}`, async () => {
      const out = join(dir, `signal-${signals.join('-')}`);
      const running = run(runLm, ['train', '--corpus', corpus, '--out', out, '--steps', '100000', ...TINY]);
      // Delivered like real signals: to the process's listeners, between two steps.
      const timer = setInterval(() => {
        if (existsSync(join(out, 'checkpoint.json')) || Date.now() - started > 2000) {
          clearInterval(timer);
          for (const s of signals) process.emit(s);
        }
      }, 20);
      const started = Date.now();
      const r = await running;
      expect(r.code).toBe(signals[0] === 'SIGINT' ? 130 : signals[0] === 'SIGTERM' ? 143 : 129);
      const step = Number(/stopped at step ([\d,]+): (interrupted \(Ctrl-C\)|stopped by SIGTERM|the terminal closed \(SIGHUP\))/.exec(r.stderr)?.[1]?.replaceAll(',', ''));
      expect(step).toBeLessThan(100000);
      expect(loadCheckpoint(out).state).toMatchObject({ step });
      expect(r.stdout).toBe(''); // urgent: no final evaluation or sample
    });
  }

  it('the prompt of the end-of-run sample comes from the corpus', () => {
    expect(samplePrompt('  Call me Ishmael. Some years ago, never mind')).toBe('Call me Ishmael. Some years');
    expect(samplePrompt('')).toBe('The');
  });
});


/**
 * `fastweights mt compare`: equal-step runs of several self-attentions over seeds, scored by valid
 * loss and test BLEU; reruns skip finished runs, resume half-finished ones exactly, and refuse
 * results of other settings.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mtCompareSettings } from '../../../src/tasks/mt/cli.js';
import { run } from './runMt.js';
import { loadCheckpoint } from '../../../src/io/checkpoint.js';
import { compareTranslationModels, markdownTable, type MtCompareRow } from '../../../src/tasks/mt/compare.js';

const TINY = ['--train-pairs', '40', '--vocab', '300', '--dim', '8', '--heads', '2', '--enc-layers', '1', '--dec-layers', '1', '--ff', '8', '--max-tokens', '200', '--eval-every', '100', '--bleu-every', '0', '--seed', '5', '--test-limit', '3'];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fastweights-mt-compare-'));
  // The lookup baseline's matches are cached; keep them out of the user's cache directory.
  vi.stubEnv('FASTWEIGHTS_CACHE_DIR', join(dir, 'cache'));
});
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

describe('mt compare', () => {
  const args = (out: string) => ['compare', '--models', 'linear,delta', '--out', out, '--steps', '2', ...TINY];

  it('trains each model per seed, reports mean ± sd of test BLEU, and a rerun with more seeds trains only the new seed', async () => {
    const out = join(dir, 'seeds');
    const r = await run([...args(out), '--seeds', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Mean ± sample standard deviation over the seeds listed/);
    expect(r.stdout).toMatch(/^\| model \| seeds \| parameters \| steps \| train time \(s\) \| final train loss \| valid loss \| test BLEU \|$/m);
    expect(r.stdout).toMatch(/^\| linear \| 5, 6 \| \d+ \| 2 \| \d+ ± \d+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \|$/m);
    // The lookup baseline on the same 3 test pairs closes the table; the novel subset's size follows.
    expect(r.stdout).toMatch(/^\| delta \| .*\n\| lookup baseline \(no model\) \| – \| 0 \| – \| – \| – \| – \| \d+\.\d\d \|\n\n(novel subset: \d of 3 test pairs, lookup baseline BLEU \d+\.\d\d there|no novel pair)/m);
    const rows = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as MtCompareRow[];
    // Seeds outside, models inside: the first seed of every model comes first.
    expect(rows.map((x) => `${x.model}/${x.seed}`)).toEqual(['linear/5', 'delta/5', 'linear/6', 'delta/6']);
    expect(rows.map((x) => x.dir)).toEqual(['linear-seed5', 'delta-seed5', 'linear-seed6', 'delta-seed6']);
    for (const row of rows) {
      expect(row).toMatchObject({ steps: 2, testSentences: 3 });
      expect(row.validLoss).toBeGreaterThan(0);
      expect(row.testBleu).toBeGreaterThanOrEqual(0);
      // The test translations are kept beside each checkpoint, one line per pair.
      expect(readFileSync(join(out, row.dir, 'hyp-test-beam1.de'), 'utf8').split('\n')).toHaveLength(4);
    }
    // Different seeds are different runs (initialisation and batch order).
    expect(rows[0]!.validLoss).not.toBe(rows[2]!.validLoss);
    expect(readFileSync(join(out, 'results.csv'), 'utf8').split('\n')[0]).toBe('model,seed,dir,parameters,steps,trainSeconds,finalTrainLoss,validLoss,testBleu,testSentences');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary[0]).toMatchObject({ model: 'linear', seeds: [5, 6], validLoss: { n: 2, mean: (rows[0]!.validLoss + rows[2]!.validLoss) / 2 } });
    expect(summary[0].validLoss.sd).toBeCloseTo(Math.abs(rows[0]!.validLoss - rows[2]!.validLoss) / Math.SQRT2, 9);
    expect(existsSync(join(out, 'loss-curves.svg'))).toBe(true);

    const more = await run([...args(out), '--seeds', '3', '--json']);
    expect(more.stderr).toMatch(/linear seed 5: already done with these settings, skipped/);
    expect(more.stderr).toMatch(/delta seed 6: already done with these settings, skipped/);
    expect(more.stderr).not.toMatch(/linear seed 7: already done/);
    const all = JSON.parse(more.stdout) as MtCompareRow[];
    expect(all.map((x) => `${x.model}/${x.seed}`)).toEqual(['linear/5', 'delta/5', 'linear/6', 'delta/6', 'linear/7', 'delta/7']);
    expect(all.slice(0, 4)).toEqual(rows);
  });

  it('an interrupted comparison resumes the half-trained run exactly, and refuses results of other settings', async () => {
    const straight = join(dir, 'straight');
    expect((await run(['compare', '--models', 'delta', '--out', straight, '--steps', '3', ...TINY])).code).toBe(0);
    // mt train keeps snapshots by default; a comparison does not (its settings match runs made before snapshots).
    expect((loadCheckpoint(join(straight, 'delta-seed5')).config as { training: object }).training).not.toHaveProperty('snapshotEvery');

    // The same comparison stopped after one step (as Ctrl-C stops it), then run again.
    const values = { steps: '3', 'train-pairs': '40', vocab: '300', dim: '8', heads: '2', 'enc-layers': '1', 'dec-layers': '1', ff: '8', 'max-tokens': '200', 'eval-every': '100', 'bleu-every': '0', seed: '5' };
    const { model, training } = mtCompareSettings(values, 'delta');
    const out = join(dir, 'interrupted');
    let polls = 0;
    const base = { models: ['delta'], out, base: { model, training }, decoding: { beamSize: 1, lengthPenalty: 0.6, maxLength: 128, testLimit: 3 }, log: () => {} };
    const stopped = await compareTranslationModels({ ...base, shouldStop: () => ++polls > 1 });
    expect(stopped).toEqual([]);
    const lines: string[] = [];
    const resumed = await compareTranslationModels({ ...base, log: (line) => lines.push(line) });
    expect(lines).toContain(`delta: resuming in ${join(out, 'delta-seed5')}`);
    const expected = JSON.parse(readFileSync(join(straight, 'results.json'), 'utf8')) as MtCompareRow[];
    const strip = (r: MtCompareRow) => ({ ...r, trainSeconds: 0 });
    expect(resumed.map(strip)).toEqual(expected.map(strip));

    const again = ['compare', '--models', 'delta', '--out', straight, ...TINY];
    await expect(run([...again, '--steps', '4'])).rejects.toThrow(/^mt compare: .* holds results of 'delta' computed with other settings \(training\.steps 3 → 4\); pass --overwrite/);
    await expect(run([...again, '--steps', '3', '--beam', '2'])).rejects.toThrow(/\(decoding\.beamSize 1 → 2\)/);
    const replaced = await run([...again, '--steps', '4', '--overwrite', '--json']);
    expect(JSON.parse(replaced.stdout)[0]).toMatchObject({ model: 'delta', steps: 4 });
  });

  it('one seed prints each run on its own line without ±', () => {
    const row: MtCompareRow = { model: 'softmax', seed: 1, dir: 'softmax-seed1', parameters: 10, steps: 2, trainSeconds: 3, finalTrainLoss: 4, validLoss: 5, testBleu: 6, testSentences: 7 };
    const table = markdownTable([row]);
    expect(table).toBe('| model | seeds | parameters | steps | train time (s) | final train loss | valid loss | test BLEU |\n|---|---|---|---|---|---|---|---|\n| softmax | 1 | 10 | 2 | 3 | 4.000 | 5.000 | 6.00 |\n');
  });
});

describe('mt compare refuses, before any work, in one clear line', () => {
  const cases: [string[], RegExp][] = [
    [['compare', '--minutes', '5'], /^mt compare: give the budget as --steps N/],
    [['compare', '--model', 'delta'], /^mt compare: use --models a,b,c/],
    [['compare', '--resume'], /^mt compare: use --models a,b,c/],
    [['compare', '--models', ','], /^mt compare: --models ',' names no model/],
    [['compare', '--models', 'delta,delta'], /^mt compare: --models 'delta,delta' names a model twice/],
    [['compare', '--models', 'delta,nope'], /^mt compare: unknown model 'nope' \(valid: softmax, linear/],
    [['compare', '--seeds', '0'], /^--seeds must be an integer ≥ 1, got '0'$/],
    [['compare', '--beam', '0'], /^--beam must be an integer ≥ 1, got '0'$/],
    [['train', '--model', 'delta', '--models', 'delta'], /^mt train: --models is for 'mt compare'/],
    [['train', '--model', 'delta', '--seeds', '2'], /^mt train: --seeds is for 'mt compare'/],
    [['train', '--model', 'delta', '--beam', '2'], /^mt train: --beam is for 'mt eval', 'mt translate' and 'mt compare'/],
    [['train', '--model', 'delta', '--test-limit', '2'], /^mt train: --test-limit is for 'mt compare' \(mt eval takes --limit\)$/],
  ];
  it.each(cases)('%j', async (args, message) => {
    await expect(run([...args, '--out', join(dir, 'never')])).rejects.toThrow(message);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRetrieval } from '../../../src/tasks/retrieval/cli.js';

let out = '';
let err = '';
let dir = '';

beforeEach(() => {
  out = '';
  err = '';
  dir = mkdtempSync(join(tmpdir(), 'fw-retrieval-'));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const tiny = ['--setting', '2', '--models', 'linear,delta', '--keys', '3', '--d-key', '4', '--max-steps', '20', '--eval-every', '10', '--eval-size', '8', '--progress', 'silent'];

describe('fastweights retrieval', () => {
  it('prints help', async () => {
    expect(await runRetrieval(['--help'])).toBe(0);
    expect(out).toMatch(/usage: fastweights retrieval/);
    expect(out).toMatch(/--preset/);
  });

  it("the help's time for the quick preset is the one docs/experiments.md measured, not a guess", async () => {
    expect(await runRetrieval(['--help'])).toBe(0);
    const docs = readFileSync(join(import.meta.dirname, '../../../docs/experiments.md'), 'utf8');
    const measured = /\*\*Wall time: \d+ s \((\d+) min\) for the 32 runs\*\* with `--jobs 2`/.exec(docs);
    expect(measured).not.toBeNull();
    expect(out.replace(/\s+/g, ' ')).toMatch(new RegExp(`quick: .*\\(32 runs; how long depends on the machine and its load, --jobs, and how many runs stop early: \\d+ and ${measured![1]} minutes were measured on 2 cores\\)`));
    expect(out).not.toMatch(/~\s*\d+ min/);
  });

  it.each([
    [['--out', 'x', '--bogus', '1'], /unknown option --bogus/],
    [['--out', 'x', '--keys', '20:600:0'], /--keys: '20:600:0' has step 0/],
    [['--out', 'x', '--keys', '20-600'], /not a positive integer/],
    [['--out', 'x', '--models', 'linear,transformer'], /unknown model 'transformer' \(valid: softmax, linear/],
    [['--out', 'x', '--setting', '3'], /--setting: expected 1 or 2/],
    [['--out', 'x', '--preset', 'huge'], /unknown preset 'huge' \(valid: paper, quick\)/],
    [['--out', 'x', '--lr', '-1'], /--lr: expected a positive number/],
    [['--out', 'x', '--d-key'], /--d-key needs a value/],
    [['--keys', '4'], /--out DIR is required/],
    [['--out', 'x', 'stray'], /unexpected argument 'stray'/],
    [['--out', 'x', '--seed', '1', '--seed', '2'], /--seed given twice/],
    [['--out', 'x', '--seeds', '0'], /^fastweights retrieval: --seeds: expected an integer ≥ 1, got '0'\n$/],
    [['--out', 'x', '--seeds', '-2'], /^fastweights retrieval: --seeds: expected an integer ≥ 1, got '-2'\n$/],
    [['--out', 'x', '--seeds', 'many'], /^fastweights retrieval: --seeds: expected an integer ≥ 1, got 'many'\n$/],
    [['--out', 'x', '--seeds', '1000000'], /^fastweights retrieval: --seeds: at most 100, got '1000000'\n$/],
    [['--out', 'x', '--seed', '9007199254740991', '--seeds', '2'], /--seeds: --seed 9007199254740991 with 2 seeds runs past the largest safe integer/],
  ])('rejects %j with a clear message and exit code 2', async (argv, message) => {
    expect(await runRetrieval(argv)).toBe(2);
    expect(err).toMatch(message);
  });

  it('runs a tiny plan, writes results as files, refuses to overwrite them, and resumes', async () => {
    expect(await runRetrieval([...tiny, '--out', dir])).toBe(0);
    expect(out).toMatch(/setting 2: final evaluation loss/);
    expect(out).toMatch(/^linear\s+4\s+4\s+\d/m);
    expect(readdirSync(dir).sort()).toEqual(['cells.csv', 'curves.csv', 'results.csv', 'results.json', 'setting2-curves.svg']);
    const csv = readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('setting,model,S,d_key,d_dot,d_emb,final_loss,best_loss,steps,stop,seconds,seed,capped');
    expect(csv).toHaveLength(3);
    expect(readFileSync(join(dir, 'setting2-curves.svg'), 'utf8')).toMatch(/<svg[\s\S]*>delta<[\s\S]*<\/svg>\s*$/);
    const first = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));

    expect(await runRetrieval([...tiny, '--out', dir])).toBe(2);
    expect(err).toMatch(/already holds 2 run\(s\); pass --resume/);

    // Resuming with one more model trains only that one and keeps the finished runs as they were.
    out = '';
    expect(await runRetrieval([...tiny.map((a) => (a === 'linear,delta' ? 'linear,delta,softmax' : a)), '--out', dir, '--resume', '--json'])).toBe(0);
    const doc = JSON.parse(out);
    expect(doc.runs.map((r: { name: string }) => r.name)).toEqual(['linear', 'delta', 'softmax']);
    const saved = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(saved.runs).toHaveLength(3);
    expect(saved.runs.slice(0, 2)).toEqual(first.runs);
  });

  it('--seeds 2 runs each cell twice and reports mean ± sd and k/N; more seeds on --resume trains only the new seed', async () => {
    const one = ['--setting', '2', '--models', 'linear', '--keys', '3', '--d-key', '4', '--max-steps', '20', '--eval-every', '10', '--eval-size', '8', '--progress', 'silent', '--seed', '4'];
    expect(await runRetrieval([...one, '--seeds', '2', '--out', dir])).toBe(0);
    expect(out).toMatch(/^setting 2: final evaluation loss, mean ± sample sd over 2 seeds \(k\/N = seeds that reached the target loss/m);
    expect(out).toMatch(/^linear\s+4\s+4\s+\S+ ± \S+ [0-2]\/2\^?$/m);
    expect(out).toMatch(/^setting 2: largest S solved$/m);
    expect(out).toMatch(/cut by the step cap while still improving|no run of setting 2 was cut by the step cap/);
    const runs = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).runs as { config: { seed: number }; finalLoss: number }[];
    expect(runs.map((r) => r.config.seed)).toEqual([4, 5]);
    // Different seeds, different runs: the spread is over real repeats.
    expect(runs[0]!.finalLoss).not.toBe(runs[1]!.finalLoss);
    const cells = readFileSync(join(dir, 'cells.csv'), 'utf8').trim().split('\n');
    expect(cells).toHaveLength(2);
    expect(cells[1]).toMatch(/^2,linear,3,4,4,2,[0-2],/);

    out = '';
    expect(await runRetrieval([...one, '--seeds', '3', '--out', dir, '--resume', '--json'])).toBe(0);
    expect(err).toMatch(/resuming, 2 of 3 runs already done/);
    const doc = JSON.parse(out);
    expect(doc.runs.map((r: { config: { seed: number } }) => r.config.seed)).toEqual([4, 5, 6]);
    expect(doc.cells).toHaveLength(1);
    expect(doc.cells[0]).toMatchObject({ model: 'linear', S: 3, seeds: [4, 5, 6] });
    expect(doc.cells[0].finalLoss.n).toBe(3);
    const saved = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).runs;
    expect(saved.slice(0, 2)).toEqual(runs);
  });
});

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
  ])('rejects %j with a clear message and exit code 2', async (argv, message) => {
    expect(await runRetrieval(argv)).toBe(2);
    expect(err).toMatch(message);
  });

  it('runs a tiny plan, writes results as files, refuses to overwrite them, and resumes', async () => {
    expect(await runRetrieval([...tiny, '--out', dir])).toBe(0);
    expect(out).toMatch(/setting 2: final evaluation loss/);
    expect(out).toMatch(/^linear\s+4\s+4\s+\d/m);
    expect(readdirSync(dir).sort()).toEqual(['curves.csv', 'results.csv', 'results.json', 'setting2-curves.svg']);
    const csv = readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('setting,model,S,d_key,d_dot,d_emb,final_loss,best_loss,steps,stop,seconds,seed');
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
});

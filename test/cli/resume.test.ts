/**
 * What `lm train --resume` and `lm eval` keep from the checkpoint: its corpus file (by SHA-256, as mt
 * does), its settings for the final valid perplexity, and its warm-up (a --steps that ends inside it
 * is refused in one line). Refusals exit with code 2 and leave the checkpoint as it was.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/index.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint.js';
import { runMain } from './runMain.js';

let dir: string;
let corpus: string;
const words = ['Die', 'Katze', 'schläft', 'und', 'der', 'Hund', 'bellt', 'im', 'Garten', 'über', 'Straße'];
const text = (seed: number) => {
  const rng = new Rng(seed);
  return Array.from({ length: 300 }, () => Array.from({ length: 8 }, () => words[rng.int(words.length)]).join(' ') + '.').join('\n');
};
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-resume-'));
  corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, text(9));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TINY = ['--vocab', '270', '--dim', '8', '--heads', '2', '--layers', '1', '--context', '8', '--save-every', '100', '--eval-every', '100'];

/** Every file of a checkpoint directory, by name, as bytes (what a refusal must leave untouched). */
function files(out: string): Map<string, Buffer> {
  return new Map(readdirSync(out).sort().map((name) => [name, readFileSync(join(out, name))]));
}

describe('lm train --resume and lm eval', () => {
  it('the final valid perplexity of an interrupted, resumed run (with other CLI defaults) equals the uninterrupted one', async () => {
    const straight = await runMain(['lm', 'train', '--corpus', corpus, '--out', join(dir, 'straight'), '--steps', '4', '--batch', '3', ...TINY]);
    expect(straight.code).toBe(0);
    const out = join(dir, 'interrupted');
    // SIGTERM as the model is built: the run saves after its current step and exits with 128 + 15.
    const first = await runMain(['lm', 'train', '--corpus', corpus, '--out', out, '--steps', '4', '--batch', '3', ...TINY], (line) => {
      if (line.startsWith('model ')) process.emit('SIGTERM');
    });
    expect(first.code).toBe(143);
    expect(loadCheckpoint(out).state).toMatchObject({ step: expect.any(Number) });
    const savedStep = (loadCheckpoint(out).state as { step: number }).step;
    expect(savedStep).toBeLessThan(4);
    // The resume gives no --batch: the CLI default (8) must not reach the final evaluation.
    const resumed = await runMain(['lm', 'train', '--out', out, '--resume', '--steps', '4']);
    expect(resumed.code).toBe(0);
    const finalLine = (r: { stdout: string[] }) => r.stdout.find((l) => / valid perplexity /.test(l));
    expect(finalLine(straight)).toMatch(/^\s*delta: 4 steps in \d+ s, [\d,.]+ tokens\/s on this machine; valid perplexity [\d.]+ on the whole valid split/);
    const madeAfterResume = 4 - savedStep;
    expect(finalLine(resumed)).toMatch(new RegExp(`^\\s*delta: ${madeAfterResume} steps? in \\d+ s, [\\d,.]+ tokens/s on this machine${savedStep > 0 ? ' \\(step 4 with the runs it resumed\\)' : ''}; valid perplexity`));
    // The speed is each run's own; everything the model computed must be the same.
    const computed = (r: { stdout: string[] }) => r.stdout.map((l) => l.replace(/^(\s*delta: ).*?(; valid perplexity)/, '$1…$2'));
    expect(computed(resumed)).toEqual(computed(straight));
  });

  it('records the corpus file\'s SHA-256; a replaced file is refused by eval and --resume, the checkpoint kept', async () => {
    const file = join(dir, 'replaced.txt');
    writeFileSync(file, text(9));
    const out = join(dir, 'sha');
    expect((await runMain(['lm', 'train', '--corpus', file, '--out', out, '--steps', '2', '--batch', '2', ...TINY])).code).toBe(0);
    const config = loadCheckpoint(out).config as { training: { corpusSha256?: string } };
    expect(config.training.corpusSha256).toMatch(/^[0-9a-f]{64}$/);
    // The same bytes: both work.
    expect((await runMain(['lm', 'eval', '--checkpoint', out, '--max-tokens', '20'])).code).toBe(0);
    writeFileSync(file, text(10));
    const before = files(out);
    const message = new RegExp(`corpus file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has changed since the checkpoint was written \\(SHA-256 ${config.training.corpusSha256!.slice(0, 12)}… then, [0-9a-f]{12}… now\\); put back the file the model was trained on$`);
    const evaluated = await runMain(['lm', 'eval', '--checkpoint', out]);
    expect(evaluated.code).toBe(2);
    expect(evaluated.stderr).toEqual([expect.stringMatching(new RegExp(`^fastweights: lm eval: ${message.source}`))]);
    const resumed = await runMain(['lm', 'train', '--out', out, '--resume', '--steps', '4']);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr.filter((l) => !l.startsWith('resuming '))).toEqual([expect.stringMatching(new RegExp(`^fastweights: lm train --resume: ${message.source}`))]);
    expect(files(out)).toEqual(before);
  });

  it('a checkpoint written before the SHA-256 was recorded keeps loading', async () => {
    const out = join(dir, 'older');
    expect((await runMain(['lm', 'train', '--corpus', corpus, '--out', out, '--steps', '2', '--batch', '2', ...TINY])).code).toBe(0);
    const c = loadCheckpoint(out);
    const config = c.config as { training: Record<string, unknown> };
    delete config.training.corpusSha256;
    saveCheckpoint(out, { weights: c.weights, optimizer: c.optimizer, config, tokenizer: c.tokenizer, state: c.state });
    expect((await runMain(['lm', 'eval', '--checkpoint', out, '--max-tokens', '20'])).code).toBe(0);
    expect((await runMain(['lm', 'train', '--out', out, '--resume', '--steps', '3'])).code).toBe(0);
  });

  it('--resume --steps that ends inside the checkpoint\'s warm-up is refused in one line, the checkpoint kept', async () => {
    const out = join(dir, 'warmup');
    expect((await runMain(['lm', 'train', '--corpus', corpus, '--out', out, '--steps', '2', '--warmup', '2', '--batch', '2', ...TINY])).code).toBe(0);
    const config = loadCheckpoint(out).config as { training: { warmupSteps: number } };
    expect(config.training.warmupSteps).toBe(2);
    const before = files(out);
    const r = await runMain(['lm', 'train', '--out', out, '--resume', '--steps', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr.filter((l) => !l.startsWith('resuming '))).toEqual([
      "fastweights: lm train --resume: --steps 1 ends before the end of the checkpoint's warm-up (2 steps; --steps counts from step 0, and the checkpoint is at step 2); give --steps 3 or more, or --minutes",
    ]);
    expect(files(out)).toEqual(before);
  });

  it('a fresh --warmup longer than --steps is refused before any work', async () => {
    const out = join(dir, 'never');
    const r = await runMain(['lm', 'train', '--corpus', corpus, '--out', out, '--steps', '5', '--warmup', '100']);
    expect(r).toMatchObject({ code: 2, stderr: ['fastweights: --warmup 100 is longer than --steps 5; give --warmup 5 or less (or more --steps)'] });
    expect(readdirSync(dir)).not.toContain('never');
  });
});

/**
 * Generation from a pretrained fla DeltaNet directory: greedy decoding reproduces the reference
 * script's continuation whatever the prefill chunk, eos stops it, top-p keeps only the nucleus, and
 * `fastweights lm generate --checkpoint DIR --prompt-ids …` streams the ids. Perplexity read in
 * segments equals the reference's; a loaded model fine-tunes with AdamW.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadHfDeltaNet } from '../../../src/io/huggingFace.js';
import { evaluatePretrained, generatePretrained, sampleTopP } from '../../../src/tasks/lm/pretrained.js';
import { AdamW } from '../../../src/train/optim.js';
import { crossEntropy } from '../../../src/ops/index.js';
import { sample } from '../../../src/tasks/lm/generate.js';
import { runLm } from '../../../src/tasks/lm/cli.js';
import { Rng } from '../../../src/index.js';

const FIXTURES = new URL('../../fixtures/fla/', import.meta.url).pathname;
const expectedOf = (name: string) =>
  JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8')) as { input_ids: number[]; logits: number[][]; greedy: { prompt: number[]; new_tokens: number[] } };

describe('generation from a pretrained fla DeltaNet', () => {
  it('greedy continuations equal the reference, for any prefill chunk size', () => {
    for (const name of ['default', 'gate', 'paper']) {
      const { model } = loadHfDeltaNet(join(FIXTURES, name));
      const { prompt, new_tokens: want } = expectedOf(name).greedy;
      for (const chunk of [1, 2, 256]) {
        expect([...generatePretrained(model, prompt, { tokens: want.length, temperature: 0, rng: new Rng(0), chunk })], `${name}, chunk ${chunk}`).toEqual(want);
      }
    }
  });

  it('stops after a stop token, and refuses a prompt id outside the vocabulary', () => {
    const { model } = loadHfDeltaNet(join(FIXTURES, 'default'));
    const { prompt, new_tokens: want } = expectedOf('default').greedy;
    const stopAt = want[3]!;
    const got = [...generatePretrained(model, prompt, { tokens: want.length, temperature: 0, rng: new Rng(0), stopTokens: [stopAt] })];
    expect(got).toEqual(want.slice(0, want.indexOf(stopAt) + 1));
    expect(() => [...generatePretrained(model, [1, 256], { tokens: 1, rng: new Rng(0) })]).toThrow('generate: prompt token 1 is 256, outside the vocabulary [0, 256)');
  });

  it('top-p draws only from the nucleus; p = 1 is plain sampling', () => {
    const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.2)];
    const draws = (p: number) => {
      const rng = new Rng(4);
      return new Set(Array.from({ length: 300 }, () => sampleTopP(logits, 1, 0, p, rng)));
    };
    expect(draws(0.5)).toEqual(new Set([0]));
    expect(draws(0.75)).toEqual(new Set([0, 1]));
    expect(draws(0.95)).toEqual(new Set([0, 1, 2]));
    const a = new Rng(7), b = new Rng(7);
    for (let i = 0; i < 50; i++) expect(sampleTopP(logits, 0.9, 2, 1, a)).toBe(sample(logits, 0.9, 2, b));
  });

  it('fastweights lm generate --checkpoint DIR --prompt-ids streams the ids and reports the speed', async () => {
    const { prompt, new_tokens: want } = expectedOf('sharded').greedy;
    const written: string[] = [];
    const errors: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const error = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void errors.push(parts.join(' ')));
    try {
      const code = await runLm(['generate', '--checkpoint', join(FIXTURES, 'sharded'), '--prompt-ids', prompt.join(','), '--tokens', String(want.length), '--temperature', '0']);
      expect(code).toBe(0);
    } finally {
      write.mockRestore();
      error.mockRestore();
    }
    expect(written.length).toBe(want.length + 1); // one write per id, then the newline
    expect(written.join('')).toBe(`${want.join(' ')}\n`);
    expect(errors.join('\n')).toMatch(/^loaded in [\d.]+ s; prompt of 3 tokens in [\d.]+ s; 12 tokens generated, [\d.]+ tokens\/s decoding$/);
    await expect(runLm(['generate', '--checkpoint', join(FIXTURES, 'default'), '--prompt', 'hello'])).rejects.toThrow(/is a Hugging Face model directory; give the prompt as token ids with --prompt-ids 1,2,3/);
    await expect(runLm(['generate', '--checkpoint', join(FIXTURES, 'default'), '--prompt-ids', '1,x'])).rejects.toThrow("lm generate: --prompt-ids: 'x' is not a token id");
  });
});

describe('evaluating and fine-tuning a pretrained fla DeltaNet', () => {
  it("perplexity in segments of any size equals the one from the reference's logits", () => {
    for (const name of ['default', 'paper']) {
      const { input_ids: ids, logits } = expectedOf(name);
      // Cross-entropy of each reference row against the next id, in float64.
      let want = 0;
      for (let t = 0; t + 1 < ids.length; t++) {
        const row = logits[t]!;
        const top = Math.max(...row);
        want += top + Math.log(row.reduce((a, v) => a + Math.exp(v - top), 0)) - row[ids[t + 1]!]!;
      }
      want /= ids.length - 1;
      const { model } = loadHfDeltaNet(join(FIXTURES, name));
      for (const segment of [1, 5, 512]) {
        const r = evaluatePretrained(model, ids, { segment });
        expect(r.tokens).toBe(ids.length - 1);
        expect(Math.abs(r.loss - want) / want, `${name}, segment ${segment}`).toBeLessThan(1e-5);
        expect(r.perplexity).toBeCloseTo(Math.exp(r.loss), 10);
      }
    }
  });

  it('fine-tunes with AdamW: 15 steps on a text halve its loss', () => {
    const { model } = loadHfDeltaNet(join(FIXTURES, 'gate'));
    const text = [5, 9, 14, 200, 31, 7, 99, 5, 9, 14, 200, 31];
    const before = evaluatePretrained(model, text).loss;
    const optimizer = new AdamW(model.namedParameters(), { lr: 1e-2, weightDecay: 0 });
    for (let step = 0; step < 15; step++) {
      optimizer.zeroGrad();
      const { logits } = model.forward(text.slice(0, -1), 1, text.length - 1);
      crossEntropy(logits, text.slice(1)).backward();
      optimizer.step();
    }
    const after = evaluatePretrained(model, text).loss;
    expect(after).toBeLessThan(before / 2);
  });
});

/**
 * Generation from a pretrained fla DeltaNet directory: greedy decoding reproduces the reference
 * script's continuation whatever the prefill chunk, eos stops it, top-p keeps only the nucleus, and
 * `fastweights lm generate --checkpoint DIR --prompt-ids …` streams the ids.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadHfDeltaNet } from '../../../src/io/huggingFace.js';
import { generatePretrained, sampleTopP } from '../../../src/tasks/lm/pretrained.js';
import { sample } from '../../../src/tasks/lm/generate.js';
import { runLm } from '../../../src/tasks/lm/cli.js';
import { Rng } from '../../../src/index.js';

const FIXTURES = new URL('../../fixtures/fla/', import.meta.url).pathname;
const expectedOf = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8')) as { greedy: { prompt: number[]; new_tokens: number[] } };

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

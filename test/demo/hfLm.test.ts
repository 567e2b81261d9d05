/**
 * The demo's loader for Hugging Face DeltaNet directories (demo/hfLm.ts), in Node (the browser suite
 * runs it in the page): on the committed fixture it generates the reference greedy continuation from
 * a prompt of token ids, and a prompt that is not token ids of the vocabulary is refused by a clear line.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHfPanelModel, parsePromptIds } from '../../demo/hfLm.js';

const DIR = new URL('../fixtures/fla/default/', import.meta.url).pathname;

describe("the demo's fla DeltaNet panel model", () => {
  it('generates the fixture\'s reference greedy continuation from token ids, and says what the model is', () => {
    const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as { greedy: { prompt: number[]; new_tokens: number[] } };
    const files = new Map(readdirSync(DIR).map((name) => [name, new Uint8Array(readFileSync(join(DIR, name)))]));
    const model = loadHfPanelModel(files);
    expect(model.summary).toMatch(/^fla DeltaNet: 2 layers, hidden 32, 2 heads, vocabulary 256, [\d,]+ parameters \(F32 weights\)\. Recurrent state: [\d,]+ numbers of fast weights and convolution caches, the same size after any number of tokens\. No tokenizer\.json/);
    expect(model.promptHint).toMatch(/token ids/);
    const pieces: string[] = [];
    const stream = model.generate({ prompt: expected.greedy.prompt.join(', '), tokens: expected.greedy.new_tokens.length, temperature: 0, seed: 1 });
    for (let next = stream.next(); !next.done; next = stream.next()) pieces.push(next.value);
    expect(pieces.join('')).toBe(`${expected.greedy.prompt.join(' ')} | ${expected.greedy.new_tokens.join(' ')}`);
  });

  it('reads token ids separated by commas or spaces, and refuses anything else', () => {
    expect(parsePromptIds(' 1, 42 7,0 ', 256)).toEqual([1, 42, 7, 0]);
    expect(() => parsePromptIds('', 256)).toThrow(/^the prompt needs at least one token id \(this directory has no tokenizer\.json\)$/);
    expect(() => parsePromptIds('1, 256', 256)).toThrow(/^'256' is not a token id of the vocabulary \[0, 256\)/);
    expect(() => parsePromptIds('hello', 256)).toThrow(/^'hello' is not a token id/);
    expect(() => parsePromptIds('-1', 256)).toThrow(/^'-1' is not a token id/);
  });
});

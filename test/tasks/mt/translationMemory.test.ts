/** The translation memory: the nearest other training pair's German after the English, in training, evaluation and translation. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { englishFeatures, englishSimilarity, lookupMatches } from '../../../src/tasks/mt/lookupBaseline.js';
import { MEMORY_SEPARATOR_ID, memorySource } from '../../../src/tasks/mt/translationMemory.js';
import { checkpointSourceEncoder, loadTranslationModel, prepareMtData } from '../../../src/tasks/mt/training.js';
import { loadEnDePairs, resolveMtCorpus, splitEnDe } from '../../../src/tasks/mt/ende.js';
import { BOS_ID } from '../../../src/data/bpe.js';
import { TranslationModel, paddingMask, sourcePositions } from '../../../src/tasks/mt/model.js';
import { sinusoidalPositions } from '../../../src/nn/positions.js';
import * as ops from '../../../src/ops/index.js';
import { loadCheckpoint, saveCheckpoint } from '../../../src/io/checkpoint.js';
import { run } from './runMt.js';

let dir: string;
let corpus: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fastweights-memory-'));
  vi.stubEnv('FASTWEIGHTS_CACHE_DIR', join(dir, 'cache'));
  // Pairs that come in near-twins (number i and i + 100 share every word but the number).
  corpus = join(dir, 'pairs.tsv');
  const lines: string[] = [];
  for (let i = 0; i < 120; i++) lines.push(`Click the button number ${i % 40} to open dialog ${i}.\tKlicken Sie auf Schaltfläche ${i % 40}, um Dialog ${i} zu öffnen.`);
  writeFileSync(corpus, lines.join('\n') + '\n');
});
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

describe('memorySource', () => {
  it('puts the separator between the English and the memory, and cuts the memory', () => {
    expect(MEMORY_SEPARATOR_ID).toBe(BOS_ID);
    expect(memorySource([7, 8], [20, 21, 22], 2)).toEqual([7, 8, BOS_ID, 20, 21]);
    expect(memorySource([7], [], 5)).toEqual([7, BOS_ID]);
  });
});

describe('sourcePositions', () => {
  it('restarts at 0 after the separator in each row that has one; null when no row has one', () => {
    const S = MEMORY_SEPARATOR_ID;
    expect(Array.from(sourcePositions([5, 6, S, 7, 8, 2, 5, S, 7, 2, 0, 0], 2, 6)!)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 0, 1, 2, 3]);
    expect(Array.from(sourcePositions([5, S, 7, S, 9, 5, 6, 7, 2, 0], 2, 5)!)).toEqual([0, 1, 0, 1, 2, 0, 1, 2, 3, 4]);
    expect(sourcePositions([5, 6, 2, 0], 2, 2)).toBeNull();
  });

  it('gives the memory the position codes the decoder gives its inputs', () => {
    const model = new TranslationModel({ vocabSize: 20, attention: 'softmax', dModel: 8, encoderLayers: 1, decoderLayers: 1, heads: 2, ffHidden: 8, dropout: 0, seed: 3 });
    model.eval();
    // English [5, 6], separator, memory [7, 8], <eos>: the memory's encoding equals an encoding in which it sits at positions 0 and 1.
    const withMemory = model.encode([5, 6, MEMORY_SEPARATOR_ID, 7, 8, 2], 1, 6).memory;
    const positions = [0, 1, 2, 0, 1, 2];
    const x = ops.add(model.embedding.forward([5, 6, MEMORY_SEPARATOR_ID, 7, 8, 2], [1, 6]), ops.embedding(sinusoidalPositions(6, 8), positions, [1, 6]));
    let h = x;
    for (const block of model.encoderBlocks) h = block.forward(h, { selfKeyMask: paddingMask([5, 6, MEMORY_SEPARATOR_ID, 7, 8, 2], 1, 6) }).output;
    expect(Array.from(withMemory.data)).toEqual(Array.from(model.encoderNorm.forward(h).data));
  });
});

describe('lookupMatches, leave-one-out', () => {
  it("gives each training pair its most similar OTHER pair, as a brute-force search does", () => {
    const word = fc.constantFrom('a', 'b', 'c', '.', 'ok');
    const sentence = fc.array(word, { minLength: 0, maxLength: 5 }).map((w) => w.join(' '));
    fc.assert(
      fc.property(fc.array(sentence, { minLength: 1, maxLength: 10 }), (english) => {
        const train = english.map((en, i) => ({ en, de: `de${i}` }));
        const matches = lookupMatches(train, english, { leaveOneOut: true });
        english.forEach((q, i) => {
          const sims = train.map((p, j) => (j === i || englishFeatures(q).length === 0 || englishFeatures(p.en).length === 0 ? -1 : englishSimilarity(q, p.en)));
          const best = Math.max(...sims);
          expect(matches[i]!.index).not.toBe(i);
          expect(matches[i]!.index).toBe(best > 0 ? sims.indexOf(best) : -1);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('refuses queries that are not the training pairs', () => {
    expect(() => lookupMatches([{ en: 'a', de: 'b' }], ['a', 'b'], { leaveOneOut: true })).toThrow(/one query per training pair/);
  });
});

describe('prepareMtData with --memory nearest', () => {
  it("reads the nearest other training pair's German in training, the nearest training pair's in evaluation", () => {
    const training = { corpus: resolveMtCorpus(corpus).id, vocabSize: 400, maxLength: 64, memory: 'nearest' as const };
    const split = splitEnDe(loadEnDePairs(corpus));
    const data = prepareMtData(training, corpus);
    const tok = data.tokenizer;
    const ownMatches = lookupMatches(split.train, split.train.map((p) => p.en), { leaveOneOut: true });
    data.train.forEach((pair, i) => {
      const match = ownMatches[i]!;
      expect(match.index).not.toBe(i);
      expect(pair.source).toEqual(memorySource(tok.encode(split.train[i]!.en), tok.encode(split.train[match.index]!.de), 64));
    });
    const validMatches = lookupMatches(split.train, split.valid.map((p) => p.en));
    data.valid.forEach((pair, i) => expect(pair.source).toEqual(memorySource(tok.encode(split.valid[i]!.en), tok.encode(split.train[validMatches[i]!.index]!.de), 64)));
    expect(data.encodeSources(split.valid.map((p) => p.en))).toEqual(data.valid.map((p) => p.source));
    // Without a memory the encoder reads the English alone.
    const plain = prepareMtData({ ...training, memory: 'none' }, corpus, tok);
    expect(plain.valid.map((p) => p.source)).toEqual(split.valid.map((p) => tok.encode(p.en)));
    // Below --memory-min-similarity a sentence reads the English alone (no separator), at or above it the memory.
    const similarities = ownMatches.map((m) => m.similarity);
    const threshold = (Math.min(...similarities) + Math.max(...similarities)) / 2;
    const limited = prepareMtData({ ...training, memoryMinSimilarity: threshold }, corpus, tok);
    let withMemory = 0;
    limited.train.forEach((pair, i) => {
      const match = ownMatches[i]!;
      if (match.similarity >= threshold) withMemory++;
      expect(pair.source).toEqual(match.similarity >= threshold ? data.train[i]!.source : tok.encode(split.train[i]!.en));
    });
    expect(withMemory).toBeGreaterThan(0);
    expect(withMemory).toBeLessThan(split.train.length);
  });
});

describe('mt train --memory nearest', () => {
  it('records the memory in the checkpoint, and translate and eval read it', async () => {
    const out = join(dir, 'run');
    const tiny = ['--vocab', '300', '--dim', '8', '--heads', '2', '--enc-layers', '1', '--dec-layers', '1', '--ff', '8', '--max-tokens', '300', '--eval-every', '100', '--bleu-sentences', '3', '--snapshot-every', '0'];
    expect((await run(['train', '--model', 'softmax', '--corpus', corpus, '--memory', 'nearest', '--out', out, '--steps', '2', ...tiny])).code).toBe(0);
    const { config, tokenizer } = loadTranslationModel(out);
    expect(config.training.memory).toBe('nearest');
    const split = splitEnDe(loadEnDePairs(corpus));
    const sentence = 'Click the button number 3 to open dialog 500.';
    const match = lookupMatches(split.train, [sentence])[0]!;
    expect(checkpointSourceEncoder(config.training, tokenizer, corpus)([sentence])).toEqual([memorySource(tokenizer.encode(sentence), tokenizer.encode(split.train[match.index]!.de), 96)]);
    expect(() => checkpointSourceEncoder(config.training, tokenizer)).toThrow(/--corpus FILE/);
    expect((await run(['translate', '--checkpoint', out, '--corpus', corpus, '--max-len', '4', sentence])).code).toBe(0);
    expect((await run(['eval', '--checkpoint', out, '--corpus', corpus, '--limit', '2', '--max-len', '4'])).code).toBe(0);
    await expect(run(['train', '--model', 'softmax', '--memory', 'all', '--out', join(dir, 'x')])).rejects.toThrow(/--memory must be one of none, nearest/);
    await expect(run(['train', '--model', 'softmax', '--memory', 'none', '--memory-min-similarity', '0.5', '--out', join(dir, 'x')])).rejects.toThrow(/applies to --memory nearest only/);
    await expect(run(['train', '--model', 'softmax', '--memory', 'nearest', '--memory-min-similarity', '2', '--out', join(dir, 'x')])).rejects.toThrow(/--memory-min-similarity/);
  });

  it('reads a checkpoint without the field as one trained without a memory, and refuses an unknown kind', () => {
    const out = join(dir, 'run');
    const saved = loadCheckpoint(out);
    const { memory: _memory, ...older } = (saved.config as { training: Record<string, unknown> }).training;
    const olderDir = join(dir, 'older');
    saveCheckpoint(olderDir, { ...saved, config: { ...(saved.config as object), training: older } });
    const { config, tokenizer } = loadTranslationModel(olderDir);
    expect(config.training.memory).toBeUndefined();
    expect(checkpointSourceEncoder(config.training, tokenizer)(['Hello.'])).toEqual([tokenizer.encode('Hello.')]);
    const badDir = join(dir, 'bad');
    saveCheckpoint(badDir, { ...saved, config: { ...(saved.config as object), training: { ...older, memory: 'all' } } });
    expect(() => loadTranslationModel(badDir)).toThrow(/training\.memory must be one of "none", "nearest"/);
  });
});

/**
 * Input files the CLI refuses in one line (exit code 2) before training: corpora that are not text,
 * too large for one string, or too small to train and evaluate on, and batch budgets that hold no
 * pair. The file given is never changed, and nothing is written to --out.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadEnDePairs } from '../../src/tasks/mt/ende.js';
import { availableMemory } from '../../src/train/resources.js';
import { runMain } from './runMain.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-bad-input-'));
  // A container limited to 8 GB on a larger host (os.totalmem() reports the host's memory), as the
  // fuzz machine was: the memory estimate must go by the limit.
  vi.spyOn(process as unknown as { constrainedMemory: () => number }, 'constrainedMemory').mockReturnValue(8e9);
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** A file's first 64 kB (the test files may be sparse gigabytes). */
function head(file: string): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const bytes = new Uint8Array(1 << 16);
    return bytes.subarray(0, readSync(fd, bytes, 0, bytes.length, 0));
  } finally {
    closeSync(fd);
  }
}

const LM_TINY = ['--vocab', '270', '--dim', '8', '--heads', '2', '--layers', '1', '--context', '8', '--batch', '2', '--steps', '1'];

describe('refused in one line, exit code 2, nothing written', () => {
  const cases: [string, (file: string) => void, (file: string, out: string) => string[], (file: string) => RegExp][] = [
    [
      'lm train on a 24-byte corpus',
      (file) => writeFileSync(file, 'The cat sat on the mat.\n'),
      (file, out) => ['lm', 'train', '--corpus', file, '--out', out, ...LM_TINY],
      (file) => new RegExp(`^fastweights: corpus ${file} is too small: its valid split has \\d+ tokens, fewer than one segment of 9 to score; give a longer text \\(or a shorter --context\\)$`),
    ],
    [
      'lm train on 4 kB of NUL bytes',
      (file) => writeFileSync(file, Buffer.alloc(4096)),
      (file, out) => ['lm', 'train', '--corpus', file, '--out', out, ...LM_TINY],
      (file) => new RegExp(`^fastweights: ${file}:1: corpus file holds a NUL byte: a binary file, not text$`),
    ],
    [
      'lm train on a 2 GB file (the string-length limit, not "not valid UTF-8")',
      (file) => {
        writeFileSync(file, '');
        truncateSync(file, 2 ** 31); // sparse
      },
      (file, out) => ['lm', 'train', '--corpus', file, '--out', out, ...LM_TINY],
      (file) => new RegExp(`^fastweights: corpus file ${file} is 2\\.1 GB, more than the 537 MB one JavaScript string can hold \\(536870888 characters\\); use a part of it$`),
    ],
    [
      'mt train on pairs with invalid UTF-8',
      (file) => writeFileSync(file, Buffer.concat([Buffer.from('Hello.\tHallo.\nGood day.\tGuten Tag.\nBig.\tGro'), Buffer.from([0xdf]), Buffer.from('.\n')])),
      (file, out) => ['mt', 'train', '--model', 'linear', '--corpus', file, '--out', out, '--steps', '1'],
      (file) => new RegExp(`^fastweights: ${file}:3: English–German pairs file is not valid UTF-8 \\(byte 0xdf at offset 43\\)$`),
    ],
    [
      'mt train on a 2 GB pairs file',
      (file) => {
        writeFileSync(file, '');
        truncateSync(file, 2 ** 31); // sparse
      },
      (file, out) => ['mt', 'train', '--model', 'linear', '--corpus', file, '--out', out, '--steps', '1'],
      (file) => new RegExp(`^fastweights: mt train: English–German pairs file ${file} is 2\\.1 GB, more than the 537 MB one JavaScript string can hold \\(536870888 characters\\); use a part of it$`),
    ],
    [
      'mt train --max-tokens 1',
      (file) => writeFileSync(file, 'unused\n'),
      (_file, out) => ['mt', 'train', '--model', 'linear', '--max-tokens', '1', '--out', out, '--steps', '1'],
      () => /^fastweights: mt train: --max-tokens 1 cannot hold one pair of --max-len 96 \(97 tokens with <bos>\); give --max-tokens 97 or more, or lower --max-len$/,
    ],
    [
      'lm train --steps 3 --dim 16 --layers 100000, by the memory estimate, before the corpus is read',
      (file) => writeFileSync(file, 'unused\n'),
      (file, out) => ['lm', 'train', '--corpus', file, '--out', out, '--steps', '3', '--dim', '16', '--layers', '100000'],
      () => /^fastweights: lm train: training would need about 123 GB \(328 million parameters, plus gradients, AdamW moments and one step's activations\), more than the 6\.4 GB this machine can give: most of it is one step's activations, which grow with --layers × --batch × --context; lower those$/,
    ],
    [
      'lm train --steps 3 --context 1000000, by the largest tensor, before the corpus is read',
      (file) => writeFileSync(file, 'unused\n'),
      (file, out) => ['lm', 'train', '--corpus', file, '--out', out, '--steps', '3', '--context', '1000000'],
      () => /^fastweights: lm train: the logits \(--batch × --context × --vocab\) would hold 8\.19 billion numbers, more than one array can \(2\.15 billion\); lower the sizes named$/,
    ],
    [
      'lm train --steps 3 --model softmax --context 20000: the T×T scores of softmax attention',
      (file) => writeFileSync(file, 'unused\n'),
      (file, out) => ['lm', 'train', '--corpus', file, '--out', out, '--steps', '3', '--model', 'softmax', '--context', '20000', '--vocab', '300'],
      () => /^fastweights: lm train: the attention scores \(--batch × --heads × --context²\) would hold 12\.8 billion numbers, more than one array can \(2\.15 billion\); lower the sizes named$/,
    ],
    [
      'lm train --steps 3 --model softmax --context 4000: the activations of softmax attention grow with the context squared',
      (file) => writeFileSync(file, 'unused\n'),
      (file, out) => ['lm', 'train', '--corpus', file, '--out', out, '--steps', '3', '--model', 'softmax', '--context', '4000', '--vocab', '300'],
      () => /^fastweights: lm train: training would need about [\d.]+ GB \(\d+ thousand parameters, .*\), more than the 6\.4 GB this machine can give: most of it is one step's activations, which grow with --layers × --batch × --context \(squared: softmax attention\); lower those$/,
    ],
  ];
  cases.forEach(([name, make, argv, message], i) => {
    it(name, async () => {
      const file = join(dir, `input-${i}.txt`);
      make(file);
      const size = statSync(file).size;
      const before = head(file);
      const out = join(dir, `out-${i}`);
      const r = await runMain(argv(file, out));
      expect(r.code).toBe(2);
      expect(r.stderr.filter((l) => !/^(corpus |tokens: |model )/.test(l))).toEqual([expect.stringMatching(message(file))]);
      expect(head(file)).toEqual(before);
      expect(statSync(file).size).toBe(size);
      expect(existsSync(out)).toBe(false); // not even an empty --out left behind
      rmSync(file);
    });
  });
});

describe('the memory a run may plan to use', () => {
  it("is 80 % of the container's limit when a cgroup sets one below the machine's memory", () => {
    expect(availableMemory(200e9, 8e9)).toBe(6.4e9);
    expect(availableMemory(25e9, 0)).toBe(20e9); // no limit
    expect(availableMemory(25e9, 2 ** 64)).toBe(20e9); // "no limit" as Node reports it on cgroup v2
  });
});

describe('an mt pairs file with Windows line ends', () => {
  it('reads CRLF as LF: no carriage return stays on the German side', () => {
    const file = join(dir, 'crlf.tsv');
    writeFileSync(file, 'Hello.\tHallo.\r\nGood day.\tGuten Tag.\r\n');
    expect(loadEnDePairs(file)).toEqual([
      { en: 'Hello.', de: 'Hallo.' },
      { en: 'Good day.', de: 'Guten Tag.' },
    ]);
  });
});

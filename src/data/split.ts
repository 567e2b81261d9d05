/**
 * Deterministic train / valid / test split of a corpus, by whole documents.
 *
 * Rule: sort the documents by id (plain string order; for SOTU that is chronological). Let
 * nValid = round(n · valid) and nTest = round(n · test), each at least 1 when its fraction is
 * above 0, and m = max(nValid, nTest). Slot k (k = 0 … m−1) starts at document floor(k · n / m):
 * that document goes to valid when k < nValid, the one after it to test when k < nTest; every
 * other document is training data. With the default 5 % / 5 % and SOTU's 233 addresses that is
 * 12 + 12 held-out addresses, one pair about every 19 addresses, spread evenly over 1790–2021.
 * The split depends only on the document ids, never on a random seed.
 */
import type { Corpus, CorpusDocument } from './corpora.js';

export interface SplitFractions {
  valid: number;
  test: number;
}

export interface CorpusSplit {
  /** Each part's documents in id order, joined by "\n\n". */
  train: string;
  valid: string;
  test: string;
  /** Document ids of each part, in id order. */
  ids: { train: string[]; valid: string[]; test: string[] };
}

export function splitCorpus(corpus: Corpus, fractions: SplitFractions = { valid: 0.05, test: 0.05 }): CorpusSplit {
  for (const [part, f] of Object.entries(fractions)) {
    if (!(f >= 0 && f < 1)) throw new RangeError(`split fraction "${part}" must be in [0, 1); got ${f}`);
  }
  const docs = [...corpus.documents].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 1; i < docs.length; i++) {
    if (docs[i]!.id === docs[i - 1]!.id) throw new Error(`corpus "${corpus.name}" has two documents with id "${docs[i]!.id}"`);
  }
  const n = docs.length;
  const nValid = heldOutCount(n, fractions.valid);
  const nTest = heldOutCount(n, fractions.test);
  const slots = Math.max(nValid, nTest);
  // Each slot needs room for its valid and test document before the next slot starts, and
  // something must be left to train on.
  if ((slots > 0 && n / slots < 2) || n - nValid - nTest < 1) {
    throw new RangeError(`corpus "${corpus.name}" has ${n} documents, too few for ${nValid} valid + ${nTest} test documents`);
  }

  const part = new Array<'train' | 'valid' | 'test'>(n).fill('train');
  for (let k = 0; k < slots; k++) {
    const start = Math.floor((k * n) / slots);
    if (k < nValid) part[start] = 'valid';
    if (k < nTest) part[start + 1] = 'test';
  }

  const groups: Record<'train' | 'valid' | 'test', CorpusDocument[]> = { train: [], valid: [], test: [] };
  docs.forEach((doc, i) => groups[part[i]!].push(doc));
  const join = (list: CorpusDocument[]): string => list.map((d) => d.text).join('\n\n');
  const ids = (list: CorpusDocument[]): string[] => list.map((d) => d.id);
  return {
    train: join(groups.train),
    valid: join(groups.valid),
    test: join(groups.test),
    ids: { train: ids(groups.train), valid: ids(groups.valid), test: ids(groups.test) },
  };
}

function heldOutCount(n: number, fraction: number): number {
  return fraction > 0 ? Math.max(1, Math.round(n * fraction)) : 0;
}

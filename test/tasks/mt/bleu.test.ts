import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BLEU_SIGNATURE, corpusBleu, formatBleu, formatFixed, tokenize13a } from '../../../src/tasks/mt/bleu.js';

const REF = 'the cat sat on the mat'; // 6 tokens

describe('tokenize13a', () => {
  it('splits punctuation but keeps apostrophes and word-internal hyphens', () => {
    expect(tokenize13a('Hello, world! Don\'t re-enter (now).')).toEqual(['Hello', ',', 'world', '!', "Don't", 're-enter', '(', 'now', ')', '.']);
  });

  it('keeps numbers with inner periods and commas whole, splits a dash after a digit', () => {
    // "$" is always split; "3,000.50" has digits on both sides of its comma and period; the final
    // period follows a letter; "--" after a space stays; "5-" is split because a digit precedes.
    expect(tokenize13a('It costs $3,000.50 -- a 5-year deal.')).toEqual(['It', 'costs', '$', '3,000.50', '--', 'a', '5', '-', 'year', 'deal', '.']);
  });

  it('unescapes &quot; &amp; &lt; &gt; once, then splits them like any symbol', () => {
    expect(tokenize13a('&quot;Yes&quot; &amp; no')).toEqual(['"', 'Yes', '"', '&', 'no']);
    // &amp;quot; becomes &quot; and is not unescaped a second time; then & and ; are split off.
    expect(tokenize13a('&amp;quot;')).toEqual(['&', 'quot', ';']);
  });

  it('joins words hyphenated across a line break and drops <skipped>', () => {
    expect(tokenize13a('sen-\ntence\nnext <skipped>word')).toEqual(['sentence', 'next', 'word']);
  });

  it('splits abbreviations and ellipses into periods', () => {
    expect(tokenize13a('U.S.A. ... 1.5. x,,y')).toEqual(['U', '.', 'S', '.', 'A', '.', '.', '.', '.', '1.5', '.', 'x', ',', ',', 'y']);
  });
});

describe('corpusBleu: hand-worked cases', () => {
  it('scores a perfect match 100', () => {
    const r = corpusBleu(['The cat sat on the mat.'], ['The cat sat on the mat.']);
    expect(r.score).toBeCloseTo(100, 12);
    expect(r.precisions).toEqual([100, 100, 100, 100]);
    expect(r.counts).toEqual([7, 6, 5, 4]);
    expect(r.totals).toEqual([7, 6, 5, 4]);
    expect(r.bp).toBe(1);
    expect(r.signature).toBe(BLEU_SIGNATURE);
  });

  it('scores an empty hypothesis 0 with brevity penalty 0', () => {
    const r = corpusBleu([''], [REF]);
    expect(r).toMatchObject({ score: 0, bp: 0, sysLen: 0, refLen: 6, counts: [0, 0, 0, 0], totals: [0, 0, 0, 0] });
  });

  it('scores a hypothesis without a single matching word 0', () => {
    const r = corpusBleu(['a b c d'], ['w x y z']);
    expect(r).toMatchObject({ score: 0, bp: 1, counts: [0, 0, 0, 0], totals: [4, 3, 2, 1], precisions: [0, 0, 0, 0] });
  });

  it('applies the brevity penalty and exp smoothing to one unmatched order', () => {
    // "the cat sat down" vs REF: 1-grams 3/4 (down misses), 2-grams 2/3, 3-grams 1/2,
    // 4-grams 0/1 → exp smoothing: first zero order gets 100 / (2 · 1) = 50.
    // Geometric mean: (75 · 66.67 · 50 · 50)^(1/4) = 12 500 000^(1/4) = 59.460.
    // BP = exp(1 − 6/4) = exp(−0.5) = 0.60653 → 36.064.
    const r = corpusBleu(['the cat sat down'], [REF]);
    expect(r.counts).toEqual([3, 2, 1, 0]);
    expect(r.totals).toEqual([4, 3, 2, 1]);
    expect(r.precisions[3]).toBeCloseTo(50, 12);
    expect(r.bp).toBeCloseTo(Math.exp(-0.5), 12);
    expect(r.score).toBeCloseTo(Math.exp(-0.5) * 12_500_000 ** 0.25, 10);
    expect(formatBleu(r, { signature: false })).toBe('BLEU = 36.06 75.0/66.7/50.0/50.0 (BP = 0.607 ratio = 0.667 hyp_len = 4 ref_len = 6)');
  });

  it('doubles the smoothing divisor for each further unmatched order', () => {
    // "the cat ran off" vs REF: 1-grams 2/4 = 50, 2-grams 1/3 = 33.33, 3-grams 0/2 → 100/(2·2) = 25,
    // 4-grams 0/1 → 100/(4·1) = 25. (50 · 33.33 · 25 · 25)^(1/4) = 31.947; × BP 0.60653 = 19.377.
    const r = corpusBleu(['the cat ran off'], [REF]);
    expect(r.precisions.map((p) => Number(p.toFixed(4)))).toEqual([50, 33.3333, 25, 25]);
    expect(r.score).toBeCloseTo(Math.exp(-0.5) * (50 * (100 / 3) * 25 * 25) ** 0.25, 10);
    expect(formatFixed(r.score, 2)).toBe('19.38');
  });

  it('clips repeated words to their count in the reference', () => {
    // "the the the the" vs "the cat": 1-grams: "the" ×4 but once in the reference → 1/4 = 25;
    // 2..4-grams unmatched: 100/(2·3), 100/(4·2), 100/(8·1) = 16.67, 12.5, 12.5. Longer than the
    // reference → BP 1. (25 · 16.67 · 12.5 · 12.5)^(1/4) = 15.974.
    const r = corpusBleu(['the the the the'], ['the cat']);
    expect(r.counts).toEqual([1, 0, 0, 0]);
    expect(r.bp).toBe(1);
    expect(r.score).toBeCloseTo((25 * (100 / 6) * 12.5 * 12.5) ** 0.25, 10);
  });

  it('scores 0 when no hypothesis is long enough to have a 3-gram', () => {
    // "the cat": 1-grams 2/2, 2-grams 1/1, but 3-gram totals are 0, so p3 = p4 = 0 (log taken as
    // −9999999999, as sacreBLEU does) and the score is 0 despite the matches.
    const r = corpusBleu(['the cat'], [REF]);
    expect(r.precisions).toEqual([100, 100, 0, 0]);
    expect(r.score).toBe(0);
  });

  it('pools statistics over a multi-sentence corpus before taking the mean', () => {
    // Segment 1 as the perfect match above: counts [7,6,5,4], totals [7,6,5,4].
    // Segment 2 "the cat sat down" vs REF: counts [3,2,1,0], totals [4,3,2,1].
    // Corpus: counts [10,8,6,4] / totals [11,9,7,5]; sysLen 11, refLen 13 → BP = exp(1 − 13/11).
    const r = corpusBleu(['The cat sat on the mat.', 'the cat sat down'], ['The cat sat on the mat.', REF]);
    expect(r.counts).toEqual([10, 8, 6, 4]);
    expect(r.totals).toEqual([11, 9, 7, 5]);
    expect(r.sysLen).toBe(11);
    expect(r.refLen).toBe(13);
    const expected = Math.exp(1 - 13 / 11) * 100 * ((10 / 11) * (8 / 9) * (6 / 7) * (4 / 5)) ** 0.25;
    expect(r.score).toBeCloseTo(expected, 10);
  });

  it('prints the sacreBLEU line with the signature', () => {
    const r = corpusBleu(['The cat sat on the mat.'], ['The cat sat on the mat.']);
    expect(formatBleu(r)).toBe(`BLEU|${BLEU_SIGNATURE} = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 7 ref_len = 7)`);
  });

  it('refuses lists of different lengths, an empty corpus and empty references', () => {
    expect(() => corpusBleu(['a', 'b'], ['a'])).toThrow(/2 hypotheses but 1 references/);
    expect(() => corpusBleu([], [])).toThrow(/no segments/);
    expect(() => corpusBleu(['a'], [''])).toThrow(/reference 0 is empty/);
  });
});

describe('formatFixed rounds like Python', () => {
  it('rounds exact halves to even and everything else to nearest', () => {
    expect(formatFixed(6.25, 1)).toBe('6.2'); // exact half: Python gives 6.2, toFixed 6.3
    expect(formatFixed(6.75, 1)).toBe('6.8');
    expect(formatFixed(0.125, 2)).toBe('0.12');
    expect(formatFixed(2.675, 2)).toBe('2.67'); // 2.675 is really 2.67499999…
    expect(formatFixed(1 / 3, 3)).toBe('0.333');
  });
});

interface SacrebleuCases {
  tokens: { input: string; tokens: string[] }[];
  corpora: { hyps: string[]; refs: string[]; score: number; counts: number[]; totals: number[]; sysLen: number; refLen: number; line: string }[];
}

describe('agreement with sacreBLEU itself', () => {
  // Random segments full of 13a edge cases, scored by sacreBLEU 2.6.0 (make-sacrebleu-cases.py).
  const cases = JSON.parse(readFileSync(new URL('./sacrebleu-cases.json', import.meta.url), 'utf8')) as SacrebleuCases;

  it('tokenises like sacreBLEU (after its rstrip)', () => {
    const pythonRstrip = (s: string): string => s.replace(/[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/u, '');
    for (const c of cases.tokens) expect(tokenize13a(pythonRstrip(c.input)), JSON.stringify(c.input)).toEqual(c.tokens);
  });

  it('gives the same statistics, score and printed line', () => {
    for (const c of cases.corpora) {
      const r = corpusBleu(c.hyps, c.refs);
      expect(r.counts).toEqual(c.counts);
      expect(r.totals).toEqual(c.totals);
      expect([r.sysLen, r.refLen]).toEqual([c.sysLen, c.refLen]);
      expect(r.score).toBeCloseTo(c.score, 9);
      expect(formatBleu(r)).toBe(c.line);
    }
  });
});

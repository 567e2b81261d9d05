/**
 * Corpus BLEU computed the way sacreBLEU computes it by default, so our numbers can be compared
 * with published ones: signature nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp.
 *
 * 1. Each hypothesis and reference is tokenised with the "13a" rules (mteval-v13a.pl as sacreBLEU
 *    implements them; see `tokenize13a`). Case is kept.
 * 2. For n = 1..4, `totals[n]` counts the hypothesis n-grams of the whole corpus and `counts[n]`
 *    the matched ones, each n-gram's matches clipped per sentence to its count in the reference.
 * 3. Precision p_n = 100 · counts/totals. "exp" smoothing: the k-th order with no match at all gets
 *    p_n = 100 / (2^k · totals) instead of 0. An order with totals = 0 (every hypothesis shorter
 *    than n words) stays 0 and makes the score 0; so does a corpus without a single matched word.
 * 4. Brevity penalty bp = exp(1 − refLen/sysLen) when sysLen < refLen (0 when sysLen = 0), else 1.
 * 5. score = bp · exp(mean of log p_n), on a 0–100 scale.
 *
 * Browser-safe: no Node imports.
 */

export const BLEU_SIGNATURE = 'nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp';
const MAX_ORDER = 4;
/** sacreBLEU's log(0): large and negative, so exp() of an average that includes it is 0. */
const LOG_ZERO = -9999999999;

export interface BleuResult {
  /** 0–100. */
  score: number;
  /** Modified n-gram precisions, n = 1..4, in percent. */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  /** Hypothesis and reference lengths in 13a tokens, summed over the corpus. */
  sysLen: number;
  refLen: number;
  /** Clipped n-gram matches and hypothesis n-gram totals, n = 1..4. */
  counts: number[];
  totals: number[];
  signature: string;
}

/** Corpus BLEU of hypotheses[i] against references[i] (one reference per segment). */
export function corpusBleu(hypotheses: string[], references: string[]): BleuResult {
  if (hypotheses.length !== references.length) {
    throw new Error(`corpusBleu: ${hypotheses.length} hypotheses but ${references.length} references; they must pair up one to one`);
  }
  if (hypotheses.length === 0) throw new Error('corpusBleu: no segments to score');
  const counts = new Array<number>(MAX_ORDER).fill(0);
  const totals = new Array<number>(MAX_ORDER).fill(0);
  let sysLen = 0;
  let refLen = 0;
  hypotheses.forEach((hypothesis, i) => {
    const reference = references[i]!;
    // sacreBLEU refuses empty references too: no segment can be matched against nothing.
    if (reference === '') throw new Error(`corpusBleu: reference ${i} is empty`);
    // Like sacreBLEU, trailing whitespace goes before tokenising (it decides whether "-\n" joins).
    const hypTokens = tokenize13a(stripTrailingWhitespace(hypothesis));
    const refTokens = tokenize13a(stripTrailingWhitespace(reference));
    sysLen += hypTokens.length;
    refLen += refTokens.length;
    for (let n = 1; n <= MAX_ORDER; n++) {
      const refNgrams = countNgrams(refTokens, n);
      for (const [ngram, hypCount] of countNgrams(hypTokens, n)) {
        totals[n - 1]! += hypCount;
        counts[n - 1]! += Math.min(hypCount, refNgrams.get(ngram) ?? 0);
      }
    }
  });
  return bleuFromStatistics(counts, totals, sysLen, refLen);
}

/** The score from corpus-level statistics (steps 3–5 above). */
export function bleuFromStatistics(counts: number[], totals: number[], sysLen: number, refLen: number): BleuResult {
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(MAX_ORDER).fill(0);
  const result = (score: number): BleuResult => ({
    score,
    precisions,
    bp,
    sysLen,
    refLen,
    counts: [...counts],
    totals: [...totals],
    signature: BLEU_SIGNATURE,
  });
  if (counts.every((c) => c === 0)) return result(0);

  let smoothing = 1;
  for (let n = 0; n < MAX_ORDER; n++) {
    if (totals[n] === 0) break;
    if (counts[n] === 0) {
      smoothing *= 2;
      precisions[n] = 100 / (smoothing * totals[n]!);
    } else {
      precisions[n] = (100 * counts[n]!) / totals[n]!;
    }
  }
  const meanLog = precisions.reduce((sum, p) => sum + (p === 0 ? LOG_ZERO : Math.log(p)), 0) / MAX_ORDER;
  return result(bp * Math.exp(meanLog));
}

/**
 * sacreBLEU's result line, e.g.
 * `BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp = 12.34 45.6/20.1/10.2/5.1 (BP = 1.000 ratio = 1.020 hyp_len = 51 ref_len = 50)`.
 * Numbers are rounded like Python's format (exact halves to even), so the line matches sacreBLEU's.
 * Pass `{ signature: false }` for the short form `BLEU = 12.34 …`.
 */
export function formatBleu(result: BleuResult, options: { signature?: boolean } = {}): string {
  const name = options.signature === false ? 'BLEU' : `BLEU|${result.signature}`;
  const precisions = result.precisions.map((p) => formatFixed(p, 1)).join('/');
  const ratio = result.refLen > 0 ? result.sysLen / result.refLen : 0;
  return (
    `${name} = ${formatFixed(result.score, 2)} ${precisions} ` +
    `(BP = ${formatFixed(result.bp, 3)} ratio = ${formatFixed(ratio, 3)} hyp_len = ${result.sysLen} ref_len = ${result.refLen})`
  );
}

// ---------------------------------------------------------------------------------------------
// 13a tokenisation

/**
 * Punctuation split off everywhere: ASCII symbols except the apostrophe, the hyphen, the period
 * and the comma (those four have rules of their own), i.e. the ranges
 * {|}~  [\]^_`  space!"#$%&  ()*+  :;<=>?@  and the slash.
 */
const ALWAYS_SPLIT = /([{-~[-` -&(-+:-@\/])/gu;
/** Period or comma after a non-digit. */
const PUNCT_AFTER_NON_DIGIT = /([^0-9])([.,])/gu;
/** Period or comma before a non-digit. */
const PUNCT_BEFORE_NON_DIGIT = /([.,])([^0-9])/gu;
/** Hyphen after a digit. */
const DASH_AFTER_DIGIT = /([0-9])(-)/gu;
/** What Python's str.split() treats as whitespace (JavaScript's \s differs: it has U+FEFF but not U+001C–U+001F or U+0085). */
const PYTHON_WHITESPACE_CLASS = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const PYTHON_WHITESPACE = new RegExp(`${PYTHON_WHITESPACE_CLASS}+`, 'u');
const TRAILING_PYTHON_WHITESPACE = new RegExp(`${PYTHON_WHITESPACE_CLASS}+$`, 'u');

/**
 * A segment's 13a tokens. In order: drop `<skipped>`; join words hyphenated across a line break
 * ("-\n"); other line breaks become spaces; unescape &quot; &amp; &lt; &gt; (once, in that order);
 * pad with spaces; split off the ALWAYS_SPLIT symbols; split off a period or comma unless a digit
 * precedes it, then unless a digit follows it (each rule is one left-to-right pass of
 * non-overlapping matches, like Python's re.sub, so "1.5" and "3,000" stay whole); split a hyphen
 * after a digit; then split on whitespace.
 */
export function tokenize13a(segment: string): string[] {
  let line = segment
    .replaceAll('<skipped>', '')
    .replaceAll('-\n', '')
    .replaceAll('\n', ' ')
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>');
  line = ` ${line} `;
  line = line.replace(ALWAYS_SPLIT, ' $1 ');
  line = line.replace(PUNCT_AFTER_NON_DIGIT, '$1 $2 ');
  line = line.replace(PUNCT_BEFORE_NON_DIGIT, ' $1 $2');
  line = line.replace(DASH_AFTER_DIGIT, '$1 $2 ');
  return line.split(PYTHON_WHITESPACE).filter((token) => token.length > 0);
}

// ---------------------------------------------------------------------------------------------
// helpers

/** The n-grams of one order (words joined by a space, which no token contains) with their counts. */
function countNgrams(tokens: string[], n: number): Map<string, number> {
  const ngrams = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(' ');
    ngrams.set(key, (ngrams.get(key) ?? 0) + 1);
  }
  return ngrams;
}

/** Python's str.rstrip(). */
function stripTrailingWhitespace(text: string): string {
  return text.replace(TRAILING_PYTHON_WHITESPACE, '');
}

/**
 * `x` with `digits` decimals as Python's `f"{x:.{digits}f}"` prints it. JavaScript's toFixed
 * rounds an exact half up (6.25 → "6.3") where Python rounds it to even ("6.2"); otherwise they
 * agree, both rounding the exact binary value.
 */
export function formatFixed(x: number, digits: number): string {
  const plain = x.toFixed(digits);
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return plain;
  // 60 further decimals show whether x sits exactly halfway between two printable values.
  const exact = Math.abs(x).toFixed(Math.min(100, digits + 60));
  const tail = exact.slice(exact.length - 60);
  if (tail !== '5'.padEnd(60, '0')) return plain;
  const truncated = exact.slice(0, exact.length - 60).replace(/\.$/, '');
  const lastDigit = Number(truncated[truncated.length - 1]);
  if (lastDigit % 2 === 0) return (x < 0 ? '-' : '') + truncated;
  return plain;
}

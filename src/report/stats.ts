/**
 * Summaries of a result repeated over seeds: the mean and the spread. The spread we report is the
 * sample standard deviation (divisor n − 1), the usual "± sd" of a few repeated runs; min and max are
 * kept beside it so a reader can see the range too. Pure arithmetic, no Node.
 */

export interface SeedSummary {
  /** How many values (seeds). */
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); null for a single value, where it is undefined. */
  sd: number | null;
  min: number;
  max: number;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new Error('mean: no values');
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (divisor n − 1); null for one value (one seed says nothing about spread). */
export function sampleSd(values: readonly number[]): number | null {
  if (values.length === 0) throw new Error('sampleSd: no values');
  if (values.length === 1) return null;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, x) => a + (x - m) ** 2, 0) / (values.length - 1));
}

export function summarise(values: readonly number[]): SeedSummary {
  return { n: values.length, mean: mean(values), sd: sampleSd(values), min: Math.min(...values), max: Math.max(...values) };
}

/**
 * "12.30 ± 0.45" with the caller's number format; a single value is printed alone (no "± 0",
 * which would claim a spread of zero that one run cannot show).
 */
export function formatMeanSd(summary: SeedSummary, format: (x: number) => string): string {
  return summary.sd === null ? format(summary.mean) : `${format(summary.mean)} ± ${format(summary.sd)}`;
}

/** The largest number of seeds one command may ask for: beyond it a grid would run for days. */
export const MAX_SEEDS = 100;

/** The seeds of a `--seed S --seeds N` run: S, S+1, …, S+N−1. */
export function seedList(first: number, count: number): number[] {
  if (!Number.isSafeInteger(first)) throw new Error(`seeds: the first seed must be an integer, got ${first}`);
  if (!Number.isInteger(count) || count < 1 || count > MAX_SEEDS) throw new Error(`seeds: the number of seeds must be an integer from 1 to ${MAX_SEEDS}, got ${count}`);
  // Written as a difference: first + count − 1 itself could round back into the safe range.
  if (count - 1 > Number.MAX_SAFE_INTEGER - first) throw new Error(`seeds: seed ${first} + ${count - 1} is past the largest safe integer`);
  return Array.from({ length: count }, (_, i) => first + i);
}

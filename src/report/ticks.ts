/**
 * Axis domains and tick positions for charts. Pure functions.
 *
 * Linear axes get "nice" steps (1, 2 or 5 times a power of ten) and a domain widened to whole
 * steps; log axes get a domain widened to whole decades and ticks at powers of ten.
 */

export interface Axis {
  /** The drawn range, [low, high], low < high. */
  domain: [number, number];
  ticks: number[];
  log: boolean;
}

/** The nice step (1, 2 or 5 × 10^k) closest above range / count. */
export function niceStep(range: number, count: number): number {
  const raw = range / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/** An axis covering [min, max] with about `count` ticks. min === max is widened around the value. */
export function linearAxis(min: number, max: number, count = 5): Axis {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) throw new Error(`linearAxis: invalid range [${min}, ${max}]`);
  // A range too narrow to divide (equal ends, or differing in the last bits) is widened around its centre.
  if (max - min <= Math.max(Math.abs(min), Math.abs(max)) * 1e-9 || max - min < 1e-300) {
    const centre = min / 2 + max / 2;
    const pad = Math.abs(centre) > 1e-300 ? Math.abs(centre) * 0.1 : 1;
    min = centre - pad;
    max = centre + pad;
  }
  const step = niceStep(max - min, count);
  let low = Math.floor(min / step) * step;
  let high = Math.ceil(max / step) * step;
  // min / step can underflow to ±0 (min a denormal); the ends must still enclose the data.
  if (low > min) low -= step;
  if (high < max) high += step;
  const ticks: number[] = [];
  // Multiply rather than accumulate, and round away binary noise (0.30000000000000004).
  for (let i = 0; low + i * step <= high + step * 1e-9; i++) ticks.push(roundTo(low + i * step, step));
  // Rounding must not pull the ends inside the data.
  return { domain: [Math.min(roundTo(low, step), min), Math.max(roundTo(high, step), max)], ticks, log: false };
}

/** An axis covering [min, max] (both > 0) in whole decades with ticks at powers of ten. */
export function logAxis(min: number, max: number, maxTicks = 10): Axis {
  if (!(min > 0) || !Number.isFinite(max) || min > max) throw new Error(`logAxis: invalid range [${min}, ${max}] (log scales need positive values)`);
  // log10 is off by an ulp near powers of ten (log10(1000) = 2.9999999999999996): correct by comparing.
  let lowExp = Math.floor(Math.log10(min));
  if (powerOfTen(lowExp + 1) <= min) lowExp++;
  if (powerOfTen(lowExp) > min) lowExp--;
  let highExp = Math.ceil(Math.log10(max));
  if (powerOfTen(highExp - 1) >= max) highExp--;
  if (powerOfTen(highExp) < max) highExp++;
  if (highExp === lowExp) lowExp -= 1; // min = max = a power of ten: show the decade below it
  const every = Math.ceil((highExp - lowExp + 1) / maxTicks);
  const ticks: number[] = [];
  for (let e = lowExp; e <= highExp; e += every) ticks.push(powerOfTen(e));
  return { domain: [powerOfTen(lowExp), powerOfTen(highExp)], ticks, log: true };
}

/** 10^e written exactly as the decimal literal would be (Math.pow(10, -3) is 0.0010000000000000002). */
function powerOfTen(e: number): number {
  return Number(`1e${e}`);
}

/** x snapped to a whole multiple of step, without binary noise (0.30000000000000004 → 0.3). */
function roundTo(x: number, step: number): number {
  return Number((Math.round(x / step) * step).toPrecision(15));
}

/** A tick label: plain decimals for everyday magnitudes, `1e-5` style beyond. */
export function formatTick(x: number, log: boolean): string {
  if (x === 0) return '0';
  const magnitude = Math.abs(x);
  if (log) {
    const e = Math.round(Math.log10(magnitude));
    return e >= -3 && e <= 4 ? String(x) : `1e${e}`;
  }
  if (magnitude >= 1e6 || magnitude < 1e-4) return x.toExponential().replace(/\.?0+e/, 'e').replace('e+', 'e');
  return String(Number(x.toPrecision(15)));
}

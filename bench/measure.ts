/**
 * Timing with the `benchmark` package: it calibrates how many calls make one sample, takes samples
 * until its time budget is spent, and we report the median of the per-call sample times.
 */
import Benchmark from 'benchmark';

export interface Timing {
  medianMs: number;
  samples: number;
}

export interface MeasureOptions {
  /** Seconds Benchmark may spend sampling one function (it stops earlier once minSamples are in). */
  maxTime: number;
  minSamples: number;
}

export function measure(name: string, fn: () => void, options: MeasureOptions): Timing {
  fn(); // warm up: JIT, kernel compilation, peer graph tracing
  const bench = new Benchmark(name, fn, { maxTime: options.maxTime, minSamples: options.minSamples, initCount: 1, minTime: 0.05 });
  bench.run();
  if (bench.error) throw bench.error;
  const sample = [...bench.stats.sample].sort((a, b) => a - b);
  if (sample.length === 0) throw new Error(`benchmark '${name}' produced no samples`);
  const mid = sample.length >> 1;
  const median = sample.length % 2 ? sample[mid]! : (sample[mid - 1]! + sample[mid]!) / 2;
  return { medianMs: median * 1000, samples: sample.length };
}

/**
 * Timing with the `benchmark` package: it calibrates how many calls make one sample, takes samples
 * until its time budget is spent, and we report the median of the per-call sample times (wall clock).
 *
 * Then a few separate calls are timed one by one, in wall-clock and CPU time (user + system of this
 * process, all threads). The least wall time of one call (`bestMs`, the call least disturbed by
 * neighbours and GC) is what GFLOP/s and the ratios use: our wasm backend runs on two threads, so
 * its CPU time is about twice its wall time, and CPU time would hide what threads buy. For a
 * single-threaded implementation on an idle machine wall and CPU time agree.
 */
import Benchmark from 'benchmark';

export interface Timing {
  /** Median wall-clock ms per call (benchmark package). */
  medianMs: number;
  samples: number;
  /** Median CPU ms per call of this process. */
  cpuMedianMs: number;
  /** Smallest CPU ms of those calls. */
  cpuBestMs: number;
  /** Smallest wall-clock ms of those calls: the least disturbed one. */
  bestMs: number;
}

export interface MeasureOptions {
  /** Seconds Benchmark may spend sampling one function (it stops earlier once minSamples are in). */
  maxTime: number;
  minSamples: number;
  /** Separate calls timed by CPU usage. */
  cpuCalls: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function measure(name: string, fn: () => void, options: MeasureOptions): Timing {
  fn(); // warm up: JIT, kernel compilation, peer graph tracing
  const bench = new Benchmark(name, fn, { maxTime: options.maxTime, minSamples: options.minSamples, initCount: 1, minTime: 0.05 });
  bench.run();
  if (bench.error) throw bench.error;
  const sample = bench.stats.sample;
  if (sample.length === 0) throw new Error(`benchmark '${name}' produced no samples`);
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < options.cpuCalls; i++) {
    const start = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const used = process.cpuUsage(start);
    cpu.push((used.user + used.system) / 1000);
  }
  return { medianMs: median(sample) * 1000, samples: sample.length, cpuMedianMs: median(cpu), cpuBestMs: Math.min(...cpu), bestMs: Math.min(...wall) };
}

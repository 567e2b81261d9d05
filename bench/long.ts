/**
 * `npm run bench -- --long`: time per token and peak RSS of one delta layer and one sum layer
 * (d_model 512, 8 heads of 64; bench/longChild.ts) forward + backward at T = 1k … 64k tokens, each
 * (layer, T) in a fresh process so that its peak RSS is its own. Per-token time should be flat in T:
 * every part of the layer is O(T) in time, and the layer runs in blocks of LONG_BLOCK steps recomputed
 * in backward (FastWeightAttentionOptions.blockSize), so that its memory is the projections, the
 * output and one block.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The layer measured: d_model 512, 8 heads of 64. */
export const LONG_LAYER = { dModel: 512, heads: 8, dHead: 64 } as const;

/** Steps per recomputed block (bench/longChild.ts takes another as its fourth argument, 0 for none). */
export const LONG_BLOCK = 2048;

export interface LongMeasurement {
  model: string;
  T: number;
  /** Steps per recomputed block; 0: the whole sequence at once. */
  block: number;
  /** Least wall ms of one forward + backward, over T. */
  msPerToken: number;
  /** Why the case did not run (its first line), else absent. */
  error?: string;
  /** CPU ms (every thread of the process) of the timed calls, per call, over T: less disturbed by other processes than wall time. */
  cpuMsPerToken: number;
  /** Every timed call's ms. */
  callsMs: number[];
  peakRssMB: number;
}

export const LONG_LENGTHS = [1024, 2048, 4096, 8192, 16384, 32768, 65536];
const MODELS = ['delta', 'linear'] as const;

const child = fileURLToPath(new URL('./longChild.js', import.meta.url));

/** Every (model, T); `calls` timed calls each (the least is reported), fewer past 16k where a call takes seconds. */
export function measureLong(calls: number, log: (line: string) => void, lengths = LONG_LENGTHS): LongMeasurement[] {
  const results: LongMeasurement[] = [];
  for (const model of MODELS) {
    for (const T of lengths) {
      log(`… long sequences: ${model} layer, T = ${T}`);
      const n = T > 16384 ? Math.min(calls, 2) : calls;
      try {
        const out = execFileSync(process.execPath, [child, model, String(T), String(n)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 });
        results.push(JSON.parse(out.trim().split('\n').at(-1)!) as LongMeasurement);
      } catch (e) {
        const stderr = String((e as { stderr?: string }).stderr ?? e);
        const error = stderr.split('\n').find((line) => line.startsWith('Error:')) ?? stderr.split('\n')[0]!;
        results.push({ model, T, block: LONG_BLOCK, msPerToken: NaN, cpuMsPerToken: NaN, callsMs: [], peakRssMB: NaN, error });
      }
    }
  }
  return results;
}

export function formatLong(results: LongMeasurement[]): string {
  const lengths = [...new Set(results.map((r) => r.T))];
  const cell = (model: string, T: number) => {
    const r = results.find((x) => x.model === model && x.T === T);
    if (r === undefined) return ['–', '–', '–'];
    if (r.error !== undefined) return ['failed', '', ''];
    return [r.msPerToken.toFixed(3), r.cpuMsPerToken.toFixed(3), r.peakRssMB.toFixed(0)];
  };
  const failures = results.filter((r) => r.error !== undefined).map((r) => `${r.model} at T = ${r.T}: ${r.error}`);
  const header = ['T', 'delta ms/token', 'delta CPU ms/token', 'delta peak RSS MB', 'sum ms/token', 'sum CPU ms/token', 'sum peak RSS MB'];
  const rows = lengths.map((T) => [String(T), ...cell('delta', T), ...cell('linear', T)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const { dModel, heads, dHead } = LONG_LAYER;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line),
    ...failures.map((f) => `\n${f}`),
    `\nOne causal layer (d_model ${dModel}, ${heads} heads of ${dHead}), forward + backward of one sequence in a scratch scope, in blocks of ${LONG_BLOCK} steps recomputed in backward: least wall ms of the timed calls over T; CPU ms (both threads) per call over T; peak RSS of the process.`].join('\n');
}

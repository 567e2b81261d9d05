/**
 * `npm run bench -- --forms`: the sum-rule scan's forms in the wasm backend, forward + backward,
 * side by side at several shapes, in alternating rounds (each round times every form once, the order
 * rotating), so that a loaded machine disturbs them alike: the recurrent kernel the backend runs,
 * and the chunkwise (chunks of SUM_CHUNK) and masked (one chunk of T) forms written over the wasm
 * matmul (docs/kernels.md, "The scan forms").
 */
import { setBackend } from '../kernels/index.js';
import { matmulWasm } from '../kernels/matmul/wasm.js';
import type { SumScanForwardArgs } from '../kernels/types.js';
import { sumScanBackwardWasm, sumScanForwardWasm } from '../kernels/sumRule/wasm.js';
import { sumScanBackwardChunked, sumScanForwardChunked } from '../kernels/sumRule/chunkwise.js';
import { randomData } from './workloads.js';

type SumRuleForm = 'recurrent' | 'chunkwise' | 'masked';

/** Steps per chunk of the chunkwise form. */
const SUM_CHUNK = 32;

export interface FormTiming {
  shape: { N: number; T: number; d: number };
  /** Median and least wall ms, and median CPU ms (every thread), of one forward + backward per form, over the rounds. */
  forms: Record<SumRuleForm, { medianMs: number; bestMs: number; cpuMs: number }>;
}

/** [N, T, d]: the layer benchmark's shape and its neighbours, short to long, small heads to large. */
export const FORM_SHAPES: [number, number, number][] = [
  [8, 64, 64], [8, 128, 64], [8, 256, 64], [8, 512, 64], [8, 1024, 64], [8, 2048, 64],
  [32, 64, 16], [32, 256, 16], [8, 256, 32], [4, 256, 128],
];

type Pass = (args: SumScanForwardArgs) => void;

const passes: Record<SumRuleForm, Pass> = {
  recurrent: (a) => void sumScanBackwardWasm({ ...a, forward: sumScanForwardWasm(a), dy: a.v, dFinalState: null, dFinalZ: null }),
  chunkwise: (a) => void sumScanBackwardChunked({ ...a, forward: sumScanForwardChunked(a, matmulWasm, SUM_CHUNK), dy: a.v, dFinalState: null, dFinalZ: null }, matmulWasm, SUM_CHUNK),
  masked: (a) => void sumScanBackwardChunked({ ...a, forward: sumScanForwardChunked(a, matmulWasm, a.T), dy: a.v, dFinalState: null, dFinalZ: null }, matmulWasm, a.T),
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function compareSumForms(rounds: number, log: (line: string) => void, shapes = FORM_SHAPES): FormTiming[] {
  setBackend('wasm');
  const names = Object.keys(passes) as SumRuleForm[];
  const results: FormTiming[] = [];
  for (const [N, T, d] of shapes) {
    log(`… sum-rule forms at N ${N}, T ${T}, d ${d}`);
    const q = randomData(N * T * d, 31, 0, 2 / d), k = randomData(N * T * d, 32, 0, 2 / d), v = randomData(N * T * d, 33);
    const args: SumScanForwardArgs = { q, k, v, N, T, dk: d, dv: d, normalise: true, eps: 1e-6, initialState: null, initialZ: null };
    // The masked form's T × T blocks grow as T² (and its work as T²·d): left out past T = 1024.
    const run = names.filter((f) => f !== 'masked' || T <= 1024);
    const times = Object.fromEntries(run.map((f) => [f, [] as number[]])) as Record<SumRuleForm, number[]>;
    const cpu = Object.fromEntries(run.map((f) => [f, [] as number[]])) as Record<SumRuleForm, number[]>;
    for (const f of run) passes[f](args); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < run.length; i++) {
        const f = run[(i + r) % run.length]!;
        const c0 = process.cpuUsage(), t0 = performance.now();
        passes[f](args);
        times[f].push(performance.now() - t0);
        const used = process.cpuUsage(c0);
        cpu[f].push((used.user + used.system) / 1000);
      }
    }
    const forms = {} as FormTiming['forms'];
    for (const f of names) forms[f] = times[f] ? { medianMs: median(times[f]), bestMs: Math.min(...times[f]), cpuMs: median(cpu[f]) } : { medianMs: NaN, bestMs: NaN, cpuMs: NaN };
    results.push({ shape: { N, T, d }, forms });
  }
  return results;
}

export function formatForms(results: FormTiming[]): string {
  const names = Object.keys(passes) as SumRuleForm[];
  const header = ['N × T × d', ...names.map((f) => `${f} ms`), 'fastest (median CPU)'];
  const rows = results.map((r) => {
    const fastest = names.filter((f) => !Number.isNaN(r.forms[f].cpuMs)).sort((a, b) => r.forms[a].cpuMs - r.forms[b].cpuMs)[0]!;
    const cell = (f: SumRuleForm) => (Number.isNaN(r.forms[f].medianMs) ? '–' : `${r.forms[f].medianMs.toFixed(2)} (${r.forms[f].bestMs.toFixed(2)}; CPU ${r.forms[f].cpuMs.toFixed(2)})`);
    return [`${r.shape.N} × ${r.shape.T} × ${r.shape.d}`, ...names.map(cell), fastest];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line),
    '\nSum rule forward + backward (normalised), wasm backend: median (best; median CPU of every thread) ms per call over alternating rounds.'].join('\n');
}

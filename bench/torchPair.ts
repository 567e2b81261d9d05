/**
 * `npm run bench -- --torch`: the sum-rule layer workload (`sum-layer-fwdbwd`, bench/workloads.ts) in our
 * wasm backend and in PyTorch-CPU's masked form (scripts/torch_sum_layer.py on Debian's python3-torch),
 * in one go: the script runs as a child process that times calls when asked, and the rounds alternate
 * between them (each round starts with the next one), so that a loaded machine disturbs all alike.
 * Ours runs twice: as the workload table runs it, and inside a scratch scope as a training step runs
 * a layer (no arrays allocated or copied in and out of WebAssembly memory). Both use 2 threads. Each side times its own calls: wall time, and the CPU time of
 * its own process (every thread), the figure to read when other jobs share the cores.
 *
 * First both compute the workload once on the same inputs (the script builds them with randomData's
 * generator) and their gradients of q, k and v are compared; the script has checked its masked form
 * against a plain loop in float64 by then.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setBackend, withScratch } from '../kernels/index.js';
import '../kernels/threads/index.js'; // the wasm kernels on every core (FASTWEIGHTS_THREADS)
import { layerWorkload } from './ours.js';

/** The Python with PyTorch (Debian's python3-torch); the default python3 on PATH may lack it. */
export const TORCH_PYTHON = '/usr/bin/python3';
const THREADS = 2;

/** The script from bench/ (sources, tests) or from dist/bench/ (npm run bench). */
function scriptPath(): string {
  const candidates = ['../scripts/torch_sum_layer.py', '../../scripts/torch_sum_layer.py'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

export interface SideTiming {
  /** Median and least wall ms of one forward + backward, and median CPU ms (every thread of the process). */
  medianMs: number;
  bestMs: number;
  cpuMs: number;
}

export interface TorchPair {
  torchVersion: string;
  /** The BLAS library PyTorch loaded (Debian's python3-torch takes whichever libblas.so.3 is installed). */
  blas: string;
  threads: number;
  rounds: number;
  callsPerRound: number;
  /** The script's masked form against its plain float64 loop: largest gradient error over the largest gradient. */
  torchLoopError: number;
  /** Ours against PyTorch's gradients of q, k, v on the same inputs, likewise relative. */
  gradientDifference: number;
  /** Ours as the workload table runs it, and inside a scratch scope (kernels' withScratch) as a training step runs a layer. */
  ours: SideTiming;
  oursInScope: SideTiming;
  torch: SideTiming;
}

export interface TorchPairOptions {
  rounds: number;
  callsPerRound: number;
  /** The Python to run the script with (tests give a missing one). */
  python?: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const summary = (wall: number[], cpu: number[]): SideTiming => ({ medianMs: median(wall), bestMs: Math.min(...wall), cpuMs: median(cpu) });

/** The largest |a − b| over the largest |b|, over each pair of arrays. */
function relativeDifference(ours: Float32Array[], theirs: Float32Array[]): number {
  let worst = 0;
  ours.forEach((a, i) => {
    const b = theirs[i]!;
    let diff = 0, scale = 0;
    for (let j = 0; j < b.length; j++) {
      diff = Math.max(diff, Math.abs(a[j]! - b[j]!));
      scale = Math.max(scale, Math.abs(b[j]!));
    }
    worst = Math.max(worst, diff / scale);
  });
  return worst;
}

/** Why the pair cannot run here, or null when it can. */
export function torchMissing(python = TORCH_PYTHON): string | null {
  if (!existsSync(python)) return `${python} is missing (Debian: apt-get install python3-torch)`;
  if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) return `${python} cannot import torch (Debian: apt-get install python3-torch)`;
  if (!existsSync(scriptPath())) return `${scriptPath()} is missing`;
  return null;
}

/** Ours and PyTorch's masked form, alternating; or why it was skipped. */
export async function measureTorchPair(options: TorchPairOptions, log: (line: string) => void): Promise<TorchPair | { skipped: string }> {
  const python = options.python ?? TORCH_PYTHON;
  const missing = torchMissing(python);
  if (missing !== null) return { skipped: missing };
  const dir = mkdtempSync(join(tmpdir(), 'fastweights-torch-pair-'));
  const gradsFile = join(dir, 'grads.f32');
  const child = spawn(python, [scriptPath(), 'serve', String(THREADS), gradsFile], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<Record<string, unknown>> => {
    const line = await lines.next();
    if (line.done) throw new Error(`the PyTorch script ended: ${stderr.trim().split('\n').pop() ?? 'no message'}`);
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  try {
    log('… the sum layer in PyTorch (checking its masked form against a plain loop)');
    const ready = await nextLine();
    setBackend('wasm');
    const { leaves, run } = layerWorkload('sum');
    run();
    const ourGrads = [leaves.q, leaves.k, leaves.v].map((t) => t.grad!.data as Float32Array);
    const bytes = readFileSync(gradsFile);
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const n = ourGrads[0]!.length;
    if (all.length !== 3 * n) throw new Error(`the PyTorch script wrote ${all.length} gradient values, expected ${3 * n}`);
    const gradientDifference = relativeDifference(ourGrads, [0, 1, 2].map((i) => all.subarray(i * n, (i + 1) * n)));

    const timeOurs = (calls: number, step: () => void) => {
      const wall: number[] = [], cpu: number[] = [];
      for (let i = 0; i < calls; i++) {
        const c0 = process.cpuUsage(), t0 = performance.now();
        step();
        wall.push(performance.now() - t0);
        const used = process.cpuUsage(c0);
        cpu.push((used.user + used.system) / 1000);
      }
      return { wall, cpu };
    };
    const timeTorch = async (calls: number) => {
      child.stdin.write(`${calls}\n`);
      const reply = await nextLine();
      return { wall: reply.wallMs as number[], cpu: reply.cpuMs as number[] };
    };
    // Ours as the workload table runs it (fresh arrays, copied in and out of WebAssembly memory), and
    // inside a scratch scope as a training step runs a layer (arrays in WebAssembly memory, reused).
    const inScope = () => withScratch(run);
    timeOurs(3, run); // warm-up (the script warmed up before it answered)
    timeOurs(3, inScope);
    const sides = [
      { times: { wall: [] as number[], cpu: [] as number[] }, half: async () => timeOurs(options.callsPerRound, run) },
      { times: { wall: [] as number[], cpu: [] as number[] }, half: async () => timeOurs(options.callsPerRound, inScope) },
      { times: { wall: [] as number[], cpu: [] as number[] }, half: () => timeTorch(options.callsPerRound) },
    ];
    for (let r = 0; r < options.rounds; r++) {
      log(`… round ${r + 1} of ${options.rounds}`);
      // Each round starts with the next side, so every side goes first, second and last alike.
      for (let i = 0; i < sides.length; i++) {
        const side = sides[(r + i) % sides.length]!;
        const t = await side.half();
        side.times.wall.push(...t.wall);
        side.times.cpu.push(...t.cpu);
        // Let the other side's idle threads stop spinning before the next one starts.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    const [ours, oursInScope, torch] = sides.map((side) => summary(side.times.wall, side.times.cpu));
    child.stdin.end('\n');
    return {
      torchVersion: String(ready.torch),
      blas: String(ready.blas),
      threads: Number(ready.threads),
      rounds: options.rounds,
      callsPerRound: options.callsPerRound,
      torchLoopError: Number(ready.worstGradientError),
      gradientDifference,
      ours: ours!,
      oursInScope: oursInScope!,
      torch: torch!,
    };
  } finally {
    child.stdin.destroy();
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Debian's reference (netlib) BLAS lives in /usr/lib/<arch>/blas/; OpenBLAS in openblas-*. */
const referenceBlas = (path: string) => /\/blas\/libblas\.so/.test(path);

export function formatTorchPair(result: TorchPair | { skipped: string }): string {
  if ('skipped' in result) return `Sum layer beside PyTorch: skipped, ${result.skipped}.`;
  const { ours, oursInScope, torch } = result;
  const row = (name: string, t: SideTiming) => `| ${name} | ${t.medianMs.toFixed(2)} | ${t.bestMs.toFixed(2)} | ${t.cpuMs.toFixed(2)} | ${(t.medianMs / torch.medianMs).toFixed(2)} | ${(t.cpuMs / torch.cpuMs).toFixed(2)} |`;
  return [
    `Sum layer (sum-layer-fwdbwd) beside PyTorch ${result.torchVersion}'s masked form, ${result.threads} threads each, ${result.rounds} alternating rounds of ${result.callsPerRound} calls:`,
    '| implementation | wall ms | best ms | CPU ms | wall / PyTorch | CPU / PyTorch |',
    '|---|---|---|---|---|---|',
    row('fastweights wasm', ours),
    row('fastweights wasm, in a scratch scope', oursInScope),
    row('PyTorch-CPU, tril(φQ φKᵀ) V', torch),
    'Medians per call (CPU: every thread of the process); best = least wall ms. Below 1 in the last two columns, ours is faster.',
    `PyTorch's BLAS: ${result.blas}${referenceBlas(result.blas) ? " — Debian's unoptimised reference BLAS: PyTorch's products run far below its usual speed (apt-get install libopenblas0-pthread gives it OpenBLAS)" : ''}.`,
    `Same function: the gradients of q, k, v agree to ${result.gradientDifference.toExponential(1)} of the largest; PyTorch's masked form agrees with its plain float64 loop to ${result.torchLoopError.toExponential(1)}.`,
  ].join('\n');
}

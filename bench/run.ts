/**
 * `npm run bench [-- options]`: times every workload (bench/workloads.ts) in our wasm, js and gpu
 * backends and in the peers (tfjs-wasm, jax-js wasm), all in this process, and prints medians,
 * GFLOP/s and each row's time over our wasm backend's (the default).
 *
 *   --quick              shorter sampling (about a minute in all instead of several)
 *   --only=a,b           workloads whose id contains one of the strings (e.g. --only=delta,matmul-512)
 *   --impl=wasm,js,gpu,tfjs,jax  implementations to run (default all)
 *   --lm                 also time training steps of the `lm train` default model (tokens/s, peak memory)
 *   --mt                 also time training steps of the `mt train` default model size (tokens/s, peak memory)
 *   --generate           generation with fla DeltaNet models of the 340M and 1.3B shapes (bench/generate.ts):
 *                        load time, peak RSS, prefill and decode tokens/s beside the memory bandwidth;
 *                        the kernel workloads are then skipped unless --only names some
 *   --generate-quick     the same, 340M only, a 64-token prompt and 16 decoded tokens (a few minutes)
 *   --generate-shapes=340M,1.3B  --prompt-tokens=N (512)  --decode-tokens=N (64)  --threads=N (2)
 *   --generate-baseline  also each model with its weights copied into WebAssembly memory at every matmul
 *   --long               time per token and peak RSS of one delta and one sum layer (d_model 512) at T = 1k … 64k (bench/long.ts)
 *   --forms              the sum-rule scan's forms side by side at several shapes, alternating (bench/scanForms.ts)
 *   --torch              the sum layer beside PyTorch-CPU's masked form (scripts/torch_sum_layer.py on Debian's python3-torch), alternating (bench/torchPair.ts)
 *                        (with --long, --forms or --torch, as with --generate, the kernel workloads run only if --only names some)
 *   --json               machine-readable results on stdout (progress goes to stderr)
 */
import os from 'node:os';
import { measure, type MeasureOptions } from './measure.js';
import { workloads, type Implementation } from './workloads.js';
import { ours } from './ours.js';
import { measureLanguageModelTraining, measureTranslationTraining, type TrainingSpeed } from './lmTraining.js';
import { wasmFusedMultiplyAdd } from '../kernels/backends/wasm.js';
import { compareSumForms, formatForms } from './scanForms.js';
import { formatTorchPair, measureTorchPair } from './torchPair.js';
import { formatLong, measureLong } from './long.js';
import { formatGeneration, GENERATION_SHAPES, measureGeneration, type GenerationOptions, type GenerationShape, type GenerationSpeed } from './generate.js';

interface Result {
  workload: string;
  implementation: string;
  /** Median wall-clock ms per call. */
  medianMs: number | null;
  samples: number;
  /** Median CPU ms per call (see measure.ts). */
  cpuMs: number | null;
  /** Least CPU ms of one call (all threads). */
  cpuBestMs: number | null;
  /** Least wall-clock ms of one call: GFLOP/s and the ratio use it. */
  bestMs: number | null;
  gflops: number | null;
  /** bestMs / our wasm backend's bestMs (js when wasm was not run): above 1 means ours is faster. */
  ratioToOurs: number | null;
  error?: string;
}

function parseArgs(argv: string[]) {
  const options = { json: false, quick: false, lm: false, mt: false, forms: false, torch: false, long: false, only: [] as string[], impl: ['wasm', 'js', 'gpu', 'tfjs', 'jax'], generate: null as GenerationOptions | null };
  const generation = (): GenerationOptions => (options.generate ??= { shapes: ['340M', '1.3B'], promptTokens: 512, decodeTokens: 64, threads: 2, baseline: false });
  const count = (arg: string) => {
    const value = Number(arg.slice(arg.indexOf('=') + 1));
    if (!Number.isInteger(value) || value < 1) throw new Error(`bench: ${arg.slice(0, arg.indexOf('='))} needs a positive integer, got '${arg.slice(arg.indexOf('=') + 1)}'`);
    return value;
  };
  for (const arg of argv) {
    if (arg === '--json') options.json = true;
    else if (arg === '--quick') options.quick = true;
    else if (arg === '--lm') options.lm = true;
    else if (arg === '--mt') options.mt = true;
    else if (arg === '--forms') options.forms = true;
    else if (arg === '--torch') options.torch = true;
    else if (arg === '--long') options.long = true;
    else if (arg.startsWith('--only=')) options.only = arg.slice(7).split(',').filter(Boolean);
    else if (arg.startsWith('--impl=')) options.impl = arg.slice(7).split(',').filter(Boolean);
    else if (arg === '--generate') generation();
    else if (arg === '--generate-quick') Object.assign(generation(), { shapes: ['340M'], promptTokens: 64, decodeTokens: 16 });
    else if (arg.startsWith('--generate-shapes=')) {
      const shapes = arg.slice(18).split(',').filter(Boolean);
      for (const s of shapes) if (!(s in GENERATION_SHAPES)) throw new Error(`bench: unknown shape '${s}' (valid: ${Object.keys(GENERATION_SHAPES).join(', ')})`);
      generation().shapes = shapes as GenerationShape[];
    } else if (arg.startsWith('--prompt-tokens=')) generation().promptTokens = count(arg);
    else if (arg.startsWith('--decode-tokens=')) generation().decodeTokens = count(arg);
    else if (arg.startsWith('--threads=')) generation().threads = count(arg);
    else if (arg === '--generate-baseline') generation().baseline = true;
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: npm run bench -- [--quick] [--json] [--only=substr,...] [--impl=wasm,js,gpu,tfjs,jax] [--lm] [--mt] [--forms] [--torch] [--long] [--generate | --generate-quick] [--generate-shapes=340M,1.3B] [--prompt-tokens=N] [--decode-tokens=N] [--threads=N] [--generate-baseline]');
      process.exit(0);
    } else throw new Error(`bench: unknown option '${arg}' (try --help)`);
  }
  const known = ['wasm', 'js', 'gpu', 'tfjs', 'jax'];
  for (const name of options.impl) if (!known.includes(name)) throw new Error(`bench: unknown implementation '${name}' (valid: ${known.join(', ')})`);
  return options;
}

async function implementations(names: string[]): Promise<Implementation[]> {
  const list: Implementation[] = [];
  for (const name of names) {
    if (name === 'wasm' || name === 'js' || name === 'gpu') list.push(ours(name));
    if (name === 'tfjs') list.push(await (await import('./peers/tfjs.js')).tfjsWasm());
    if (name === 'jax') list.push(await (await import('./peers/jax.js')).jaxWasm());
  }
  return list;
}

function formatTable(results: Result[]): string {
  const header = ['workload', 'implementation', 'wall ms', 'CPU ms', 'best ms', 'GFLOP/s', 'best / ours'];
  const rows = results.map((r) => [
    r.workload,
    r.implementation,
    r.medianMs === null ? `error: ${r.error}` : r.medianMs.toFixed(2),
    r.cpuMs === null ? '' : r.cpuMs.toFixed(2),
    r.bestMs === null ? '' : r.bestMs.toFixed(2),
    r.gflops === null ? '' : r.gflops.toFixed(2),
    r.ratioToOurs === null ? '' : r.ratioToOurs.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const log = options.json ? console.error.bind(console) : console.log.bind(console);
  // Peers print banners with console.log; keep stdout clean for --json.
  if (options.json) console.log = console.error;
  const sampling: MeasureOptions = options.quick ? { maxTime: 0.5, minSamples: 3, cpuCalls: 3 } : { maxTime: 3, minSamples: 5, cpuCalls: 9 };
  const alone = (options.generate !== null || options.forms || options.torch || options.long) && options.only.length === 0;
  const selected = alone ? [] : workloads.filter((w) => options.only.length === 0 || options.only.some((s) => w.id.includes(s)));
  const impls = selected.length > 0 ? await implementations(options.impl) : [];
  const results: Result[] = [];
  for (const workload of selected) {
    const rows: Result[] = [];
    for (const impl of impls) {
      const run = impl.runners[workload.id];
      const elsewhere = impl.measuredElsewhere?.[workload.id];
      if (run === undefined && elsewhere === undefined) continue;
      log(`… ${workload.id} / ${impl.name}`);
      try {
        const t = run !== undefined ? measure(`${workload.id} ${impl.name}`, run, sampling) : await elsewhere!(sampling);
        rows.push({ workload: workload.id, implementation: impl.name, medianMs: t.medianMs, samples: t.samples, cpuMs: t.cpuMedianMs, cpuBestMs: t.cpuBestMs, bestMs: t.bestMs, gflops: workload.flops / (t.bestMs * 1e6), ratioToOurs: null });
      } catch (e) {
        rows.push({ workload: workload.id, implementation: impl.name, medianMs: null, samples: 0, cpuMs: null, cpuBestMs: null, bestMs: null, gflops: null, ratioToOurs: null, error: (e as Error).message.split('\n')[0] });
      }
    }
    const base = (rows.find((r) => r.implementation === 'fastweights wasm') ?? rows.find((r) => r.implementation === 'fastweights js'))?.bestMs ?? null;
    for (const r of rows) r.ratioToOurs = base !== null && r.bestMs !== null ? r.bestMs / base : null;
    results.push(...rows);
  }
  const training: TrainingSpeed[] = [];
  if (options.lm) {
    log('… language-model training steps');
    training.push(...(await measureLanguageModelTraining(options.quick ? 5 : 20)));
  }
  if (options.mt) {
    log('… translation training steps');
    training.push(...(await measureTranslationTraining(options.quick ? 5 : 20)));
  }
  const forms = options.forms ? compareSumForms(options.quick ? 5 : 15, log) : [];
  const torchPair = options.torch ? await measureTorchPair(options.quick ? { rounds: 6, callsPerRound: 5 } : { rounds: 20, callsPerRound: 10 }, log).catch((e: unknown) => ({ skipped: `the pair failed: ${(e as Error).message}` })) : null;
  const long = options.long ? measureLong(options.quick ? 1 : 3, log) : [];
  const generated: GenerationSpeed[] = options.generate !== null ? measureGeneration(options.generate, log) : [];
  const machine = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', platform: `${os.platform()} ${os.arch()}`, loadAverage: os.loadavg(), wasmFusedMultiplyAdd: wasmFusedMultiplyAdd() };
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ machine, quick: options.quick, workloads: selected, results, training, forms, torchPair, long, generated }, null, 2)}\n`);
  } else {
    const load = os.loadavg()[0]!.toFixed(1);
    const fma = machine.wasmFusedMultiplyAdd ? 'fused multiply-add (relaxed SIMD)' : 'multiply then add';
    log(`\n${machine.cpu}, ${machine.cpus} cores, Node ${machine.node}, load average ${load}; wasm matmul: ${fma}; ${options.quick ? 'quick' : 'full'} sampling; medians\n`);
    if (results.length > 0) {
      log(formatTable(results));
      log('\nMedians of wall and CPU ms (all threads) per call; best = least wall ms of one call. GFLOP/s: nominal counts (bench/workloads.ts) over best ms.');
      log('best / ours: best ms over that of fastweights wasm (js when wasm was not run); above 1, ours is faster.');
    }
    for (const r of training) {
      log(`\n${r.task} training, ${r.model} (${r.description}): ${r.tokensPerSecond.toFixed(0)} tokens/s, ${r.stepsPerSecond.toFixed(1)} steps/s (${r.msPerStep.toFixed(0)} ms/step, CPU ${r.cpuMsPerStep.toFixed(0)} ms), peak RSS ${r.peakRssMB.toFixed(0)} MB, peak heap ${r.peakHeapMB.toFixed(0)} MB; matmul ${(r.matmulFlopsPerToken / 1e6).toFixed(2)} MFLOP/token, so ${r.matmulGflopPerSecond.toFixed(1)} GFLOP/s of matmul`);
    }
    if (forms.length > 0) log(`\n${formatForms(forms)}`);
    if (torchPair !== null) log(`\n${formatTorchPair(torchPair)}`);
    if (long.length > 0) log(`\n${formatLong(long)}`);
    for (const r of generated) log(`\n${formatGeneration(r)}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

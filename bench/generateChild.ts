/**
 * The two halves of `npm run bench -- --generate` (bench/generate.ts), each in a process of its own
 * so that one's memory does not count in the other's peak:
 *
 *   node dist/bench/generateChild.js write DIR CONFIG_JSON   random bf16 weights of that config, saved with saveHfDeltaNet
 *   node dist/bench/generateChild.js measure DIR PROMPT DECODE [copy]   load, prefill, decode; one JSON line on stdout
 *     (without copy the matrices stay bf16 in WebAssembly memory, read in place; copy: float32 parameters in
 *     ordinary arrays, which the general matmul copies into WebAssembly memory at each call)
 */
import { performance } from 'node:perf_hooks';
import { loadHfDeltaNet, saveHfDeltaNet } from '../src/io/huggingFace.js';
import { DeltaNetForCausalLM, parseDeltaNetConfig, type DeltaNetConfig } from '../src/nn/fla/index.js';
import { generatePretrained } from '../src/tasks/lm/pretrained.js';
import { Rng } from '../src/tensor/rng.js';
import { wasmRuntime } from '../kernels/wasm/runtime.js';
import { residentModule } from '../kernels/wasm/generated/resident.js';
import '../kernels/threads/index.js'; // the wasm kernels on FASTWEIGHTS_THREADS threads

export interface GenerationMeasurement {
  loadSeconds: number;
  /** Bytes of the weights as stored (bf16). */
  storedBytes: number;
  /** Bytes the weights take in memory (bf16 matrices, float32 norms and convolutions; all float32 for copy). */
  memoryBytes: number;
  /** Bytes of the matrices one decoding step reads, as they lie in memory: every matrix but the embedding, and the output head. */
  decodeBytesPerToken: number;
  /** Share of those bytes that are resident in WebAssembly memory (read in place by the matrix-vector kernel). */
  residentShare: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  /** The best of a few streaming reads of 128 MiB in WebAssembly memory on every thread, GB/s. */
  bandwidthGBps: number;
  peakRssMB: number;
  /** Resident set after the first decoded token and after the last: flat when decoding keeps constant memory. */
  rssAfterFirstTokenMB: number;
  rssAfterLastTokenMB: number;
  /** [decoded tokens, RSS MB] after 100 tokens and every RSS_EVERY tokens along the way. */
  rssAlongMB: [number, number][];
  threads: number;
}

const MB = 2 ** 20;
/** Decoded tokens between two RSS samples. */
const RSS_EVERY = 250;

/**
 * Weights uniform in ±0.02·√3 (the spread of fla's normal(0, 0.02)), norms at one. Fast for a billion:
 * one block of draws (a prime number long, so that rows do not repeat in step) tiled over every matrix.
 */
function writeRandom(directory: string, config: DeltaNetConfig): void {
  const model = new DeltaNetForCausalLM(config, { empty: true });
  const draws = new Float32Array(1_048_573);
  let state = 0x9e3779b9;
  const spread = 0.02 * Math.sqrt(3);
  for (let i = 0; i < draws.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    draws[i] = ((state >>> 0) / 2 ** 32 - 0.5) * 2 * spread;
  }
  let offset = 0;
  for (const [name, p] of model.stateDict()) {
    const data = p.data as Float32Array;
    if (name.endsWith('norm.weight')) {
      data.fill(1);
      continue;
    }
    for (let i = 0; i < data.length; ) {
      const take = Math.min(data.length - i, draws.length - offset);
      data.set(draws.subarray(offset, offset + take), i);
      i += take;
      offset = (offset + take) % draws.length;
    }
  }
  saveHfDeltaNet(model, directory, { dtype: 'BF16' });
}

/**
 * GB/s of a streaming read of 128 MiB of WebAssembly memory split over the threads (best of twenty, after four untimed): the
 * matrix-vector kernel on one row of x and a weight of 128 MiB, which reads the weight once, front to back.
 */
export function streamBandwidth(): number {
  const rt = wasmRuntime();
  if (rt === null) return NaN;
  const k = 4096, n = (128 * MB) / 4 / k;
  const block = rt.heap.allocate(n * k);
  if (block === null) return NaN;
  try {
    block.fill(1);
    rt.addModule(residentModule); // matvecF32 is in the resident weights' module (kernels/matmul/resident.ts adds it on first use)
    let best = Infinity;
    // The first four reads are not timed: the pool's threads start during the first, and the
    // kernel runs slower until the engine has compiled it fully (measured: 5, 20, 17, then 36-45 GB/s).
    for (let i = -4; i < 20; i++) {
      rt.reset();
      const x = rt.alloc(k), out = rt.alloc(n);
      const start = performance.now();
      rt.run('matvecF32', (lo, hi) => [x, block.byteOffset, out, 1, n, k, lo, hi], n, 0, true);
      if (i >= 0) best = Math.min(best, performance.now() - start);
    }
    return (n * k * 4) / (best / 1000) / 1e9;
  } finally {
    rt.heap.release(block);
  }
}

function measure(directory: string, promptTokens: number, decodeTokens: number, resident: boolean): GenerationMeasurement {
  const bandwidthGBps = streamBandwidth();
  const start = performance.now();
  const { model, config } = loadHfDeltaNet(directory, { resident });
  const loaded = performance.now();
  let storedBytes = 0, memoryBytes = 0, decodeBytes = 0, residentBytes = 0;
  const rt = wasmRuntime();
  const readEachToken = (name: string, rank: number) => rank === 2 && (name !== 'model.embeddings.weight' || config.tieWordEmbeddings);
  for (const [name, p] of model.stateDict()) {
    storedBytes += p.size * 2;
    memoryBytes += p.size * 4;
    if (readEachToken(name, p.rank)) decodeBytes += p.size * 4;
  }
  for (const [name, w] of model.namedCompactWeights()) {
    storedBytes += w.values.length * 2;
    memoryBytes += w.values.byteLength;
    if (!readEachToken(name, 2)) continue;
    decodeBytes += w.values.byteLength;
    if (w.residentIn(rt)) residentBytes += w.values.byteLength;
  }
  const rng = new Rng(1);
  const prompt = Array.from({ length: promptTokens }, () => 3 + Math.floor(rng.uniform() * (config.vocabSize - 3)));
  const tokens = generatePretrained(model, prompt, { tokens: decodeTokens + 1, temperature: 0, rng });
  const prefillStart = performance.now();
  tokens.next(); // the prompt's forward passes and the first token drawn from them
  const prefillSeconds = (performance.now() - prefillStart) / 1000;
  tokens.next();
  const rssAfterFirstTokenMB = process.memoryUsage().rss / MB;
  const decodeStart = performance.now();
  let decoded = 0;
  const rssAlongMB: [number, number][] = [[1, rssAfterFirstTokenMB]];
  while (!tokens.next().done) {
    decoded++;
    if (decoded + 1 === 100 || (decoded + 1) % RSS_EVERY === 0) rssAlongMB.push([decoded + 1, process.memoryUsage().rss / MB]);
  }
  const decodeSeconds = (performance.now() - decodeStart) / 1000;
  return {
    loadSeconds: (loaded - start) / 1000,
    storedBytes,
    memoryBytes,
    decodeBytesPerToken: decodeBytes,
    residentShare: residentBytes / decodeBytes,
    prefillTokensPerSecond: promptTokens / prefillSeconds,
    // The first step after the prompt is outside the clock; `decoded` steps are inside it.
    decodeTokensPerSecond: decoded / decodeSeconds,
    bandwidthGBps,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    rssAfterFirstTokenMB,
    rssAfterLastTokenMB: process.memoryUsage().rss / MB,
    rssAlongMB,
    threads: rt?.threads ?? 1,
  };
}

const [command, directory, ...rest] = process.argv.slice(2);
if (command === 'write' && directory !== undefined && rest.length === 1) {
  writeRandom(directory, parseDeltaNetConfig(JSON.parse(rest[0]!), 'bench config'));
} else if (command === 'measure' && directory !== undefined && (rest.length === 2 || (rest.length === 3 && rest[2] === 'copy'))) {
  process.stdout.write(`${JSON.stringify(measure(directory, Number(rest[0]), Number(rest[1]), rest[2] !== 'copy'))}\n`);
} else {
  console.error('usage: generateChild.js write DIR CONFIG_JSON | measure DIR PROMPT_TOKENS DECODE_TOKENS [copy]');
  process.exit(2);
}

/**
 * The two halves of `npm run bench -- --generate` (bench/generate.ts), each in a process of its own
 * so that one's memory does not count in the other's peak:
 *
 *   node dist/bench/generateChild.js write DIR CONFIG_JSON   random bf16 weights of that config, saved with saveHfDeltaNet
 *   node dist/bench/generateChild.js measure DIR PROMPT DECODE [copy]   load, prefill, decode; one JSON line on stdout
 *     (copy: weights left in ordinary arrays, as before decoding read them in place: the general matmul copies them in at each call)
 */
import { performance } from 'node:perf_hooks';
import { loadHfDeltaNet, saveHfDeltaNet } from '../src/io/huggingFace.js';
import { DeltaNetForCausalLM, parseDeltaNetConfig, type DeltaNetConfig } from '../src/nn/fla/index.js';
import { generatePretrained } from '../src/tasks/lm/pretrained.js';
import { Rng } from '../src/tensor/rng.js';
import { wasmRuntime } from '../kernels/wasm/runtime.js';
import '../kernels/threads/index.js'; // the wasm kernels on FASTWEIGHTS_THREADS threads
import { isResidentWeight } from '../kernels/matmul/resident.js';

export interface GenerationMeasurement {
  loadSeconds: number;
  /** Bytes of the weights as stored (bf16). */
  storedBytes: number;
  /** Bytes of float32 matrices one decoding step reads: every matrix but the embedding, and the output head. */
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
  threads: number;
}

const MB = 2 ** 20;

/** Weights uniform in ±0.02·√3 (the spread of fla's normal(0, 0.02)), norms at one: fast to draw for a billion. */
function writeRandom(directory: string, config: DeltaNetConfig): void {
  const model = new DeltaNetForCausalLM(config, { empty: true });
  let state = 0x9e3779b9;
  const spread = 0.02 * Math.sqrt(3);
  for (const [name, p] of model.stateDict()) {
    const data = p.data;
    if (name.endsWith('norm.weight')) {
      data.fill(1);
      continue;
    }
    for (let i = 0; i < data.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      data[i] = ((state >>> 0) / 2 ** 32 - 0.5) * 2 * spread;
    }
  }
  saveHfDeltaNet(model, directory, { dtype: 'BF16' });
}

/**
 * GB/s of a streaming read of 128 MiB of WebAssembly memory split over the threads (best of five): the
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
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      rt.reset();
      const x = rt.alloc(k), out = rt.alloc(n);
      const start = performance.now();
      rt.run('matvecF32', (lo, hi) => [x, block.byteOffset, out, 1, n, k, lo, hi], n, 0, true);
      best = Math.min(best, performance.now() - start);
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
  const loadSeconds = (performance.now() - start) / 1000;
  let storedBytes = 0, decodeBytes = 0, residentBytes = 0;
  for (const [name, p] of model.stateDict()) {
    storedBytes += p.size * 2;
    const readEachToken = p.shape.length === 2 && (name !== 'model.embeddings.weight' || config.tieWordEmbeddings);
    if (!readEachToken) continue;
    decodeBytes += p.size * 4;
    if (isResidentWeight(p.data)) residentBytes += p.size * 4;
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
  while (!tokens.next().done) decoded++;
  const decodeSeconds = (performance.now() - decodeStart) / 1000;
  return {
    loadSeconds,
    storedBytes,
    decodeBytesPerToken: decodeBytes,
    residentShare: residentBytes / decodeBytes,
    prefillTokensPerSecond: promptTokens / prefillSeconds,
    // The first step after the prompt is outside the clock; `decoded` steps are inside it.
    decodeTokensPerSecond: decoded / decodeSeconds,
    bandwidthGBps,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    rssAfterFirstTokenMB,
    rssAfterLastTokenMB: process.memoryUsage().rss / MB,
    threads: wasmRuntime()?.threads ?? 1,
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

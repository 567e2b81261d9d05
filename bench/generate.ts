/**
 * `npm run bench -- --generate`: generation with fla DeltaNet models of the fla-hub shapes, random
 * bf16 weights written to a temporary directory with saveHfDeltaNet, then loaded with loadHfDeltaNet
 * in a fresh process (bench/generateChild.ts) that measures load time, peak RSS, prefill and decode
 * tokens/s, beside the memory bandwidth it measures itself and the decode speed that bandwidth
 * allows (every matrix read once per token). Shapes (fla's DeltaNetConfig defaults, docs/pretrained.md):
 *
 *   340M: hidden 1024, 24 layers, 8 heads of 128, vocabulary 32,000, tied embeddings (fla's 340M
 *         training configs' hidden size, depth, vocabulary and tying): ≈ 341 M parameters
 *   1.3B: hidden 2048, 24 layers, 16 heads of 128, vocabulary 32,000, untied (fla-hub/delta_net-1.3B-100B): ≈ 1.37 B
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GenerationMeasurement } from './generateChild.js';

export const GENERATION_SHAPES = {
  '340M': { model_type: 'delta_net', hidden_size: 1024, num_hidden_layers: 24, num_heads: 8, vocab_size: 32000, tie_word_embeddings: true },
  '1.3B': { model_type: 'delta_net', hidden_size: 2048, num_hidden_layers: 24, num_heads: 16, vocab_size: 32000, tie_word_embeddings: false },
} as const;
export type GenerationShape = keyof typeof GENERATION_SHAPES;

export interface GenerationOptions {
  shapes: GenerationShape[];
  promptTokens: number;
  decodeTokens: number;
  threads: number;
  /** Also measure the model with its weights in ordinary arrays (the general matmul copies them in at each call): the baseline. */
  baseline: boolean;
}

export interface GenerationSpeed extends GenerationMeasurement {
  shape: GenerationShape;
  /** 'in place': matrices resident in WebAssembly memory; 'copied': the baseline (GenerationOptions.baseline). */
  weights: 'in place' | 'copied';
  options: GenerationOptions;
  /** Decode tokens/s the measured bandwidth allows: bandwidth over decodeBytesPerToken. */
  bandwidthLimitTokensPerSecond: number;
}

const child = fileURLToPath(new URL('./generateChild.js', import.meta.url));

export function measureGeneration(options: GenerationOptions, log: (line: string) => void): GenerationSpeed[] {
  const results: GenerationSpeed[] = [];
  for (const shape of options.shapes) {
    const directory = mkdtempSync(join(tmpdir(), `fastweights-bench-${shape}-`));
    try {
      log(`… ${shape}: writing random bf16 weights to ${directory}`);
      execFileSync(process.execPath, [child, 'write', directory, JSON.stringify(GENERATION_SHAPES[shape])], { stdio: ['ignore', 'inherit', 'inherit'] });
      for (const weights of options.baseline ? (['copied', 'in place'] as const) : (['in place'] as const)) {
        log(`… ${shape}, weights ${weights}: loading, ${options.promptTokens}-token prefill, ${options.decodeTokens} decoded tokens on ${options.threads} thread(s)`);
        const out = execFileSync(process.execPath, [child, 'measure', directory, String(options.promptTokens), String(options.decodeTokens), ...(weights === 'copied' ? ['copy'] : [])], {
          env: { ...process.env, FASTWEIGHTS_THREADS: String(options.threads) },
          stdio: ['ignore', 'pipe', 'inherit'],
          maxBuffer: 1 << 20,
        });
        const m = JSON.parse(out.toString().trim().split('\n').pop()!) as GenerationMeasurement;
        results.push({ ...m, shape, weights, options, bandwidthLimitTokensPerSecond: (m.bandwidthGBps * 1e9) / m.decodeBytesPerToken });
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }
  return results;
}

const round = (x: number, digits = 0) => x.toFixed(digits);

/** One paragraph per model, rounded for people. */
export function formatGeneration(r: GenerationSpeed): string {
  const gb = (bytes: number) => round(bytes / 1e9, 2);
  return [
    `${r.shape}, weights ${r.weights === 'in place' ? 'read in place' : 'copied in at each matmul (baseline)'} (${gb(r.storedBytes)} GB of bf16 weights, float32 in memory): loaded in ${round(r.loadSeconds, 1)} s, peak RSS ${round(r.peakRssMB)} MB`,
    `  prefill ${round(r.prefillTokensPerSecond, 1)} tokens/s (${r.options.promptTokens}-token prompt); decode ${round(r.decodeTokensPerSecond, 2)} tokens/s on ${r.threads} thread(s)`,
    `  memory bandwidth ${round(r.bandwidthGBps, 1)} GB/s (streaming read, ${r.threads} thread(s)); ${gb(r.decodeBytesPerToken)} GB of float32 matrices read per token` +
      ` → limit ${round(r.bandwidthLimitTokensPerSecond, 2)} tokens/s; decode at ${round((100 * r.decodeTokensPerSecond) / r.bandwidthLimitTokensPerSecond)} % of it` +
      ` (${round(100 * r.residentShare)} % of those bytes resident in WebAssembly memory)`,
    `  RSS ${round(r.rssAfterFirstTokenMB)} MB after the first decoded token, ${round(r.rssAfterLastTokenMB)} MB after the last`,
  ].join('\n');
}

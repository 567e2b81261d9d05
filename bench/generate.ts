/**
 * `npm run bench -- --generate`: generation with fla DeltaNet models of the fla-hub shapes, random
 * bf16 weights written to a temporary directory with saveHfDeltaNet, then loaded with loadHfDeltaNet
 * in a fresh process (bench/generateChild.ts) that measures load time, peak RSS, prefill and decode
 * tokens/s, beside the memory bandwidth it measures itself and the decode speed that bandwidth
 * allows (every matrix read once per token), and the RSS along decoding. The 340M model also runs in
 * PyTorch on the CPU through scripts/fla_reference.py (`bench`), where Debian's python3-torch is
 * installed. Shapes (fla's DeltaNetConfig defaults, docs/pretrained.md):
 *
 *   340M: hidden 1024, 24 layers, 8 heads of 128, vocabulary 32,000, tied embeddings (fla's 340M
 *         training configs' hidden size, depth, vocabulary and tying): ≈ 341 M parameters
 *   1.3B: hidden 2048, 24 layers, 16 heads of 128, vocabulary 32,000, untied (fla-hub/delta_net-1.3B-100B): ≈ 1.37 B
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
  /** 'in place': matrices kept bf16 in WebAssembly memory; 'copied': the baseline (GenerationOptions.baseline). */
  weights: 'in place' | 'copied';
  options: GenerationOptions;
  /** Decode tokens/s the measured bandwidth allows: bandwidth over decodeBytesPerToken. */
  bandwidthLimitTokensPerSecond: number;
  /** The same model in PyTorch on the CPU (scripts/fla_reference.py bench), or why it did not run. */
  torch?: TorchSpeed | { skipped: string };
}

/** What scripts/fla_reference.py bench prints. */
export interface TorchSpeed {
  loadSeconds: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  peakRssMB: number;
  threads: number;
  torch: string;
  promptTokens: number;
  decodeTokens: number;
}

/** The Python with PyTorch (Debian's python3-torch); the default python3 on PATH may lack it. */
const TORCH_PYTHON = '/usr/bin/python3';
const referenceScript = fileURLToPath(new URL('../../scripts/fla_reference.py', import.meta.url));

/**
 * At most this many prompt and decoded tokens for PyTorch: the reference script's prompt goes through
 * its naive recurrence in Python, a step per token and layer, and its speed does not change with length.
 */
const TORCH_MAX_PROMPT = 128, TORCH_MAX_DECODE = 32;

/** The reference script's CPU speed on the model in `directory`, or why it could not run. */
function measureTorch(directory: string, options: GenerationOptions): TorchSpeed | { skipped: string } {
  if (!existsSync(TORCH_PYTHON) || !existsSync(referenceScript)) return { skipped: `${TORCH_PYTHON} or ${referenceScript} is missing` };
  const prompt = Math.min(options.promptTokens, TORCH_MAX_PROMPT), decode = Math.min(options.decodeTokens, TORCH_MAX_DECODE);
  try {
    const out = execFileSync(TORCH_PYTHON, [referenceScript, 'bench', directory, String(prompt), String(decode), String(options.threads)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 20,
    });
    return { ...(JSON.parse(out.toString().trim().split('\n').pop()!) as Omit<TorchSpeed, 'promptTokens' | 'decodeTokens'>), promptTokens: prompt, decodeTokens: decode };
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? (e as Error).message).trim().split('\n').pop();
    return { skipped: `the reference script failed: ${stderr}` };
  }
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
      if (shape === '340M') {
        log(`… ${shape}: the same model in PyTorch on the CPU (scripts/fla_reference.py bench, ${options.threads} thread(s))`);
        results[results.length - 1]!.torch = measureTorch(directory, options);
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }
  return results;
}

const round = (x: number, digits = 0) => x.toFixed(digits);

/** The peak RSS the bench aims under: 1.15 × the weights' stored bytes + 100 MB (in MB of 2^20 bytes, as the RSS). */
export function rssTargetMB(r: GenerationMeasurement): number {
  return (1.15 * r.storedBytes) / 2 ** 20 + 100;
}

/** One paragraph per model, rounded for people. */
export function formatGeneration(r: GenerationSpeed): string {
  const gb = (bytes: number) => round(bytes / 1e9, 2);
  const share = (100 * r.decodeTokensPerSecond) / r.bandwidthLimitTokensPerSecond;
  const lines = [
    `${r.shape}, weights ${r.weights === 'in place' ? 'bf16, read in place' : 'float32, copied in at each matmul (baseline)'} (${gb(r.storedBytes)} GB stored as bf16, ${gb(r.memoryBytes)} GB in memory): loaded in ${round(r.loadSeconds, 1)} s`,
    `  peak RSS ${round(r.peakRssMB)} MB (target ≤ 1.15 × stored + 100 MB = ${round(rssTargetMB(r))} MB: ${r.peakRssMB <= rssTargetMB(r) ? 'met' : 'missed'})`,
    `  prefill ${round(r.prefillTokensPerSecond, 1)} tokens/s (${r.options.promptTokens}-token prompt); decode ${round(r.decodeTokensPerSecond, 2)} tokens/s on ${r.threads} thread(s)`,
    `  memory bandwidth ${round(r.bandwidthGBps, 1)} GB/s (streaming read, ${r.threads} thread(s)); ${gb(r.decodeBytesPerToken)} GB of matrices read per token` +
      ` → limit ${round(r.bandwidthLimitTokensPerSecond, 2)} tokens/s; decode at ${round(share)} % of it (target ≥ 60 %)` +
      ` (${round(100 * r.residentShare)} % of those bytes resident in WebAssembly memory)`,
    `  RSS along decoding (tokens: MB): ${r.rssAlongMB.map(([t, mb]) => `${t}: ${round(mb)}`).join(', ')}; ${round(r.rssAfterLastTokenMB)} MB after the last`,
  ];
  if (r.torch && 'skipped' in r.torch) lines.push(`  PyTorch-CPU (scripts/fla_reference.py): not run, ${r.torch.skipped}`);
  else if (r.torch) {
    lines.push(`  PyTorch ${r.torch.torch} on the CPU (scripts/fla_reference.py, float32 weights, ${r.torch.threads} thread(s)): loaded in ${round(r.torch.loadSeconds, 1)} s, peak RSS ${round(r.torch.peakRssMB)} MB,` +
      ` prefill ${round(r.torch.prefillTokensPerSecond, 1)} tokens/s (${r.torch.promptTokens}-token prompt, naive recurrence), decode ${round(r.torch.decodeTokensPerSecond, 2)} tokens/s (${r.torch.decodeTokens} tokens)`);
  }
  return lines.join('\n');
}

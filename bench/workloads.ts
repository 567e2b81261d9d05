/**
 * The workloads every implementation runs, with the nominal FLOP counts used for GFLOP/s.
 * Layers: B = 1, H = 8, T = 256, d = 64; φ = ELU + 1 with sum normalisation on q and k; loss
 * Σ y ⊙ R with a fixed random R; gradients for q, k, v (and β). Nominal FLOPs of a layer are
 * 3 × those of its recurrent forward (4·T·d² per head for the sum rule: write and read; 6·T·d² for
 * the delta rule: retrieve, write, read), whatever form an implementation computes.
 */
import type { MeasureOptions, Timing } from './measure.js';

export interface Workload {
  id: string;
  description: string;
  flops: number;
  /** Peers implement it too (kernel-only workloads are ours alone). */
  peers: boolean;
}

export const LAYER = { B: 1, H: 8, T: 256, d: 64 } as const;
const heads = LAYER.B * LAYER.H;

export const workloads: Workload[] = [
  { id: 'matmul-128-fwd', description: 'C = A·B, 128 × 128', flops: 2 * 128 ** 3, peers: true },
  { id: 'matmul-128-fwdbwd', description: 'C = A·B and dA = dC·Bᵀ, dB = Aᵀ·dC, 128', flops: 6 * 128 ** 3, peers: true },
  { id: 'matmul-512-fwd', description: 'C = A·B, 512 × 512', flops: 2 * 512 ** 3, peers: true },
  { id: 'matmul-512-fwdbwd', description: 'C = A·B and dA, dB, 512', flops: 6 * 512 ** 3, peers: true },
  { id: 'sum-layer-fwdbwd', description: 'linear attention (sum rule), φ and grads, B1 H8 T256 d64', flops: 3 * 4 * LAYER.T * LAYER.d ** 2 * heads, peers: true },
  { id: 'delta-layer-fwdbwd', description: 'delta rule, φ and grads, B1 H8 T256 d64', flops: 3 * 6 * LAYER.T * LAYER.d ** 2 * heads, peers: true },
  { id: 'kernel-sumScan-fwdbwd', description: 'sum-rule scan kernels only (normalised), N8 T256 d64', flops: 3 * 4 * LAYER.T * LAYER.d ** 2 * heads, peers: false },
  { id: 'kernel-deltaScan-fwdbwd', description: 'delta-rule scan kernels only, N8 T256 d64', flops: 3 * 6 * LAYER.T * LAYER.d ** 2 * heads, peers: false },
  { id: 'kernel-sumScan-chunkwise-fwdbwd', description: 'the same in the chunkwise form (C = 64) over the backend matmul', flops: 3 * 4 * LAYER.T * LAYER.d ** 2 * heads, peers: false },
  { id: 'kernel-deltaScan-chunkwise-fwdbwd', description: 'the same in the chunkwise form (C = 64) over the backend matmul', flops: 3 * 6 * LAYER.T * LAYER.d ** 2 * heads, peers: false },
  { id: 'kernel-outerSum', description: 'Σ_t v_t ⊗ k_t, N8 T256 d64', flops: 2 * LAYER.T * LAYER.d ** 2 * heads, peers: false },
];

/** Runs one workload once; built by each implementation for the workloads it supports. */
export type Runner = () => void;

export interface Implementation {
  name: string;
  /** Runners keyed by workload id; an implementation without a runner for a workload skips it. */
  runners: Partial<Record<string, Runner>>;
  /** Workloads this implementation times itself (e.g. in a worker thread), keyed by id. */
  measuredElsewhere?: Partial<Record<string, (options: MeasureOptions) => Promise<Timing>>>;
}

/** Deterministic pseudo-random floats in [low, high), the same for every implementation. */
export function randomData(n: number, seed: number, low = -1, high = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = low + (high - low) * ((s >>> 0) / 4294967296);
  }
  return out;
}

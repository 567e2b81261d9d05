/**
 * Our implementations of the workloads: the kernels called directly (matmul, scans, outerSum) and
 * the layers through the autograd engine (the layers' own φ', then fastWeightSum / fastWeightDelta).
 */
import { Tensor } from '../src/tensor/tensor.js';
import { mul } from '../src/ops/arithmetic.js';
import { sum } from '../src/ops/reduce.js';
import { EluFeatureMap, sumNormalise } from '../src/nn/attention/featureMaps.js';
import { fastWeightDelta, fastWeightSum } from '../src/ops/fastweight.js';
import { getBackend, setBackend, type BackendName } from '../kernels/index.js';
import '../kernels/backends/gpu.js'; // the gpu backend registered
import '../kernels/threads/index.js'; // the wasm kernels on every core (FASTWEIGHTS_THREADS)
import { sumScanBackwardChunked, sumScanForwardChunked } from '../kernels/sumRule/chunkwise.js';
import { deltaScanBackwardChunked, deltaScanForwardChunked } from '../kernels/deltaRule/chunkwise.js';
import { LAYER, randomData, type Implementation, type Runner } from './workloads.js';

const CHUNK = 64;

function matmulRunners(size: number): { fwd: Runner; fwdbwd: Runner } {
  const a = randomData(size * size, 1), b = randomData(size * size, 2), dC = randomData(size * size, 3);
  const c = new Float32Array(size * size), dA = new Float32Array(size * size), dB = new Float32Array(size * size);
  const shape = { batch: 1, m: size, n: size, k: size, aBatchStride: 0, bBatchStride: 0 };
  const forward = () => getBackend().matmul({ ...shape, a, b, out: c, transA: false, transB: false });
  return {
    fwd: forward,
    fwdbwd: () => {
      forward();
      getBackend().matmul({ ...shape, a: dC, b, out: dA, transA: false, transB: true });
      getBackend().matmul({ ...shape, a, b: dC, out: dB, transA: true, transB: false });
    },
  };
}

/** φ'(x): the library's own feature map path (fused ELU + 1, then sum normalisation), as the layers run it. */
function phi(x: Tensor): Tensor {
  return sumNormalise(new EluFeatureMap(x.shape[x.rank - 1]!).apply(x));
}

/**
 * The layer workload: its leaves (q, k, v, β: [B, H, T, d], β [B, H, T]) and one forward + backward over
 * them, which leaves the gradients in the leaves' `grad` (bench/torchPair.ts compares them with PyTorch's).
 */
export function layerWorkload(rule: 'sum' | 'delta', featureMap: (x: Tensor) => Tensor = phi): { leaves: Record<'q' | 'k' | 'v' | 'beta', Tensor>; run: Runner } {
  const { B, H, T, d } = LAYER;
  const leaf = (data: Float32Array, shape: number[]) => new Tensor(data, shape, { requiresGrad: true });
  const q = leaf(randomData(B * H * T * d, 11), [B, H, T, d]);
  const k = leaf(randomData(B * H * T * d, 12), [B, H, T, d]);
  const v = leaf(randomData(B * H * T * d, 13), [B, H, T, d]);
  const beta = leaf(randomData(B * H * T, 14, 0, 1), [B, H, T]);
  const R = new Tensor(randomData(B * H * T * d, 15), [B, H, T, d]);
  const run = () => {
    for (const t of [q, k, v, beta]) t.grad = null;
    const [fq, fk] = [featureMap(q), featureMap(k)];
    const y = rule === 'sum' ? fastWeightSum(fq, fk, v).output : fastWeightDelta(fq, fk, v, beta).output;
    sum(mul(y, R)).backward();
  };
  return { leaves: { q, k, v, beta }, run };
}

const layerRunner = (rule: 'sum' | 'delta'): Runner => layerWorkload(rule).run;

function scanKernelRunners(): { sum: Runner; delta: Runner; sumChunkwise: Runner; deltaChunkwise: Runner; outerSum: Runner } {
  const { T, d } = LAYER;
  const N = LAYER.B * LAYER.H;
  const q = randomData(N * T * d, 21, 0, 2 / d), k = randomData(N * T * d, 22, 0, 2 / d), v = randomData(N * T * d, 23);
  const beta = randomData(N * T, 24, 0, 1), dy = randomData(N * T * d, 25);
  const sumArgs = { q, k, v, N, T, dk: d, dv: d, normalise: true, eps: 1e-6, initialState: null, initialZ: null };
  const deltaArgs = { q, k, v, beta, N, T, dk: d, dv: d, initialState: null };
  return {
    sum: () => {
      const forward = getBackend().sumScanForward(sumArgs);
      getBackend().sumScanBackward({ ...sumArgs, forward, dy, dFinalState: null, dFinalZ: null });
    },
    delta: () => {
      const forward = getBackend().deltaScanForward(deltaArgs);
      getBackend().deltaScanBackward({ ...deltaArgs, forward, dy, dFinalState: null });
    },
    // The chunkwise forms over whatever matmul the backend has: what the fused kernels are chosen over.
    sumChunkwise: () => {
      const matmul = getBackend().matmul;
      const forward = sumScanForwardChunked(sumArgs, matmul, CHUNK);
      sumScanBackwardChunked({ ...sumArgs, forward, dy, dFinalState: null, dFinalZ: null }, matmul, CHUNK);
    },
    deltaChunkwise: () => {
      const matmul = getBackend().matmul;
      const forward = deltaScanForwardChunked(deltaArgs, matmul, CHUNK);
      deltaScanBackwardChunked({ ...deltaArgs, forward, dy, dFinalState: null }, matmul, CHUNK);
    },
    outerSum: () => void getBackend().outerSum(v, k, N, T, d, d),
  };
}

/** Every runner selects its backend first, so implementations can be measured in any order. */
export function ours(backend: BackendName): Implementation {
  const m128 = matmulRunners(128), m512 = matmulRunners(512), scans = scanKernelRunners();
  const runners: Record<string, Runner> = {
    'matmul-128-fwd': m128.fwd,
    'matmul-128-fwdbwd': m128.fwdbwd,
    'matmul-512-fwd': m512.fwd,
    'matmul-512-fwdbwd': m512.fwdbwd,
    'sum-layer-fwdbwd': layerRunner('sum'),
    'delta-layer-fwdbwd': layerRunner('delta'),
    'kernel-sumScan-fwdbwd': scans.sum,
    'kernel-deltaScan-fwdbwd': scans.delta,
    'kernel-sumScan-chunkwise-fwdbwd': scans.sumChunkwise,
    'kernel-deltaScan-chunkwise-fwdbwd': scans.deltaChunkwise,
    'kernel-outerSum': scans.outerSum,
  };
  const selected: Record<string, Runner> = {};
  for (const [id, run] of Object.entries(runners)) {
    selected[id] = () => {
      setBackend(backend);
      run();
    };
  }
  return { name: `fastweights ${backend}`, runners: selected };
}

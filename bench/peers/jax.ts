/**
 * @jax-js/jax on its WebAssembly device, every workload as jit(grad(loss)). jax-js arrays are
 * reference-counted and every function consumes its arguments, hence the `.ref`s: each use but the
 * last takes a new reference. The delta rule is a T-step loop traced once by jit (compilation takes
 * seconds; it happens in the warm-up call, outside the timing).
 */
import { Worker } from 'node:worker_threads';
import { grad, init, jit, nn, numpy as np } from '@jax-js/jax';
import { LAYER, randomData, type Implementation, type Runner } from '../workloads.js';
import type { MeasureOptions, Timing } from '../measure.js';

type Arr = np.Array;

function phi(x: Arr): Arr {
  const features = nn.elu(x).add(1);
  return features.ref.div(features.sum(-1, { keepdims: true }));
}

/** Calls a jitted gradient with fresh references to the inputs and forces every result. */
function runGrad(fn: (...xs: Arr[]) => Arr | Arr[], inputs: Arr[]): Runner {
  return () => {
    const out = fn(...inputs.map((x) => x.ref));
    // dataSync waits for the result and, like every jax-js call, consumes (frees) the array.
    for (const g of Array.isArray(out) ? out : [out]) g.dataSync();
  };
}

function matmulRunners(size: number): { fwd: Runner; fwdbwd: Runner } {
  const a = np.array(randomData(size * size, 1)).reshape([size, size]);
  const b = np.array(randomData(size * size, 2)).reshape([size, size]);
  const R = np.array(randomData(size * size, 3)).reshape([size, size]);
  const forward = jit((x: Arr, y: Arr) => np.matmul(x, y));
  const loss = (x: Arr, y: Arr, r: Arr) => np.matmul(x, y).mul(r).sum();
  const gradients = jit(grad(loss, { argnums: [0, 1] })) as unknown as (...xs: Arr[]) => Arr[];
  return { fwd: runGrad(forward, [a, b]), fwdbwd: runGrad(gradients, [a, b, R]) };
}

export function layerRunners(): { sum: Runner; delta: Runner } {
  const { B, H, T, d } = LAYER;
  const q = np.array(randomData(B * H * T * d, 11)).reshape([B, H, T, d]);
  const k = np.array(randomData(B * H * T * d, 12)).reshape([B, H, T, d]);
  const v = np.array(randomData(B * H * T * d, 13)).reshape([B, H, T, d]);
  const beta = np.array(randomData(B * H * T, 14, 0, 1)).reshape([B, H, T]);
  const R = np.array(randomData(B * H * T * d, 15)).reshape([B, H, T, d]);
  const mask = np.tril(np.ones([T, T]));
  const sumLoss = (qx: Arr, kx: Arr, vx: Arr, r: Arr, m: Arr) => {
    const scores = np.matmul(phi(qx), phi(kx).transpose([0, 1, 3, 2])).mul(m);
    return np.matmul(scores, vx).mul(r).sum();
  };
  const deltaLoss = (qx: Arr, kx: Arr, vx: Arr, bx: Arr, r: Arr) => {
    const [pq, pk] = [phi(qx), phi(kx)];
    let W: Arr = np.zeros([B, H, d, d]);
    const ys: Arr[] = [];
    for (let t = 0; t < T; t++) {
      const kt = pk.ref.slice([], [], [t, t + 1], []); // [B, H, 1, d]
      const qt = pq.ref.slice([], [], [t, t + 1], []);
      const vt = vx.ref.slice([], [], [t, t + 1], []);
      const bt = bx.ref.slice([], [], [t, t + 1]).reshape([B, H, 1, 1]);
      const vBar = np.matmul(kt.ref, W.ref.transpose([0, 1, 3, 2])); // (W k)ᵀ
      const u = vt.sub(vBar).mul(bt);
      W = W.add(np.matmul(u.transpose([0, 1, 3, 2]), kt)); // u ⊗ k
      ys.push(np.matmul(qt, W.ref.transpose([0, 1, 3, 2]))); // (W q)ᵀ
    }
    W.dispose();
    pq.dispose();
    pk.dispose();
    vx.dispose();
    bx.dispose();
    return np.concatenate(ys, 2).mul(r).sum();
  };
  const sumGrad = jit(grad(sumLoss, { argnums: [0, 1, 2] })) as unknown as (...xs: Arr[]) => Arr[];
  const deltaGrad = jit(grad(deltaLoss, { argnums: [0, 1, 2, 3] })) as unknown as (...xs: Arr[]) => Arr[];
  return { sum: runGrad(sumGrad, [q, k, v, R, mask]), delta: runGrad(deltaGrad, [q, k, v, beta, R]) };
}

/**
 * Tracing the 256-step delta loop under grad recurses deeper than Node's default stack allows
 * ("Maximum call stack size exceeded"), so that workload is timed in a worker thread of this process
 * with a larger stack (./jaxDeltaWorker.ts).
 */
function measureDeltaInWorker(options: MeasureOptions): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./jaxDeltaWorker.js', import.meta.url), { workerData: options, resourceLimits: { stackSizeMb: 64 } });
    worker.once('message', (m: { timing?: Timing; error?: string }) => (m.timing ? resolve(m.timing) : reject(new Error(m.error))));
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`jax delta worker exited with code ${code}`)));
  });
}

export async function jaxWasm(): Promise<Implementation> {
  await init('wasm');
  const m128 = matmulRunners(128), m512 = matmulRunners(512), layers = layerRunners();
  return {
    name: 'jax-js wasm',
    runners: {
      'matmul-128-fwd': m128.fwd,
      'matmul-128-fwdbwd': m128.fwdbwd,
      'matmul-512-fwd': m512.fwd,
      'matmul-512-fwdbwd': m512.fwdbwd,
      'sum-layer-fwdbwd': layers.sum,
    },
    measuredElsewhere: { 'delta-layer-fwdbwd': measureDeltaInWorker },
  };
}

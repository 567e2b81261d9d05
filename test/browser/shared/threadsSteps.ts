/**
 * What the threads page (pages/threads.ts) runs, the same in a page and in Node: a few training
 * steps of the demo's two retrieval models (demo/retrievalTrainer.ts), and one forward and backward
 * of a delta-rule layer at the standard shape (8 heads, T = 256, d = 64: work the wasm kernels split
 * over threads; the demo's models are below the size where a split pays, 2²⁰ scan cells).
 */
import { RetrievalTrainer } from '../../../demo/retrievalTrainer.js';
import { getBackend } from '../../../src/index.js';
import { Rng } from '../../../src/tensor/rng.js';

export const DEMO_STEPS = 6;

/** The losses of DEMO_STEPS steps of each of the demo's models. */
export function demoLosses(): { delta: number[]; sum: number[] } {
  const run = (rule: 'delta' | 'sum') => {
    const trainer = new RetrievalTrainer(rule);
    return Array.from({ length: DEMO_STEPS }, () => trainer.step());
  };
  return { delta: run('delta'), sum: run('sum') };
}

/** One delta-layer scan forward and backward [N = 8, T = 256, d = 64]: its outputs, as plain numbers. */
export function deltaLayer(): number[][] {
  const rng = new Rng(5);
  const N = 8, T = 256, d = 64;
  const draw = (n: number, scale: number) => Float32Array.from({ length: n }, () => scale * (2 * rng.uniform() - 1));
  const q = draw(N * T * d, 1 / 8), k = draw(N * T * d, 1 / 8), v = draw(N * T * d, 1), beta = Float32Array.from({ length: N * T }, () => rng.uniform());
  const dy = draw(N * T * d, 1);
  const args = { q, k, v, beta, N, T, dk: d, dv: d, initialState: null };
  const forward = getBackend().deltaScanForward(args);
  const grads = getBackend().deltaScanBackward({ ...args, forward, dy, dFinalState: null });
  return [forward.y, grads.dq, grads.dk, grads.dv, grads.dbeta].map((a) => Array.from(a));
}

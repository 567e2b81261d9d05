/**
 * One case of `npm run bench -- --long` (bench/long.ts), in a process of its own so that its peak RSS
 * is its own: one causal fast-weight attention layer (d_model 512, 8 heads of 64, φ = ELU + 1 with
 * sum normalisation) forward and backward over one sequence of T tokens, loss Σ out ⊙ R, inside a
 * scratch scope as a training step runs it. One call to warm up (and fill the scratch pool), then
 * `calls` timed calls. The layer runs in blocks of BLOCK steps, each recomputed in backward
 * (FastWeightAttentionOptions.blockSize; default LONG_BLOCK), or over the whole sequence at once
 * with BLOCK = 0.
 *
 *   node dist/bench/longChild.js delta|linear T CALLS [BLOCK]   → one JSON line on stdout (LongMeasurement)
 */
import { performance } from 'node:perf_hooks';
import { createAttention } from '../src/nn/attention/factory.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { mul } from '../src/ops/arithmetic.js';
import { sum } from '../src/ops/reduce.js';
import { withScratch } from '../kernels/index.js';
import { randomData } from './workloads.js';
import { LONG_BLOCK, LONG_LAYER, type LongMeasurement } from './long.js';

const [model, tText, callsText, blockText] = process.argv.slice(2);
const T = Number(tText), calls = Number(callsText), block = blockText === undefined ? LONG_BLOCK : Number(blockText);
if ((model !== 'delta' && model !== 'linear') || !(Number.isInteger(T) && T >= 1) || !(Number.isInteger(calls) && calls >= 1) || !(Number.isInteger(block) && block >= 0)) {
  console.error('usage: node dist/bench/longChild.js delta|linear T CALLS [BLOCK]  (BLOCK: steps per recomputed block, 0 = the whole sequence at once)');
  process.exit(2);
}
const { dModel, heads, dHead } = LONG_LAYER;
const layer = createAttention(model, { dModel, heads, dHead, causal: true, rng: new Rng(1), ...(block > 0 ? { blockSize: block } : {}) });
const x = new Tensor(randomData(T * dModel, 41), [1, T, dModel], { requiresGrad: true });
const R = new Tensor(randomData(T * dModel, 42), [1, T, dModel]);
const step = () =>
  withScratch(() => {
    x.grad = null;
    layer.zeroGrad();
    sum(mul(layer.forward(x).output, R)).backward();
  });
step();
const callsMs: number[] = [];
const cpuStart = process.cpuUsage();
for (let i = 0; i < calls; i++) {
  const t0 = performance.now();
  step();
  callsMs.push(performance.now() - t0);
}
const cpu = process.cpuUsage(cpuStart);
const result: LongMeasurement = {
  model, T, block, msPerToken: Math.min(...callsMs) / T, cpuMsPerToken: (cpu.user + cpu.system) / 1000 / calls / T, callsMs, peakRssMB: process.resourceUsage().maxRSS / 1024,
};
console.log(JSON.stringify(result));

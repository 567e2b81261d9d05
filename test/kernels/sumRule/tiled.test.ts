/**
 * The sum rule's causal masked form and fused chunkwise kernel pinned to the reference (gradients
 * included; the reference's own backward is checked against finite differences in reference.test.ts):
 * the masked form's plain float64 loops (kernels/sumRule/causal.ts), and the WebAssembly kernel
 * (kernels/sumRule/wasmTiled.ts) in float32 with one chunk of T steps (the masked form) and with
 * chunks of 1, 5 and 16 steps, on random shapes with T = 1, d = 1 and sizes that are not multiples
 * of the 4 × 8 tile, T past several tiles and chunks included.
 */
import { describe } from 'vitest';
import { jsBackend } from '../../../kernels/backends/js.js';
import { overriding } from '../../../kernels/backends/override.js';
import { sumScanBackwardCausal, sumScanForwardCausal } from '../../../kernels/sumRule/causal.js';
import { sumScanBackwardTiledWasm, sumScanForwardTiledWasm } from '../../../kernels/sumRule/wasmTiled.js';
import { describeConformance } from '../backends/conformance.js';
import { toleranceFor } from '../helpers.js';
import { sumRuleConformance } from './conformance.js';

describe('causal sum rule, plain loops', () => {
  const backend = overriding(jsBackend, 'js', { sumScanForward: sumScanForwardCausal, sumScanBackward: sumScanBackwardCausal });
  describeConformance(backend, { dtypes: ['float64'], tolerance: toleranceFor, numRuns: 30, maxSize: 7, maxT: 13 }, [sumRuleConformance]);
});

for (const chunk of [Infinity, 1, 5, 16]) {
  describe(`fused chunkwise sum rule in wasm, chunks of ${chunk === Infinity ? 'T' : chunk} steps`, () => {
    const backend = overriding(jsBackend, 'wasm', {
      sumScanForward: (a) => sumScanForwardTiledWasm(a, chunk),
      sumScanBackward: (a) => sumScanBackwardTiledWasm(a, chunk),
    });
    describeConformance(backend, { dtypes: ['float32'], tolerance: toleranceFor, numRuns: 25, maxSize: 19, maxT: 41 }, [sumRuleConformance]);
  });
}

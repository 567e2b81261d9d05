/**
 * The sum rule's causal masked form pinned to the reference (gradients included; the reference's own
 * backward is checked against finite differences in reference.test.ts): its plain float64 loops
 * (kernels/sumRule/causal.ts) and the fused WebAssembly kernel (kernels/sumRule/wasmCausal.ts) in
 * float32, on random shapes with T = 1, d = 1 and sizes that are not multiples of the 4 × 8 tile,
 * T past several tiles included.
 */
import { describe } from 'vitest';
import { jsBackend } from '../../../kernels/backends/js.js';
import { overriding } from '../../../kernels/backends/override.js';
import { sumScanBackwardCausal, sumScanForwardCausal } from '../../../kernels/sumRule/causal.js';
import { sumScanBackwardCausalWasm, sumScanForwardCausalWasm } from '../../../kernels/sumRule/wasmCausal.js';
import { describeConformance } from '../backends/conformance.js';
import { toleranceFor } from '../helpers.js';
import { sumRuleConformance } from './conformance.js';

describe('causal sum rule, plain loops', () => {
  const backend = overriding(jsBackend, 'js', { sumScanForward: sumScanForwardCausal, sumScanBackward: sumScanBackwardCausal });
  describeConformance(backend, { dtypes: ['float64'], tolerance: toleranceFor, numRuns: 30, maxSize: 7, maxT: 13 }, [sumRuleConformance]);
});

describe('causal sum rule, fused wasm kernel', () => {
  const backend = overriding(jsBackend, 'wasm', { sumScanForward: sumScanForwardCausalWasm, sumScanBackward: sumScanBackwardCausalWasm });
  describeConformance(backend, { dtypes: ['float32'], tolerance: toleranceFor, numRuns: 40, maxSize: 19, maxT: 41 }, [sumRuleConformance]);
});

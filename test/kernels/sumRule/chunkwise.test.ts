/** The chunkwise-parallel sum-rule scan on the CPU matmul, pinned to the reference; chunk sizes 1..5 so chunks of every length meet. */
import { describe } from 'vitest';
import { jsBackend } from '../../../kernels/backends/js.js';
import { overriding } from '../../../kernels/backends/override.js';
import { matmulJs } from '../../../kernels/matmul/js.js';
import { sumScanBackwardChunked, sumScanForwardChunked } from '../../../kernels/sumRule/chunkwise.js';
import { describeConformance } from '../backends/conformance.js';
import { toleranceFor } from '../helpers.js';
import { sumRuleConformance } from './conformance.js';

for (const chunk of [1, 3, 5]) {
  describe(`chunkwise sum rule, chunk size ${chunk}`, () => {
    const backend = overriding(jsBackend, 'js', {
      sumScanForward: (a) => sumScanForwardChunked(a, matmulJs, chunk),
      sumScanBackward: (a) => sumScanBackwardChunked(a, matmulJs, chunk),
    });
    describeConformance(backend, { dtypes: ['float64'], tolerance: toleranceFor, numRuns: 25, maxSize: 7, maxT: 17 }, [sumRuleConformance]);
  });
}

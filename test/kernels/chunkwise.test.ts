/** The chunkwise-parallel scans on the CPU matmul, pinned to the reference; chunk sizes 1..5 so chunks of every length meet. */
import { describe } from 'vitest';
import type { KernelBackend } from '../../kernels/types.js';
import { jsBackend } from '../../kernels/js/index.js';
import { matmulJs } from '../../kernels/js/matmul.js';
import { sumScanBackwardChunked, sumScanForwardChunked } from '../../kernels/chunkwise/sumChunked.js';
import { deltaScanBackwardChunked, deltaScanForwardChunked } from '../../kernels/chunkwise/deltaChunked.js';
import { describeConformance } from './backendConformance.js';
import { toleranceFor } from './helpers.js';

function chunkedBackend(chunk: number): KernelBackend {
  return {
    ...jsBackend,
    sumScanForward: (a) => sumScanForwardChunked(a, matmulJs, chunk),
    sumScanBackward: (a) => sumScanBackwardChunked(a, matmulJs, chunk),
    deltaScanForward: (a) => deltaScanForwardChunked(a, matmulJs, chunk),
    deltaScanBackward: (a) => deltaScanBackwardChunked(a, matmulJs, chunk),
  };
}

for (const chunk of [1, 3, 5]) {
  describe(`chunkwise scans, chunk size ${chunk}`, () => {
    describeConformance(chunkedBackend(chunk), { dtypes: ['float64'], tolerance: toleranceFor, numRuns: 25, maxSize: 7, maxT: 17, only: 'scans' });
  });
}

/** The js backend: plain TypeScript kernels tuned for CPUs, float32 and float64. */
import { referenceBackend } from './reference.js';
import { overriding } from './override.js';
import { matmulJs } from '../matmul/js.js';
import { outerJs, outerSumJs } from '../outer/js.js';
import { sumScanBackwardJs, sumScanForwardJs } from '../sumRule/js.js';
import { deltaScanBackwardJs, deltaScanForwardJs } from '../deltaRule/js.js';

// No faster plain form of the elementwise loops and array passes exists: the js backend runs the
// reference's, and replaces the products and the scans.
export const jsBackend = overriding(referenceBackend, 'js', {
  matmul: matmulJs,
  outer: outerJs,
  outerSum: outerSumJs,
  sumScanForward: sumScanForwardJs,
  sumScanBackward: sumScanBackwardJs,
  deltaScanForward: deltaScanForwardJs,
  deltaScanBackward: deltaScanBackwardJs,
});

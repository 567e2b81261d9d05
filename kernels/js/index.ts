/** The js backend: plain TypeScript kernels tuned for CPUs, float32 and float64. */
import type { KernelBackend } from '../types.js';
import { matmulJs } from './matmul.js';
import { outerJs, outerSumJs } from './outer.js';
import { sumScanBackwardJs, sumScanForwardJs } from './sumScan.js';
import { deltaScanBackwardJs, deltaScanForwardJs } from './deltaScan.js';

export const jsBackend: KernelBackend = {
  name: 'js',
  matmul: matmulJs,
  outer: outerJs,
  outerSum: outerSumJs,
  sumScanForward: sumScanForwardJs,
  sumScanBackward: sumScanBackwardJs,
  deltaScanForward: deltaScanForwardJs,
  deltaScanBackward: deltaScanBackwardJs,
};

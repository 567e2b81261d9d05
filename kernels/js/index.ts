/** The js backend: plain TypeScript kernels tuned for CPUs, float32 and float64. */
import type { KernelBackend } from '../types.js';
import { matmulJs } from './matmul.js';
import { outerJs, outerSumJs } from './outer.js';
import { sumScanBackwardJs, sumScanForwardJs } from './sumScan.js';
import { deltaScanBackwardJs, deltaScanForwardJs } from './deltaScan.js';
// No faster plain form of the elementwise loops exists: the js backend runs the reference's.
import { eluPlusOneReference, geluBackwardReference, geluReference, layerNormRowsBackwardReference, layerNormRowsReference, softmaxRowsReference } from '../reference/elementwise.js';

import { binaryReference, dropoutReference, gatherRunsReference, scatterRunsReference, sumRowsReference } from '../reference/arrays.js';
import { maskedSoftmaxBackwardReference, maskedSoftmaxReference } from '../reference/attention.js';
import { crossEntropyRowsBackwardReference, crossEntropyRowsReference } from '../reference/crossEntropy.js';
import { eluPlusOneBackwardReference, sumNormaliseRowsBackwardReference, sumNormaliseRowsReference } from '../reference/featureMap.js';
import { adamStepReference } from '../reference/optim.js';
export const jsBackend: KernelBackend = {
  name: 'js',
  matmul: matmulJs,
  outer: outerJs,
  outerSum: outerSumJs,
  sumScanForward: sumScanForwardJs,
  sumScanBackward: sumScanBackwardJs,
  deltaScanForward: deltaScanForwardJs,
  deltaScanBackward: deltaScanBackwardJs,
  gelu: geluReference,
  geluBackward: geluBackwardReference,
  eluPlusOne: eluPlusOneReference,
  softmaxRows: softmaxRowsReference,
  layerNormRows: layerNormRowsReference,
  layerNormRowsBackward: layerNormRowsBackwardReference,
  binary: binaryReference,
  sumRows: sumRowsReference,
  gatherRuns: gatherRunsReference,
  scatterRuns: scatterRunsReference,
  dropout: dropoutReference,
  maskedSoftmax: maskedSoftmaxReference,
  maskedSoftmaxBackward: maskedSoftmaxBackwardReference,
  crossEntropyRows: crossEntropyRowsReference,
  crossEntropyRowsBackward: crossEntropyRowsBackwardReference,
  eluPlusOneBackward: eluPlusOneBackwardReference,
  sumNormaliseRows: sumNormaliseRowsReference,
  sumNormaliseRowsBackward: sumNormaliseRowsBackwardReference,
  adamStep: adamStepReference,
};

/** The reference backend: float64 loops written for clarity, the truth the others are tested against. */
import type { KernelBackend } from '../types.js';
import { matmulReference } from './matmul.js';
import { outerReference, outerSumReference } from './outer.js';
import { sumScanBackwardReference, sumScanForwardReference } from './sumScan.js';
import { deltaScanBackwardReference, deltaScanForwardReference } from './deltaScan.js';
import { eluPlusOneReference, geluReference, geluWithSlopeReference, layerNormRowsBackwardReference, layerNormRowsReference, softmaxRowsReference } from './elementwise.js';
import { binaryReference, dropoutReference, gatherRunsReference, scatterRunsReference, sumRowsReference } from './arrays.js';
import { maskedSoftmaxBackwardReference, maskedSoftmaxReference } from './attention.js';
import { crossEntropyRowsBackwardReference, crossEntropyRowsReference } from './crossEntropy.js';
import { eluPlusOneBackwardReference, sumNormaliseRowsBackwardReference, sumNormaliseRowsReference } from './featureMap.js';
import { adamStepReference } from './optim.js';

export const referenceBackend: KernelBackend = {
  name: 'reference',
  matmul: matmulReference,
  outer: outerReference,
  outerSum: outerSumReference,
  sumScanForward: sumScanForwardReference,
  sumScanBackward: sumScanBackwardReference,
  deltaScanForward: deltaScanForwardReference,
  deltaScanBackward: deltaScanBackwardReference,
  gelu: geluReference,
  geluWithSlope: geluWithSlopeReference,
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

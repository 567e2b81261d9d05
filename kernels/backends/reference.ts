/** The reference backend: float64 loops written for clarity, the truth the others are tested against. */
import type { KernelBackend } from '../types.js';
import { matmulReference } from '../matmul/reference.js';
import { outerReference, outerSumReference } from '../outer/reference.js';
import { sumScanBackwardReference, sumScanForwardReference } from '../sumRule/reference.js';
import { deltaScanBackwardReference, deltaScanForwardReference } from '../deltaRule/reference.js';
import { eluPlusOneReference, geluReference, geluWithSlopeReference, layerNormRowsBackwardReference, layerNormRowsReference, softmaxRowsReference } from '../elementwise/reference.js';
import { binaryReference, dropoutReference, gatherRunsReference, scatterRunsReference, sumRowsReference } from '../arrays/reference.js';
import { maskedSoftmaxBackwardReference, maskedSoftmaxReference } from '../attention/reference.js';
import { crossEntropyRowsBackwardReference, crossEntropyRowsReference } from '../crossEntropy/reference.js';
import { eluPlusOneBackwardReference, sumNormaliseRowsBackwardReference, sumNormaliseRowsReference } from '../featureMap/reference.js';
import { adamStepReference } from '../optim/reference.js';

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

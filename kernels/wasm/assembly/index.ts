/** The kernels' WebAssembly module's exports (the resident weights' are in ./resident.ts). Pointers are byte addresses in the one linear memory; 0 means "none". */
export { matmulF32, matmulBatchedF32, matmulScratchFloats } from './matmul';
export { sumScanForwardF32, sumScanBackwardF32, sumScanScratchFloats } from './sumRule';
export { deltaScanForwardF32, deltaScanBackwardF32, deltaScanScratchFloats } from './deltaRule';
export { binaryF32, sumRowsF32, gatherRunsF32, scatterRunsF32, dropoutF32, eluPlusOneBackwardF32, sumNormaliseRowsF32, sumNormaliseRowsBackwardF32 } from './arrays';
export { geluF32, geluWithSlopeF32, eluPlusOneF32, softmaxRowsF32, maskedSoftmaxF32, maskedSoftmaxBackwardF32, crossEntropyRowsF32, crossEntropyRowsBackwardF32, layerNormRowsF32, layerNormRowsBackwardF32 } from './elementwise';

/** The first byte after the module's static data (Mathf.log's tables): JS allocates from here on. */
export function heapBase(): usize {
  return __heap_base;
}
export { adamStepF32 } from './optim';

/**
 * The wasm backend: float32 kernels in WebAssembly SIMD (source: kernels/wasm/assembly, AssemblyScript),
 * split over worker threads in Node (kernels/wasm/threads.ts). Each family's wasm form sends float64
 * inputs, and work too small to repay the copy into WebAssembly memory, to its js form, which is also
 * the fallback where WebAssembly SIMD is missing. Results are the same bits whatever the thread count
 * (see WasmRuntime.run).
 */
import { jsBackend } from './js.js';
import { overriding } from './override.js';
import { wasmRuntime } from '../wasm/runtime.js';
import { matmulWasm } from '../matmul/wasm.js';
import { outerSumWasm } from '../outer/wasm.js';
import { sumScanBackwardWasm, sumScanForwardWasm } from '../sumRule/wasm.js';
import { deltaScanBackwardWasm, deltaScanForwardWasm } from '../deltaRule/wasm.js';
import { inHeadGroups } from '../headGroups.js';
import { eluPlusOneWasm, geluWasm, geluWithSlopeWasm, layerNormRowsBackwardWasm, layerNormRowsWasm, softmaxRowsWasm } from '../elementwise/wasm.js';
import { binaryWasm, dropoutWasm, gatherRunsWasm, scatterRunsWasm, sumRowsWasm } from '../arrays/wasm.js';
import { maskedSoftmaxBackwardWasm, maskedSoftmaxWasm } from '../attention/wasm.js';
import { crossEntropyRowsBackwardWasm, crossEntropyRowsWasm } from '../crossEntropy/wasm.js';
import { eluPlusOneBackwardWasm, sumNormaliseRowsBackwardWasm, sumNormaliseRowsWasm } from '../featureMap/wasm.js';
import { adamStepWasm } from '../optim/wasm.js';

// The outer product stays js's: one multiply per element written, so copying into WebAssembly memory
// would cost more than it saves.
export const wasmBackend = overriding(jsBackend, 'wasm', {
  matmul: matmulWasm,
  outerSum: outerSumWasm,
  // The fused recurrent scans at every shape (the other forms are slower here: docs/kernels.md, "The
  // scan forms"). Long sequences go by groups of heads (kernels/headGroups.ts), so that one call's
  // temporaries fit in WebAssembly memory.
  sumScanForward: inHeadGroups(sumScanForwardWasm),
  sumScanBackward: inHeadGroups(sumScanBackwardWasm),
  deltaScanForward: inHeadGroups(deltaScanForwardWasm),
  deltaScanBackward: inHeadGroups(deltaScanBackwardWasm),
  gelu: geluWasm,
  geluWithSlope: geluWithSlopeWasm,
  eluPlusOne: eluPlusOneWasm,
  softmaxRows: softmaxRowsWasm,
  layerNormRows: layerNormRowsWasm,
  layerNormRowsBackward: layerNormRowsBackwardWasm,
  binary: binaryWasm,
  sumRows: sumRowsWasm,
  gatherRuns: gatherRunsWasm,
  scatterRuns: scatterRunsWasm,
  dropout: dropoutWasm,
  maskedSoftmax: maskedSoftmaxWasm,
  maskedSoftmaxBackward: maskedSoftmaxBackwardWasm,
  crossEntropyRows: crossEntropyRowsWasm,
  crossEntropyRowsBackward: crossEntropyRowsBackwardWasm,
  eluPlusOneBackward: eluPlusOneBackwardWasm,
  sumNormaliseRows: sumNormaliseRowsWasm,
  sumNormaliseRowsBackward: sumNormaliseRowsBackwardWasm,
  adamStep: adamStepWasm,
});

/** True when the WebAssembly SIMD kernels load here (else the wasm backend runs the js kernels). */
export function wasmAvailable(): boolean {
  return wasmRuntime() !== null;
}

/** True when the matmul runs fused multiply-adds (relaxed SIMD here, FASTWEIGHTS_RELAXED_SIMD not 0). */
export function wasmFusedMultiplyAdd(): boolean {
  return wasmRuntime()?.fused ?? false;
}

/**
 * The gpu backend: gpu.js kernels (WebGL / headless GL / WebGPU where present; WebAssembly here).
 * Matmul and outer products are one-thread-per-cell kernels. The scans cannot be a gpu.js kernel
 * (a thread writes one cell and cannot keep a row of W between steps), so they run in their
 * chunkwise-parallel form (kernels/chunkwise/): every product is the matmul kernel, and the small
 * triangular solve and elementwise glue run in TypeScript between kernels.
 * gpu.js computes in float32; for float64 inputs every kernel delegates to the js backend.
 */
import type { KernelBackend } from '../types.js';
import { registerBackend } from '../index.js';
import { jsBackend } from '../js/index.js';
import { gpuInstance } from './context.js';
import { matmulGpu } from './matmul.js';
import { outerGpu, outerSumGpu } from './outer.js';
import { sumScanBackwardChunked, sumScanForwardChunked } from '../chunkwise/sumChunked.js';
import { deltaScanBackwardChunked, deltaScanForwardChunked } from '../chunkwise/deltaChunked.js';

/** Steps per chunk: large enough to give the kernels work, small enough that L² stays below L·d. */
export const GPU_CHUNK_SIZE = 64;

export const gpuBackend: KernelBackend = {
  name: 'gpu',
  matmul: matmulGpu,
  outer: outerGpu,
  outerSum: outerSumGpu,
  sumScanForward: (args) => (args.q instanceof Float32Array ? sumScanForwardChunked(args, matmulGpu, GPU_CHUNK_SIZE) : jsBackend.sumScanForward(args)),
  sumScanBackward: (args) => (args.q instanceof Float32Array ? sumScanBackwardChunked(args, matmulGpu, GPU_CHUNK_SIZE) : jsBackend.sumScanBackward(args)),
  deltaScanForward: (args) => (args.q instanceof Float32Array ? deltaScanForwardChunked(args, matmulGpu, GPU_CHUNK_SIZE) : jsBackend.deltaScanForward(args)),
  deltaScanBackward: (args) => (args.q instanceof Float32Array ? deltaScanBackwardChunked(args, matmulGpu, GPU_CHUNK_SIZE) : jsBackend.deltaScanBackward(args)),
  // Elementwise work stays on the CPU: a GPU round trip per activation would cost more than it saves.
  gelu: jsBackend.gelu,
  geluWithSlope: jsBackend.geluWithSlope,
  eluPlusOne: jsBackend.eluPlusOne,
  softmaxRows: jsBackend.softmaxRows,
  layerNormRows: jsBackend.layerNormRows,
  layerNormRowsBackward: jsBackend.layerNormRowsBackward,
  binary: jsBackend.binary,
  sumRows: jsBackend.sumRows,
  gatherRuns: jsBackend.gatherRuns,
  scatterRuns: jsBackend.scatterRuns,
  dropout: jsBackend.dropout,
  maskedSoftmax: jsBackend.maskedSoftmax,
  maskedSoftmaxBackward: jsBackend.maskedSoftmaxBackward,
  crossEntropyRows: jsBackend.crossEntropyRows,
  crossEntropyRowsBackward: jsBackend.crossEntropyRowsBackward,
  eluPlusOneBackward: jsBackend.eluPlusOneBackward,
  sumNormaliseRows: jsBackend.sumNormaliseRows,
  sumNormaliseRowsBackward: jsBackend.sumNormaliseRowsBackward,
  adamStep: jsBackend.adamStep,
};

// Selectable from now on; selecting it loads gpu.js (or throws with the way to get it).
registerBackend(gpuBackend, gpuInstance);

// The rest of the gpu backend's entry, for the `fastweights/gpu` entry (src/gpu.ts).
export { gpuMode, kernelModes } from './context.js';
export { GPU_JS_VERSION, provideGpuJs } from './gpujs.js';

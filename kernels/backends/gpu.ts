/**
 * The gpu backend: gpu.js kernels (WebGL / headless GL / WebGPU where present; WebAssembly here).
 * Matmul and outer products are one-thread-per-cell kernels. The scans cannot be a gpu.js kernel
 * (a thread writes one cell and cannot keep a row of W between steps), so they run in their
 * chunkwise-parallel form (kernels/sumRule/chunkwise.ts, kernels/deltaRule/chunkwise.ts): every
 * product is the matmul kernel, and the small triangular solve and elementwise glue run in TypeScript
 * between kernels. Elementwise work stays on the CPU (the js backend's): a GPU round trip per
 * activation would cost more than it saves.
 * gpu.js computes in float32; for float64 inputs every kernel delegates to the js backend.
 */
import type { FloatArray } from '../types.js';
import type { Matmul } from '../chunkLayout.js';
import { registerBackend } from '../index.js';
import { jsBackend } from './js.js';
import { overriding } from './override.js';
import { gpuInstance } from '../gpu/context.js';
import { matmulGpu } from '../matmul/gpu.js';
import { outerGpu, outerSumGpu } from '../outer/gpu.js';
import { sumScanBackwardChunked, sumScanForwardChunked } from '../sumRule/chunkwise.js';
import { deltaScanBackwardChunked, deltaScanForwardChunked } from '../deltaRule/chunkwise.js';

/** Steps per chunk: large enough to give the kernels work, small enough that L² stays below L·d. */
export const GPU_CHUNK_SIZE = 64;

/** A scan's chunkwise form on the gpu matmul for float32 inputs, else `js`. */
function onGpu<A extends { q: FloatArray }, R>(chunked: (args: A, matmul: Matmul, chunkSize: number) => R, js: (args: A) => R): (args: A) => R {
  return (args) => (args.q instanceof Float32Array ? chunked(args, matmulGpu, GPU_CHUNK_SIZE) : js(args));
}

export const gpuBackend = overriding(jsBackend, 'gpu', {
  matmul: matmulGpu,
  outer: outerGpu,
  outerSum: outerSumGpu,
  sumScanForward: onGpu(sumScanForwardChunked, jsBackend.sumScanForward),
  sumScanBackward: onGpu(sumScanBackwardChunked, jsBackend.sumScanBackward),
  deltaScanForward: onGpu(deltaScanForwardChunked, jsBackend.deltaScanForward),
  deltaScanBackward: onGpu(deltaScanBackwardChunked, jsBackend.deltaScanBackward),
});

// Selectable from now on; selecting it loads gpu.js (or throws with the way to get it).
registerBackend(gpuBackend, gpuInstance);

// The rest of the gpu backend's entry, for the `fastweights/gpu` entry (src/gpu.ts).
export { gpuMode, kernelModes } from '../gpu/context.js';
export { GPU_JS_VERSION, provideGpuJs } from '../gpu/gpujs.js';

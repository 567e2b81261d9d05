/**
 * Backend selection. One backend per process, chosen by `setBackend` or the environment variable
 * FASTWEIGHTS_BACKEND (wasm | js | gpu | reference), read without importing Node modules so this file
 * bundles for a browser. The default is `wasm`, the fastest on the CPUs measured (docs/kernels.md);
 * where WebAssembly SIMD does not load it runs the `js` kernels.
 *
 * The gpu backend is not part of the core: its code (kernels/backends/gpu.ts) registers itself here
 * when it is imported, by the `fastweights/gpu` entry in a page or by the Node entry (src/index.node.ts),
 * and gpu.js, which it runs on, loads only when the backend is selected (kernels/gpu/gpujs.ts).
 * Selecting it before then says how to get it, so nothing is missing at the first matrix product.
 */
// First (and first in src/index.ts), so that a bundle opens with the WebAssembly module's text:
// in the middle it would push the code before it out of gzip's 32 kB window for the code after it,
// and the core bundle would gzip 0.6 kB larger (test/bundle.test.ts checks the order).
import './wasm/generated/modules.js';
import type { KernelBackend } from './types.js';
import { referenceBackend } from './backends/reference.js';
import { jsBackend } from './backends/js.js';
import { wasmBackend } from './backends/wasm.js';
import { BACKEND_NAMES, backendSetting } from './settings.js';

export type BackendName = KernelBackend['name'];

export const backendNames: BackendName[] = [...BACKEND_NAMES];

/** The backends at hand, and what selecting one must do first (the gpu backend: load gpu.js). */
const backends = new Map<string, { backend: KernelBackend; select?: () => void }>(
  [wasmBackend, jsBackend, referenceBackend].map((backend) => [backend.name, { backend }]),
);

/** Makes a backend that lives outside the core selectable (kernels/backends/gpu.ts calls it on import). */
export function registerBackend(backend: KernelBackend, select?: () => void): void {
  backends.set(backend.name, select ? { backend, select } : { backend });
}

function checkName(name: string, where: string): void {
  if (!(backendNames as string[]).includes(name)) throw new Error(`${where}: unknown kernel backend '${name}' (valid: ${backendNames.join(', ')})`);
}

function lookup(name: string, where: string): KernelBackend {
  checkName(name, where);
  const entry = backends.get(name);
  if (entry === undefined) {
    // Only the gpu backend lives outside the core, so only it can be missing.
    throw new Error("the gpu backend is loaded only when asked for: `await import('fastweights/gpu')` before setBackend('gpu') (and install its peer dependency gpu.js)");
  }
  entry.select?.();
  return entry.backend;
}

const environmentName = backendSetting() ?? '';
// A bad name fails as the library loads; the backend itself is looked up on first use, once the
// entry that imported this file has registered the gpu backend. wasm runs the js kernels itself
// where WebAssembly SIMD is missing (see wasmAvailable), so the default needs no probe: importing
// the library compiles nothing and starts no thread.
let current: KernelBackend | null = environmentName === '' ? wasmBackend : null;

export function getBackend(): KernelBackend {
  return current ?? (current = lookup(environmentName, 'FASTWEIGHTS_BACKEND'));
}

export function setBackend(name: BackendName): void {
  current = lookup(name, 'setBackend');
}

// The rest of the kernels' front door: everything outside kernels/ uses from here, and imports
// nothing else from kernels/ (test/architecture.test.ts checks it; the gpu backend's entry,
// kernels/backends/gpu.ts, and the thread pool's, kernels/threads/index.ts, are the other doors).
export type { BinaryOp, FloatArray, KernelBackend, MatmulArgs } from './types.js';
export { allocate, allocateLongLived, allocateUninitialized, allocLike, dtypeOf, giveBackScratch, inScratch, persistent, releaseEarly, releaseScratchSince, scratchMark, scratchPeakBytes, sharesMemory, setScratchEnabled, setScratchPoison, withScratch, type DType } from './alloc.js';
export { wasmAvailable } from './backends/wasm.js';
export { relaxedSimdWanted, setWasmThreads, threadsWanted, wasmRuntime } from './wasm/runtime.js';
export { BLOCKED_SCORE } from './attention/reference.js';
export { fillDraws, fillKeepMask } from './arrays/reference.js';
export { SETTINGS, cacheDirSetting, checkSettings, debugChecksSetting, debugSetting, xdgCacheHome } from './settings.js';

/** Weights kept in their file's format in WebAssembly memory, read in place by decoding (docs/pretrained.md). */
// The sizes at which the wasm kernels leave js and split over the threads, for code that calls them directly (src/nn/fla/decoder.ts).
export { MIN_SPLIT_WORK, MIN_WASM_ELEMENTS } from './wasm/call.js';
export { CompactMatrix, MATVEC_MAX_ROWS, arrangeForMatvec, compactMatmul, compactRows, matvecInPlace, widenRows, type CompactDType } from './matmul/resident.js';
export type { WasmRuntime } from './wasm/runtime.js';

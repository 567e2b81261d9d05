/**
 * Backend selection. One backend per process, chosen by `setBackend` or the environment variable
 * FASTWEIGHTS_BACKEND (wasm | js | gpu | reference), read without importing Node modules so this file
 * bundles for a browser. The default is `wasm`, the fastest on the CPUs measured (docs/kernels.md);
 * where WebAssembly SIMD does not load it runs the `js` kernels.
 *
 * The gpu backend's code is small and always here, but gpu.js, which it runs on, is loaded only when
 * the backend is selected (kernels/gpu/gpujs.ts): in Node it is required then, in a browser the
 * `fastweights/gpu` entry must have been imported first. Selecting it checks that, so a missing
 * gpu.js is reported by setBackend, not by the first matrix product.
 */
import type { KernelBackend } from './types.js';
import { referenceBackend } from './reference/index.js';
import { jsBackend } from './js/index.js';
import { wasmBackend } from './wasm/index.js';
import { gpuBackend } from './gpu/index.js';
import { gpuInstance } from './gpu/context.js';

export type BackendName = KernelBackend['name'];

const backends: Record<BackendName, KernelBackend> = {
  wasm: wasmBackend,
  js: jsBackend,
  gpu: gpuBackend,
  reference: referenceBackend,
};

export const backendNames = Object.keys(backends) as BackendName[];

function lookup(name: string, where: string): KernelBackend {
  const backend = (backends as Record<string, KernelBackend | undefined>)[name];
  if (backend === undefined) throw new Error(`${where}: unknown kernel backend '${name}' (valid: ${backendNames.join(', ')})`);
  if (backend === gpuBackend) gpuInstance(); // loads gpu.js, or throws with the way to get it
  return backend;
}

function fromEnvironment(): KernelBackend {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const name: unknown = (globalThis as any).process?.env?.FASTWEIGHTS_BACKEND;
  // wasm runs the js kernels itself where WebAssembly SIMD is missing (see wasmAvailable), so the
  // default needs no probe here: importing the library compiles nothing and starts no thread.
  if (typeof name !== 'string' || name === '') return wasmBackend;
  return lookup(name, 'FASTWEIGHTS_BACKEND');
}

let current: KernelBackend = fromEnvironment();

export function getBackend(): KernelBackend {
  return current;
}

export function setBackend(name: BackendName): void {
  current = lookup(name, 'setBackend');
}

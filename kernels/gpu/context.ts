/**
 * The one gpu.js instance of the process, created on first use (creating and destroying instances
 * leaks memory), and a cache of compiled kernels keyed by name and shape: gpu.js compiles per output
 * size, so every shape gets its own kernel with its sizes baked in as constants.
 */
import { GPU, type IKernelRunShortcut } from 'gpu.js';

let instance: GPU | null = null;
const kernels = new Map<string, IKernelRunShortcut>();

export function gpuInstance(): GPU {
  if (instance === null) instance = new GPU();
  return instance;
}

/** The kernel cached under `key`, built by `build` on first request. */
export function cachedKernel(key: string, build: (gpu: GPU) => IKernelRunShortcut): IKernelRunShortcut {
  let kernel = kernels.get(key);
  if (kernel === undefined) {
    kernel = build(gpuInstance());
    kernels.set(key, kernel);
  }
  return kernel;
}

/** gpu.js returns a fresh Float32Array for a 1-D output; this narrows its loose result type. */
export function asFloat32(result: unknown, what: string): Float32Array {
  if (!(result instanceof Float32Array)) throw new Error(`gpu kernel '${what}' returned ${Object.prototype.toString.call(result)}, expected a Float32Array`);
  return result;
}

/** The mode gpu.js picked (webgl, headlessgl, webgpu, webasm or cpu), for reports. */
export function gpuMode(): string {
  return gpuInstance().mode ?? 'unknown';
}

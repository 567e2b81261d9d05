/**
 * The one gpu.js instance of the process, created on first use (creating and destroying instances
 * leaks memory), and a cache of compiled kernels keyed by name and shape: gpu.js compiles per output
 * size, so every shape gets its own kernel with its sizes baked in as constants.
 * gpu.js itself comes from ./gpujs.ts: it is loaded only when the gpu backend is used.
 */
import type { GPU, IKernelRunShortcut } from 'gpu.js';
import { gpuJs } from './gpujs.js';

let instance: GPU | null = null;
const kernels = new Map<string, IKernelRunShortcut>();

export function gpuInstance(): GPU {
  if (instance === null) instance = new (gpuJs())();
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

/**
 * The mode gpu.js picked: webgl2, webgl or headlessgl for its GL kernels (which all call themselves
 * 'gpu'; they are tried in that order, headless GL first), else webgpu, webasm or cpu.
 */
export function gpuMode(): string {
  const gpu = gpuInstance();
  if (gpu.mode !== 'gpu') return gpu.mode ?? 'unknown';
  const GPU = gpuJs();
  return GPU.isHeadlessGLSupported ? 'headlessgl' : GPU.isWebGL2Supported ? 'webgl2' : 'webgl';
}

/** What one kernel really ran on: the GL kernels are told apart by their rendering context. */
function modeOf(kernel: { constructor: unknown; context?: unknown }): string {
  const mode = (kernel.constructor as { mode?: unknown }).mode;
  if (mode !== 'gpu') return typeof mode === 'string' ? mode : 'unknown';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const g = globalThis as any;
  if (typeof g.WebGL2RenderingContext === 'function' && kernel.context instanceof g.WebGL2RenderingContext) return 'webgl2';
  if (typeof g.WebGLRenderingContext === 'function' && kernel.context instanceof g.WebGLRenderingContext) return 'webgl';
  return 'headlessgl';
}

/**
 * How many compiled kernels run in each mode, e.g. { webgl2: 12 }. gpu.js can replace a GL kernel
 * it fails to build with a CPU one without a word, so this (not gpuMode) is what proves that the
 * GPU path ran.
 */
export function kernelModes(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const shortcut of kernels.values()) {
    const mode = modeOf(shortcut.kernel as unknown as { constructor: unknown; context?: unknown });
    counts[mode] = (counts[mode] ?? 0) + 1;
  }
  return counts;
}

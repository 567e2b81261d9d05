/**
 * Where the gpu backend gets gpu.js from. gpu.js is about 90 % of a browser bundle of the library, so
 * nothing in the core imports it: it is an optional peer dependency, handed over in one of two ways.
 *   - The `fastweights/gpu` entry (src/gpu.ts) imports it and calls provideGpuJs: that is the browser
 *     path (`await import('fastweights/gpu')`, which a bundler splits into its own chunk).
 *   - In Node, the first use loads it synchronously with require (gpu.js is CommonJS), so
 *     FASTWEIGHTS_BACKEND=gpu and setBackend('gpu') keep working with no import.
 * Only types are imported from gpu.js here; they vanish from the JavaScript.
 */
import type { GPU } from 'gpu.js';

export type GpuConstructor = typeof GPU;

/** The exact version this library is tested with (package.json pins the same as a peer dependency). */
export const GPU_JS_VERSION = '2.24.1';

let provided: GpuConstructor | null = null;

/** Hands gpu.js's GPU class to the gpu backend (the `fastweights/gpu` entry does this on import). */
export function provideGpuJs(constructor: GpuConstructor): void {
  if (typeof constructor !== 'function') throw new Error(`provideGpuJs: expected gpu.js's GPU class, got ${typeof constructor}`);
  provided = constructor;
}

/** gpu.js required synchronously through Node's module system; null outside Node. Throws when not installed. */
function requireInNode(): GpuConstructor | null {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const getBuiltin: unknown = (globalThis as any).process?.getBuiltinModule;
  if (typeof getBuiltin !== 'function') return null;
  const nodeModule = getBuiltin('node:module') as { createRequire(from: string): (id: string) => unknown };
  let gpuJs: { GPU?: unknown };
  try {
    gpuJs = nodeModule.createRequire(import.meta.url)('gpu.js') as { GPU?: unknown };
  } catch (e) {
    throw new Error(`the gpu backend needs the optional peer dependency gpu.js, which did not load (${(e as Error).message.split('\n')[0]}); install it with: npm install gpu.js@${GPU_JS_VERSION}`);
  }
  if (typeof gpuJs.GPU !== 'function') throw new Error('gpu.js loaded but exports no GPU class');
  return gpuJs.GPU as GpuConstructor;
}

/** The GPU class: the one provided, else (Node) required now; throws with the fix when neither works. */
export function gpuJs(): GpuConstructor {
  if (provided === null) provided = requireInNode();
  if (provided === null) {
    throw new Error("the gpu backend is loaded only when asked for: `await import('fastweights/gpu')` before setBackend('gpu') (and install its peer dependency: npm install gpu.js@" + GPU_JS_VERSION + ')');
  }
  return provided;
}

/** Whether gpu.js is at hand without loading anything (provided, or already required). */
export function gpuJsProvided(): boolean {
  return provided !== null;
}

/**
 * gpu.js is loaded only when the gpu backend is selected: importing the library loads nothing of it,
 * and setBackend('gpu') requires it (Node) and reports the mode. This file runs in its own process
 * (vitest isolates test files), so Node's module cache starts without gpu.js.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { getBackend, setBackend } from '../../../src/index.node.js'; // Node's entry: the gpu backend registered, gpu.js not loaded
import { gpuJsProvided, provideGpuJs } from '../../../kernels/gpu/gpujs.js';
import { gpuMode } from '../../../kernels/gpu/context.js';

const require = createRequire(import.meta.url);
const gpuJsLoaded = () => Object.keys(require.cache).some((path) => path.includes('/node_modules/gpu.js/'));

describe('gpu.js loads on demand', () => {
  it('is not loaded by importing the library, and is loaded by setBackend("gpu")', () => {
    expect(gpuJsLoaded()).toBe(false);
    expect(gpuJsProvided()).toBe(false);
    const before = getBackend().name;
    setBackend('gpu');
    try {
      expect(gpuJsProvided()).toBe(true);
      expect(gpuJsLoaded()).toBe(true);
      expect(gpuMode()).toBe('webasm'); // Node: no WebGL; gpu.js runs its WebAssembly mode
    } finally {
      setBackend(before);
    }
  });

  it('provideGpuJs refuses something that is not a class', () => {
    expect(() => provideGpuJs({} as never)).toThrow("provideGpuJs: expected gpu.js's GPU class, got object");
  });
});

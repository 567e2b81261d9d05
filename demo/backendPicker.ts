/**
 * Switching the kernel backend from the page. The gpu backend's gpu.js is fetched only when it is
 * chosen: `import('../src/gpu.js')` is a separate chunk of the bundle (in an application,
 * `import('fastweights/gpu')`), so a page that never picks it never downloads it.
 */
import { setBackend, wasmAvailable, type BackendName } from '../src/index.js';

/** Selects `name`; returns how it runs here, e.g. 'gpu.js in webgl2 mode'. */
export async function selectBackend(name: BackendName): Promise<string> {
  if (name === 'gpu') {
    const gpu = await import('../src/gpu.js');
    setBackend('gpu');
    return `gpu.js in ${gpu.gpuMode()} mode`;
  }
  setBackend(name);
  if (name === 'wasm') return wasmAvailable() ? 'WebAssembly SIMD' : 'WebAssembly SIMD missing here: js kernels';
  return name === 'js' ? 'TypeScript loops' : 'float64 reference loops';
}

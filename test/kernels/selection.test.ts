/** Backend selection: setBackend, the FASTWEIGHTS_BACKEND variable, and the error for unknown names. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backendNames, getBackend, setBackend } from '../../kernels/index.js';

describe('kernel backend selection', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('lists wasm, js, gpu and reference; gpu is selectable once its code is imported', async () => {
    expect([...backendNames].sort()).toEqual(['gpu', 'js', 'reference', 'wasm']);
    // This file imports the core alone, as a page does: the gpu backend's code is not here yet.
    expect(() => setBackend('gpu')).toThrow(/^the gpu backend is loaded only when asked for: `await import\('fastweights\/gpu'\)` before setBackend\('gpu'\)/);
    await import('../../kernels/backends/gpu.js'); // what fastweights/gpu and Node's entry import
    const before = getBackend().name;
    for (const name of backendNames) {
      setBackend(name);
      expect(getBackend().name).toBe(name);
    }
    setBackend(before);
  });

  it('refuses an unknown name and lists the valid ones', () => {
    expect(() => setBackend('cuda' as never)).toThrow("setBackend: unknown kernel backend 'cuda' (valid: wasm, js, gpu, reference)");
  });

  it('defaults to wasm (WebAssembly SIMD is there in Node 20) and reads FASTWEIGHTS_BACKEND at load', async () => {
    vi.stubEnv('FASTWEIGHTS_BACKEND', '');
    expect((await import('../../kernels/index.js')).getBackend().name).toBe('wasm');
    vi.resetModules();
    vi.stubEnv('FASTWEIGHTS_BACKEND', 'reference');
    expect((await import('../../kernels/index.js')).getBackend().name).toBe('reference');
    vi.resetModules();
    // gpu: the name is checked at load, the backend looked up at first use, after the entry registered it.
    vi.resetModules();
    vi.stubEnv('FASTWEIGHTS_BACKEND', 'gpu');
    const kernels = await import('../../kernels/index.js');
    await import('../../kernels/backends/gpu.js');
    expect(kernels.getBackend().name).toBe('gpu');
    vi.resetModules();
    vi.stubEnv('FASTWEIGHTS_BACKEND', 'tpu');
    await expect(import('../../kernels/index.js')).rejects.toThrow(/FASTWEIGHTS_BACKEND: unknown kernel backend 'tpu' \(valid: wasm, js, gpu, reference\)/);
  });
});

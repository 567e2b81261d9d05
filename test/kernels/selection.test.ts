/** Backend selection: setBackend, the FASTWEIGHTS_BACKEND variable, and the error for unknown names. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backendNames, getBackend, setBackend } from '../../kernels/index.js';

describe('kernel backend selection', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('lists wasm, js, gpu and reference, and switches between them', () => {
    expect([...backendNames].sort()).toEqual(['gpu', 'js', 'reference', 'wasm']);
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
    vi.stubEnv('FASTWEIGHTS_BACKEND', 'tpu');
    await expect(import('../../kernels/index.js')).rejects.toThrow(/FASTWEIGHTS_BACKEND: unknown kernel backend 'tpu' \(valid: wasm, js, gpu, reference\)/);
  });
});

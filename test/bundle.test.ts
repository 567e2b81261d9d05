/** The browser bundle of the core entry: small (issue 11's budget), and gpu.js only behind fastweights/gpu. */
import { describe, expect, it } from 'vitest';
import { CORE_GZIP_BUDGET, checkCoreBundle, measureBundle } from '../browser/bundle.js';

describe('browser bundles', () => {
  it(`the core entry bundles to at most ${CORE_GZIP_BUDGET / 1000} kB gzip, wasm kernels included, with no gpu.js`, async () => {
    const core = await measureBundle('src/index.ts');
    expect(core.inputs.some((input) => input.path === 'kernels/wasm/generated/modules.ts')).toBe(true);
    // The resident weights' kernels are a module of their own, which only pretrained models use.
    expect(core.inputs.some((input) => input.path === 'kernels/wasm/generated/resident.ts')).toBe(false);
    expect(checkCoreBundle(core)).toEqual([]);
  });

  it('the core bundle opens with the WebAssembly module, so that gzip compresses all of the code after it with one history', async () => {
    // In the middle, the module (about 21 kB of text) would push the code before it out of gzip's
    // 32 kB window for the code after it: 0.5 kB more (src/index.ts and kernels/index.ts import it first).
    expect((await measureBundle('src/index.ts')).first).toBe('kernels/wasm/generated/modules.ts');
  });

  it('the fastweights/pretrained entry (fla DeltaNet from bytes) bundles for a browser, with no gpu.js', async () => {
    const pretrained = await measureBundle('src/pretrained.ts');
    expect(pretrained.inputs.some((input) => input.path === 'src/io/huggingFaceFiles.ts')).toBe(true);
    expect(pretrained.inputs.some((input) => input.path === 'kernels/wasm/generated/resident.ts')).toBe(true);
    expect(pretrained.inputs.filter((input) => input.path.includes('gpu.js/'))).toEqual([]);
  });

  it('the fastweights/gpu entry carries gpu.js, and the check would catch it in the core', async () => {
    const gpu = await measureBundle('src/gpu.ts');
    expect(gpu.inputs.some((input) => input.path.startsWith('node_modules/gpu.js/'))).toBe(true);
    expect(checkCoreBundle(gpu).join('\n')).toMatch(/contains gpu\.js/);
  });
});

/**
 * The browser suite, part 1: in headless Chromium, the gpu.js kernels run in a GPU mode (WebGL2
 * through SwiftShader here, or WebGPU) and agree with the float64 reference, and a delta-rule model
 * trains on the wasm and js backends with the same losses as in Node.
 * Skipped when no Chromium is installed (test/browser/announce.ts prints how to install it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumForTests, openPage, type OpenedPage } from './harness.js';
import { KERNEL_CASES } from './shared/kernelCases.js';
import { TRAINING_STEPS, trainDeltaSteps } from './shared/deltaTraining.js';
import { setBackend, getBackend } from '../../src/index.js';
import { readSuiteReport, type SuiteReport } from './shared/suiteReport.js';

const chromium = chromiumForTests();
const GPU_MODES = ['webgl2', 'webgpu'];

describe.runIf(chromium !== null)('in headless Chromium', () => {
  let opened: OpenedPage;
  let report: SuiteReport;

  beforeAll(async () => {
    // Minified, as an application ships it: gpu.js translates kernels from their source text, so this
    // also checks that the minifier's rewriting of our kernel functions still translates (the demo's
    // test covers the unminified bundle).
    opened = await openPage(chromium!, 'test/browser/pages/suite.ts', { minify: true });
    await opened.page.waitForFunction(readSuiteReport, null, { timeout: 90_000 });
    report = (await opened.page.evaluate(readSuiteReport))!;
  }, 120_000);

  afterAll(async () => {
    await opened?.close();
  });

  it('the page ran without errors', () => {
    expect(report.error, opened.problems.join('\n')).toBe('');
  });

  it("the core page has no gpu.js: setBackend('gpu') before importing fastweights/gpu says how to load it", () => {
    expect(report.gpuBeforeImport).toMatch(/^the gpu backend is loaded only when asked for: `await import\('fastweights\/gpu'\)` before setBackend\('gpu'\)/);
  });

  it('gpu.js runs every kernel in a GPU mode (webgl2 or webgpu), not a CPU fallback', () => {
    expect(GPU_MODES).toContain(report.gpuMode);
    const modes = Object.keys(report.kernelModes);
    expect(modes.length, 'no gpu.js kernel was compiled').toBeGreaterThan(0);
    expect(modes.filter((mode) => !GPU_MODES.includes(mode)), `kernel modes ${JSON.stringify(report.kernelModes)}`).toEqual([]);
  });

  it('the gpu.js kernels (matmul, outer, the chunkwise scans) agree with the float64 reference', () => {
    const agreeing = report.cases.filter((c) => c.agrees).length;
    const kernels = Object.values(report.kernelModes).reduce((a, b) => a + b, 0);
    console.log(`gpu.js mode ${report.gpuMode}: ${agreeing} of ${report.cases.length} kernel cases agreed with the float64 reference (${kernels} compiled kernels: ${JSON.stringify(report.kernelModes)})`);
    expect(report.cases.length).toBe(KERNEL_CASES.length);
    expect(report.cases.filter((c) => !c.agrees)).toEqual([]);
  });

  it('a delta-rule model trains on the wasm and js backends with the losses Node gets', () => {
    expect(report.wasmAvailable, 'WebAssembly SIMD did not load in the page').toBe(true);
    const before = getBackend().name;
    try {
      for (const backend of ['wasm', 'js'] as const) {
        const inPage = report.training[backend]!;
        setBackend(backend);
        const inNode = trainDeltaSteps();
        expect(inPage).toHaveLength(TRAINING_STEPS);
        inPage.forEach((loss, step) => expect(Math.abs(loss - inNode[step]!), `${backend} step ${step}: page ${loss}, Node ${inNode[step]}`).toBeLessThanOrEqual(1e-6 * inNode[step]!));
        expect(inPage.at(-1)!).toBeLessThan(inPage[0]! * 0.9);
      }
    } finally {
      setBackend(before);
    }
  });
});

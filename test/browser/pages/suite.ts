/**
 * The browser suite's page (bundled by test/browser/harness.ts): loads the gpu backend through the
 * `fastweights/gpu` entry as a user's page would (a dynamic import: its own chunk), runs the kernel
 * cases on it against the float64 reference, then trains a few delta-rule steps on the wasm and js
 * backends. Everything it found is published for the test to read (shared/suiteReport.ts).
 */
import { getBackend, setBackend, wasmAvailable } from '../../../src/index.js';
import { runKernelCases } from '../shared/kernelCases.js';
import { publishSuiteReport, type SuiteReport } from '../shared/suiteReport.js';
import { trainDeltaSteps } from '../shared/deltaTraining.js';

async function run(): Promise<SuiteReport> {
  const report: SuiteReport = { gpuBeforeImport: '', gpuMode: '', kernelModes: {}, cases: [], wasmAvailable: wasmAvailable(), training: {}, error: '' };
  try {
    // Before the gpu entry is imported, the core has no gpu.js: selecting the backend must say how to get it.
    try {
      setBackend('gpu');
      report.gpuBeforeImport = 'selected';
    } catch (e) {
      report.gpuBeforeImport = (e as Error).message;
      setBackend('wasm');
    }
    const gpu = await import('../../../src/gpu.js');
    setBackend('gpu');
    report.gpuMode = gpu.gpuMode();
    report.cases = runKernelCases(getBackend());
    report.kernelModes = gpu.kernelModes();
    for (const backend of ['wasm', 'js'] as const) {
      setBackend(backend);
      report.training[backend] = trainDeltaSteps();
    }
  } catch (e) {
    report.error = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
  }
  return report;
}

publishSuiteReport(await run());

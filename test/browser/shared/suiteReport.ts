/** What the browser suite's page (pages/suite.ts) found, and where the test reads it. */
import type { BackendName } from '../../../src/index.js';
import type { KernelCaseResult } from './kernelCases.js';

export interface SuiteReport {
  /** What setBackend('gpu') said before the fastweights/gpu entry was imported ('selected' if it did not refuse). */
  gpuBeforeImport: string;
  /** gpu.js's mode for its instance (webgl2, webgl, headlessgl, webgpu, webasm or cpu). */
  gpuMode: string;
  /** The mode each compiled gpu.js kernel really ran in, counted. */
  kernelModes: Record<string, number>;
  cases: KernelCaseResult[];
  wasmAvailable: boolean;
  /** Training losses per step, per backend. */
  training: Partial<Record<BackendName, number[]>>;
  /** The first error the page hit, with its stack ('' when none). */
  error: string;
}

/** The page's global the report is published under. */
interface WithReport {
  __suiteReport?: SuiteReport;
}

export function publishSuiteReport(report: SuiteReport): void {
  (globalThis as WithReport).__suiteReport = report;
}

/** Runs in the page (through page.evaluate): the report, or undefined while the page is still working. */
export function readSuiteReport(): SuiteReport | undefined {
  return (globalThis as WithReport).__suiteReport;
}

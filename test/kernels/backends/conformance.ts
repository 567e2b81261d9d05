/**
 * Property tests that pin one backend to the float64 reference over random shapes: T = 1, d = 1 and
 * sizes that are not multiples of any tile are all in range; matmul covers both transposes,
 * batch-broadcast (stride 0) and accumulate; the scans cover normalisation, initial state in and
 * final state out; the elementwise kernels see large, tiny, zero and −∞ inputs. Each family's tests
 * live beside its kernels' layout (test/kernels/<family>/conformance.ts); each backend's test file
 * calls `describeConformance` with its own tolerances.
 */
import { describe } from 'vitest';
import type { KernelBackend } from '../../../kernels/types.js';
import type { ConformanceCase } from '../conformanceCase.js';
import type { DTypeName } from '../helpers.js';
import { matmulConformance } from '../matmul/conformance.js';
import { outerConformance } from '../outer/conformance.js';
import { sumRuleConformance } from '../sumRule/conformance.js';
import { deltaRuleConformance } from '../deltaRule/conformance.js';
import { elementwiseConformance } from '../elementwise/conformance.js';
import { arraysConformance } from '../arrays/conformance.js';
import { optimConformance } from '../optim/conformance.js';
import { featureMapConformance } from '../featureMap/conformance.js';
import { attentionConformance } from '../attention/conformance.js';
import { crossEntropyConformance } from '../crossEntropy/conformance.js';

export interface ConformanceOptions {
  dtypes: DTypeName[];
  /** Allowed scaled error per dtype (see helpers.scaledError). */
  tolerance: (dtype: DTypeName) => number;
  numRuns: number;
  /** Largest matrix side and scan length drawn. */
  maxSize: number;
  maxT: number;
  /** Shortest scan drawn (default 1). */
  minT?: number;
}

/** Every family's tests, registering their cases for one backend and dtype. */
export const allFamilies: ((c: ConformanceCase) => void)[] = [
  matmulConformance, outerConformance, sumRuleConformance, deltaRuleConformance, elementwiseConformance,
  arraysConformance, optimConformance, featureMapConformance, attentionConformance, crossEntropyConformance,
];

/** Pins `backend` to the reference, for each dtype, on the given families (all of them unless told). */
export function describeConformance(backend: KernelBackend, options: ConformanceOptions, families = allFamilies): void {
  const { numRuns, maxSize, maxT, minT } = options;
  for (const dtype of options.dtypes) {
    describe(`${backend.name} backend vs reference (${dtype})`, () => {
      const c: ConformanceCase = { backend, dtype, tol: options.tolerance(dtype), numRuns, maxSize, maxT, ...(minT !== undefined ? { minT } : {}) };
      for (const family of families) family(c);
    });
  }
}

/**
 * Backend selection. One backend per process, chosen by `setBackend` or the environment variable
 * FASTWEIGHTS_BACKEND (js | gpu | reference), read without importing Node modules so this file bundles
 * for a browser.
 */
import type { KernelBackend } from './types.js';
import { matmulReference } from './reference/matmul.js';

export type BackendName = KernelBackend['name'];

// Placeholder until the kernels land: only matmul is wired.
const notYet = (what: string) => (): never => {
  throw new Error(`kernel '${what}' is not available yet`);
};
const reference: KernelBackend = {
  name: 'reference',
  matmul: matmulReference,
  outer: notYet('outer'),
  outerSum: notYet('outerSum'),
  sumScanForward: notYet('sumScanForward'),
  sumScanBackward: notYet('sumScanBackward'),
  deltaScanForward: notYet('deltaScanForward'),
  deltaScanBackward: notYet('deltaScanBackward'),
};

let current: KernelBackend = reference;

export function getBackend(): KernelBackend {
  return current;
}

export function setBackend(name: BackendName): void {
  if (name !== 'reference') throw new Error(`unknown kernel backend '${name}' (valid: reference)`);
  current = reference;
}

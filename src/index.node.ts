/**
 * fastweights as Node imports it (package.json "exports", condition "node"): the core (./index.ts)
 * with the gpu backend's code registered, so that FASTWEIGHTS_BACKEND=gpu and setBackend('gpu') work
 * with no other import (gpu.js itself still loads only when the backend is selected), and with the
 * thread pool, so that the wasm kernels use every core, and with the charts and CSV of ./report.ts. A
 * browser bundle gets ./index.ts alone, the gpu backend from `fastweights/gpu`, the threads from
 * `fastweights/threads` and the charts from `fastweights/report` (docs/browser.md).
 */
import '../kernels/backends/gpu.js';
import '../kernels/threads/index.js';

export * from './index.js';
export * from './report.js';

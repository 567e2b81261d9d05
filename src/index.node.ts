/**
 * fastweights as Node imports it (package.json "exports", condition "node"): the core (./index.ts)
 * with the gpu backend's code registered, so that FASTWEIGHTS_BACKEND=gpu and setBackend('gpu') work
 * with no other import; gpu.js itself still loads only when the backend is selected. A browser
 * bundle gets ./index.ts alone and the gpu backend from `fastweights/gpu` (docs/browser.md).
 */
import '../kernels/backends/gpu.js';

export * from './index.js';

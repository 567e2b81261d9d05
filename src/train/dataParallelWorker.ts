/**
 * The module a Node pool thread runs for data-parallel training (./dataParallel.ts loads it by its
 * URL beside the compiled dist/ files): the task (./dataParallelTask.ts) with the gpu backend
 * registered, so that FASTWEIGHTS_BACKEND=gpu reaches the pool threads too. A page's worker runs
 * the task from a bundle of its own instead, without gpu.js (docs/browser.md).
 */
import '../../kernels/backends/gpu.js';

export { open } from './dataParallelTask.js';

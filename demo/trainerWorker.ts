/**
 * The module a pool worker loads when the demo trains each model on a thread of its own
 * (./workerSlices.ts): an entry of the page's bundle of its own (demo/files.ts) that exports the
 * slice task as `open`, the name the worker looks for.
 */
export { open } from './trainerTask.js';

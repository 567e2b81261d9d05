/**
 * What the page's pool worker runs for data-parallel training steps (demo/retrievalTrainer.ts): an
 * entry of the page's bundle of its own (demo/files.ts), fetched by the worker when the first step
 * runs on two threads. It exports the data-parallel task as `open` and the retrieval task's
 * `replica`, the two names the worker looks for (docs/browser.md, "Training on two threads in a page").
 */
export { openDataParallelTask as open, retrievalReplica as replica } from '../src/threads.js';

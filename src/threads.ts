/**
 * fastweights/threads: the library's pool of worker threads (kernels/threads/index.ts). Importing it
 * lets the wasm kernels split their calls over several threads, in Node (where the `fastweights`
 * entry already imports it) and in a cross-origin-isolated page; elsewhere they run on one thread.
 * It also brings data-parallel training steps (src/train/dataParallel.ts): a batch's micro-batches
 * side by side on this thread and the pool's, with the task and the retrieval replica a page's
 * worker module exports (docs/browser.md, "Training on two threads in a page"), and tasks of a
 * page's own on the pool's threads (`PoolTask`: a module by URL, answering requests).
 */
export { PoolTask, threadPool, threadsUnavailableReason, type OpenTask, type TaskAnswer } from '../kernels/threads/index.js';
export { DataParallel, type DataParallelOptions } from './train/dataParallel.js';
export { open as openDataParallelTask } from './train/dataParallelTask.js';
export { replica as retrievalReplica, retrievalRows, type RetrievalRows, type RetrievalReplicaConfig } from './tasks/retrieval/replica.js';

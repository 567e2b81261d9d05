/**
 * fastweights/threads: the library's pool of worker threads (kernels/threads/index.ts). Importing it
 * lets the wasm kernels split their calls over several threads, in Node (where the `fastweights`
 * entry already imports it) and in a cross-origin-isolated page; elsewhere they run on one thread.
 */
export { threadPool, threadsUnavailableReason } from '../kernels/threads/index.js';

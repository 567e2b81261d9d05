/**
 * The thread pool's door. Importing it gives the wasm kernels the library's one pool of worker
 * threads (./pool.ts), as importing kernels/backends/gpu.ts gives the library the gpu backend: the
 * core (kernels/index.ts) does not carry the pool, so a page that runs on one thread does not load
 * it. The Node entries import it (src/index.node.ts, the CLI), and so does whatever runs tasks on the
 * pool (data-parallel training, the retrieval runs); a page imports it to train on several threads.
 *
 * Inside a pool thread, or where threads cannot start (a page that is not cross-origin isolated),
 * the kernels get no pool and run on one thread.
 */
import { provideThreadPool } from '../wasm/runtime.js';
import { threadPool } from './pool.js';
import { insidePoolThread } from './poolThread.js';
import { threadsUnavailableReason } from './spawn.js';

let noticed = false;
provideThreadPool(() => {
  if (insidePoolThread()) return null;
  const reason = threadsUnavailableReason();
  if (reason === '') return threadPool();
  // One line, once: the page still trains, on one thread (same results, slower).
  if (!noticed) console.warn(`fastweights: the wasm kernels run on one thread: ${reason}`);
  noticed = true;
  return null;
});

export { ThreadPool, closeThreadPool, threadPool, type KernelJob } from './pool.js';
export { PoolTask, type OpenTask, type TaskAnswer } from './tasks.js';
export { liveThreads, threadsUnavailableReason } from './spawn.js';
export { insidePoolThread } from './poolThread.js';

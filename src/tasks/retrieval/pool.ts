/**
 * Runs many retrieval trainings, one at a time in this thread or `jobs` at a time on the library's
 * pool of worker threads (kernels/threads/pool.ts; one JavaScript thread per core). Each run depends
 * only on its config, so the results are the same either way; only the order in which runs finish
 * changes.
 */
import { PoolTask, threadPool } from '../../../kernels/threads/index.js';
import { trainRetrieval, type CurvePoint, type RetrievalRunConfig, type RetrievalRunResult } from './training.js';

export interface PoolCallbacks {
  /** An evaluation point of the run at `index` (into configs). */
  onEval?(index: number, point: CurvePoint): void;
  /** A run finished; called in finishing order, before any later run starts on that thread. */
  onDone(index: number, result: RetrievalRunResult): void;
}

export async function runRetrievalPool(configs: readonly RetrievalRunConfig[], jobs: number, callbacks: PoolCallbacks): Promise<void> {
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`retrieval: jobs must be a positive integer, got ${jobs}`);
  if (jobs === 1 || configs.length <= 1) {
    configs.forEach((config, index) => callbacks.onDone(index, trainRetrieval(config, (p) => callbacks.onEval?.(index, p))));
    return;
  }
  let next = 0;
  const lanes = Math.min(jobs, configs.length);
  threadPool().grow(lanes);
  const task = new PoolTask(new URL('./worker.js', import.meta.url).href);
  const lane = async (w: number): Promise<void> => {
    try {
      while (next < configs.length) {
        const index = next++;
        const config = configs[index]!;
        const result = await task.run<RetrievalRunResult>(w, config, (point) => callbacks.onEval?.(index, point as CurvePoint)).catch((error: Error) => {
          throw new Error(`retrieval run ${config.model} S=${config.S} failed in a worker: ${error.message}`);
        });
        callbacks.onDone(index, result);
      }
    } catch (error) {
      next = configs.length; // hand out no more runs: the other lanes finish their current one and stop
      throw error;
    }
  };
  try {
    const results = await Promise.allSettled(Array.from({ length: lanes }, (_, w) => lane(w)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    task.close();
  }
}

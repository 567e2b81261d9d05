/**
 * Runs many retrieval trainings, one at a time in this thread or `jobs` at a time in worker threads
 * (one JavaScript thread per core, src/train/workerPool.ts). Each run depends only on its config, so
 * the results are the same either way; only the order in which runs finish changes.
 */
import { WorkerPool } from '../../train/workerPool.js';
import { trainRetrieval, type CurvePoint, type RetrievalRunConfig, type RetrievalRunResult } from './training.js';

export type WorkerMessage = { kind: 'eval'; point: CurvePoint } | { kind: 'done'; result: RetrievalRunResult } | { kind: 'error'; message: string };

export interface PoolCallbacks {
  /** An evaluation point of the run at `index` (into configs). */
  onEval?(index: number, point: CurvePoint): void;
  /** A run finished; called in finishing order, before any later run starts on that worker. */
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
  const pool = new WorkerPool(new URL('./worker.js', import.meta.url), lanes);
  const lane = async (w: number): Promise<void> => {
    try {
      while (next < configs.length) {
        const index = next++;
        const onEval = (message: unknown) => callbacks.onEval?.(index, (message as Extract<WorkerMessage, { kind: 'eval' }>).point);
        const reply = await pool.run<WorkerMessage>(w, configs[index], (m) => (m as WorkerMessage).kind !== 'eval', onEval);
        if (reply.kind === 'error') throw new Error(`retrieval run ${configs[index]!.model} S=${configs[index]!.S} failed in a worker: ${reply.message}`);
        if (reply.kind === 'done') callbacks.onDone(index, reply.result);
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
    await pool.close();
  }
}

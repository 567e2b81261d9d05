/**
 * Runs many retrieval trainings, one at a time in this thread or `jobs` at a time in worker threads
 * (one JavaScript thread per core). Each run depends only on its config, so the results are the same
 * either way; only the order in which runs finish changes.
 */
import { Worker } from 'node:worker_threads';
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
  const workerUrl = new URL('./worker.js', import.meta.url);
  const lane = async (): Promise<void> => {
    const worker = new Worker(workerUrl);
    try {
      while (next < configs.length) {
        const index = next++;
        await new Promise<void>((resolve, reject) => {
          const onMessage = (message: WorkerMessage) => {
            if (message.kind === 'eval') return callbacks.onEval?.(index, message.point);
            worker.off('message', onMessage);
            worker.off('error', reject);
            if (message.kind === 'error') return reject(new Error(`retrieval run ${configs[index]!.model} S=${configs[index]!.S} failed in a worker: ${message.message}`));
            try {
              callbacks.onDone(index, message.result);
              resolve();
            } catch (error) {
              reject(error);
            }
          };
          worker.on('message', onMessage);
          worker.once('error', reject);
          worker.postMessage(configs[index]);
        });
      }
    } catch (error) {
      next = configs.length; // hand out no more runs: the other lanes finish their current one and stop
      throw error;
    } finally {
      await worker.terminate();
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, configs.length) }, lane));
}

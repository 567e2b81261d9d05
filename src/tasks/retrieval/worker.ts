/**
 * A worker thread that trains retrieval runs for the parent (pool.ts): it receives a
 * RetrievalRunConfig, posts every evaluation point as it happens, then the result.
 */
import { parentPort } from 'node:worker_threads';
import { trainRetrieval, type RetrievalRunConfig } from './training.js';
import type { WorkerMessage } from './pool.js';

const port = parentPort;
if (port === null) throw new Error('retrievalWorker: must run as a worker thread');
port.on('message', (config: RetrievalRunConfig) => {
  try {
    const result = trainRetrieval(config, (point) => port.postMessage({ kind: 'eval', point } satisfies WorkerMessage));
    port.postMessage({ kind: 'done', result } satisfies WorkerMessage);
  } catch (error) {
    port.postMessage({ kind: 'error', message: (error as Error).stack ?? String(error) } satisfies WorkerMessage);
  }
});

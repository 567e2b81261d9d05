/** The one pool of message-passing worker threads (src/train/workerPool.ts): requests, progress messages, a worker's failure. */
import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/train/workerPool.js';

// A worker that posts n progress messages, then the sum of its inputs and its workerData; 'crash' kills it.
const SOURCE = `
import { parentPort, workerData } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m === 'crash') process.exit(3);
  for (let i = 0; i < m.n; i++) parentPort.postMessage({ kind: 'progress', i });
  parentPort.postMessage({ kind: 'done', sum: m.a + m.b + workerData });
});`;
const url = new URL(`data:text/javascript,${encodeURIComponent(SOURCE)}`);
const done = (m: unknown) => (m as { kind: string }).kind === 'done';

describe('WorkerPool', () => {
  it('runs a request on each worker, passes the messages before the last on, and keeps working after', async () => {
    const pool = new WorkerPool(url, 2, (i) => 100 * (i + 1));
    try {
      const seen: number[] = [];
      const [a, b] = await Promise.all([
        pool.run<{ sum: number }>(0, { a: 1, b: 2, n: 3 }, done, (m) => seen.push((m as { i: number }).i)),
        pool.run<{ sum: number }>(1, { a: 5, b: 5, n: 0 }, done),
      ]);
      expect([a.sum, b.sum]).toEqual([103, 210]);
      expect(seen).toEqual([0, 1, 2]);
      expect((await pool.run<{ sum: number }>(0, { a: 0, b: 0, n: 1 }, done)).sum).toBe(100);
      await expect(pool.run(2, {})).rejects.toThrow('WorkerPool: no worker 2 of 2');
    } finally {
      await pool.close();
    }
  });

  it('a worker that dies fails its request and every later one, naming its exit code', async () => {
    const pool = new WorkerPool(url, 1, () => 0);
    try {
      await expect(pool.run(0, 'crash')).rejects.toThrow('worker thread exited with code 3');
      await expect(pool.run(0, { a: 1, b: 1, n: 0 }, done)).rejects.toThrow('exited with code 3');
    } finally {
      await pool.close();
    }
  });
});

/**
 * The one pool of worker threads (kernels/threads/pool.ts, tasks.ts): tasks (requests, progress messages, a
 * task's error, a thread's death) and kernel jobs on the same threads, a thread busy with a task
 * taking no kernel job meanwhile, with the same bits either way.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PoolTask, ThreadPool, liveThreads, threadPool } from '../../../kernels/threads/index.js';
import { setWasmThreads, wasmRuntime } from '../../../kernels/wasm/runtime.js';
import { wasmBackend } from '../../../kernels/backends/wasm.js';
import { Rng } from '../../../src/tensor/rng.js';
import { randomArray } from '../helpers.js';

/** A task module as a data: URL (a pool thread imports it by URL). */
const moduleUrl = (source: string) => `data:text/javascript,${encodeURIComponent(source)}`;

// Sends n progress messages, then replies with the sum of its inputs and the data it was opened with;
// 'throw' throws, 'crash' ends the thread, a number waits that many milliseconds.
const SUM = moduleUrl(`
export const open = (base) => async (m, progress) => {
  if (m === 'throw') throw new Error('bad request');
  if (m === 'crash') process.exit(3);
  if (typeof m === 'number') return new Promise((resolve) => setTimeout(() => resolve('waited'), m));
  for (let i = 0; i < m.n; i++) progress({ i });
  return m.a + m.b + base;
};`);

/** A pool of its own with `threads` threads (a thread that dies here does not touch the process's pool), closed after `body`. */
async function withPool(threads: number, body: (pool: ThreadPool) => Promise<void>): Promise<ThreadPool> {
  const pool = new ThreadPool();
  try {
    pool.grow(threads);
    expect(pool.size).toBe(threads);
    await body(pool);
  } finally {
    pool.close();
  }
  return pool;
}

describe('pool tasks', () => {
  it('runs a request on each thread, passes its progress messages on, and keeps working after', async () => {
    await withPool(2, async (pool) => {
      const task = new PoolTask(SUM, (i) => 100 * (i + 1), pool);
      const seen: number[] = [];
      const [a, b] = await Promise.all([task.run<number>(0, { a: 1, b: 2, n: 3 }, (m) => seen.push((m as { i: number }).i)), task.run<number>(1, { a: 5, b: 5, n: 0 })]);
      expect([a, b]).toEqual([103, 210]);
      expect(seen).toEqual([0, 1, 2]);
      expect(await task.run<number>(0, { a: 0, b: 0, n: 1 })).toBe(100);
      await expect(task.run(2, {})).rejects.toThrow('worker threads: no thread 2 of 2');
      const waiting = task.run(0, 50);
      await expect(task.run(0, 1)).rejects.toThrow('worker threads: thread 0 is busy');
      expect(await waiting).toBe('waited');
    });
  });

  it('a task that throws fails its request with its message; the thread keeps working', async () => {
    await withPool(1, async (pool) => {
      const task = new PoolTask(SUM, () => 1, pool);
      await expect(task.run(0, 'throw')).rejects.toThrow(/^bad request$/);
      expect(await task.run<number>(0, { a: 1, b: 1, n: 0 })).toBe(3);
      await expect(new PoolTask(moduleUrl('export const x = 1;'), undefined, pool).run(0, 1)).rejects.toThrow('exports no open() function');
    });
  });

  it('a thread that dies fails its request and every later one, naming its exit code', async () => {
    const pool = await withPool(1, async (pool) => {
      const task = new PoolTask(SUM, () => 0, pool);
      await expect(task.run(0, 'crash')).rejects.toThrow('worker thread exited with code 3');
      await expect(task.run(0, { a: 1, b: 1, n: 0 })).rejects.toThrow('exited with code 3');
    });
    expect(() => pool.grow(1)).toThrow('worker threads: the pool is closed');
  });
});

describe('kernel jobs and tasks on the same threads', () => {
  afterAll(() => setWasmThreads(1));

  it('a thread busy with a task takes no kernel job; before and after, kernel calls are split; the same bits throughout', async () => {
    const x = randomArray(new Rng(3), 1 << 20, 'float32', -8, 8);
    setWasmThreads(1);
    const alone = wasmBackend.gelu(x);
    setWasmThreads(2);
    const runtime = wasmRuntime()!;
    expect(runtime.pool).toBe(threadPool());
    const before = liveThreads();
    const split = () => {
      const posted = threadPool().jobsPosted;
      const y = wasmBackend.gelu(x);
      expect(Buffer.from(y.buffer).equals(Buffer.from(alone.buffer))).toBe(true);
      return threadPool().jobsPosted - posted;
    };
    expect(runtime.threads).toBe(2);
    expect(split()).toBe(1);
    const task = new PoolTask(SUM, () => 0);
    const waiting = task.run(0, 200);
    expect(runtime.threads).toBe(1); // the one pool thread waits in the task
    expect(split()).toBe(0);
    expect(await waiting).toBe('waited');
    expect(runtime.threads).toBe(2);
    expect(split()).toBe(1);
    expect(await task.run<number>(0, { a: 2, b: 3, n: 0 })).toBe(5);
    expect(split()).toBe(1);
    task.close();
    expect(split()).toBe(1);
    expect(liveThreads()).toBe(before); // no thread started for the task
    expect(wasmRuntime()).toBe(runtime);
  });
});

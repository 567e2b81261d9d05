/**
 * One pool of worker threads for the whole process (kernels/threads/pool.ts): a data-parallel step
 * with the wasm kernels on two threads runs its second part on the same thread that shares the
 * kernels' calls, not on a thread of its own, and leaves the kernels' runtime as it was; the retrieval
 * runs take their threads from the same pool; a pool thread starts none of its own. Runs from dist/
 * (the data-parallel task runs from the compiled files, which `npm test` builds first).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DataParallel } from '../../dist/src/train/dataParallel.js';
import type { ReplicaSpec } from '../../dist/src/train/replica.js';
import { replica as lmReplica, type LmMicroBatch } from '../../dist/src/tasks/lm/replica.js';
import { runRetrievalPool } from '../../dist/src/tasks/retrieval/pool.js';
import type { RetrievalRunConfig, RetrievalRunResult } from '../../dist/src/tasks/retrieval/training.js';
import { setWasmThreads, wasmRuntime } from '../../dist/kernels/index.js';
import { PoolTask, liveThreads, threadPool } from '../../dist/kernels/threads/index.js';
import { wasmBackend } from '../../dist/kernels/backends/wasm.js';
import { Rng } from '../../dist/src/tensor/rng.js';

const config = { vocabSize: 300, attention: 'delta', dModel: 16, layers: 1, heads: 2, context: 8, positions: true, seed: 3, dropout: 0.2 };

function batch(rng: Rng, B: number): LmMicroBatch {
  const L = 8;
  return { B, L, ids: Int32Array.from({ length: B * L }, () => 4 + rng.int(296)), targets: Int32Array.from({ length: B * L }, () => 4 + rng.int(296)) };
}

describe('one thread pool', () => {
  afterAll(() => setWasmThreads(1));

  it('a data-parallel step with the wasm kernels on two threads runs on the pool\'s one thread, and the kernels keep their runtime', async () => {
    setWasmThreads(2);
    const runtime = wasmRuntime()!;
    expect(runtime.threads).toBe(2);
    const threads = liveThreads();
    expect(threads).toBe(1);
    // This thread's part looks around while it runs: the threads alive, and what its kernels may use.
    const during: { live: number; runtime: unknown; kernelThreads: number }[] = [];
    const spec: ReplicaSpec<LmMicroBatch, ReturnType<typeof lmReplica.build>, typeof config> = {
      replica: { ...lmReplica, partLoss: (model, part, tokens) => {
        during.push({ live: liveThreads(), runtime: wasmRuntime(), kernelThreads: wasmRuntime()!.threads });
        return lmReplica.partLoss(model, part, tokens);
      } },
      config,
    };
    const model = lmReplica.build(config);
    model.train();
    const dp = new DataParallel(model, spec, { threads: 2 });
    try {
      expect(dp.threads).toBe(2);
      expect(wasmRuntime()).toBe(runtime);
      const rng = new Rng(7);
      for (let step = 0; step < 2; step++) {
        for (const [, p] of model.namedParameters()) p.grad = null;
        expect(Number.isFinite(await dp.gradients(batch(rng, 4)))).toBe(true);
        const posted = threadPool().jobsPosted;
        // Between steps the pool's thread serves the kernels again: a large call is split.
        wasmBackend.gelu(new Float32Array(1 << 20).fill(0.5));
        expect(threadPool().jobsPosted).toBe(posted + 1);
        expect(wasmRuntime()!.threads).toBe(2);
      }
    } finally {
      dp.close();
    }
    // One part ran here per step (the other on the pool thread, busy meanwhile: no kernel job for it).
    expect(during).toHaveLength(2);
    for (const d of during) expect(d).toEqual({ live: 1, runtime, kernelThreads: 1 });
    expect(liveThreads()).toBe(1);
    expect(wasmRuntime()).toBe(runtime);
    expect(runtime.threads).toBe(2);
  });

  it('a pool thread starts no threads of its own, and its kernels run on it alone', async () => {
    const kernels = new URL('../../dist/kernels/index.js', import.meta.url).href;
    const threads = new URL('../../dist/kernels/threads/index.js', import.meta.url).href;
    const probe = `data:text/javascript,${encodeURIComponent(`
      import { threadsWanted, wasmRuntime, setWasmThreads } from '${kernels}';
      import { liveThreads, threadPool } from '${threads}';
      export const open = () => () => {
        setWasmThreads(4);
        let refused = '';
        try { threadPool().grow(1); } catch (e) { refused = e.message; }
        return { wanted: threadsWanted(), kernelThreads: wasmRuntime().threads, live: liveThreads(), refused };
      };`)}`;
    threadPool().grow(1);
    const task = new PoolTask(probe);
    try {
      expect(await task.run(0, null)).toEqual({ wanted: 1, kernelThreads: 1, live: 0, refused: 'worker threads: a pool thread starts no threads of its own (one pool per process)' });
    } finally {
      task.close();
    }
  });

  it('retrieval runs with --jobs 2 run on the pool\'s threads, with the results of one job at a time', async () => {
    const base: RetrievalRunConfig = {
      setting: 2, model: 'delta', S: 3, dKey: 8, dEmb: 7, batchSize: 8, lr: 3e-3, targetLoss: 0,
      maxSteps: 40, evalEvery: 20, evalSize: 16, patience: 600, minImprovement: 0.01, seed: 1,
    };
    const configs = [base, { ...base, seed: 2 }, { ...base, model: 'linear' }];
    const run = async (jobs: number) => {
      const results: RetrievalRunResult[] = [];
      const evals: number[] = [];
      await runRetrievalPool(configs, jobs, { onDone: (i, r) => (results[i] = r), onEval: (i) => evals.push(i) });
      return { results, evals: evals.sort() };
    };
    const one = await run(1);
    const two = await run(2);
    expect(liveThreads()).toBe(2); // the pool grew to two threads: no other thread was started
    expect(two.results.map((r) => r.curve)).toEqual(one.results.map((r) => r.curve));
    expect(two.evals).toEqual(one.evals);
  });
});

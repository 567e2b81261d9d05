/**
 * The data-parallel task a pool thread runs (see ./dataParallel.ts): a replica of the model (built
 * by the task's replica, ./replica.ts, loaded by its module URL) that, for each part sent to it,
 * reads the current parameters from shared memory, runs the part forward and backward with the
 * given dropout seed, and writes the part's gradients to its buffer in shared memory. A carry-over
 * batch brings its rows' fast weights with it, and its rows' final fast weights go back with the loss.
 * Browser-safe: Node's pool threads run it through ./dataParallelWorker.ts, a page's Web Worker
 * from a module of the page's bundle that exports it as `open` beside the task's `replica`.
 */
import { Rng } from '../tensor/rng.js';
import { withScratch } from '../../kernels/index.js';
import type { OpenTask } from '../../kernels/threads/index.js';
import type { PartResult, StepRequest, WorkerStart } from './dataParallel.js';
import type { Replica, ReplicaModel, RowBatch } from './replica.js';

export const open: OpenTask<WorkerStart, StepRequest, PartResult> = async ({ module, config, params: shared, grads, names }) => {
  // The task's replica (src/tasks/<task>/replica.ts), by the URL it registered: training names no task.
  const { replica } = (await import(module)) as { replica: Replica<RowBatch, ReplicaModel, unknown> };
  const model = replica.build(config);
  model.train();
  const params = model.namedParameters();
  if (params.length !== names.length || params.some(([name, p], i) => name !== names[i]![0] || p.size !== names[i]![1])) {
    throw new Error('the replica has other parameters than the model');
  }
  return (request) => {
    let offset = 0;
    for (const [, p] of params) {
      p.data.set(shared.subarray(offset, offset + p.size));
      p.grad = null;
      offset += p.size;
    }
    model.rng.setState(new Rng(request.seed).getState());
    const out = grads[request.part - 1]!;
    // The step's memory is reused by the next step (kernels/alloc.ts); the gradients are copied out
    // to shared memory and the carried states are copies.
    return withScratch(() => {
      const { loss, states } = replica.partLoss(model, request.batch, request.batchTokens);
      const value = loss.item();
      loss.backward();
      let at = 0;
      for (const [, p] of params) {
        if (p.grad === null) out.fill(0, at, at + p.size);
        else out.set(p.grad.data, at);
        at += p.size;
      }
      return states ? { loss: value, states } : { loss: value };
    });
  };
};

/**
 * One data-parallel worker (see ./dataParallel.ts): a replica of the model (built by the task's
 * replica, ./replica.ts, loaded by its module URL) that, for each request,
 * reads the current parameters from shared memory, runs one micro-batch forward and backward with
 * the given dropout seed, and writes its gradients back to shared memory. A carry-over batch brings
 * its rows' fast weights with it, and its rows' final fast weights go back with the loss.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Rng } from '../tensor/rng.js';
import { setWasmThreads, withScratch } from '../../kernels/index.js';
import '../../kernels/backends/gpu.js'; // FASTWEIGHTS_BACKEND=gpu reaches the worker too
import type { StepReply, StepRequest, WorkerStart } from './dataParallel.js';
import type { Replica, ReplicaModel, RowBatch } from './replica.js';

const { module, config, params: shared, grads, names } = workerData as WorkerStart;
// The threads are already busy with micro-batches: kernels inside one do not split further.
setWasmThreads(1);
// The task's replica (src/tasks/<task>/replica.ts), by the URL it registered: training names no task.
const { replica } = (await import(module)) as { replica: Replica<RowBatch, ReplicaModel, unknown> };
const model = replica.build(config);
model.train();
const params = model.namedParameters();
if (params.length !== names.length || params.some(([name, p], i) => name !== names[i]![0] || p.size !== names[i]![1])) {
  throw new Error('data-parallel worker: the replica has other parameters than the model');
}

parentPort!.on('message', (request: StepRequest) => {
  let reply: StepReply;
  try {
    let offset = 0;
    for (const [, p] of params) {
      p.data.set(shared.subarray(offset, offset + p.size));
      p.grad = null;
      offset += p.size;
    }
    model.rng.setState(new Rng(request.seed).getState());
    // The step's memory is reused by the next step (kernels/alloc.ts); the gradients are copied out
    // to shared memory and the carried states are copies.
    reply = withScratch(() => {
      const { loss, states } = replica.partLoss(model, request.batch, request.batchTokens);
      const value = loss.item();
      loss.backward();
      let at = 0;
      for (const [, p] of params) {
        if (p.grad === null) grads.fill(0, at, at + p.size);
        else grads.set(p.grad.data, at);
        at += p.size;
      }
      return states ? { loss: value, states } : { loss: value };
    });
  } catch (e) {
    reply = { error: (e as Error).message };
  }
  parentPort!.postMessage(reply);
});

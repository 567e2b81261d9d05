/**
 * One data-parallel worker (see ./dataParallel.ts): a replica of the model that, for each request,
 * reads the current parameters from shared memory, runs one micro-batch forward and backward with
 * the given dropout seed, and writes its gradients back to shared memory. A carry-over batch brings
 * its rows' fast weights with it, and its rows' final fast weights go back with the loss.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LanguageModel } from '../tasks/lm/model.js';
import { TranslationModel } from '../tasks/mt/model.js';
import { Rng } from '../tensor/rng.js';
import { setWasmThreads, withScratch } from '../../kernels/index.js';
import '../../kernels/gpu/index.js'; // FASTWEIGHTS_BACKEND=gpu reaches the worker too
import { microBatchForward } from './microBatch.js';
import type { ReplicaSpec, StepReply, StepRequest } from './dataParallel.js';

const { spec, params: shared, grads, names } = workerData as { spec: ReplicaSpec; params: Float32Array; grads: Float32Array; names: [string, number][] };
// The threads are already busy with micro-batches: kernels inside one do not split further.
setWasmThreads(1);
const model = spec.kind === 'lm' ? new LanguageModel(spec.config) : new TranslationModel(spec.config);
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
      const { loss, states } = microBatchForward(model, request.batch, request.batchTokens);
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

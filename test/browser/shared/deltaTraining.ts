/**
 * A few training steps of a delta-rule model, the same in a browser page and in Node: the paper's
 * retrieval model (setting 2, keys re-assigned) with Adam, everything drawn from one seed. The page
 * runs it on the wasm and js backends; the Node test runs it too and compares the losses.
 */
import { RetrievalModel } from '../../../src/tasks/retrieval/model.js';
import { oneHotTargets, retrievalBatch } from '../../../src/tasks/retrieval/batches.js';
import { Adam } from '../../../src/train/optim.js';
import { halfSquaredError } from '../../../src/ops/loss.js';
import { Rng } from '../../../src/tensor/rng.js';

export const TRAINING_STEPS = 12;

/** The training loss of each step. */
export function trainDeltaSteps(steps = TRAINING_STEPS, seed = 7): number[] {
  const root = new Rng(seed);
  const model = new RetrievalModel({ model: 'delta', S: 8, dKey: 16, dEmb: 16, rng: root.fork() });
  const data = root.fork();
  const optimizer = new Adam(model.namedParameters(), { lr: 1e-2 });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const batch = retrievalBatch(2, 8, 32, data);
    model.train();
    const loss = halfSquaredError(model.forward(batch), oneHotTargets(batch));
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  }
  return losses;
}

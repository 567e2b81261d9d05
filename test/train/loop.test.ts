/** trainLoop's budgets: a time budget hands the schedule the fraction of the budget used. */
import { describe, expect, it } from 'vitest';
import { Linear } from '../../src/nn/layers.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn } from '../../src/tensor/tensor.js';
import * as ops from '../../src/ops/index.js';
import { SGD } from '../../src/train/optim.js';
import { trainLoop, type TrainHistory } from '../../src/train/loop.js';

/** Runs a tiny model for `minutes` on a fake clock where each step takes one second. */
async function progressSeen(minutes: number, history?: TrainHistory): Promise<number[]> {
  const model = new Linear(3, 2, { rng: new Rng(1) });
  const optimizer = new SGD(model.namedParameters(), { lr: 0.1 });
  const x = randn([4, 3], new Rng(2));
  let ms = 0;
  const seen: number[] = [];
  await trainLoop({
    model,
    optimizer,
    schedule: (_step, progress) => {
      seen.push(progress!);
      return 0.01;
    },
    minutes,
    now: () => ms,
    ...(history ? { history } : {}),
    computeLoss: () => {
      ms += 1000;
      return { loss: ops.mean(ops.mul(model.forward(x), model.forward(x))), tokens: 4 };
    },
  });
  return seen;
}

describe('trainLoop with a time budget', () => {
  it('passes the fraction of the minutes used to the schedule', async () => {
    const seen = await progressSeen(0.1); // 6 s: six steps of 1 s
    expect(seen.map((p) => p * 6)).toEqual([0, 1, 2, 3, 4, 5].map((k) => expect.closeTo(k, 9)));
  });

  it('continues the same fractions when a run is resumed with the minutes left', async () => {
    const seen = await progressSeen(0.05, { steps: [], evals: [], elapsedSeconds: 3 }); // 3 s trained before, 3 s more
    expect(seen.map((p) => p * 6)).toEqual([3, 4, 5].map((k) => expect.closeTo(k, 9)));
  });
});

describe('trainLoop with scratch: true', () => {
  /** SGD steps of a small model; returns the loss of every step and the final weights. */
  async function run(scratch: boolean, keepAcrossSteps = false) {
    const model = new Linear(40, 30, { rng: new Rng(1) });
    const optimizer = new SGD(model.namedParameters(), { lr: 0.05 });
    const x = randn([50, 40], new Rng(2));
    let kept: ReturnType<typeof model.forward> | null = null;
    const result = await trainLoop({
      model,
      optimizer,
      schedule: () => 0.05,
      steps: 4,
      scratch,
      computeLoss: () => {
        // A computeLoss that breaks the contract: it reads an output of the step before.
        const y = keepAcrossSteps && kept ? ops.add(model.forward(x), ops.mul(kept, 0)) : model.forward(x);
        if (keepAcrossSteps) kept = y.detach();
        return { loss: ops.mean(ops.mul(y, y)), tokens: 50 };
      },
    });
    return { losses: result.history.steps.map((s) => s.loss), weight: Array.from(model.weight.data) };
  }

  it('trains to the same bits as without scratch memory', async () => {
    const plain = await run(false);
    expect(await run(true)).toEqual(plain);
    expect(plain.losses[3]!).toBeLessThan(plain.losses[0]!);
  });

  it('a computeLoss that keeps a tensor across steps shows up as a non-finite loss in poison mode (as the tests run)', async () => {
    expect(process.env.FASTWEIGHTS_SCRATCH_POISON).toBe('1');
    await expect(run(true, true)).rejects.toThrow(/loss|finite|NaN/i);
    expect((await run(false, true)).losses.every(Number.isFinite)).toBe(true);
  });
});

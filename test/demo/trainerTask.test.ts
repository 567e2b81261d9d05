/**
 * The demo's training carried between threads (demo/retrievalTrainer.ts `state()`/`takeState()`,
 * demo/trainerTask.ts): a trainer that takes another's state steps on with the same bits, and the
 * worker's slice task, run here, reproduces the page's thread step for step. The real Web Workers
 * run in the browser suite (test/browser/threads.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { RetrievalTrainer, type Rule } from '../../demo/retrievalTrainer.js';
import { open, type SliceReply, type SliceRequest } from '../../demo/trainerTask.js';

const paramBits = (trainer: RetrievalTrainer) => trainer.model.namedParameters().map(([, p]) => Buffer.from(Float32Array.from(p.data).buffer).toString('base64'));

async function steps(trainer: RetrievalTrainer, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await trainer.step();
}

describe('the demo trainer carried between threads', () => {
  for (const rule of ['delta', 'sum'] as Rule[]) {
    it(`${rule}: a fresh trainer given the state after 3 steps makes steps 4 to 7 with the same bits`, async () => {
      const whole = new RetrievalTrainer(rule, { seed: 4 });
      await steps(whole, 7);
      const first = new RetrievalTrainer(rule, { seed: 4 });
      await steps(first, 3);
      const second = new RetrievalTrainer(rule, { seed: 99 }); // its own seed is overwritten
      second.takeState(first.state());
      await steps(second, 4);
      expect(second.losses).toEqual(whole.losses.slice(3));
      expect(paramBits(second)).toEqual(paramBits(whole));
    });
  }

  it('the slice task (what a pool worker runs) reproduces the page\'s thread step for step, in slices', async () => {
    const here = { delta: new RetrievalTrainer('delta'), sum: new RetrievalTrainer('sum') };
    await steps(here.delta, 8);
    await steps(here.sum, 8);
    const answer = await open(undefined);
    for (const rule of ['delta', 'sum'] as Rule[]) {
      const page = new RetrievalTrainer(rule);
      for (const n of [3, 1, 4]) {
        const request: SliceRequest = { rule, state: page.state(), forMs: 60_000, maxSteps: n };
        const reply = (await answer(request, () => {})) as SliceReply;
        expect(reply.losses).toHaveLength(n);
        expect(reply.stepTimes).toHaveLength(n);
        page.takeState(reply.state, reply);
      }
      expect(page.losses).toEqual(here[rule].losses);
      expect(paramBits(page)).toEqual(paramBits(here[rule]));
      expect(page.steps).toBe(8);
    }
  });

  it('a slice of some milliseconds makes at least one step', async () => {
    const answer = await open(undefined);
    const reply = (await answer({ rule: 'sum', state: new RetrievalTrainer('sum').state(), forMs: 0 }, () => {})) as SliceReply;
    expect(reply.losses).toHaveLength(1);
  });

  it('refuses the state of the other model, naming it', () => {
    const delta = new RetrievalTrainer('delta');
    expect(() => new RetrievalTrainer('sum').takeState(delta.state())).toThrow(/do not fit the sum model/);
  });
});

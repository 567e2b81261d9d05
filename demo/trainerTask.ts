/**
 * What a pool worker runs when the demo trains each model on a thread of its own
 * (./workerSlices.ts): a slice of training. A request brings a model's whole training state
 * (demo/retrievalTrainer.ts, TrainerState); the worker takes it, steps for the slice's
 * milliseconds exactly as the page's thread would, and sends the new state back with the steps'
 * losses and times. The page keeps the state between slices, so a worker holds nothing the page
 * needs, and one thread or two give the same bits.
 */
import type { OpenTask } from '../src/threads.js';
import { RetrievalTrainer, type Rule, type TrainerState } from './retrievalTrainer.js';

export interface SliceRequest {
  rule: Rule;
  state: TrainerState;
  /** Milliseconds to train for (at least one step), and at most this many steps. */
  forMs: number;
  maxSteps?: number;
}

export interface SliceReply {
  state: TrainerState;
  losses: number[];
  /** Milliseconds of the slice's last steps (as many as a trainer keeps). */
  stepTimes: number[];
}

export const open: OpenTask<unknown, SliceRequest, SliceReply> = () => {
  // One trainer per rule on this thread, reused: each request overwrites its whole state.
  const trainers = new Map<Rule, RetrievalTrainer>();
  return async ({ rule, state, forMs, maxSteps }) => {
    let trainer = trainers.get(rule);
    if (trainer === undefined) trainers.set(rule, (trainer = new RetrievalTrainer(rule)));
    trainer.takeState(state);
    trainer.stepTimes.length = 0;
    const losses = await trainer.trainFor(forMs, maxSteps);
    const stepTimes = [...trainer.stepTimes];
    trainer.losses.length = 0;
    return { state: trainer.state(), losses, stepTimes };
  };
};

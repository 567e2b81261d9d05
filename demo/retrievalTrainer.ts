/**
 * One retrieval model in training, as the demo page runs it: the paper's setting 2 (L = 2S pairs
 * drawn with replacement, so keys are re-assigned; the answer is the latest value of the queried
 * key), Adam on ½‖v* − v̂‖², fresh batches from a seeded stream. One step at a time, so the page can
 * interleave steps of both rules with drawing. No DOM here.
 *
 * The sizes are those of the project's quick retrieval preset (src/tasks/retrieval/plan.ts):
 * S = 10 keys, d_key = 16, d_emb = round(2.2 S), batches of 32, learning rate 1e-2. There the delta
 * rule reaches a loss of 2e-4 in about 400 steps and the sum rule stays near 0.25
 * (docs/experiments.md).
 */
import { Adam, RetrievalModel, Rng, halfSquaredError, oneHotTargets, retrievalBatch, type FastWeightTrace, type RetrievalBatch } from '../src/index.js';

export const TASK = { setting: 2 as const, S: 10, dKey: 16, dEmb: 22, batchSize: 32, lr: 1e-2 };

/** The two update rules on show, by the model names of the paper's table (README). */
export const RULES = { delta: 'delta', sum: 'linear' } as const;
export type Rule = keyof typeof RULES;

export class RetrievalTrainer {
  readonly model: RetrievalModel;
  private readonly optimizer: Adam;
  private readonly data: Rng;
  /** Training loss of every step so far. */
  readonly losses: number[] = [];
  /** Milliseconds of the most recent steps (forward, backward and update). */
  readonly stepTimes: number[] = [];

  constructor(readonly rule: Rule, seed = 1) {
    const root = new Rng(seed);
    this.model = new RetrievalModel({ model: RULES[rule], S: TASK.S, dKey: TASK.dKey, dEmb: TASK.dEmb, rng: root.fork() });
    this.data = root.fork();
    this.optimizer = new Adam(this.model.namedParameters(), { lr: TASK.lr });
  }

  get steps(): number {
    return this.losses.length;
  }

  /** One training step on a fresh batch; returns its loss. */
  step(): number {
    const batch = retrievalBatch(TASK.setting, TASK.S, TASK.batchSize, this.data);
    const started = performance.now();
    this.model.train();
    const loss = halfSquaredError(this.model.forward(batch), oneHotTargets(batch));
    this.optimizer.zeroGrad();
    loss.backward();
    this.optimizer.step();
    const value = loss.item();
    this.stepTimes.push(performance.now() - started);
    if (this.stepTimes.length > 20) this.stepTimes.shift();
    this.losses.push(value);
    return value;
  }

  /** Median time of the recent steps, in milliseconds (NaN before the first). */
  medianStepMs(): number {
    const sorted = [...this.stepTimes].sort((a, b) => a - b);
    return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)]!;
  }

  /** W_1 … W_L of the sequence, with the model's read-out of the query after each step. */
  trace(sequence: RetrievalBatch): FastWeightTrace & { readouts: Float64Array[] } {
    this.model.eval();
    const trace = this.model.fastWeightTrace(sequence, 0);
    const d = this.model.dDot;
    const readouts = trace.states.map((W) => {
      const out = new Float64Array(TASK.S);
      for (let i = 0; i < TASK.S; i++) for (let j = 0; j < d; j++) out[i] = out[i]! + W[i * d + j]! * trace.query[j]!;
      return out;
    });
    return { ...trace, readouts };
  }
}

/** A single sequence of the task to feed token by token (its own seed, apart from training). */
export function displaySequence(seed: number): RetrievalBatch {
  return retrievalBatch(TASK.setting, TASK.S, 1, new Rng(seed));
}

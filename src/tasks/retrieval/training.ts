/**
 * Training one retrieval model on one task size (the paper's §6.1): Adam on ½‖v* − v̂‖² over fresh
 * random batches, evaluated every `evalEvery` steps on a fixed evaluation set drawn from its own seed.
 * A run stops when the evaluation loss reaches `targetLoss` ('solved'), when the best evaluation loss
 * has not improved by a factor `minImprovement` for `patience` steps ('plateau'), or at `maxSteps`.
 *
 * Everything random comes from `seed`: the same config gives the same curve, number for number.
 */
import { withScratch } from '../../../kernels/index.js';
import { RetrievalModel } from './model.js';
import { oneHotTargets, retrievalBatch, type RetrievalBatch, type RetrievalSetting } from './batches.js';
import { Adam } from '../../train/optim.js';
import { Rng } from '../../tensor/rng.js';
import { halfSquaredError } from '../../ops/loss.js';
import { noGrad } from '../../autograd/graph.js';

export interface RetrievalRunConfig {
  setting: RetrievalSetting;
  /** Model name with knob, e.g. `dpfp-2`. */
  model: string;
  /** Number of keys (= values). */
  S: number;
  dKey: number;
  dEmb: number;
  batchSize: number;
  lr: number;
  /** Stop as solved when the evaluation loss is at or below this. */
  targetLoss: number;
  maxSteps: number;
  evalEvery: number;
  /** Sequences in the fixed evaluation set. */
  evalSize: number;
  /** Steps without sufficient improvement of the best evaluation loss before giving up. */
  patience: number;
  /** An evaluation counts as progress when it is below best × (1 − minImprovement). */
  minImprovement: number;
  seed: number;
}

export type StopReason = 'solved' | 'plateau' | 'max-steps';

export interface CurvePoint {
  step: number;
  /** Mean training loss over the steps since the previous evaluation. */
  trainLoss: number;
  evalLoss: number;
}

export interface RetrievalRunResult {
  config: RetrievalRunConfig;
  /** Canonical model name. */
  name: string;
  dDot: number;
  steps: number;
  /** Evaluation loss at the end of the run. */
  finalLoss: number;
  bestLoss: number;
  stopReason: StopReason;
  curve: CurvePoint[];
  seconds: number;
}

/** The evaluation set is drawn from seed + this, apart from every training stream. */
const EVAL_SEED_OFFSET = 1_000_003;

export function trainRetrieval(config: RetrievalRunConfig, onEval?: (point: CurvePoint) => void): RetrievalRunResult {
  validateRunConfig(config);
  const started = Date.now();
  const { setting, S, batchSize } = config;
  // Separate streams: the model (init and FAVOR+ draws) and the training batches do not disturb each other.
  const root = new Rng(config.seed);
  const model = new RetrievalModel({ model: config.model, S, dKey: config.dKey, dEmb: config.dEmb, rng: root.fork(), featureSeed: root.nextUint32() });
  const dataRng = root.fork();
  const evalSet = makeEvalSet(config);
  const optimizer = new Adam(model.namedParameters(), { lr: config.lr });

  const curve: CurvePoint[] = [];
  let best = Infinity;
  let lastProgressStep = 0;
  let trainSum = 0;
  let trainCount = 0;
  let stopReason: StopReason = 'max-steps';
  let step = 0;
  while (step < config.maxSteps) {
    const batch = retrievalBatch(setting, S, batchSize, dataRng);
    model.train();
    optimizer.zeroGrad();
    // The step's arrays reuse the last step's memory (kernels/alloc.ts); the optimiser, whose
    // moment buffers outlive the step, runs outside the scope.
    const lossValue = withScratch(() => {
      const loss = halfSquaredError(model.forward(batch), oneHotTargets(batch));
      loss.backward();
      return loss.item();
    });
    optimizer.step();
    step++;
    trainSum += lossValue;
    trainCount++;

    if (step % config.evalEvery !== 0 && step !== config.maxSteps) continue;
    const point = { step, trainLoss: trainSum / trainCount, evalLoss: evaluate(model, evalSet) };
    trainSum = 0;
    trainCount = 0;
    curve.push(point);
    onEval?.(point);
    if (point.evalLoss < best * (1 - config.minImprovement)) lastProgressStep = step;
    best = Math.min(best, point.evalLoss);
    if (point.evalLoss <= config.targetLoss) {
      stopReason = 'solved';
      break;
    }
    if (step - lastProgressStep >= config.patience) {
      stopReason = 'plateau';
      break;
    }
  }
  const finalLoss = curve.at(-1)!.evalLoss;
  return { config, name: model.name, dDot: model.dDot, steps: step, finalLoss, bestLoss: best, stopReason, curve, seconds: (Date.now() - started) / 1000 };
}

/** The fixed evaluation set: ⌈evalSize / batchSize⌉ batches from their own seed. */
function makeEvalSet(config: RetrievalRunConfig): RetrievalBatch[] {
  const rng = new Rng(config.seed + EVAL_SEED_OFFSET);
  const batches: RetrievalBatch[] = [];
  for (let left = config.evalSize; left > 0; left -= config.batchSize) {
    batches.push(retrievalBatch(config.setting, config.S, Math.min(left, config.batchSize), rng));
  }
  return batches;
}

/** Mean loss per sequence over the evaluation set, in eval mode (FAVOR+ uses its fixed features). */
export function evaluate(model: RetrievalModel, batches: readonly RetrievalBatch[]): number {
  model.eval();
  let total = 0;
  let count = 0;
  noGrad(() => {
    for (const batch of batches) {
      total += withScratch(() => halfSquaredError(model.forward(batch), oneHotTargets(batch)).item()) * batch.batch;
      count += batch.batch;
    }
  });
  return total / count;
}

export function validateRunConfig(config: RetrievalRunConfig): void {
  const positiveIntegers = ['S', 'dKey', 'dEmb', 'batchSize', 'maxSteps', 'evalEvery', 'evalSize', 'patience'] as const;
  for (const key of positiveIntegers) {
    const n = config[key];
    if (!Number.isInteger(n) || n < 1) throw new Error(`retrieval: ${key} must be a positive integer, got ${n}`);
  }
  if (config.setting !== 1 && config.setting !== 2) throw new Error(`retrieval: setting must be 1 or 2, got ${String(config.setting)}`);
  if (!(config.lr > 0)) throw new Error(`retrieval: lr must be positive, got ${config.lr}`);
  if (!(config.targetLoss >= 0)) throw new Error(`retrieval: targetLoss must be ≥ 0, got ${config.targetLoss}`);
  if (!(config.minImprovement >= 0 && config.minImprovement < 1)) throw new Error(`retrieval: minImprovement must be in [0, 1), got ${config.minImprovement}`);
  if (!Number.isInteger(config.seed)) throw new Error(`retrieval: seed must be an integer, got ${config.seed}`);
}

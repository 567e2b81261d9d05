/**
 * Learning-rate schedules: pure functions from the step (and, for a time budget, the fraction of
 * the budget used) to the learning rate.
 *
 * `step` is the number of the update about to be made, counting from 1 (pass
 * `optimizer.stepCount + 1`). Warm-up rises linearly from 0 at step 0 to the peak at step
 * `warmupSteps`, so the first update already gets peak/warmupSteps rather than nothing.
 * `progress` is the fraction of the training budget used so far, in [0, 1] (the training loop
 * passes it; schedules over a known number of steps ignore it).
 */

export type Schedule = (step: number, progress?: number) => number;

export function constantSchedule(lr: number): Schedule {
  assertRate(lr, 'constantSchedule: lr');
  return (step) => {
    assertStep(step, 'constantSchedule');
    return lr;
  };
}

export interface WarmupCosineOptions {
  peakLr: number;
  warmupSteps: number;
  /** The step at which the cosine reaches `minLr`; the rate stays there afterwards. */
  totalSteps: number;
  /** The floor (default 0). */
  minLr?: number;
}

/** Linear warm-up to `peakLr`, then half a cosine down to `minLr` at `totalSteps`. */
export function warmupCosineSchedule(options: WarmupCosineOptions): Schedule {
  const { peakLr, warmupSteps, totalSteps } = options;
  const minLr = options.minLr ?? 0;
  assertRate(peakLr, 'warmupCosineSchedule: peakLr');
  assertRate(minLr, 'warmupCosineSchedule: minLr');
  assertStep(warmupSteps, 'warmupCosineSchedule: warmupSteps');
  assertStep(totalSteps, 'warmupCosineSchedule: totalSteps');
  if (minLr > peakLr) throw new Error(`warmupCosineSchedule: minLr ${minLr} is above peakLr ${peakLr}`);
  if (totalSteps < warmupSteps) throw new Error(`warmupCosineSchedule: totalSteps ${totalSteps} is before the end of warm-up (${warmupSteps})`);
  return (step) => {
    assertStep(step, 'warmupCosineSchedule');
    if (step < warmupSteps) return (peakLr * step) / warmupSteps;
    if (step >= totalSteps) return totalSteps === warmupSteps ? peakLr : minLr;
    const progress = (step - warmupSteps) / (totalSteps - warmupSteps);
    return minLr + (peakLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
}

export interface WarmupInverseSqrtOptions {
  peakLr: number;
  warmupSteps: number;
}

/**
 * Linear warm-up to `peakLr`, then peakLr·√(warmupSteps/step) (the original Transformer's schedule,
 * continuous at the end of warm-up). Without warm-up it is peakLr/√step.
 */
export function warmupInverseSqrtSchedule(options: WarmupInverseSqrtOptions): Schedule {
  const { peakLr, warmupSteps } = options;
  assertRate(peakLr, 'warmupInverseSqrtSchedule: peakLr');
  assertStep(warmupSteps, 'warmupInverseSqrtSchedule: warmupSteps');
  const pivot = Math.max(warmupSteps, 1);
  return (step) => {
    assertStep(step, 'warmupInverseSqrtSchedule');
    if (step < warmupSteps) return (peakLr * step) / warmupSteps;
    return peakLr * Math.sqrt(pivot / Math.max(step, pivot));
  };
}

function assertRate(x: number, what: string): void {
  if (!(x >= 0) || !Number.isFinite(x)) throw new Error(`${what} must be a finite number ≥ 0, got ${x}`);
}

function assertStep(step: number, what: string): void {
  if (!Number.isInteger(step) || step < 0) throw new Error(`${what}: step must be a non-negative integer, got ${step}`);
}

export interface WarmupCosineByProgressOptions {
  peakLr: number;
  warmupSteps: number;
  /** The rate at progress 1 (default 0). */
  minLr?: number;
  /**
   * Warm-up also ends once this fraction of the budget is used, if that comes before `warmupSteps`
   * (default: never). A slow machine then still reaches the peak rate in a short run.
   */
  warmupBudgetFraction?: number;
}

/**
 * For a budget whose end is a time, not a step: linear warm-up over steps, times half a cosine from
 * `peakLr` down to `minLr` over the fraction of the budget used. A budget that ends at a known time
 * is best spent decaying to that end, as with a known number of steps; an open-ended decay such as
 * inverse square root leaves the rate high when the time runs out.
 */
export function warmupCosineByProgressSchedule(options: WarmupCosineByProgressOptions): Schedule {
  const { peakLr, warmupSteps } = options;
  const minLr = options.minLr ?? 0;
  const fraction = options.warmupBudgetFraction ?? Infinity;
  if (!(fraction > 0)) throw new Error(`warmupCosineByProgressSchedule: warmupBudgetFraction must be > 0, got ${fraction}`);
  assertRate(peakLr, 'warmupCosineByProgressSchedule: peakLr');
  assertRate(minLr, 'warmupCosineByProgressSchedule: minLr');
  assertStep(warmupSteps, 'warmupCosineByProgressSchedule: warmupSteps');
  if (minLr > peakLr) throw new Error(`warmupCosineByProgressSchedule: minLr ${minLr} is above peakLr ${peakLr}`);
  return (step, progress) => {
    assertStep(step, 'warmupCosineByProgressSchedule');
    if (progress === undefined || !(progress >= 0)) throw new Error(`warmupCosineByProgressSchedule: progress must be a number in [0, 1], got ${progress}`);
    const p = Math.min(progress, 1);
    // Linear in steps, or in the budget used when that is further along: the rise is continuous and
    // reaches 1 at warmupSteps or at `fraction` of the budget, whichever comes first.
    const warm = step < warmupSteps ? Math.min(1, Math.max(step / warmupSteps, p / fraction)) : 1;
    return warm * (minLr + (peakLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * p)));
  };
}

/**
 * Warm-up of a time budget ends by this fraction of it at the latest, as the command lines cap the
 * warm-up of a budget in steps at a tenth of the steps: a 2-minute run on a slow machine would
 * otherwise spend all of it warming up.
 */
export const WARMUP_BUDGET_FRACTION = 0.1;

/**
 * The schedule for a training budget: warm-up, then cosine decay to a tenth of the peak at the end
 * of the budget — at the last step for a number of steps, at the last second for minutes (where
 * warm-up ends by WARMUP_BUDGET_FRACTION of the time at the latest).
 */
export function budgetSchedule(options: { peakLr: number; warmupSteps: number; steps?: number }): Schedule {
  return options.steps !== undefined
    ? warmupCosineSchedule({ peakLr: options.peakLr, warmupSteps: options.warmupSteps, totalSteps: options.steps, minLr: options.peakLr / 10 })
    : warmupCosineByProgressSchedule({ peakLr: options.peakLr, warmupSteps: options.warmupSteps, minLr: options.peakLr / 10, warmupBudgetFraction: WARMUP_BUDGET_FRACTION });
}

/**
 * Learning-rate schedules: pure functions from the step to the learning rate.
 *
 * `step` is the number of the update about to be made, counting from 1 (pass
 * `optimizer.stepCount + 1`). Warm-up rises linearly from 0 at step 0 to the peak at step
 * `warmupSteps`, so the first update already gets peak/warmupSteps rather than nothing.
 */

export type Schedule = (step: number) => number;

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

/**
 * The schedule for a training budget: with a number of steps, warm-up then cosine decay to a tenth of
 * the peak at the last step; with a time budget (no known end), warm-up then inverse square root.
 */
export function budgetSchedule(options: { peakLr: number; warmupSteps: number; steps?: number }): Schedule {
  return options.steps !== undefined
    ? warmupCosineSchedule({ peakLr: options.peakLr, warmupSteps: options.warmupSteps, totalSteps: options.steps, minLr: options.peakLr / 10 })
    : warmupInverseSqrtSchedule({ peakLr: options.peakLr, warmupSteps: options.warmupSteps });
}

/** The last line of a training run: where it stopped and why, in words. */
import type { TrainLoopResult } from './loop.js';

const SIGNAL_WORDS: Record<string, string> = { SIGINT: 'interrupted (Ctrl-C)', SIGTERM: 'stopped by SIGTERM', SIGHUP: 'the terminal closed (SIGHUP)' };

/**
 * `stopped at step 1,802: the 3-minute budget ran out`, `stopped at step 40: all 40 steps done`,
 * `stopped at step 12: interrupted (Ctrl-C)`. `signal`: the first stop signal received, if any.
 */
export function describeStop(step: number, stoppedBy: TrainLoopResult['stoppedBy'], budget: { steps?: number | undefined; minutes?: number | undefined }, signal?: string | null): string {
  const why =
    stoppedBy === 'interrupt' ? (signal ? SIGNAL_WORDS[signal] ?? `stopped by ${signal}` : 'interrupted')
    : stoppedBy === 'minutes' ? `the ${budgetWords(budget.minutes ?? 0)} budget ran out`
    : `all ${(budget.steps ?? step).toLocaleString('en-US')} steps done`;
  return `stopped at step ${step.toLocaleString('en-US')}: ${why}`;
}

/**
 * `6,283 steps in 180 s, 18,000 tokens/s on this machine`: how far this run got (the runs it resumed
 * not counted), the speed to 3 significant figures.
 */
export function describeRunSpeed(run: Pick<TrainLoopResult, 'runSteps' | 'runTokens' | 'runSeconds'>): string {
  const steps = `${run.runSteps.toLocaleString('en-US')} step${run.runSteps === 1 ? '' : 's'} in ${Math.round(run.runSeconds).toLocaleString('en-US')} s`;
  if (run.runSeconds <= 0 || run.runTokens === 0) return steps;
  const tokensPerSecond = Number((run.runTokens / run.runSeconds).toPrecision(3));
  return `${steps}, ${tokensPerSecond.toLocaleString('en-US')} tokens/s on this machine`;
}

/**
 * Said after a run that a time budget stopped: its steps, and every figure after them, depend on the
 * machine's speed and load; `--steps` makes the same amount of training anywhere.
 */
export function timeBudgetNote(step: number, minutes: number): string {
  return `the ${budgetWords(minutes)} budget makes the steps made, and so these figures, depend on this machine's speed and load; --steps ${step} in place of --minutes ${Number(minutes.toPrecision(3))} trains the same number of steps on any machine`;
}

/** 3 → '3-minute', 0.5 → '30-second', 1.5 → '1.5-minute'. */
function budgetWords(minutes: number): string {
  return minutes < 2 && Number.isInteger(minutes * 60) && !Number.isInteger(minutes) ? `${minutes * 60}-second` : `${Number(minutes.toPrecision(3))}-minute`;
}

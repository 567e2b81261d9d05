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

/** 3 → '3-minute', 0.5 → '30-second', 1.5 → '1.5-minute'. */
function budgetWords(minutes: number): string {
  return minutes < 2 && Number.isInteger(minutes * 60) && !Number.isInteger(minutes) ? `${minutes * 60}-second` : `${Number(minutes.toPrecision(3))}-minute`;
}

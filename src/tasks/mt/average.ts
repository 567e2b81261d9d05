/**
 * `mt average`: one translation checkpoint whose weights are the mean of a run's last K saves (its
 * snapshots, src/train/snapshots.ts, and its final checkpoint), for `mt eval` and `mt translate`.
 * Node-only (files).
 */
import { saveCheckpoint } from '../../io/checkpoint.js';
import { averageWeights, listSnapshots } from '../../train/snapshots.js';
import { readMtCheckpoint } from './training.js';

export interface AveragedCheckpoint {
  /** The steps whose weights were averaged, oldest first. */
  steps: number[];
  out: string;
}

/**
 * Averages the last `last` saves of the run in `dir` (snapshots before its final step, then the final
 * checkpoint) into a checkpoint in `out` with the final checkpoint's config, tokenizer and state (and
 * no optimiser moments: it is for evaluation, not for resuming). Fewer saves than `last` is an error
 * naming how many there are; so is a snapshot of another model or tokenizer.
 */
export function averageTranslationCheckpoint(dir: string, last: number, out: string): AveragedCheckpoint {
  if (!Number.isInteger(last) || last < 1) throw new Error(`mt average: the number of saves to average must be a whole number ≥ 1, got ${last}`);
  const final = readMtCheckpoint(dir);
  const finalStep = final.state.step;
  const earlier = listSnapshots(dir).filter((s) => s.step < finalStep);
  if (earlier.length + 1 < last) {
    throw new Error(`${dir} holds ${earlier.length} snapshot${earlier.length === 1 ? '' : 's'} before its final step ${finalStep}, so ${earlier.length + 1} saves in all, fewer than the ${last} asked for (train with --snapshot-every N to keep snapshots)`);
  }
  const chosen = earlier.slice(earlier.length - (last - 1));
  const config = JSON.stringify(final.config.model);
  const tokenizer = JSON.stringify(final.tokenizer.toJSON());
  const sets = chosen.map((s) => {
    const c = readMtCheckpoint(s.dir);
    if (JSON.stringify(c.config.model) !== config) throw new Error(`${s.dir}: the snapshot's model differs from the final checkpoint's in ${dir}; it is not a save of the same run`);
    if (JSON.stringify(c.tokenizer.toJSON()) !== tokenizer) throw new Error(`${s.dir}: the snapshot's tokenizer differs from the final checkpoint's in ${dir}; it is not a save of the same run`);
    return c.weights;
  });
  sets.push(final.weights);
  saveCheckpoint(out, { weights: averageWeights(sets), optimizer: {}, config: final.config, tokenizer: final.tokenizer.toJSON(), state: final.state });
  return { steps: [...chosen.map((s) => s.step), finalStep], out };
}

/**
 * Snapshots of a run's weights, kept beside its checkpoint for averaging: `<out>/snapshots/step-N`
 * is a checkpoint (weights, config, tokenizer, state; no optimiser moments, so it cannot be resumed,
 * only evaluated or averaged). Averaging the weights of the last few snapshots of a run is a cheap,
 * common gain in translation quality (docs/experiments.md measures it). Node-only (files).
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_NAME } from '../io/checkpoint.js';
import { Tensor } from '../tensor/tensor.js';

export const SNAPSHOTS_DIR = 'snapshots';

const SNAPSHOT_NAME = /^step-(\d+)$/;

/** Where the snapshot of `step` goes: `<out>/snapshots/step-00001200` (zero-padded so names sort by step). */
export function snapshotDir(out: string, step: number): string {
  return join(out, SNAPSHOTS_DIR, `step-${String(step).padStart(8, '0')}`);
}

/** The snapshots in `out` that hold a checkpoint, by step, oldest first. */
export function listSnapshots(out: string): { step: number; dir: string }[] {
  const root = join(out, SNAPSHOTS_DIR);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => ({ match: SNAPSHOT_NAME.exec(name), dir: join(root, name) }))
    .filter((s) => s.match !== null && existsSync(join(s.dir, MANIFEST_NAME)))
    .map((s) => ({ step: Number(s.match![1]), dir: s.dir }))
    .sort((a, b) => a.step - b.step);
}

/** How many snapshots a run keeps (the newest): enough for any average worth taking, 57 MB at d_model 128. */
export const KEPT_SNAPSHOTS = 10;

/** Removes all but the newest `keep` snapshots in `out`. */
export function pruneSnapshots(out: string, keep: number): void {
  const all = listSnapshots(out);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) rmSync(old.dir, { recursive: true, force: true });
}

/** Removes the snapshots of an earlier run in `out` (a fresh run starts with none). */
export function clearSnapshots(out: string): void {
  rmSync(join(out, SNAPSHOTS_DIR), { recursive: true, force: true });
}

/**
 * The element-wise mean of several sets of weights with the same names, shapes and dtypes (summed in
 * float64, stored in each tensor's own dtype). A mismatch names the tensor and the set.
 */
export function averageWeights(sets: readonly Map<string, Tensor>[]): Map<string, Tensor> {
  if (sets.length === 0) throw new Error('averageWeights: no weights to average');
  const first = sets[0]!;
  const out = new Map<string, Tensor>();
  for (const [name, tensor] of first) {
    const sum = new Float64Array(tensor.size);
    sets.forEach((set, i) => {
      const t = set.get(name);
      if (t === undefined) throw new Error(`averageWeights: set ${i + 1} has no tensor '${name}'`);
      if (t.dtype !== tensor.dtype || t.shape.join(',') !== tensor.shape.join(',')) {
        throw new Error(`averageWeights: '${name}' is ${t.dtype} [${t.shape.join(', ')}] in set ${i + 1} but ${tensor.dtype} [${tensor.shape.join(', ')}] in set 1`);
      }
      for (let j = 0; j < sum.length; j++) sum[j]! += t.data[j]!;
    });
    const mean = tensor.dtype === 'float64' ? new Float64Array(sum.length) : new Float32Array(sum.length);
    for (let j = 0; j < sum.length; j++) mean[j] = sum[j]! / sets.length;
    out.set(name, new Tensor(mean, [...tensor.shape]));
  }
  sets.forEach((set, i) => {
    const extra = [...set.keys()].find((name) => !first.has(name));
    if (extra !== undefined) throw new Error(`averageWeights: set ${i + 1} has a tensor '${extra}' that set 1 lacks`);
  });
  return out;
}

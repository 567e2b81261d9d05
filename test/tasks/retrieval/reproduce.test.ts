/**
 * The published quick-preset table (docs/figures/retrieval-quick-results.csv, from
 * `fastweights retrieval --preset quick`) against the current engine, on its cheapest cells: each is
 * rerun with the preset's exact config and seed, on one thread and on two.
 *
 * One or two threads must give the same bits. Against the CSV, steps and stop reason must match
 * exactly and the final loss to CSV_RELATIVE_TOLERANCE: the committed CSV was made by an older engine
 * (float32 kernels whose sums round differently), and reproduces bit for bit only on that engine.
 * Once the CSV is regenerated with the current engine, the tolerance goes to 0.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setWasmThreads } from '../../../kernels/wasm/runtime.js';
import '../../../kernels/threads/index.js'; // the thread pool, for the runs on two threads
import { packageRoot } from '../../../src/io/packageRoot.js';
import { PRESETS, expandPlan } from '../../../src/tasks/retrieval/plan.js';
import { trainRetrieval, type RetrievalRunResult } from '../../../src/tasks/retrieval/training.js';

const CSV_RELATIVE_TOLERANCE = 1e-4;
/** The cells solved in 200–300 steps (a few seconds each). */
const CHEAP_CELLS = ['1/softmax/8', '1/linear/8', '1/dpfp-1/8'];

interface CsvRow {
  finalLoss: number;
  steps: number;
  stop: string;
  seed: number;
}

function committedRows(): Map<string, CsvRow> {
  const [header, ...lines] = readFileSync(join(packageRoot(), 'docs', 'figures', 'retrieval-quick-results.csv'), 'utf8').trim().split('\n');
  const columns = header!.split(',');
  const at = (fields: string[], name: string) => fields[columns.indexOf(name)]!;
  const rows = new Map<string, CsvRow>();
  for (const line of lines) {
    const f = line.split(',');
    rows.set(`${at(f, 'setting')}/${at(f, 'model')}/${at(f, 'S')}`, { finalLoss: Number(at(f, 'final_loss')), steps: Number(at(f, 'steps')), stop: at(f, 'stop'), seed: Number(at(f, 'seed')) });
  }
  return rows;
}

afterAll(() => setWasmThreads(1));

describe('retrieval quick preset against the committed CSV', () => {
  const rows = committedRows();
  const configs = expandPlan(PRESETS.quick).filter((c) => CHEAP_CELLS.includes(`${c.setting}/${c.model}/${c.S}`));

  it('finds every cheap cell in the preset and in the CSV', () => {
    expect(configs.map((c) => `${c.setting}/${c.model}/${c.S}`).sort()).toEqual([...CHEAP_CELLS].sort());
    for (const cell of CHEAP_CELLS) expect(rows.has(cell), cell).toBe(true);
  });

  it('reruns them with the same bits on one and two threads, and with the CSV steps, stop and final loss', () => {
    const runs = (threads: number): RetrievalRunResult[] => {
      setWasmThreads(threads);
      return configs.map((c) => trainRetrieval(c));
    };
    const one = runs(1);
    const two = runs(2);
    configs.forEach((config, i) => {
      const cell = `${config.setting}/${config.model}/${config.S}`;
      expect(two[i]!.curve, `${cell}: two threads`).toEqual(one[i]!.curve);
      const row = rows.get(cell)!;
      expect(config.seed).toBe(row.seed);
      expect({ cell, steps: one[i]!.steps, stop: one[i]!.stopReason }).toEqual({ cell, steps: row.steps, stop: row.stop });
      const relative = Math.abs(one[i]!.finalLoss - row.finalLoss) / row.finalLoss;
      expect(relative, `${cell}: final loss ${one[i]!.finalLoss} against the CSV's ${row.finalLoss}`).toBeLessThanOrEqual(CSV_RELATIVE_TOLERANCE);
    });
  });
});

/**
 * The published quick-preset table (docs/figures/retrieval-quick-results.csv, from
 * `fastweights retrieval --preset quick`) against the current engine, on its cheapest cells: each is
 * rerun with the preset's exact config and seed, on one thread and on two.
 *
 * One or two threads must give the same bits, and those bits must be the CSV's: its steps, stop
 * reason, final and best loss exactly. The CSV was made by the default backend (WebAssembly with fused
 * multiply-adds, on a CPU with FMA); a change to the kernels' float32 rounding moves these losses in
 * their last digits, and then the CSV is regenerated with the command in docs/experiments.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getBackend, wasmRuntime } from '../../../kernels/index.js';
import { setWasmThreads } from '../../../kernels/wasm/runtime.js';
import '../../../kernels/threads/index.js'; // the thread pool, for the runs on two threads
import { packageRoot } from '../../../src/io/packageRoot.js';
import { PRESETS, expandPlan } from '../../../src/tasks/retrieval/plan.js';
import { trainRetrieval, type RetrievalRunResult } from '../../../src/tasks/retrieval/training.js';

/** The cells solved in 200–400 steps (a few seconds each): softmax, the sum rule with two feature maps, the delta rule. */
const CHEAP_CELLS = ['1/softmax/8', '1/linear/8', '1/dpfp-1/8', '2/delta/10'];

interface CsvRow {
  finalLoss: number;
  bestLoss: number;
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
    rows.set(`${at(f, 'setting')}/${at(f, 'model')}/${at(f, 'S')}`, { finalLoss: Number(at(f, 'final_loss')), bestLoss: Number(at(f, 'best_loss')), steps: Number(at(f, 'steps')), stop: at(f, 'stop'), seed: Number(at(f, 'seed')) });
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

  it('runs on the backend that made the CSV', () => {
    expect(getBackend().name, 'the CSV is the wasm backend\'s bits (unset FASTWEIGHTS_BACKEND)').toBe('wasm');
    expect(wasmRuntime()?.fused, 'the CSV was made with fused multiply-adds (unset FASTWEIGHTS_RELAXED_SIMD)').toBe(true);
  });

  it('reruns them with the same bits on one and two threads, and with the CSV steps, stop, final and best loss exactly', () => {
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
      const got = { cell, steps: one[i]!.steps, stop: one[i]!.stopReason, finalLoss: one[i]!.finalLoss, bestLoss: one[i]!.bestLoss };
      expect(got).toEqual({ cell, steps: row.steps, stop: row.stop, finalLoss: row.finalLoss, bestLoss: row.bestLoss });
    });
  });
});

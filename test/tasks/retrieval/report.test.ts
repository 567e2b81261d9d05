/** The retrieval report over seeds, on hand-made results: cells, the capped rule, the table. */
import { describe, expect, it } from 'vitest';
import { cappedWhileImproving, cellsCsv, finalLossTable, retrievalCells } from '../../../src/tasks/retrieval/report.js';
import { expandPlan, runKey, type RetrievalPlan } from '../../../src/tasks/retrieval/plan.js';
import type { RetrievalRunResult, StopReason } from '../../../src/tasks/retrieval/training.js';

/** A finished run with the given evaluation losses (one every 100 steps); the last is the final loss. */
function result(model: string, S: number, seed: number, losses: number[], stopReason: StopReason): RetrievalRunResult {
  const curve = losses.map((evalLoss, i) => ({ step: (i + 1) * 100, trainLoss: evalLoss, evalLoss }));
  return {
    config: { setting: 1, model, S, dKey: 4, dEmb: 9, batchSize: 8, lr: 1e-2, targetLoss: 1e-3, maxSteps: losses.length * 100, evalEvery: 100, evalSize: 8, patience: 1500, minImprovement: 0.01, seed },
    name: model,
    dDot: 4,
    steps: losses.length * 100,
    finalLoss: losses.at(-1)!,
    bestLoss: Math.min(...losses),
    stopReason,
    curve,
    seconds: 1,
  };
}

describe('cappedWhileImproving', () => {
  // Ten evaluations: the window is the last two (a fifth), compared with the best of the eight before.
  const falling = [0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.08, 0.06, 0.05, 0.04];
  const flat = [0.5, 0.4, 0.3, 0.2, 0.2, 0.2, 0.2, 0.2, 0.199, 0.2];

  it('counts a run that hit the step cap while its loss still fell', () => {
    expect(cappedWhileImproving(result('linear', 8, 1, falling, 'max-steps'))).toBe(true);
  });

  it('does not count a flat end (less than the 1% progress threshold), a solved run or a plateau stop', () => {
    expect(cappedWhileImproving(result('linear', 8, 1, flat, 'max-steps'))).toBe(false);
    expect(cappedWhileImproving(result('linear', 8, 1, [...falling.slice(0, 9), 5e-4], 'solved'))).toBe(false);
    expect(cappedWhileImproving(result('linear', 8, 1, falling, 'plateau'))).toBe(false);
  });

  it('a run shorter than the window compares its last evaluation with its first', () => {
    expect(cappedWhileImproving(result('linear', 8, 1, [0.5, 0.3], 'max-steps'))).toBe(true);
    expect(cappedWhileImproving(result('linear', 8, 1, [0.5], 'max-steps'))).toBe(false);
  });
});

describe('the report over two seeds', () => {
  const falling = [0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.08, 0.06, 0.05, 0.04];
  const runs = [
    result('linear', 8, 1, [0.5, 2e-4], 'solved'),
    result('linear', 8, 2, [0.5, 4e-4], 'solved'),
    result('linear', 16, 1, [0.5, 8e-4], 'solved'),
    result('linear', 16, 2, falling, 'max-steps'),
    result('dpfp-1', 8, 1, [0.5, 0.3, 0.3, 0.3, 0.3], 'plateau'),
    result('dpfp-1', 8, 2, [0.5, 0.1, 0.1, 0.1, 0.1], 'plateau'),
    result('dpfp-1', 16, 1, [0.5, 5e-4], 'solved'),
    result('dpfp-1', 16, 2, [0.5, 7e-4], 'solved'),
  ];

  it('gathers each (model, S) over its seeds', () => {
    const cells = retrievalCells(runs);
    expect(cells.map((c) => `${c.model} ${c.S}: ${c.solved}/${c.seeds.length}`)).toEqual(['linear 8: 2/2', 'linear 16: 1/2', 'dpfp-1 8: 0/2', 'dpfp-1 16: 2/2']);
    const linear8 = cells[0]!;
    expect(linear8.finalLoss.mean).toBeCloseTo(3e-4, 12);
    expect(linear8.finalLoss.sd).toBeCloseTo(2e-4 / Math.SQRT2, 12);
    expect(cells[1]!.cappedSeeds).toEqual([2]);
    expect(cells[2]!.finalLoss).toMatchObject({ mean: 0.2, min: 0.1, max: 0.3 });
  });

  it('prints mean ± sd and k/N per cell, the largest S solved by all and by any seed, and the capped cells', () => {
    const table = finalLossTable(runs, 1);
    const lines = table.trim().split('\n');
    expect(lines[0]).toBe('setting 1: final evaluation loss, mean ± sample sd over 2 seeds (k/N = seeds that reached the target loss; ^ = a seed cut by the step cap while still improving)');
    expect(lines[1]).toMatch(/^model\s+d_key\s+d_dot\s+S=8\s+S=16$/);
    expect(lines[2]).toMatch(/^linear\s+4\s+4\s+3\.0e-4 ± 1\.4e-4 2\/2\s+0\.0204 ± 0\.0277 1\/2\^$/);
    expect(lines[3]).toMatch(/^dpfp-1\s+4\s+4\s+0\.200 ± 0\.141 0\/2\s+6\.0e-4 ± 1\.4e-4 2\/2$/);
    expect(lines[5]).toBe('setting 1: largest S solved');
    expect(lines[6]).toMatch(/^model\s+by all seeds\s+by at least one seed$/);
    expect(lines[7]).toMatch(/^linear\s+8\s+16$/);
    expect(lines[8]).toMatch(/^dpfp-1\s+16\s+16$/);
    expect(lines[9]).toBe('cut by the step cap while still improving (^): linear S=16 (seed 2)');
  });

  it('with one seed, keeps the table as it was (* = solved, no ± 0) and says when no run was capped', () => {
    const one = runs.filter((r) => r.config.seed === 1);
    const lines = finalLossTable(one, 1).trim().split('\n');
    expect(lines[0]).toBe('setting 1: final evaluation loss (* = reached the target loss; ^ = cut by the step cap while still improving)');
    expect(lines[2]).toMatch(/^linear\s+4\s+4\s+2\.0e-4\*\s+8\.0e-4\*$/);
    expect(lines[3]).toMatch(/^dpfp-1\s+4\s+4\s+0\.300\s+5\.0e-4\*$/);
    expect(lines[4]).toBe('no run of setting 1 was cut by the step cap while still improving');
    expect(lines).toHaveLength(5);
  });

  it('cells.csv has one line per cell', () => {
    const csv = cellsCsv(runs).trim().split('\n');
    expect(csv[0]).toBe('setting,model,S,d_key,d_dot,seeds,solved,final_loss_mean,final_loss_sd,final_loss_min,final_loss_max,capped_seeds');
    expect(csv).toHaveLength(5);
    expect(csv[2]).toMatch(/^1,linear,16,4,4,2,1,0\.0204,[\d.]+,0\.0008,0\.04,2$/);
    expect(cellsCsv(runs.slice(0, 1)).trim().split('\n')[1]).toMatch(/^1,linear,8,4,4,1,1,0\.0002,,0\.0002,0\.0002,$/);
  });
});

describe('expandPlan with seeds', () => {
  const plan: RetrievalPlan = {
    settings: [{ setting: 1, models: ['linear', 'delta'], keys: [4], dKey: 4 }],
    training: { batchSize: 8, lr: 1e-2, targetLoss: 1e-3, maxSteps: 10, evalEvery: 5, evalSize: 8, patience: 10, minImprovement: 0.01, seed: 5, seeds: 3, dEmbFactor: 2 },
  };

  it("gives each cell its seeds side by side, and the seed is part of every run's key", () => {
    const configs = expandPlan(plan);
    expect(configs.map((c) => `${c.model}/${c.seed}`)).toEqual(['linear/5', 'linear/6', 'linear/7', 'delta/5', 'delta/6', 'delta/7']);
    expect(configs.every((c) => !('seeds' in c))).toBe(true);
    expect(new Set(configs.map(runKey)).size).toBe(6);
    // One seed (the default) gives the configs of before --seeds existed, so old results resume.
    const { seeds: _seeds, ...single } = plan.training;
    expect(expandPlan({ ...plan, training: single }).map(runKey)).toEqual([configs[0]!, configs[3]!].map(runKey));
  });
});

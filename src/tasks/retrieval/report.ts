/**
 * What a retrieval experiment shows: a text table of final losses (model × S, mean ± sd over seeds
 * when there are several), CSVs of the final results, of each cell over its seeds and of every
 * evaluation point, and SVG charts: final loss vs S (the paper's Figure 2) and
 * learning curves (its Figure 3). Pure: strings in, strings out.
 */
import { recordsToCsv } from '../../report/csv.js';
import { lineChartSvg, type Series } from '../../report/svg.js';
import type { RetrievalSetting } from './batches.js';
import type { RetrievalRunResult } from './training.js';
import { formatMeanSd, summarise, type SeedSummary } from '../../report/stats.js';

/** Losses to three significant digits, small ones in exponent form. */
export function formatLoss(x: number): string {
  if (x === 0) return '0';
  return Math.abs(x) < 1e-3 ? x.toExponential(1) : x.toPrecision(3);
}

function modelsInOrder(results: readonly RetrievalRunResult[]): string[] {
  return [...new Set(results.map((r) => r.name))];
}

/**
 * Whether the step cap cut a run short while it was still learning: it stopped at maxSteps without
 * reaching the target loss, and its evaluation loss was still falling at the end. "Still falling"
 * means the best evaluation loss of the last window (the last fifth of the run's evaluations, at
 * least two) is below the best loss before that window by more than the run's own progress
 * threshold, minImprovement (1%: the same test the plateau stop uses). Such a cell's loss measures
 * the budget, not the model's capacity; a run that reaches the cap on a flat curve does not count.
 */
export function cappedWhileImproving(run: RetrievalRunResult): boolean {
  if (run.stopReason !== 'max-steps') return false;
  const losses = run.curve.map((p) => p.evalLoss);
  if (losses.length === 0) return false;
  const window = Math.max(2, Math.ceil(losses.length / 5));
  const before = losses.slice(0, -window);
  // A run shorter than the window is compared with its first evaluation.
  const reference = before.length > 0 ? Math.min(...before) : losses[0]!;
  const recent = Math.min(...losses.slice(-window));
  return recent < reference * (1 - run.config.minImprovement);
}

/** One (setting, model, S) of a grid over its seeds. */
export interface RetrievalCell {
  setting: RetrievalSetting;
  model: string;
  S: number;
  dKey: number;
  dDot: number;
  seeds: number[];
  /** How many of the seeds reached the target loss. */
  solved: number;
  /** Final evaluation loss over the seeds (mean, sample sd, min, max). */
  finalLoss: SeedSummary;
  /** The seeds whose runs the step cap cut while still improving (cappedWhileImproving). */
  cappedSeeds: number[];
}

/** The cells of the results, models in order of appearance, S ascending, seeds ascending. */
export function retrievalCells(results: readonly RetrievalRunResult[]): RetrievalCell[] {
  const cells: RetrievalCell[] = [];
  for (const setting of [1, 2] as const) {
    const runs = results.filter((r) => r.config.setting === setting);
    const keys = [...new Set(runs.map((r) => r.config.S))].sort((a, b) => a - b);
    for (const model of modelsInOrder(runs)) {
      for (const S of keys) {
        const own = runs.filter((r) => r.name === model && r.config.S === S).sort((a, b) => a.config.seed - b.config.seed);
        if (own.length === 0) continue;
        cells.push({
          setting,
          model,
          S,
          dKey: own[0]!.config.dKey,
          dDot: own[0]!.dDot,
          seeds: own.map((r) => r.config.seed),
          solved: own.filter((r) => r.stopReason === 'solved').length,
          finalLoss: summarise(own.map((r) => r.finalLoss)),
          cappedSeeds: own.filter(cappedWhileImproving).map((r) => r.config.seed),
        });
      }
    }
  }
  return cells;
}

/**
 * Rows = models (with d_dot), columns = S. With one seed a cell is the final evaluation loss, marked
 * `*` when the run reached the target loss; with several it is the mean ± sample standard deviation
 * of the final losses and k/N, the number of seeds that reached the target. `^` marks a cell where
 * the step cap cut a seed while it was still improving. Below: the largest S each model solved with
 * all its seeds and with at least one, and the capped cells by name. Runs of one setting only.
 */
export function finalLossTable(results: readonly RetrievalRunResult[], setting: RetrievalSetting): string {
  const cells = retrievalCells(results).filter((c) => c.setting === setting);
  if (cells.length === 0) return '';
  const manySeeds = cells.some((c) => c.seeds.length > 1);
  const keys = [...new Set(cells.map((c) => c.S))].sort((a, b) => a - b);
  const models = [...new Set(cells.map((c) => c.model))];
  const cellText = (c: RetrievalCell) => {
    const capped = c.cappedSeeds.length > 0 ? '^' : '';
    if (!manySeeds) return formatLoss(c.finalLoss.mean) + (c.solved > 0 ? '*' : '') + capped;
    return `${formatMeanSd(c.finalLoss, formatLoss)} ${c.solved}/${c.seeds.length}${capped}`;
  };
  const header = ['model', 'd_key', 'd_dot', ...keys.map((S) => `S=${S}`)];
  const rows = models.map((model) => {
    const own = cells.filter((c) => c.model === model);
    return [model, String(own[0]!.dKey), String(own[0]!.dDot), ...keys.map((S) => {
      const c = own.find((x) => x.S === S);
      return c === undefined ? '–' : cellText(c);
    })];
  });
  const seedCounts = [...new Set(cells.map((c) => c.seeds.length))];
  const title = manySeeds
    ? `setting ${setting}: final evaluation loss, mean ± sample sd over ${seedCounts.length === 1 ? `${seedCounts[0]} seeds` : 'the seeds'} (k/N = seeds that reached the target loss; ^ = a seed cut by the step cap while still improving)`
    : `setting ${setting}: final evaluation loss (* = reached the target loss; ^ = cut by the step cap while still improving)`;
  const lines = [title, ...alignedRows([header, ...rows])];

  if (manySeeds) {
    // The largest S per model: a model's staircase need not be monotone, so this is the largest S of
    // a solved cell, not a claim that every smaller S was solved.
    const largest = (own: RetrievalCell[], ok: (c: RetrievalCell) => boolean) => {
      const solved = own.filter(ok).map((c) => c.S);
      return solved.length === 0 ? '–' : String(Math.max(...solved));
    };
    const solvedRows = models.map((model) => {
      const own = cells.filter((c) => c.model === model);
      return [model, largest(own, (c) => c.solved === c.seeds.length), largest(own, (c) => c.solved > 0)];
    });
    lines.push('', `setting ${setting}: largest S solved`, ...alignedRows([['model', 'by all seeds', 'by at least one seed'], ...solvedRows]));
  }

  const capped = cells.filter((c) => c.cappedSeeds.length > 0);
  const seedsText = (c: RetrievalCell) => (manySeeds ? ` (seed${c.cappedSeeds.length > 1 ? 's' : ''} ${c.cappedSeeds.join(', ')})` : '');
  lines.push(
    capped.length === 0
      ? `no run of setting ${setting} was cut by the step cap while still improving`
      : `cut by the step cap while still improving (^): ${capped.map((c) => `${c.model} S=${c.S}${seedsText(c)}`).join(', ')}`,
  );
  return lines.join('\n') + '\n';
}

/** Left-aligned first column, right-aligned others, two spaces apart. */
function alignedRows(table: string[][]): string[] {
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  return table.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
}

export function resultsCsv(results: readonly RetrievalRunResult[]): string {
  return recordsToCsv(
    results.map((r) => ({
      setting: r.config.setting,
      model: r.name,
      S: r.config.S,
      d_key: r.config.dKey,
      d_dot: r.dDot,
      d_emb: r.config.dEmb,
      final_loss: r.finalLoss,
      best_loss: r.bestLoss,
      steps: r.steps,
      stop: r.stopReason,
      seconds: Number(r.seconds.toFixed(1)),
      seed: r.config.seed,
      capped: cappedWhileImproving(r),
    })),
  );
}

/** One line per (setting, model, S) over its seeds: the numbers behind the table. */
export function cellsCsv(results: readonly RetrievalRunResult[]): string {
  return recordsToCsv(
    retrievalCells(results).map((c) => ({
      setting: c.setting,
      model: c.model,
      S: c.S,
      d_key: c.dKey,
      d_dot: c.dDot,
      seeds: c.seeds.length,
      solved: c.solved,
      final_loss_mean: c.finalLoss.mean,
      final_loss_sd: c.finalLoss.sd,
      final_loss_min: c.finalLoss.min,
      final_loss_max: c.finalLoss.max,
      capped_seeds: c.cappedSeeds.join(' '),
    })),
  );
}

export function curvesCsv(results: readonly RetrievalRunResult[]): string {
  const rows = results.flatMap((r) =>
    r.curve.map((p) => ({ setting: r.config.setting, model: r.name, S: r.config.S, step: p.step, train_loss: p.trainLoss, eval_loss: p.evalLoss })),
  );
  return recordsToCsv(rows, ['setting', 'model', 'S', 'step', 'train_loss', 'eval_loss']);
}

/** Final evaluation loss vs S, one line per model, log loss axis (the paper's Figure 2). */
export function finalLossChart(results: readonly RetrievalRunResult[], setting: RetrievalSetting): string {
  const runs = results.filter((r) => r.config.setting === setting);
  const dKey = runs[0]?.config.dKey;
  // With several seeds a point is the mean final loss of the cell.
  const cells = retrievalCells(runs);
  const series: Series[] = modelsInOrder(runs).map((name) => {
    const own = cells.filter((c) => c.model === name);
    return { name: `${name} (d_dot ${own[0]!.dDot})`, points: own.map((c) => [c.S, c.finalLoss.mean] as const) };
  });
  return lineChartSvg({
    series,
    title: `Retrieval setting ${setting}: final loss vs number of keys (d_key ${dKey})`,
    xLabel: 'number of keys S',
    yLabel: 'final eval loss ½‖v* − v̂‖²',
    logY: true,
    markers: true,
  });
}

/** Evaluation loss vs training step, one line per (model, S), log loss axis (the paper's Figure 3). */
export function learningCurveChart(results: readonly RetrievalRunResult[], setting: RetrievalSetting): string {
  const runs = results.filter((r) => r.config.setting === setting);
  const manyKeys = new Set(runs.map((r) => r.config.S)).size > 1;
  const manySeeds = new Set(runs.map((r) => r.config.seed)).size > 1;
  const series: Series[] = runs.map((r) => ({
    name: `${r.name}${manyKeys ? ` S=${r.config.S}` : ''}${manySeeds ? ` seed ${r.config.seed}` : ''}`,
    points: r.curve.map((p) => [p.step, p.evalLoss] as const),
  }));
  const keys = [...new Set(runs.map((r) => r.config.S))].join(', ');
  return lineChartSvg({
    series,
    title: `Retrieval setting ${setting}: learning curves (S = ${keys}, d_key ${runs[0]?.config.dKey})`,
    xLabel: 'training step',
    yLabel: 'eval loss ½‖v* − v̂‖²',
    logY: true,
  });
}

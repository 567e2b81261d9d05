/**
 * What a retrieval experiment shows: a text table of final losses (model × S), CSVs of the final
 * results and of every evaluation point, and SVG charts: final loss vs S (the paper's Figure 2) and
 * learning curves (its Figure 3). Pure: strings in, strings out.
 */
import { recordsToCsv } from '../../report/csv.js';
import { lineChartSvg, type Series } from '../../report/svg.js';
import type { RetrievalSetting } from './batches.js';
import type { RetrievalRunResult } from './training.js';

/** Losses to three significant digits, small ones in exponent form. */
export function formatLoss(x: number): string {
  if (x === 0) return '0';
  return Math.abs(x) < 1e-3 ? x.toExponential(1) : x.toPrecision(3);
}

function modelsInOrder(results: readonly RetrievalRunResult[]): string[] {
  return [...new Set(results.map((r) => r.name))];
}

/**
 * Rows = models (with d_dot), columns = S; each cell the final evaluation loss, marked `*` when the
 * run reached the target loss. Runs of one setting only.
 */
export function finalLossTable(results: readonly RetrievalRunResult[], setting: RetrievalSetting): string {
  const runs = results.filter((r) => r.config.setting === setting);
  if (runs.length === 0) return '';
  const keys = [...new Set(runs.map((r) => r.config.S))].sort((a, b) => a - b);
  const header = ['model', 'd_key', 'd_dot', ...keys.map((S) => `S=${S}`)];
  const rows = modelsInOrder(runs).map((name) => {
    const own = runs.filter((r) => r.name === name);
    const first = own[0]!;
    return [
      name,
      String(first.config.dKey),
      String(first.dDot),
      ...keys.map((S) => {
        const r = own.find((x) => x.config.S === S);
        return r === undefined ? '–' : formatLoss(r.finalLoss) + (r.stopReason === 'solved' ? '*' : '');
      }),
    ];
  });
  const table = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [`setting ${setting}: final evaluation loss (* = reached the target loss)`, line(header), ...rows.map(line)].join('\n') + '\n';
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
  const series: Series[] = modelsInOrder(runs).map((name) => {
    const own = runs.filter((r) => r.name === name).sort((a, b) => a.config.S - b.config.S);
    return { name: `${name} (d_dot ${own[0]!.dDot})`, points: own.map((r) => [r.config.S, r.finalLoss] as const) };
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
  const series: Series[] = runs.map((r) => ({
    name: `${r.name}${manyKeys ? ` S=${r.config.S}` : ''}`,
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

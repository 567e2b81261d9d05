#!/usr/bin/env node
/**
 * node scripts/mt-loss-figure.mjs RUN [OTHER_RUN] OUT.svg  (after `npm run build`)
 *
 * The loss curves of an `mt train` run as docs/figures/mt-libreoffice-loss.svg draws them: training
 * loss (label-smoothed, the mean of each 100 steps) and valid loss (all valid pairs, no smoothing)
 * along the steps, from the history in the run's checkpoint; OTHER_RUN adds that run's valid loss.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { lineChartSvg } from '../dist/src/report/svg.js';
import { readMtCheckpoint } from '../dist/src/tasks/mt/training.js';

const args = process.argv.slice(2);
if (args.length < 2 || args.length > 3 || !args.at(-1).endsWith('.svg')) {
  console.error('usage: node scripts/mt-loss-figure.mjs RUN [OTHER_RUN] OUT.svg');
  process.exit(2);
}
const out = args.pop();
const runs = args.map((dir) => ({ dir, history: readMtCheckpoint(dir).state.history }));

const validPoints = (history) => history.evals.filter((e) => e.validLoss !== undefined).map((e) => [e.step, e.validLoss]);
const { history } = runs[0];
const train = [];
for (let i = 0; i + 100 <= history.steps.length; i += 100) {
  const window = history.steps.slice(i, i + 100);
  train.push([window.at(-1).step, window.reduce((sum, row) => sum + row.loss, 0) / window.length]);
}
const series = [
  { name: `${basename(runs[0].dir)}: train (label smoothing, mean of 100 steps)`, points: train },
  { name: `${basename(runs[0].dir)}: valid (no smoothing)`, points: validPoints(history) },
  ...runs.slice(1).map((run) => ({ name: `${basename(run.dir)}: valid (no smoothing)`, points: validPoints(run.history) })),
];
writeFileSync(out, lineChartSvg({ title: 'LibreOffice En→De, 60 minutes (translation memory)', xLabel: 'step', yLabel: 'loss (nats per target token)', markers: false, series }));
console.log(`wrote ${out}`);

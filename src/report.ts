/**
 * fastweights/report: line charts as SVG and tables as CSV, the figures the experiments write
 * (docs/experiments.md). Kept out of the core entry, which a page loads whole (docs/browser.md); in
 * Node the `fastweights` entry exports them too.
 */
export { lineChartSvg, type Series, type LineChartOptions, type Point } from './report/svg.js';
export { toCsv, recordsToCsv } from './report/csv.js';

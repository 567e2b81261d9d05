/**
 * Line charts as standalone SVG documents (no dependencies, no fonts to embed): several named
 * series of (x, y) points, ticks, grid, axis labels, a title, a legend, optional markers and
 * log scales. Pure: returns a string.
 *
 * Points that cannot be drawn (NaN, ±Infinity, or ≤ 0 on a log axis: a diverged loss, say) are
 * left out and break the line there, so a gap shows where the data stops making sense.
 */
import { formatTick, linearAxis, logAxis, type Axis } from './ticks.js';

export type Point = readonly [number, number];

export interface Series {
  name: string;
  points: readonly Point[];
  /** Any SVG colour; default from a colour-blind-friendly palette. */
  color?: string;
  /** Draw a circle at every point (default: the chart's `markers`). */
  markers?: boolean;
  dashed?: boolean;
}

export interface LineChartOptions {
  series: readonly Series[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
  markers?: boolean;
}

/** Okabe–Ito palette: distinguishable with the common colour-vision deficiencies. */
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'];

const MARGIN = { top: 40, right: 20, bottom: 50, left: 70 };

export function lineChartSvg(options: LineChartOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const logX = options.logX ?? false;
  const logY = options.logY ?? false;
  const drawable = ([x, y]: Point) => Number.isFinite(x) && Number.isFinite(y) && (!logX || x > 0) && (!logY || y > 0);

  const all = options.series.flatMap((s) => s.points.filter(drawable));
  const xAxis = makeAxis(all.map((p) => p[0]), logX);
  const yAxis = makeAxis(all.map((p) => p[1]), logY);
  const plot = { left: MARGIN.left, top: MARGIN.top, right: width - MARGIN.right, bottom: height - MARGIN.bottom };
  const toX = scale(xAxis, plot.left, plot.right);
  const toY = scale(yAxis, plot.bottom, plot.top);

  const parts: string[] = [];
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`);
  if (options.title) parts.push(text(width / 2, 24, options.title, { anchor: 'middle', size: 16, weight: 'bold' }));

  // Grid and ticks.
  for (const t of xAxis.ticks) {
    const x = toX(t);
    parts.push(line(x, plot.top, x, plot.bottom, '#e5e5e5'));
    parts.push(text(x, plot.bottom + 18, formatTick(t, logX), { anchor: 'middle' }));
  }
  for (const t of yAxis.ticks) {
    const y = toY(t);
    parts.push(line(plot.left, y, plot.right, y, '#e5e5e5'));
    parts.push(text(plot.left - 6, y + 4, formatTick(t, logY), { anchor: 'end' }));
  }
  parts.push(`<rect x="${n(plot.left)}" y="${n(plot.top)}" width="${n(plot.right - plot.left)}" height="${n(plot.bottom - plot.top)}" fill="none" stroke="#333"/>`);
  if (options.xLabel) parts.push(text((plot.left + plot.right) / 2, height - 12, options.xLabel, { anchor: 'middle', size: 13 }));
  if (options.yLabel) {
    const cy = (plot.top + plot.bottom) / 2;
    parts.push(text(16, cy, options.yLabel, { anchor: 'middle', size: 13, rotate: true }));
  }

  // Series.
  options.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const segments = splitAtGaps(s.points, drawable);
    const d = segments.map((seg) => seg.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${n(toX(x))} ${n(toY(y))}`).join(' ')).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (d !== '') parts.push(`<path d="${d}" fill="none" stroke="${escapeXml(color)}" stroke-width="1.8"${dash}/>`);
    if (s.markers ?? options.markers ?? false) {
      for (const seg of segments) for (const [x, y] of seg) parts.push(`<circle cx="${n(toX(x))}" cy="${n(toY(y))}" r="2.5" fill="${escapeXml(color)}"/>`);
    }
    parts.push('</g>');
  });

  if (options.series.length > 0) parts.push(legend(options.series, plot.right - 8, plot.top + 8));

  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    ...parts.map((p) => `  ${p}`),
    '</svg>',
    '',
  ].join('\n');
}

function makeAxis(values: number[], log: boolean): Axis {
  if (values.length === 0) return log ? logAxis(1, 10) : linearAxis(0, 1);
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return log ? logAxis(min, max) : linearAxis(min, max);
}

function scale(axis: Axis, from: number, to: number): (v: number) => number {
  const f = axis.log ? Math.log10 : (v: number) => v;
  const [a, b] = [f(axis.domain[0]), f(axis.domain[1])];
  return (v) => from + ((f(v) - a) / (b - a)) * (to - from);
}

function splitAtGaps(points: readonly Point[], drawable: (p: Point) => boolean): Point[][] {
  const segments: Point[][] = [];
  let current: Point[] = [];
  for (const p of points) {
    if (drawable(p)) current.push(p);
    else if (current.length > 0) {
      segments.push(current);
      current = [];
    }
  }
  if (current.length > 0) segments.push(current);
  return segments;
}

function legend(series: readonly Series[], right: number, top: number): string {
  const rowHeight = 16;
  const longest = Math.max(...series.map((s) => s.name.length));
  const boxWidth = 34 + longest * 6.2;
  const left = right - boxWidth;
  const rows = series.map((s, i) => {
    const y = top + 12 + i * rowHeight;
    const color = escapeXml(s.color ?? PALETTE[i % PALETTE.length]!);
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    return `<line x1="${n(left + 6)}" y1="${n(y - 4)}" x2="${n(left + 24)}" y2="${n(y - 4)}" stroke="${color}" stroke-width="2"${dash}/>` + text(left + 28, y, s.name, {});
  });
  return [
    '<g class="legend">',
    `<rect x="${n(left)}" y="${n(top)}" width="${n(boxWidth)}" height="${n(series.length * rowHeight + 6)}" fill="white" fill-opacity="0.85" stroke="#999"/>`,
    ...rows,
    '</g>',
  ].join('');
}

function line(x1: number, y1: number, x2: number, y2: number, stroke: string): string {
  return `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" stroke="${stroke}"/>`;
}

function text(x: number, y: number, content: string, style: { anchor?: 'start' | 'middle' | 'end'; size?: number; weight?: string; rotate?: boolean }): string {
  const attrs = [`x="${n(x)}"`, `y="${n(y)}"`];
  if (style.anchor && style.anchor !== 'start') attrs.push(`text-anchor="${style.anchor}"`);
  if (style.size) attrs.push(`font-size="${style.size}"`);
  if (style.weight) attrs.push(`font-weight="${style.weight}"`);
  if (style.rotate) attrs.push(`transform="rotate(-90 ${n(x)} ${n(y)})"`);
  return `<text ${attrs.join(' ')}>${escapeXml(content)}</text>`;
}

/** Coordinates to two decimals: small files, no visible difference. */
function n(x: number): string {
  return String(Math.round(x * 100) / 100);
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

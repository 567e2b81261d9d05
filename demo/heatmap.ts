/**
 * A matrix drawn as a heatmap on a canvas: one cell per entry, a diverging scale (blue below zero,
 * white at zero, red above) with a fixed range, so that matrices of one sequence compare: the sum
 * rule's entries keep growing over the steps, the delta rule's stay bounded as it overwrites.
 */

/** RGB for v in [−1, 1]: blue (−1), white (0), red (+1). */
function diverging(v: number): [number, number, number] {
  const t = Math.max(-1, Math.min(1, v));
  const fade = (c: number) => Math.round(255 - (255 - c) * Math.abs(t));
  return t < 0 ? [fade(33), fade(102), fade(172)] : [fade(178), fade(24), fade(43)];
}

export interface HeatmapOptions {
  rows: number;
  cols: number;
  /** |value| mapped to full colour. */
  range: number;
  /** Row to outline (the value the query retrieves), or −1. */
  highlightRow?: number;
}

/** Draws `matrix` (row-major, rows × cols) filling the canvas, with a thin grid. */
export function drawHeatmap(canvas: HTMLCanvasElement, matrix: ArrayLike<number>, options: HeatmapOptions): void {
  const { rows, cols, range } = options;
  if (matrix.length !== rows * cols) throw new Error(`drawHeatmap: ${matrix.length} values for a ${rows} × ${cols} matrix`);
  const context = canvas.getContext('2d');
  if (context === null) throw new Error('drawHeatmap: no 2D context for the canvas');
  const cellW = canvas.width / cols;
  const cellH = canvas.height / rows;
  context.clearRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const [r, g, b] = diverging(matrix[i * cols + j]! / range);
      context.fillStyle = `rgb(${r},${g},${b})`;
      context.fillRect(j * cellW, i * cellH, Math.ceil(cellW), Math.ceil(cellH));
    }
  }
  context.strokeStyle = 'rgba(0,0,0,0.08)';
  context.lineWidth = 1;
  for (let i = 1; i < rows; i++) context.strokeRect(0, i * cellH, canvas.width, 0);
  for (let j = 1; j < cols; j++) context.strokeRect(j * cellW, 0, 0, canvas.height);
  if (options.highlightRow !== undefined && options.highlightRow >= 0) {
    context.strokeStyle = '#111';
    context.lineWidth = 2;
    context.strokeRect(1, options.highlightRow * cellH + 1, canvas.width - 2, cellH - 2);
  }
}

/** The largest |entry| over several matrices (at least a small floor, so zeros draw white). */
export function commonRange(matrices: readonly ArrayLike<number>[]): number {
  let range = 1e-6;
  for (const m of matrices) for (let i = 0; i < m.length; i++) range = Math.max(range, Math.abs(m[i]!));
  return range;
}

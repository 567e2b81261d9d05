/**
 * Loss curves on a canvas: training loss per step, smoothed (exponential moving average), on a
 * log scale from 1e-4 to 1, one colour per series, with a legend and labelled axes.
 */

export interface LossSeries {
  label: string;
  color: string;
  losses: readonly number[];
}

const MIN_LOG = -4;
const MAX_LOG = 0;
const MARGIN = { left: 52, right: 16, top: 14, bottom: 30 };

/** The exponential moving average of `values` (weight `keep` on the past). */
export function smooth(values: readonly number[], keep = 0.9): number[] {
  const out: number[] = [];
  let average = NaN;
  for (const v of values) {
    average = Number.isNaN(average) ? v : keep * average + (1 - keep) * v;
    out.push(average);
  }
  return out;
}

export function drawLossChart(canvas: HTMLCanvasElement, series: readonly LossSeries[]): void {
  const context = canvas.getContext('2d');
  if (context === null) throw new Error('drawLossChart: no 2D context for the canvas');
  const { width, height } = canvas;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const steps = Math.max(50, ...series.map((s) => s.losses.length));
  const x = (step: number) => MARGIN.left + (step / steps) * plotW;
  const y = (loss: number) => {
    const l = Math.min(MAX_LOG, Math.max(MIN_LOG, Math.log10(Math.max(loss, 1e-12))));
    return MARGIN.top + ((MAX_LOG - l) / (MAX_LOG - MIN_LOG)) * plotH;
  };

  context.clearRect(0, 0, width, height);
  context.fillStyle = '#fff';
  context.fillRect(0, 0, width, height);
  context.font = '12px system-ui, sans-serif';
  context.fillStyle = '#555';
  context.strokeStyle = '#e3e3e3';
  context.lineWidth = 1;
  for (let l = MIN_LOG; l <= MAX_LOG; l++) {
    context.beginPath();
    context.moveTo(MARGIN.left, y(10 ** l));
    context.lineTo(width - MARGIN.right, y(10 ** l));
    context.stroke();
    context.fillText(l === 0 ? '1' : `1e${l}`, 8, y(10 ** l) + 4);
  }
  context.fillText('training step', MARGIN.left + plotW / 2 - 36, height - 8);
  context.fillText('0', MARGIN.left, height - 14);
  context.fillText(String(steps), width - MARGIN.right - 28, height - 14);

  const smoothed = series.map((s) => smooth(s.losses));
  series.forEach((s, index) => {
    const points = smoothed[index]!;
    context.strokeStyle = s.color;
    context.lineWidth = 2;
    context.beginPath();
    points.forEach((loss, step) => (step === 0 ? context.moveTo(x(step + 1), y(loss)) : context.lineTo(x(step + 1), y(loss))));
    context.stroke();
  });
  // The legend last, bottom left (losses start near 0.5 and rarely reach there), with each
  // series' latest smoothed loss.
  const legendX = MARGIN.left + 14;
  const legendY = MARGIN.top + plotH - 10 - series.length * 18;
  series.forEach((s, index) => {
    const last = smoothed[index]!.at(-1);
    context.fillStyle = s.color;
    context.fillRect(legendX, legendY + 8 + index * 18, 14, 4);
    context.fillText(`${s.label}${last === undefined ? '' : `: ${last.toPrecision(2)}`}`, legendX + 20, legendY + 14 + index * 18);
  });
}

/**
 * Progress reporting for long jobs (training, evaluation, data preparation).
 *
 * Modes:
 *   bar     a redrawn bar (cli-progress) with the caller's fields (loss, ...), rate, elapsed, time left
 *   plain   one line per `intervalMs` (and the first update, and the end): for logs and pipes
 *   json    one JSON object per line per `intervalMs` (and the end), for machines
 *   silent  nothing
 *   auto    bar when the stream is a terminal, plain otherwise (the default)
 *
 * Everything goes to `stream`, which defaults to process.stderr, never stdout: a command's stdout
 * stays free for its results (e.g. a `--json` result document). JSON records can instead be
 * handed to `onJson`, and then nothing is written.
 */
import cliProgress from 'cli-progress';

export type ProgressMode = 'auto' | 'bar' | 'plain' | 'json' | 'silent';
export type ProgressFields = Record<string, number | string>;

/** The part of a writable stream this module uses. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** A terminal's width in characters; the bar fits in it (80 when unknown). */
  columns?: number;
}

export interface ProgressRecord {
  event: 'progress' | 'done';
  label: string;
  unit: string;
  done: number;
  total: number;
  /** Units per second, averaged since the reporter was created (units done before it not counted). */
  rate: number;
  elapsedSeconds: number;
  /** null until a rate is known. */
  remainingSeconds: number | null;
  fields: ProgressFields;
}

export interface ProgressOptions {
  total: number;
  /** Units already done when this reporter starts (a resumed run): rate and time left count only the rest. */
  initial?: number;
  label?: string;
  /** What is counted: 'tokens', 'steps', 'sentences'... (default 'items'). */
  unit?: string;
  mode?: ProgressMode;
  stream?: ProgressStream;
  /** Least time between two plain or JSON reports, in ms (default 5000 plain, 1000 JSON). */
  intervalMs?: number;
  onJson?: (record: ProgressRecord) => void;
  /** The clock, in ms (tests pass a fake one). */
  now?: () => number;
}

export interface Progress {
  /** `done` is the running total so far (not an increment). */
  update(done: number, fields?: ProgressFields): void;
  /** Reports the final state once; later calls do nothing. Always call it (a bar holds a timer). */
  finish(fields?: ProgressFields): void;
}

export function createProgress(options: ProgressOptions): Progress {
  const total = options.total;
  if (!(total >= 0) || !Number.isFinite(total)) throw new Error(`createProgress: total must be a finite number ≥ 0, got ${total}`);
  const stream = options.stream ?? process.stderr;
  const requested = options.mode ?? 'auto';
  const mode = requested === 'auto' ? (stream.isTTY === true ? 'bar' : 'plain') : requested;
  const label = options.label ?? 'progress';
  const unit = options.unit ?? 'items';
  const now = options.now ?? Date.now;
  const start = now();
  const initial = options.initial ?? 0;

  const snapshot = (event: ProgressRecord['event'], done: number, fields: ProgressFields): ProgressRecord => {
    const elapsedSeconds = Math.max(0, (now() - start) / 1000);
    const rate = elapsedSeconds > 0 ? Math.max(0, done - initial) / elapsedSeconds : 0;
    const remainingSeconds = rate > 0 ? Math.max(0, total - done) / rate : null;
    return { event, label, unit, done, total, rate, elapsedSeconds, remainingSeconds, fields };
  };

  switch (mode) {
    case 'silent':
      return { update() {}, finish() {} };
    case 'bar':
      return barProgress(stream, sticky(snapshot), total);
    case 'plain':
      return throttled(options.intervalMs ?? 5000, now, (record) => stream.write(formatLine(record) + '\n'), sticky(snapshot));
    case 'json': {
      const emit = options.onJson ?? ((record: ProgressRecord) => stream.write(JSON.stringify(record) + '\n'));
      return throttled(options.intervalMs ?? 1000, now, emit);
    }
    default:
      throw new Error(`createProgress: unknown mode '${String(mode)}' (use auto, bar, plain, json or silent)`);
  }

  /**
   * Reports the first update, then at most one per interval, and always the end. The fields of the
   * updates in between are kept for the next report, so a validation figure or the last step is never lost.
   */
  function throttled(intervalMs: number, clock: () => number, report: (record: ProgressRecord) => void, take = snapshot): Progress {
    let lastReport = -Infinity;
    let lastDone = 0;
    let pending: ProgressFields = {};
    let finished = false;
    return {
      update(done, fields = {}) {
        if (finished) return;
        lastDone = done;
        pending = { ...pending, ...fields };
        const t = clock();
        if (t - lastReport < intervalMs) return;
        lastReport = t;
        report(take('progress', done, pending));
        pending = {};
      },
      finish(fields = {}) {
        if (finished) return;
        finished = true;
        report(take('done', lastDone, { ...pending, ...fields }));
      },
    };
  }
}

type Snapshot = (event: ProgressRecord['event'], done: number, fields: ProgressFields) => ProgressRecord;

/**
 * Fields persist until given again: a validation figure reported at one step stays on the line
 * (and in the plain lines) until the next evaluation replaces it.
 */
function sticky(snapshot: Snapshot): Snapshot {
  let last: ProgressFields = {};
  return (event, done, fields) => {
    last = { ...last, ...fields };
    return snapshot(event, done, last);
  };
}

function barProgress(stream: ProgressStream, snapshot: Snapshot, total: number): Progress {
  // cli-progress redraws the line (cursor, timer); the line itself is laid out here to fit the terminal.
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: (_options, _params, payload: { record: ProgressRecord }) => formatBar(payload.record, stream.columns ?? 80),
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = (record: ProgressRecord) => ({ record });
  bar.start(total, 0, payload(snapshot('progress', 0, {})));
  let lastDone = 0;
  let finished = false;
  return {
    update(done, fields = {}) {
      if (finished) return;
      lastDone = done;
      bar.update(done, payload(snapshot('progress', done, fields)));
    },
    finish(fields = {}) {
      if (finished) return;
      finished = true;
      bar.update(lastDone, payload(snapshot('done', lastDone, fields)));
      bar.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** `train: 1200/5000 tokens (24.0%) | loss 3.412 | 2,345 tokens/s | elapsed 0:51 | left 2:42` */
export function formatLine(r: ProgressRecord): string {
  const percent = r.total > 0 ? ` (${((100 * r.done) / r.total).toFixed(1)}%)` : '';
  const left = r.event === 'done' ? 'done' : `left ${r.remainingSeconds === null ? '?' : formatDuration(r.remainingSeconds)}`;
  return `${r.label}: ${formatAmount(r.done)}/${formatAmount(r.total)} ${r.unit}${percent}${formatFields(r.fields)}${ownRate(r, ' | ')} | elapsed ${formatDuration(r.elapsedSeconds)} | ${left}`;
}

/**
 * The reporter's own rate, `2,345 tokens/s`, except for a time budget (unit 's'), where seconds per
 * second would say nothing: there the caller's fields carry the rates (steps/s, tok/s).
 */
function ownRate(r: ProgressRecord, before: string): string {
  return r.unit === 's' ? '' : `${before}${formatRate(r.rate)} ${r.unit}/s`;
}

/**
 * The bar's line, at most `columns − 1` characters wide: when everything does not fit, fields are
 * dropped from the least important up, and the bar itself goes first. What stays longest: the label,
 * the loss, the last validation figure, the amount done, the time left.
 *
 *   train delta |██████░░░░| 60% 1:48/3:00 s | step 1,802 | loss 4.21 | validPpl 35.2 | 9.8 steps/s | 1:12 left
 */
export function formatBar(r: ProgressRecord, columns: number): string {
  const width = Math.max(20, columns) - 1;
  const fraction = r.total > 0 ? Math.min(1, r.done / r.total) : 0;
  const amount = r.unit === 's' ? `${formatDuration(r.done)}/${formatDuration(r.total)}` : `${formatAmount(r.done)}/${formatAmount(r.total)} ${r.unit}`;
  const left = r.event === 'done' ? 'done' : `${r.remainingSeconds === null ? '?' : formatDuration(r.remainingSeconds)} left`;
  /** [text, importance]: 0 is kept longest. */
  const parts: [string, number][] = [
    [r.label, 0],
    [`${Math.floor(100 * fraction)}%`, 5],
    [amount, 2],
    ...Object.entries(r.fields).map(([key, value]): [string, number] => [`${key} ${typeof value === 'number' ? formatField(key, value) : value}`, fieldImportance(key)]),
    ...(r.unit === 's' ? [] : [[`${formatRate(r.rate)} ${r.unit}/s`, 6] as [string, number]]),
    [`${formatDuration(r.elapsedSeconds)} elapsed`, 8],
    [left, 3],
  ];
  const line = (kept: [string, number][]) => kept.map(([text]) => text).join(' | ');
  // A wide terminal keeps room for at least a 10-cell bar; a narrow one gives the bar only what the text leaves.
  const reserved = columns >= 100 ? 13 : 0;
  let kept = parts;
  while (line(kept).length > width - reserved && kept.length > 1) {
    const least = kept.reduce((worst, part, i) => (part[1] >= kept[worst]![1] ? i : worst), 0);
    kept = kept.filter((_, i) => i !== least);
  }
  const text = line(kept).slice(0, width);
  // The bar takes what room is left after the text (at most 30 cells), or is left out below 8.
  const room = width - text.length - 3;
  if (room < 8) return text;
  const cells = Math.min(30, room);
  const full = Math.round(fraction * cells);
  const [name, ...rest] = text.split(' | ');
  return `${name} |${'\u2588'.repeat(full)}${'\u2591'.repeat(cells - full)}| ${rest.join(' | ')}`.trimEnd();
}

/** The loss and validation figures stay longest; rates and the learning rate go first. */
function fieldImportance(key: string): number {
  if (key === 'loss') return 0;
  if (key === 'validLoss') return 8; // the perplexity beside it says the same
  if (key.startsWith('valid') || key.toLowerCase().includes('bleu')) return 1;
  if (key === 'step') return 4;
  if (key === 'steps/s') return 5;
  if (key.endsWith('/s')) return 7;
  return 9;
}

/** Counts (steps, tokens/s) with thousands separators, other numbers to four significant digits. */
function formatField(key: string, value: number): string {
  return Number.isInteger(value) && Math.abs(value) >= 1000 ? value.toLocaleString('en-US') : key.endsWith('/s') ? formatRate(value) : formatNumber(value);
}

function formatFields(fields: ProgressFields): string {
  return Object.entries(fields)
    .map(([key, value]) => ` | ${key} ${typeof value === 'number' ? formatNumber(value) : value}`)
    .join('');
}

/** Amounts done and totals: integers as they are, others (seconds of a time budget) to one decimal. */
function formatAmount(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

/** Integers as they are; other numbers to four significant digits. */
export function formatNumber(x: number): string {
  if (Number.isInteger(x) || !Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(4)));
}

function formatRate(rate: number): string {
  return rate >= 100 ? Math.round(rate).toLocaleString('en-US') : rate.toFixed(rate >= 10 ? 1 : 2);
}

/** `m:ss` under an hour, `h:mm:ss` above. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

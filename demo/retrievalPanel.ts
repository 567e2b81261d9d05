/**
 * The retrieval panel: the delta rule and the sum rule trained side by side on setting 2, their loss
 * curves, and each one's fast weight matrix W_t as a heatmap while one sequence is fed token by
 * token. Training runs in short slices between paints, so the page stays responsive: on two
 * threads each model's slice runs on a pool worker of its own (./workerSlices.ts), both at once;
 * on one, or where workers cannot run, the page's thread takes a step of each in turn.
 */
import { drawLossChart } from './lossChart.js';
import { commonRange, drawHeatmap } from './heatmap.js';
import { RetrievalTrainer, TASK, displaySequence, stepInTurn, type Rule } from './retrievalTrainer.js';
import type { DemoStatus } from './status.js';
import { inTasks } from './scheduling.js';
import { PAGE_SLICE_MS, WORKER_SLICE_MS, WorkerSlices, workersUnavailableReason } from './workerSlices.js';
import type { RetrievalBatch } from '../src/index.js';

export interface RetrievalPanelElements {
  train: HTMLButtonElement;
  reset: HTMLButtonElement;
  feed: HTMLButtonElement;
  chart: HTMLCanvasElement;
  stepInfo: HTMLElement;
  sequence: HTMLElement;
  heatmaps: Record<Rule, HTMLCanvasElement>;
  captions: Record<Rule, HTMLElement>;
}

const RULE_LABELS: Record<Rule, string> = { delta: 'delta rule', sum: 'sum rule' };
const COLORS: Record<Rule, string> = { delta: '#c0392b', sum: '#2471a3' };
/** Milliseconds per token while a sequence is fed. */
const FEED_MS = 220;
/** While training, the heatmaps are redrawn (for the sequence on display) every this many steps. */
const REFRESH_STEPS = 50;
const RULE_NAMES: Rule[] = ['delta', 'sum'];

export class RetrievalPanel {
  private trainers!: Record<Rule, RetrievalTrainer>;
  private running = false;
  /** Numbers the training loops: a loop whose number is not the latest ends (a quick Pause, Train must not leave two running). */
  private loop = 0;
  private paused = false;
  private sequenceSeed = 1;
  /** Training step at which the heatmaps were last redrawn. */
  private shownAtStep = 0;
  private feedTimer: ReturnType<typeof setTimeout> | null = null;
  /** The training slice in flight (a step may be waiting for the pool's worker): the next slice, and closing the trainers a reset replaces, wait for it. */
  private slice: Promise<void> = Promise.resolve();
  /** The pool's workers that train the models, one each (started with the first slice on two threads). */
  private workers: WorkerSlices | null = null;

  /** `threads`: 2 trains each model on a pool worker of its own where the page allows (./workerSlices.ts); 1 on the page's thread. */
  constructor(private readonly el: RetrievalPanelElements, private readonly status: DemoStatus, private readonly threads: number) {
    this.reset();
    el.train.addEventListener('click', () => (this.running ? this.stop() : this.start()));
    el.reset.addEventListener('click', () => this.reset());
    el.feed.addEventListener('click', () => this.feed(displaySequence(++this.sequenceSeed)));
  }

  /** Holds training while the backend is switched. */
  setPaused(paused: boolean): void {
    this.paused = paused;
  }

  private reset(): void {
    this.stop();
    const replaced = this.trainers as Record<Rule, RetrievalTrainer> | undefined;
    if (replaced !== undefined) void this.slice.then(() => RULE_NAMES.forEach((rule) => replaced[rule].close()));
    this.trainers = { delta: new RetrievalTrainer('delta'), sum: new RetrievalTrainer('sum') };
    this.status.steps = { delta: 0, sum: 0 };
    this.status.losses = { delta: [], sum: [] };
    // The chart, then the sequence on display with each rule's W_t, each in a task of its own: the
    // first draws compile much of the library and set up the canvases, and the page stays
    // responsive meanwhile (docs/browser.md).
    const sequence = displaySequence(this.sequenceSeed);
    inTasks([() => this.redraw(), ...this.sequenceSteps(sequence, sequence.L), () => (this.shownAtStep = this.trainers.delta.steps)]);
  }

  /** The sequence on display, after its last pair. */
  private showWholeSequence(): void {
    const sequence = displaySequence(this.sequenceSeed);
    this.showSequence(sequence, sequence.L);
    this.shownAtStep = this.trainers.delta.steps;
  }

  private start(): void {
    this.running = true;
    this.el.train.textContent = 'Pause';
    this.tick(++this.loop);
  }

  private stop(): void {
    this.running = false;
    this.el.train.textContent = 'Train';
  }

  /** Trains a slice, then repaints; again after the page has had a turn, until stopped. */
  private tick(loop: number): void {
    if (!this.running || loop !== this.loop) return;
    this.slice = this.slice.then(() => this.trainSlice(loop));
    void this.slice.then(() => setTimeout(() => this.tick(loop), 0));
  }

  private async trainSlice(loop: number): Promise<void> {
    const live = () => this.running && loop === this.loop && !this.paused;
    if (!live()) return;
    const trainers = this.trainers;
    try {
      const workers = this.sliceWorkers();
      const models = RULE_NAMES.map((rule) => trainers[rule]);
      if (workers !== null) await workers.slice(models, WORKER_SLICE_MS);
      else await stepInTurn(models, PAGE_SLICE_MS, live);
    } catch (e) {
      this.status.error = `training failed: ${(e as Error).message}`;
      this.el.stepInfo.textContent = this.status.error;
      this.stop();
      return;
    }
    if (trainers !== this.trainers) return; // reset meanwhile: nothing of these to show
    this.redraw();
    // Every few dozen steps, show what the models now write for the sequence on display.
    if (this.feedTimer === null && this.trainers.delta.steps - this.shownAtStep >= REFRESH_STEPS) this.showWholeSequence();
  }

  /** The workers for this slice, or null: one thread, a page that is not isolated, or a backend other than wasm picked. */
  private sliceWorkers(): WorkerSlices | null {
    if (this.threads < 2 || workersUnavailableReason() !== '') return null;
    return (this.workers ??= new WorkerSlices(RULE_NAMES.length));
  }

  private redraw(): void {
    for (const rule of RULE_NAMES) {
      this.status.steps[rule] = this.trainers[rule].steps;
      this.status.losses[rule] = [...this.trainers[rule].losses];
      this.status.stepMs[rule] = this.trainers[rule].medianStepMs();
    }
    drawLossChart(this.el.chart, RULE_NAMES.map((rule) => ({ label: RULE_LABELS[rule], color: COLORS[rule], losses: this.trainers[rule].losses })));
    const ms = (rule: Rule) => (Number.isNaN(this.status.stepMs[rule]) ? '–' : `${this.status.stepMs[rule].toFixed(1)} ms`);
    const onWorkers = this.threads > 1 && workersUnavailableReason() === '';
    this.status.threads = onWorkers ? RULE_NAMES.length : 1;
    const [delta, sum] = RULE_NAMES.map((rule) => this.trainers[rule].steps);
    const where = onWorkers ? `, each on a worker thread of its own` : '';
    // On workers each model makes the steps its own slice allows: the counts differ.
    this.el.stepInfo.textContent = `${delta === sum ? `step ${delta}` : `steps: delta ${delta}, sum ${sum}`} · step time (forward, backward, Adam; batch ${TASK.batchSize}): delta ${ms('delta')}, sum ${ms('sum')} on ${this.status.backend}${where}`;
  }

  /** Animates the sequence token by token: W_1, W_2, … for both rules. */
  private feed(sequence: RetrievalBatch): void {
    if (this.feedTimer !== null) clearTimeout(this.feedTimer);
    let t = 1;
    const next = () => {
      this.showSequence(sequence, t);
      this.feedTimer = t < sequence.L ? setTimeout(next, FEED_MS) : null;
      t++;
    };
    next();
  }

  /** Draws both heatmaps at step t of `sequence`, with the pairs fed so far and each rule's answer. */
  private showSequence(sequence: RetrievalBatch, t: number): void {
    for (const step of this.sequenceSteps(sequence, t)) step();
  }

  /** Drawing step t of `sequence`, in parts: the pairs, then each rule's heatmap and caption. */
  private sequenceSteps(sequence: RetrievalBatch, t: number): (() => void)[] {
    const query = sequence.query[0]!;
    const answer = sequence.answer[0]!;
    const showPairs = () =>
      this.el.sequence.replaceChildren(
        ...Array.from({ length: sequence.L }, (_, i) => {
          const chip = document.createElement('span');
          chip.className = `pair${i < t ? ' fed' : ''}${i === t - 1 ? ' current' : ''}${sequence.keys[i] === query ? ' queried' : ''}`;
          chip.textContent = `k${sequence.keys[i]}→v${sequence.values[i]}`;
          return chip;
        }),
        Object.assign(document.createElement('span'), { className: 'query', textContent: `query k${query} → answer v${answer}` }),
      );
    const showRule = (rule: Rule) => {
      const trace = this.trainers[rule].trace(sequence);
      const W = trace.states[t - 1]!;
      drawHeatmap(this.el.heatmaps[rule], W, { rows: TASK.S, cols: this.trainers[rule].model.dDot, range: commonRange(trace.states), highlightRow: answer });
      const readout = trace.readouts[t - 1]!;
      let best = 0;
      for (let i = 1; i < readout.length; i++) if (readout[i]! > readout[best]!) best = i;
      const norm = Math.sqrt(W.reduce((sum, w) => sum + w * w, 0));
      this.el.captions[rule].textContent = `t = ${t}: ‖W_t‖ = ${norm.toFixed(2)} · query k${query} reads v${best}${t === sequence.L ? (best === answer ? ' ✓' : ` ✗ (answer v${answer})`) : ''}`;
    };
    const counted = () => {
      this.status.heatmapDraws++;
      this.status.shownStep = t;
    };
    return [showPairs, ...RULE_NAMES.map((rule) => () => showRule(rule)), counted];
  }
}

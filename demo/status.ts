/**
 * What the demo page publishes about itself for its browser test (test/browser/demo.test.ts) to
 * read: plain data, no DOM.
 */
export interface DemoStatus {
  backend: string;
  /** How the backend runs here, as the page shows it. */
  backendDetail: string;
  steps: { delta: number; sum: number };
  /** Training loss of every step, per rule. */
  losses: { delta: number[]; sum: number[] };
  /** Median recent step time per rule, milliseconds. */
  stepMs: { delta: number; sum: number };
  /** Threads the training runs on: 2 (each model on a pool worker of its own) in a cross-origin-isolated page on 2 cores or more with the wasm backend, else 1 (the page's). */
  threads: number;
  /** Times the W_t heatmaps were drawn. */
  heatmapDraws: number;
  /** The step of the fed sequence the heatmaps show (1..L), 0 before any. */
  shownStep: number;
  error: string;
}

interface WithStatus {
  __fastweightsDemo?: DemoStatus;
}

export function publishStatus(status: DemoStatus): void {
  (globalThis as WithStatus).__fastweightsDemo = status;
}

/** Runs in the page (through page.evaluate): a copy of the status, or undefined before the page started. */
export function readStatus(): DemoStatus | undefined {
  const status = (globalThis as WithStatus).__fastweightsDemo;
  return status === undefined ? undefined : JSON.parse(JSON.stringify(status));
}

/**
 * What a page's first load cost, read in the page from the browser's own performance timeline:
 * bytes transferred (compressed bodies and headers, as the network saw them), first paint, and
 * the main thread's long tasks (over 50 ms, the browser's definition). Both functions run in the
 * page (through Playwright), so they use only the page's globals.
 */

/** The parts of the page's performance timeline read here (this file is type-checked without the DOM's types). */
interface TimelineEntry {
  name: string;
  startTime: number;
  duration: number;
  transferSize?: number;
  encodedBodySize?: number;
  decodedBodySize?: number;
  /** Paint entries of recent Chromium: when the renderer painted (startTime is when the frame was presented). */
  paintTime?: number;
}
interface PageGlobals {
  performance: { getEntriesByType(type: string): TimelineEntry[]; getEntriesByName(name: string): TimelineEntry[] };
  PerformanceObserver?: new (callback: (list: { getEntries(): TimelineEntry[] }) => void) => { observe(options: { type: string; buffered: boolean }): void };
  __fastweightsLongTasks?: { startMs: number; ms: number }[];
}

/** Runs in the page before its scripts (Playwright's addInitScript): records long tasks from the start. */
export function recordLongTasks(): void {
  const g = globalThis as unknown as PageGlobals;
  const tasks: { startMs: number; ms: number }[] = (g.__fastweightsLongTasks = []);
  try {
    new g.PerformanceObserver!((list) => {
      for (const entry of list.getEntries()) tasks.push({ startMs: entry.startTime, ms: entry.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // A browser without long-task timing reports none.
  }
}

export interface LoadMetrics {
  /** Bytes over the network: the document and every resource fetched so far. */
  transferredBytes: number;
  /** Each fetched path with its transferred bytes (headers included), its body's bytes as sent (compressed) and as read, and when its fetch began (milliseconds from navigation). */
  resources: { path: string; bytes: number; encodedBytes: number; decodedBytes: number; startMs: number }[];
  /** Milliseconds from navigation to the first paint and the first contentful paint, as presented on screen (NaN when not yet painted). */
  firstPaintMs: number;
  firstContentfulPaintMs: number;
  /** When the renderer painted that first contentful frame, where the browser says (NaN otherwise); presenting it can come much later on a busy machine. */
  firstContentfulPaintRenderedMs: number;
  /** Main-thread tasks over 50 ms since navigation (needs recordLongTasks). */
  longTasks: { startMs: number; ms: number }[];
}

/** Runs in the page: the metrics of its load so far. */
export function readLoadMetrics(): LoadMetrics {
  const g = globalThis as unknown as PageGlobals;
  const entries = [...g.performance.getEntriesByType('navigation'), ...g.performance.getEntriesByType('resource')];
  const resources = entries.map((entry) => ({
    path: new URL(entry.name).pathname,
    bytes: entry.transferSize ?? 0,
    encodedBytes: entry.encodedBodySize ?? 0,
    decodedBytes: entry.decodedBodySize ?? 0,
    startMs: entry.startTime,
  }));
  const paint = (name: string) => g.performance.getEntriesByName(name)[0]?.startTime ?? NaN;
  const fcp = g.performance.getEntriesByName('first-contentful-paint')[0];
  return {
    transferredBytes: resources.reduce((sum, r) => sum + r.bytes, 0),
    resources,
    firstPaintMs: paint('first-paint'),
    firstContentfulPaintMs: paint('first-contentful-paint'),
    firstContentfulPaintRenderedMs: fcp?.paintTime ?? NaN,
    longTasks: [...(g.__fastweightsLongTasks ?? [])],
  };
}

/**
 * When the demo page's work runs. Heavy work (the library's code, the WebAssembly kernels, the
 * first canvas) starts only once the static page is on screen, and in tasks short enough not to
 * hold the main thread. A page's first canvas makes Chromium set up a GPU context and wait for the
 * GPU process, itself busy starting up until the first frame is shown: begun before the first
 * paint, that wait held the main thread for 0.15–0.3 s (docs/browser.md, "A page that paints first").
 */

/**
 * Resolves once the first contentful paint has been presented (its `paint` timing entry, which
 * Chromium and Firefox report when the frame reaches the screen). Where paint timing is missing,
 * after the next animation frame and a task after it: the frame has been painted by then.
 */
export function afterFirstPaint(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof PerformanceObserver !== 'undefined' && PerformanceObserver.supportedEntryTypes?.includes('paint')) {
      const observer = new PerformanceObserver((list) => {
        if (!list.getEntries().some((entry) => entry.name === 'first-contentful-paint')) return;
        observer.disconnect();
        resolve();
      });
      // buffered: a paint that happened before this script ran is reported too.
      observer.observe({ type: 'paint', buffered: true });
    } else {
      requestAnimationFrame(() => setTimeout(resolve, 0));
    }
  });
}

/** Resolves in a later task: what runs after it no longer adds to the current task's length. */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Runs `steps` in order, each in a task of its own. */
export function inTasks(steps: (() => void)[]): void {
  const [first, ...rest] = steps;
  if (first === undefined) return;
  setTimeout(() => {
    first();
    inTasks(rest);
  }, 0);
}

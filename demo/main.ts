/**
 * The demo page's entry (demo/index.html): small and free of the library, so the browser paints the
 * page's static shell first. Then it fetches the rest (demo/app.ts and the library: a chunk of its
 * own) and starts it, each heavy part in a task of its own (docs/browser.md, "A page that paints first").
 */
import { afterFirstPaint } from './scheduling.js';

await afterFirstPaint();
const { startDemo } = await import('./app.js');
await startDemo();

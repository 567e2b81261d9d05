/** Worker thread (started by ./jax.ts with a larger stack) that times jax-js's delta-rule layer. */
import { parentPort, workerData } from 'node:worker_threads';
import { init } from '@jax-js/jax';
import { layerRunners } from './jax.js';
import { measure, type MeasureOptions } from '../measure.js';

try {
  await init('wasm');
  const timing = measure('delta-layer-fwdbwd jax-js wasm', layerRunners().delta, workerData as MeasureOptions);
  parentPort!.postMessage({ timing });
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message });
}

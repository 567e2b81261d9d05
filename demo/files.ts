/**
 * The demo page's files, ready to serve: the minified esbuild bundle of demo/main.ts (the gpu
 * backend and the pretrained-model loader are chunks fetched only when asked for; the pool workers'
 * modules entries of their own, fetched by a worker when training starts on two threads), index.html
 * (told to fetch main.js's other chunks beside it rather than after it) and style.css.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT, bundlePageWithChunks, type PageFiles } from '../browser/bundle.js';

/**
 * The page's worker modules, by the name each is served under: the pool's workers load
 * /trainerWorker.js to train a model each (demo/workerSlices.ts's TRAINER_WORKER), and
 * /replicaWorker.js for data-parallel training steps (demo/retrievalTrainer.ts's REPLICA_WORKER).
 */
export const DEMO_WORKERS = { trainerWorker: 'demo/trainerWorker.ts', replicaWorker: 'demo/replicaWorker.ts' };

const MAIN_SCRIPT = '<script type="module" src="/main.js"></script>';

export async function demoFiles(): Promise<PageFiles> {
  const { files, staticChunks } = await bundlePageWithChunks('demo/main.ts', { minify: true, workers: DEMO_WORKERS });
  const html = readFileSync(resolve(ROOT, 'demo/index.html'), 'utf8');
  if (!html.includes(MAIN_SCRIPT)) throw new Error(`demo/index.html must load the bundle with ${MAIN_SCRIPT}`);
  const preloads = staticChunks.map((chunk) => `<link rel="modulepreload" href="${chunk}">\n  `).join('');
  files.set('/index.html', html.replace(MAIN_SCRIPT, `${preloads}${MAIN_SCRIPT}`));
  files.set('/style.css', readFileSync(resolve(ROOT, 'demo/style.css')));
  return files;
}

/** The scripts among `files` that compile a WebAssembly module: the library's chunk, with the kernels inlined, and gpu.js's. */
export function scriptsCompilingWasm(files: PageFiles): string[] {
  const text = (body: Uint8Array | string) => (typeof body === 'string' ? body : new TextDecoder().decode(body));
  return [...files].filter(([path, body]) => path.endsWith('.js') && text(body).includes('new WebAssembly.Module(')).map(([path]) => path);
}

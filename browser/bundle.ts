/**
 * esbuild, in memory: browser bundles of pages (for the tests and the demo) and of the library's
 * entries (for the size report). Pages are ES modules split into chunks, so a dynamic
 * `import('…/src/gpu.js')` becomes a chunk that is fetched only when the page asks for it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

/** The repository root: the nearest folder above this file whose package.json is fastweights's (this
 *  file also runs bundled into node_modules/.cache by scripts/run-ts.mjs). */
function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = resolve(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'fastweights') return dir;
    if (dirname(dir) === dir) throw new Error(`no fastweights package.json above ${from}`);
  }
}

export const ROOT = findRoot(dirname(new URL(import.meta.url).pathname));

/** The page bundle: path ('/main.js', '/chunk-….js') → contents. */
export type PageFiles = Map<string, Uint8Array | string>;

export interface PageBundle {
  files: PageFiles;
  /** The chunks /main.js imports statically (not the ones fetched on demand), for `<link rel="modulepreload">`. */
  staticChunks: string[];
}

export interface PageBundleOptions {
  minify?: boolean;
  /**
   * More entries, by the name each is served under ('/NAME.js' beside /main.js): modules that a
   * page's worker loads by URL (demo/replicaWorker.ts, for data-parallel steps). They share chunks
   * with /main.js, and the page fetches none of them until a worker asks.
   */
  workers?: Record<string, string>;
}

/**
 * Bundles `entry` (a TypeScript file, relative to the repository root) as /main.js with its chunks.
 * Not minified by default, with inline source maps: readable code makes a failing test page easier
 * to debug. Minified (as the demo ships), the source maps are separate files ('/main.js.map', …)
 * that the browser fetches only when its developer tools are open, so they cost a visitor nothing.
 */
export async function bundlePage(entry: string, options: PageBundleOptions = {}): Promise<PageFiles> {
  return (await bundlePageWithChunks(entry, options)).files;
}

/** bundlePage, also naming the chunks that /main.js needs before it runs. */
export async function bundlePageWithChunks(entry: string, options: PageBundleOptions = {}): Promise<PageBundle> {
  // Nothing is written (write: false); esbuild still wants an output folder to name the chunks.
  const outdir = resolve(ROOT, 'dist-browser-page');
  const result = await esbuild.build({
    entryPoints: { main: resolve(ROOT, entry), ...Object.fromEntries(Object.entries(options.workers ?? {}).map(([name, file]) => [name, resolve(ROOT, file)])) },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: options.minify ?? false,
    sourcemap: options.minify === true ? 'linked' : 'inline',
    metafile: true,
    outdir,
    write: false,
    logLevel: 'silent',
  });
  const files: PageFiles = new Map();
  for (const file of result.outputFiles) files.set(`/${relative(outdir, file.path)}`, file.contents);
  const main = Object.entries(result.metafile.outputs).find(([path]) => relative(outdir, resolve(path)) === 'main.js')?.[1];
  // The metafile's paths are relative to the working directory; the chunk's name is what the page asks for.
  const staticChunks = (main?.imports ?? []).filter((i) => i.kind === 'import-statement').map((i) => `/${i.path.split('/').pop()!}`);
  return { files, staticChunks };
}

export interface BundleSize {
  entry: string;
  minifiedBytes: number;
  gzipBytes: number;
  /** Source files in the bundle, largest first, with their minified bytes. */
  inputs: { path: string; bytes: number }[];
  /** The source file whose code opens the bundle. */
  first: string;
}

/** A minified single-file browser bundle of `entry` and its size after gzip (level 9). */
export async function measureBundle(entry: string): Promise<BundleSize> {
  const result = await esbuild.build({
    entryPoints: [resolve(ROOT, entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    metafile: true,
    outfile: resolve(ROOT, 'dist-browser-size/bundle.js'), // never written (write: false)
    write: false,
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  const [meta] = Object.values(result.metafile.outputs);
  if (output === undefined || meta === undefined) throw new Error(`esbuild produced no output for ${entry}`);
  // The metafile lists an output's inputs in the order their code stands in it.
  const inOrder = Object.entries(meta.inputs).map(([path, info]) => ({ path, bytes: info.bytesInOutput }));
  const first = inOrder.find((input) => input.bytes > 0)?.path ?? '';
  const inputs = [...inOrder].sort((a, b) => b.bytes - a.bytes);
  return { entry, minifiedBytes: output.contents.length, gzipBytes: gzipSync(output.contents, { level: 9 }).length, inputs, first };
}

/** The core bundle's budget (issue 11), gzip bytes, the wasm kernels included. */
export const CORE_GZIP_BUDGET = 60_000;

/** What is wrong with a core bundle: over budget, or gpu.js inside (it must load only on request). */
export function checkCoreBundle(size: BundleSize): string[] {
  const problems: string[] = [];
  if (size.gzipBytes > CORE_GZIP_BUDGET) problems.push(`the core bundle is ${size.gzipBytes} bytes gzip, over the budget of ${CORE_GZIP_BUDGET}`);
  const gpuJs = size.inputs.filter((input) => input.path.includes('node_modules/gpu.js/'));
  if (gpuJs.length > 0) problems.push(`the core bundle contains gpu.js (${gpuJs.map((input) => input.path).join(', ')}); only the fastweights/gpu entry may import it`);
  return problems;
}

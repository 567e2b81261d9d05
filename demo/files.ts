/** The demo page's files, ready to serve: the esbuild bundle of demo/main.ts, index.html and style.css. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT, bundlePage, type PageFiles } from '../browser/bundle.js';

export async function demoFiles(): Promise<PageFiles> {
  const files = await bundlePage('demo/main.ts');
  for (const name of ['index.html', 'style.css']) files.set(`/${name}`, readFileSync(resolve(ROOT, 'demo', name)));
  return files;
}

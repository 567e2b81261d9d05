#!/usr/bin/env node
/**
 * Runs a TypeScript tool (the demo server, the size report) without a tsc build: esbuild bundles it
 * for Node into node_modules/.cache/fastweights/ (packages stay external) and it is imported from
 * there. Usage: node scripts/run-ts.mjs FILE.ts [args...]
 */
import { mkdirSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const [file, ...args] = process.argv.slice(2);
if (file === undefined) {
  console.error('usage: node scripts/run-ts.mjs FILE.ts [args...]');
  process.exit(2);
}
const cache = resolve(import.meta.dirname, '../node_modules/.cache/fastweights');
mkdirSync(cache, { recursive: true });
const outfile = resolve(cache, `${basename(file, '.ts')}.mjs`);
await esbuild.build({
  entryPoints: [resolve(file)],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outfile,
  logLevel: 'warning',
});
process.argv = [process.argv[0], outfile, ...args];
await import(pathToFileURL(outfile).href);

/**
 * `npm run demo`: bundles the demo page (demo/files.ts: demo/main.ts minified with esbuild; gpu.js
 * and the fla DeltaNet loader in chunks of their own, fetched only when asked for), serves it on
 * localhost compressed and cross-origin isolated (browser/server.ts) and prints the URL.
 * Options: --port N (default 8080; 0 picks a free one). Ctrl-C stops it.
 */
import { serveFiles } from '../browser/server.js';
import { demoFiles } from './files.js';

function portFrom(argv: string[]): number {
  const at = argv.indexOf('--port');
  if (at < 0) return 8080;
  const port = Number(argv[at + 1]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer from 0 to 65535, got '${argv[at + 1] ?? ''}'`);
  return port;
}

try {
  const port = portFrom(process.argv.slice(2));
  const files = await demoFiles();
  const server = await serveFiles(files, port);
  console.log(`fastweights demo: open ${server.url}`);
  console.log('Ctrl-C stops the server.');
} catch (e) {
  console.error(`demo: ${(e as Error).message}`);
  process.exit(1);
}

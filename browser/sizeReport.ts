/**
 * `npm run size`: the minified + gzip size of a browser bundle of each browser entry, checked
 * against the budget of the core (issue 11: at most 60 kB gzip, the wasm kernels included).
 * Exits 1 when the core is over budget or pulls in gpu.js.
 */
import { CORE_GZIP_BUDGET, checkCoreBundle, measureBundle, type BundleSize } from './bundle.js';

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

function describe(name: string, size: BundleSize): string {
  const top = size.inputs.slice(0, 5).map((input) => `    ${kB(input.bytes).padStart(9)}  ${input.path}`);
  return [`${name.padEnd(23)} ${kB(size.minifiedBytes).padStart(9)} minified, ${kB(size.gzipBytes).padStart(8)} gzip  (${size.entry})`, ...top].join('\n');
}

const core = await measureBundle('src/index.ts');
const gpu = await measureBundle('src/gpu.ts');
const pretrained = await measureBundle('src/pretrained.ts');
console.log('browser bundles (esbuild --bundle --minify --format=esm --platform=browser, gzip -9):');
console.log(describe('fastweights', core));
console.log(describe('fastweights/gpu', gpu));
console.log(describe('fastweights/pretrained', pretrained));
const problems = checkCoreBundle(core);
if (problems.length > 0) {
  for (const problem of problems) console.error(`FAIL: ${problem}`);
  process.exit(1);
}
console.log(`core bundle within budget: ${kB(core.gzipBytes)} ≤ ${kB(CORE_GZIP_BUDGET)} gzip`);

#!/usr/bin/env node
// The CLI entry point: it runs the compiled dist/ (built by `npm run build`, which npm start, npm test
// and npm pack run; a published package ships it built).
// The CLI is imported dynamically so that an error while loading it (e.g. FASTWEIGHTS_BACKEND=cuda,
// refused when the kernels load) is one line naming the problem, not a stack trace.
import { existsSync } from 'node:fs';

// FASTWEIGHTS_DEBUG=1 adds the stack trace; it is read, like every FASTWEIGHTS_* variable, in kernels/settings.ts.
const settings = await import('../dist/kernels/settings.js').catch(() => null);
const withStack = () => {
  try {
    return settings?.debugSetting() ?? false;
  } catch {
    return true; // a bad FASTWEIGHTS_DEBUG is reported by the CLI itself; show the stack meanwhile
  }
};
const fail = (err) => {
  console.error(`fastweights: ${err instanceof Error ? err.message : String(err)}`);
  if (withStack()) console.error(err);
  process.exitCode = 1;
};

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  fail(new Error('dist/ is not built in this clone: run `npm run build` first (npm start and npm test build it themselves)'));
} else {
  import(entry.href).then(
    ({ main }) => main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, fail),
    fail,
  );
}

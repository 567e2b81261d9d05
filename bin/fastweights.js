#!/usr/bin/env node
// The CLI entry point: the TypeScript sources are compiled to dist/ by `npm install` (the prepare script).
// The CLI is imported dynamically so that an error while loading it (e.g. FASTWEIGHTS_BACKEND=cuda,
// refused when the kernels load) is one line naming the problem, not a stack trace.
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

import('../dist/src/cli/main.js').then(
  ({ main }) => main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, fail),
  fail,
);

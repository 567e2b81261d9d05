#!/usr/bin/env node
// The CLI entry point: the TypeScript sources are compiled to dist/ by `npm install` (the prepare script).
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    console.error(`fastweights: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.FASTWEIGHTS_DEBUG) console.error(err);
    process.exitCode = 1;
  },
);

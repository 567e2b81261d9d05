/** The core must bundle for a browser page: no Node-only imports below the data/train/CLI layers. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const CORE = ['src/tensor', 'src/autograd', 'src/ops', 'src/nn', 'src/models', 'kernels'];
const NODE_MODULES = /from\s+['"](node:[^'"]+|fs|path|os|process|worker_threads|child_process|crypto|url)['"]|import\(\s*['"](node:|fs|path)/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('architecture', () => {
  it('the core imports no Node module and reads no global process', () => {
    const offenders: string[] = [];
    for (const dir of CORE) {
      for (const file of files(join(ROOT, dir))) {
        const text = readFileSync(file, 'utf8');
        if (NODE_MODULES.test(text)) offenders.push(`${file}: imports a Node module`);
        if (/(^|[^.\w])process\./m.test(text)) offenders.push(`${file}: uses process directly`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('only the fastweights/gpu entry imports gpu.js at run time (everything else imports its types only)', () => {
    const importers: string[] = [];
    for (const dir of ['src', 'kernels']) {
      for (const file of files(join(ROOT, dir))) {
        if (/^\s*import\s+(?!type\b)[^;]*from\s+['"]gpu\.js['"]/m.test(readFileSync(file, 'utf8'))) importers.push(file.slice(ROOT.length));
      }
    }
    expect(importers).toEqual(['src/gpu.ts']);
  });
});

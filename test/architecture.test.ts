/**
 * The layering, checked on the real import graph (test/importGraph.ts reads the import statements):
 * no import circle anywhere in src/ and kernels/, and what each public entry loads at run time.
 * No folder list: a file is "core" because the core entry reaches it, whatever folder it sits in.
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, cycles, importGraph, importsOf, reachable, sourceFiles } from './importGraph.js';

const NODE_BUILTINS = new Set(builtinModules);
const isNodeModule = (specifier: string): boolean => specifier.startsWith('node:') || NODE_BUILTINS.has(specifier.split('/')[0]!);

/** The package's entries, as package.json "exports" maps them. */
const ENTRIES = { core: 'src/index.ts', node: 'src/node.ts', gpu: 'src/gpu.ts' } as const;

describe('architecture', () => {
  it('src/ and kernels/ import each other without a circle', () => {
    const graph = importGraph(sourceFiles('src', 'kernels'));
    expect(graph.size).toBeGreaterThan(100);
    expect(cycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('the cycle finder does find a circle (so the test above can fail)', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  });

  it('the core entry (fastweights) reaches no Node module, no gpu.js and no Node-only file, and reads no global process', () => {
    const { files, external } = reachable(ENTRIES.core);
    expect(files.size).toBeGreaterThan(50);
    expect([...external].filter(isNodeModule)).toEqual([]);
    expect([...external]).not.toContain('gpu.js');
    expect([...files].filter((f) => f === ENTRIES.gpu || f === ENTRIES.node || f.startsWith('src/cli/'))).toEqual([]);
    const direct = [...files].filter((f) => /(^|[^.\w])process\./m.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(direct).toEqual([]);
  });

  it('the gpu entry (fastweights/gpu) brings gpu.js and no Node module', () => {
    const { external } = reachable(ENTRIES.gpu);
    expect(external).toContain('gpu.js');
    expect([...external].filter(isNodeModule)).toEqual([]);
  });

  it('the node entry (fastweights/node) is where the Node modules come in, and it does not load gpu.js', () => {
    const { files, external } = reachable(ENTRIES.node);
    expect([...external].some(isNodeModule)).toBe(true);
    expect([...external]).not.toContain('gpu.js');
    expect(files).not.toContain(ENTRIES.gpu);
  });

  it('only the fastweights/gpu entry imports gpu.js at run time (everything else imports its types only)', () => {
    const importers = sourceFiles('src', 'kernels').filter((f) => importsOf(f).some((i) => i.target === 'gpu.js' && !i.typeOnly));
    expect(importers).toEqual([ENTRIES.gpu]);
  });
});

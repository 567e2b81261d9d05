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
const ENTRIES = { core: 'src/index.ts', node: 'src/node.ts', gpu: 'src/gpu.ts', pretrained: 'src/pretrained.ts', threads: 'src/threads.ts', report: 'src/report.ts' } as const;

describe('architecture', () => {
  it('src/ and kernels/ import each other without a circle', () => {
    const graph = importGraph(sourceFiles('src', 'kernels'));
    expect(graph.size).toBeGreaterThan(100);
    expect(cycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('no file imports from a higher floor of docs/architecture.md, and no task imports another task', () => {
    // The floors of docs/architecture.md's table; src/cli's helpers (the parser, Ctrl-C, the train
    // subcommands' checks) serve the tasks' commands, so only main.ts sits above the tasks.
    const floor = (f: string): number =>
      f.startsWith('kernels/') ? 0
      : /^src\/(tensor|autograd)\//.test(f) ? 1
      : f.startsWith('src/ops/') ? 2
      : f.startsWith('src/nn/') ? 3
      : /^src\/(train|data|io|report)\/|^src\/cli\/(?!main\.ts)/.test(f) ? 4
      : f.startsWith('src/tasks/') ? 5
      : 6; // src/cli/main.ts and the entries
    const task = (f: string) => /^src\/tasks\/([^/]+)\//.exec(f)?.[1];
    const wrong: string[] = [];
    for (const [file, targets] of importGraph(sourceFiles('src', 'kernels'))) {
      for (const target of targets) {
        if (floor(target) > floor(file)) wrong.push(`${file} → ${target}`);
        if (task(file) !== undefined && task(target) !== undefined && task(file) !== task(target)) wrong.push(`${file} → ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('outside kernels/, only the kernels\' front door is imported (and the gpu backend\'s and the thread pool\'s doors, which register them)', () => {
    const doors = new Set(['kernels/index.ts', 'kernels/backends/gpu.ts', 'kernels/threads/index.ts']);
    const wrong: string[] = [];
    for (const file of sourceFiles('src')) {
      for (const { target, local } of importsOf(file)) if (local && target.startsWith('kernels/') && !doors.has(target)) wrong.push(`${file} → ${target}`);
    }
    expect(wrong).toEqual([]);
  });

  it("no file outside a task's folder branches on which task it serves", () => {
    // Training, the CLI's shared helpers and the layers take what a task gives them (src/train/replica.ts);
    // only a task's own folder knows it is that task.
    const branch = /\btask\s*[!=]==|[!=]==\s*'(lm|mt|retrieval)'|'(lm|mt|retrieval)'\s*[!=]==/;
    const code = (f: string) => readFileSync(join(ROOT, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
    const branching = sourceFiles('src', 'kernels').filter((f) => !f.startsWith('src/tasks/') && branch.test(code(f)));
    expect(branching).toEqual([]);
    expect(branch.test("if (spec.kind === 'lm') build()")).toBe(true); // the pattern does find one
  });

  it('every thread the library starts is one of the one pool\'s: only kernels/threads/ reaches worker threads', () => {
    const threads = /worker_threads|\bWorker\s*\(|new\s+\w*\.?Worker\b/;
    const starters = sourceFiles('src', 'kernels').filter((f) => threads.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(starters).toEqual(['kernels/threads/spawn.ts', 'kernels/threads/workerProgram.ts']);
    expect(threads.test("import { Worker } from 'node:worker_threads';")).toBe(true); // the pattern does find one
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

  it('the threads entry (fastweights/threads) brings the thread pool and no Node module; the core does not carry the pool', () => {
    const { files, external } = reachable(ENTRIES.threads);
    expect(files).toContain('kernels/threads/pool.ts');
    expect([...external].filter(isNodeModule)).toEqual([]);
    expect([...reachable(ENTRIES.core).files].filter((f) => f.startsWith('kernels/threads/') && f !== 'kernels/threads/poolThread.ts')).toEqual([]);
  });

  it('the report entry (fastweights/report) brings the charts and CSV and no Node module; the core does not carry them', () => {
    const { files, external } = reachable(ENTRIES.report);
    expect(files).toContain('src/report/svg.ts');
    expect([...external].filter(isNodeModule)).toEqual([]);
    expect([...reachable(ENTRIES.core).files].filter((f) => f.startsWith('src/report/'))).toEqual([]);
  });

  it('the gpu entry (fastweights/gpu) brings gpu.js and no Node module', () => {
    const { external } = reachable(ENTRIES.gpu);
    expect(external).toContain('gpu.js');
    expect([...external].filter(isNodeModule)).toEqual([]);
  });

  it('the pretrained entry (fastweights/pretrained) reaches no Node module, no gpu.js and no Node-only file', () => {
    const { files, external } = reachable(ENTRIES.pretrained);
    expect(files).toContain('src/io/huggingFaceFiles.ts');
    expect([...external].filter(isNodeModule)).toEqual([]);
    expect([...external]).not.toContain('gpu.js');
    expect([...files].filter((f) => f === ENTRIES.node || f === 'src/io/huggingFace.ts' || f.startsWith('src/cli/'))).toEqual([]);
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

/**
 * The import graph of the sources, read from the import statements themselves (no folder lists), so
 * the architecture tests check what the code really reaches. Relative specifiers are resolved to
 * files ('./x.js' → './x.ts', as TypeScript's NodeNext resolution does); bare specifiers ('gpu.js',
 * 'node:fs', 'fs') are kept as external names.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const ROOT = resolve(new URL('..', import.meta.url).pathname);

export interface Import {
  /** A repository-relative file path for local imports, or the bare specifier for packages. */
  target: string;
  local: boolean;
  /** `import type` / `export type`: erased at compile time, so it loads nothing at run time. */
  typeOnly: boolean;
}

// Static imports and re-exports (a `from` clause), side-effect imports and dynamic import().
const STATIC = /^\s*(import|export)\s+(type\s+)?[^;]*?\bfrom\s+['"]([^'"]+)['"]/gm;
const BARE = /^\s*import\s+['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/**
 * Comments, and the double-quoted and template strings of one line, go before matching: an error
 * message that shows `await import('fastweights/gpu')` is not an import. Import specifiers in this
 * code base are single-quoted, so they survive.
 */
function stripCommentsAndStrings(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '""')
    .replace(/`(?:[^`\\\n]|\\.)*`/g, '``');
}

function resolveLocal(from: string, specifier: string): string {
  const base = resolve(dirname(join(ROOT, from)), specifier);
  for (const candidate of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(ROOT, candidate);
  }
  throw new Error(`${from}: cannot resolve import '${specifier}'`);
}

/** The imports of one repository-relative .ts file. */
export function importsOf(file: string): Import[] {
  const text = stripCommentsAndStrings(readFileSync(join(ROOT, file), 'utf8'));
  const found: Import[] = [];
  const add = (specifier: string, typeOnly: boolean): void => {
    const local = specifier.startsWith('.');
    found.push({ target: local ? resolveLocal(file, specifier) : specifier, local, typeOnly });
  };
  for (const m of text.matchAll(STATIC)) {
    // `import { type A, type B } from` is type-only as well when every name is marked.
    const names = /\{([^}]*)\}/.exec(m[0])?.[1];
    const allTypes = names !== undefined && names.split(',').map((n) => n.trim()).filter(Boolean).every((n) => n.startsWith('type '));
    add(m[3]!, m[2] !== undefined || allTypes);
  }
  for (const m of text.matchAll(BARE)) add(m[1]!, false);
  for (const m of text.matchAll(DYNAMIC)) add(m[1]!, false);
  return found;
}

/** Every .ts file under the given repository-relative folders (declaration files excluded). */
export function sourceFiles(...dirs: string[]): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir)).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(join(ROOT, path)).isDirectory()) return name === 'assembly' ? [] : walk(path);
      return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
    });
  return dirs.flatMap(walk).sort();
}

/** The graph over local files: file → the local files it imports (type-only imports included). */
export function importGraph(files: string[]): Map<string, string[]> {
  return new Map(files.map((f) => [f, [...new Set(importsOf(f).filter((i) => i.local).map((i) => i.target))]]));
}

/** The cycles of a graph, each as a path that starts and ends at the same file (one per strongly connected component). */
export function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

/**
 * Everything that loads at run time when `entry` is imported: local files and external modules,
 * following value imports only (type-only imports are erased by the compiler).
 */
export function reachable(entry: string): { files: Set<string>; external: Set<string> } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const i of importsOf(file)) {
      if (i.typeOnly) continue;
      if (i.local) visit(i.target);
      else external.add(i.target);
    }
  };
  visit(entry);
  return { files, external };
}

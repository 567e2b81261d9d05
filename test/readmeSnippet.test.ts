/**
 * README's "Use it from code" runs as shown: plain JavaScript (a .mjs file: TypeScript syntax would
 * not parse), importing 'fastweights' (here mapped to the sources), printing what its comment says.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

it("README's code example is plain JavaScript that runs and prints what it says", async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it from code'));
  const code = /```js\n([\s\S]*?)```/.exec(section)![1]!;
  expect(code).toContain("from 'fastweights'");
  // Inside the repository (test/ is not ignored by vite), so that the import of the sources resolves.
  const dir = mkdtempSync(join(ROOT, 'test', '.readme-'));
  const file = join(dir, 'example.mjs');
  writeFileSync(file, code.replace("from 'fastweights'", `from ${JSON.stringify(join(ROOT, 'src/index.ts'))}`));
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void printed.push(parts.map((p) => (Array.isArray(p) ? `[ ${p.join(', ')} ]` : String(p))).join(' ')));
  try {
    await import(file);
  } finally {
    log.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
  const promised = /console\.log\(.*\); \/\/ (.*) …$/m.exec(code)![1]!;
  expect(printed).toHaveLength(1);
  expect(printed[0]!.startsWith(promised)).toBe(true);
});

/**
 * Installing the package runs nothing of ours (npm 11 warns about every install-time script, and
 * `prepare` used to build from sources a tarball does not ship); packing builds dist/ first; in the
 * repository, `npm test` and `npm run typecheck` build before they run, so `npm ci && npm test`
 * (.ci/run) still tests what was just built.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> };

it('no install-time script; pack, test and typecheck build first', () => {
  for (const script of ['preinstall', 'install', 'postinstall', 'prepare', 'preprepare', 'postprepare']) expect(pkg.scripts[script], script).toBeUndefined();
  expect(pkg.scripts.prepack).toBe('npm run build');
  expect(pkg.scripts.pretest).toMatch(/npm run build/);
  expect(pkg.scripts.pretypecheck).toMatch(/npm run build/);
  expect(pkg.scripts.start).toMatch(/^npm run build/);
});

#!/usr/bin/env node
/**
 * Compiles the AssemblyScript kernels (./assembly) into WebAssembly and writes them into
 * ./generated/modules.ts, so that the kernels load with a plain import in Node and in a bundle
 * (no file reads, no fetch). Two modules over the same memory: the kernels (assembly/index.ts), and
 * the resident weights' matrix-vector kernels (assembly/resident.ts, in ./generated/resident.ts),
 * which only kernels/matmul/resident.ts imports, so that a bundle without pretrained models
 * (the core entry) leaves them out: 0.5 kB of the core bundle's gzip.
 * A module is a string of one character per byte, not base64: base64's 6-bit groups hide the
 * module's repeats from gzip, and the core bundle gzips 1.9 kB larger with it. A bundler writes every
 * byte that is not plain printable ASCII as an escape (\xfd, four characters; \0, two), so the bytes
 * a module uses most among those trade places with the printable characters it uses least (its
 * `swaps`; see swapsFor): the core bundle gzips 0.8 kB smaller.
 * Two builds of each:
 *   single: its own memory, for one thread (every browser page);
 *   shared: imports a shared memory, for worker threads (Node, or cross-origin-isolated pages).
 * Runs on `npm install` (prepare) and before `npm test`; skips the compile when the sources and flags
 * and this script are unchanged (the hash is kept in the generated file).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = join(here, 'assembly');
const outFile = join(here, 'generated', 'modules.ts');
const residentFile = join(here, 'generated', 'resident.ts');

// --noAssert and --use abort= drop the runtime checks' import; --runtime stub: the kernels never allocate.
const common = ['-O3s', '--runtime', 'stub', '--noAssert', '--use', 'abort=', '--enable', 'simd', '--importMemory'];
// 65536 pages = 4 GiB, all that 32-bit addresses reach: a shared memory must declare its maximum
// (address space only, not allocated). A 1.3B-parameter model in bfloat16 is 2.7 GB.
const MAX_PAGES = 65536;
const builds = {
  single: common,
  shared: [...common, '--enable', 'threads', '--sharedMemory', '--maximumMemory', String(MAX_PAGES)],
};

const sources = readdirSync(sourceDir).filter((f) => f.endsWith('.ts')).sort();
const hash = createHash('sha256');
for (const f of sources) hash.update(f).update(readFileSync(join(sourceDir, f)));
hash.update(readFileSync(fileURLToPath(import.meta.url))).update(JSON.stringify(builds)).update(readFileSync(join(here, '..', '..', 'node_modules', 'assemblyscript', 'package.json')));
const sourceHash = hash.digest('hex').slice(0, 16);

const current = (file) => existsSync(file) && readFileSync(file, 'utf8').includes(`sourceHash = '${sourceHash}'`);
if (current(outFile) && current(residentFile)) process.exit(0);

// asc resolves the entry file against the working directory whatever baseDir says: build from here.
process.chdir(here);
const { default: asc } = await import('assemblyscript/asc');

/** The single and shared builds of one entry file, as bytes. */
async function compile(entry) {
  const out = {};
  for (const [name, flags] of Object.entries(builds)) out[name] = await compileOne(entry, name, flags);
  return out;
}

async function compileOne(entry, name, flags) {
  let wasm = null;
  const stderr = [];
  const result = await asc.main([entry, ...flags, '--outFile', 'kernels.wasm'], {
    baseDir: here,
    stdout: { write: () => true },
    stderr: { write: (s) => (stderr.push(String(s)), true) },
    writeFile: (file, contents) => {
      if (file.endsWith('.wasm')) wasm = contents;
    },
  });
  if (result.error || wasm === null) {
    process.stderr.write(stderr.join(''));
    throw new Error(`kernels/wasm: the ${name} build of ${entry} failed: ${result.error?.message ?? 'no output'}`);
  }
  return Buffer.from(wasm);
}

// The two builds differ only where the memory is imported (shared, with a maximum): the shared one
// is kept as that difference from the single one (a byte range replaced), so a bundle carries the
// kernels once. Any other difference would only make the range longer, never wrong.
function sharedPatch(single, shared) {
  let prefix = 0;
  while (prefix < single.length && prefix < shared.length && single[prefix] === shared[prefix]) prefix++;
  let suffix = 0;
  while (suffix < single.length - prefix && suffix < shared.length - prefix && single[single.length - 1 - suffix] === shared[shared.length - 1 - suffix]) suffix++;
  return { from: prefix, to: single.length - suffix, bytes: shared.subarray(prefix, shared.length - suffix) };
}
const kernels = await compile('assembly/index.ts');
const resident = await compile('assembly/resident.ts');
const single = kernels.single;
const patch = sharedPatch(kernels.single, kernels.shared);

// Fused multiply-add (relaxed SIMD). The matmul micro-kernel writes each step as
// c = f32x4.add(f32x4.mul(a, b), c), which compiles to `f32x4.mul; local.get c; f32x4.add`. Where the
// engine has relaxed SIMD, the runtime rewrites those eight sites in place to `local.get c;
// f32x4.relaxed_madd; nop; nop; nop` (same length, so nothing else moves): one rounding instead of two,
// and 1.6x the micro-kernel's speed on x86-64 with FMA (docs/kernels.md). Only the micro-kernel is
// rewritten: the elementwise kernels keep the js backend's bits. Found here, not at load time: the one
// function body with MR x NR / 4 = 8 such sites.
const FUSED_SITES = 8;
function multiplyAddSites(wasm) {
  let at = 8;
  const leb = () => {
    let value = 0, shift = 0, byte;
    do { byte = wasm[at++]; value |= (byte & 0x7f) << shift; shift += 7; } while (byte & 0x80);
    return value >>> 0;
  };
  while (at < wasm.length) {
    const id = wasm[at++], size = leb(), end = at + size;
    if (id !== 10) { at = end; continue; }
    const bodies = leb(), found = [];
    for (let f = 0; f < bodies; f++) {
      const bodySize = leb(), bodyEnd = at + bodySize, sites = [];
      for (let i = at; i + 8 <= bodyEnd; i++) {
        if (wasm[i] === 0xfd && wasm[i + 1] === 0xe6 && wasm[i + 2] === 0x01 && wasm[i + 3] === 0x20 && wasm[i + 4] < 0x80
          && wasm[i + 5] === 0xfd && wasm[i + 6] === 0xe4 && wasm[i + 7] === 0x01) sites.push(i);
      }
      if (sites.length === FUSED_SITES) found.push(sites);
      at = bodyEnd;
    }
    if (found.length !== 1) throw new Error(`kernels/wasm: expected one function with ${FUSED_SITES} multiply-add sites (the matmul micro-kernel), found ${found.length}`);
    return found[0];
  }
  throw new Error('kernels/wasm: the module has no code section');
}
const fusedSites = multiplyAddSites(single);
if (fusedSites[0] < patch.to) throw new Error('kernels/wasm: the shared-memory patch overlaps the multiply-add sites');

/** Bytes as the inside of a '…' literal: printable ASCII as itself, every other byte as \xHH. */
function latin1Literal(bytes) {
  let text = '';
  for (const b of bytes) text += b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return text;
}

/** What a bundler writes as itself inside any string literal: printable ASCII but quotes, $ and \. */
function printable(b) {
  return b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x24 && b !== 0x27 && b !== 0x5c && b !== 0x60;
}

/**
 * Pairs of byte values [a0, b0, a1, b1, …] to trade places in the module's text: the most frequent
 * bytes that a bundler escapes, each with the least frequent printable one, as long as the escaped
 * byte is the more frequent of the two. Swapping is its own inverse, so the runtime trades them back.
 */
function swapsFor(bytes) {
  const count = new Array(256).fill(0);
  for (const b of bytes) count[b]++;
  const values = [...count.keys()];
  const escaped = values.filter((b) => !printable(b)).sort((a, b) => count[b] - count[a] || a - b);
  const plain = values.filter(printable).sort((a, b) => count[a] - count[b] || a - b);
  const pairs = [];
  for (let i = 0; i < plain.length && count[escaped[i]] > count[plain[i]]; i++) pairs.push(escaped[i], plain[i]);
  return pairs;
}

/** A module as the fields of a generated ModuleText: its text (its bytes with the swaps traded) and the shared build's patch. */
function moduleText(builds) {
  const swaps = swapsFor(builds.single);
  const swapped = new Uint8Array(256).map((_, b) => b);
  for (let i = 0; i < swaps.length; i += 2) [swapped[swaps[i]], swapped[swaps[i + 1]]] = [swaps[i + 1], swaps[i]];
  const patch = sharedPatch(builds.single, builds.shared);
  return `{
  text: '${latin1Literal(builds.single.map((b) => swapped[b]))}',
  swaps: '${latin1Literal(swaps)}',
  shared: { from: ${patch.from}, to: ${patch.to}, base64: '${patch.bytes.toString('base64')}' },
}`;
}

mkdirSync(dirname(outFile), { recursive: true });
const header = `// Generated by kernels/wasm/build.mjs from kernels/wasm/assembly: do not edit.
export const sourceHash = '${sourceHash}';
`;
const text = `${header}/** Maximum pages of the shared builds' memory. */
export const sharedMaxPages = ${MAX_PAGES};
/**
 * A WebAssembly module as text: one character (code 0–255) per byte of its single-thread build, with
 * the byte values paired in \`swaps\` traded (kernels/wasm/build.mjs says why); its shared-memory
 * build is those bytes with [from, to) replaced by \`shared.base64\`'s.
 */
export interface ModuleText {
  text: string;
  swaps: string;
  shared: { from: number; to: number; base64: string };
}
/** The kernels (assembly/index.ts). */
export const kernelsModule: ModuleText = ${moduleText(kernels)};
/** Byte offsets in the kernels' single build of the micro-kernel's \`f32x4.mul; local.get; f32x4.add\` (see build.mjs). */
export const fusedMultiplyAddSites = [${fusedSites.join(', ')}];
`;
const residentText = `${header}import type { ModuleText } from './modules.js';
/** The resident weights' matrix-vector kernels (assembly/resident.ts), over the kernels' memory. */
export const residentModule: ModuleText = ${moduleText(resident)};
`;
for (const [file, contents] of [[outFile, text], [residentFile, residentText]]) {
  writeFileSync(`${file}.tmp`, contents);
  renameSync(`${file}.tmp`, file);
}
const kB = (bytes) => `${Math.round(bytes.length / 1024)} kB`;
console.log(`kernels/wasm: built the kernels (${kB(kernels.single)}) and the resident kernels (${kB(resident.single)}), single and shared (the shared builds kept as ${patch.bytes.length} and ${sharedPatch(resident.single, resident.shared).bytes.length} bytes of difference)`);

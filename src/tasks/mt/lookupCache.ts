/**
 * The nearest training sentence of every sentence of a split, computed once and kept. Finding them
 * for the LibreOffice split takes seconds (the training pairs themselves, leave-one-out, about a
 * minute), so the matches are kept in memory and in a file named by the SHA-256 of the similarity
 * rule, the training pairs and the queries: `$FASTWEIGHTS_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/fastweights`, else `~/.cache/fastweights`. A cache file that is missing,
 * unreadable or malformed is recomputed; one that cannot be written is skipped (the numbers are the
 * same, only slower next time). Node-only (files).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cacheDirSetting, xdgCacheHome } from '../../../kernels/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import type { EnDePair } from './ende.js';
import { lookupMatches, type LookupMatch } from './lookupBaseline.js';

/** Changes whenever the similarity of lookupBaseline.ts changes, so older cache files are not read. */
const LOOKUP_RULE = 'jaccard(lowercase words + adjacent word pairs) v1';

export function lookupCacheDir(): string {
  return cacheDirSetting() ?? join(xdgCacheHome() ?? join(homedir(), '.cache'), 'fastweights');
}

const inMemory = new Map<string, LookupMatch[]>();

/** The nearest training sentence of each query, from memory, the cache file or computed (and then saved). */
export function cachedLookupMatches(train: readonly EnDePair[], queries: readonly string[], cacheDir: string = lookupCacheDir(), options: { leaveOneOut?: boolean } = {}): LookupMatch[] {
  const leaveOneOut = options.leaveOneOut ?? false;
  const path = join(cacheDir, `mt-lookup-${lookupKey(train, queries, leaveOneOut)}.json`);
  const known = inMemory.get(path);
  if (known !== undefined) return known;
  let matches = readMatches(path, queries.length, train.length);
  if (matches === null) {
    matches = lookupMatches(train, queries, { leaveOneOut });
    try {
      mkdirSync(cacheDir, { recursive: true });
      writeFileAtomic(path, JSON.stringify({ rule: LOOKUP_RULE, index: matches.map((m) => m.index), similarity: matches.map((m) => m.similarity) }));
    } catch {
      // A read-only home or full disk: the matches are still right, only recomputed next time.
    }
  }
  inMemory.set(path, matches);
  return matches;
}

function lookupKey(train: readonly EnDePair[], queries: readonly string[], leaveOneOut: boolean): string {
  const hash = createHash('sha256').update(LOOKUP_RULE).update(leaveOneOut ? ' leave-one-out\0' : '\0');
  for (const p of train) hash.update(`${p.en}\t${p.de}\n`);
  hash.update('\0');
  for (const q of queries) hash.update(`${q}\n`);
  return hash.digest('hex');
}

function readMatches(path: string, count: number, trainCount: number): LookupMatch[] | null {
  if (!existsSync(path)) return null;
  try {
    const file = JSON.parse(readFileSync(path, 'utf8')) as { rule?: unknown; index?: unknown; similarity?: unknown };
    const { index, similarity } = file;
    if (file.rule !== LOOKUP_RULE || !Array.isArray(index) || !Array.isArray(similarity) || index.length !== count || similarity.length !== count) return null;
    const matches = index.map((j, i) => ({ index: j as number, similarity: similarity[i] as number }));
    const valid = matches.every((m) => Number.isInteger(m.index) && m.index >= -1 && m.index < trainCount && typeof m.similarity === 'number' && m.similarity >= 0 && m.similarity <= 1);
    return valid ? matches : null;
  } catch {
    return null;
  }
}

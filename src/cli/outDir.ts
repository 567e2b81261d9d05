/**
 * The directory a command writes into (--out), made ready before any work: created, checked to be a
 * writable directory, and, for training, locked against a second run on it. Node-only.
 *
 * The lock is a file `.lock` in the directory holding the holder's pid and host. A second run is
 * refused while the holder is alive; a lock whose process is gone (a kill -9, a power cut) is stale
 * and taken over. The holder removes it when its command ends, normally or after Ctrl-C / SIGTERM.
 */
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './args.js';
import { fsErrorInWords } from '../io/fsErrors.js';

export const LOCK_NAME = '.lock';

/**
 * Creates `out` (and its parents) or throws a one-line UsageError saying why it cannot be. `command`:
 * 'lm train'. Returns whether it created the directory.
 */
export function ensureOutDir(command: string, out: string, flag = '--out'): boolean {
  if (out.trim() === '') throw new UsageError(`${command}: ${flag} is empty; give a directory`);
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`${command}: ${flag} ${out} is a file, not a directory; give a directory`);
  const file = fileOnTheWay(out);
  if (file !== null) throw new UsageError(`${command}: ${flag} ${out} is under ${file}, which is a file, not a directory`);
  const created = !existsSync(out);
  try {
    mkdirSync(out, { recursive: true });
  } catch (error) {
    throw new UsageError(`${command}: cannot create ${flag} ${out}: ${fsErrorInWords(error)}`);
  }
  // A directory that exists but cannot be written into fails here, not at the first save.
  const probe = join(out, `.write-test-${process.pid}`);
  try {
    closeSync(openSync(probe, 'w'));
    unlinkSync(probe);
  } catch (error) {
    throw new UsageError(`${command}: cannot write into ${flag} ${out}: ${fsErrorInWords(error)}`);
  }
  return created;
}

/** Refuses, before any work, a file path that cannot be written: its directory missing, or the path a directory. */
export function checkWritableFile(command: string, path: string, flag: string): void {
  if (path.trim() === '') throw new UsageError(`${command}: ${flag} is empty; give a file name`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`${command}: ${flag} ${path} is a directory; give a file name`);
  const file = fileOnTheWay(path);
  if (file !== null) throw new UsageError(`${command}: ${flag} ${path} is under ${file}, which is a file, not a directory`);
  if (!existsSync(dirname(resolve(path)))) throw new UsageError(`${command}: ${flag} ${path}: its directory ${dirname(path)} does not exist`);
}

/** The first proper prefix of `path` that exists and is not a directory, or null. */
function fileOnTheWay(path: string): string | null {
  const parts = resolve(path).split('/');
  for (let i = 2; i < parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    if (existsSync(prefix) && !statSync(prefix).isDirectory()) return prefix;
  }
  return null;
}

interface LockRecord {
  pid: number;
  host: string;
  command: string;
  since: string;
}

/**
 * Takes the lock on `out` (which must exist) for this process, or throws a UsageError naming the
 * live holder. Returns the function that releases it (also run when the process exits); with
 * `removeIfEmpty` (a directory the run created) it also removes `out` if the run left nothing in it.
 */
export function lockOutDir(command: string, out: string, options: { removeIfEmpty?: boolean } = {}): () => void {
  const path = join(out, LOCK_NAME);
  const record: LockRecord = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  // Written whole beside it, then linked into place: a reader never sees a half-written lock.
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temporary, JSON.stringify(record) + '\n');
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(temporary, path);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = readLock(path);
        if (attempt > 0 || (holder !== null && holderAlive(holder))) throw new UsageError(`${command}: ${out} is in use by ${describeHolder(holder, path)}; wait for it to end or stop it, or give another --out`);
        // Stale: its process is gone. Removed, then taken like a free lock (a run that takes it first
        // wins). Two runs starting in the same instant on one stale lock could both get through; the
        // lock guards against the mistakes people make (a second run minutes later), not that race.
        rmSync(path, { force: true });
      }
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${command}: cannot lock ${out} (${path}): ${fsErrorInWords(error)}`);
  } finally {
    rmSync(temporary, { force: true });
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    try {
      if (readLock(path)?.pid === process.pid) unlinkSync(path);
      if (options.removeIfEmpty && readdirSync(out).length === 0) rmdirSync(out);
    } catch {
      // Gone already, or no longer empty: nothing to release or remove.
    }
  };
  process.on('exit', release);
  return release;
}

function readLock(path: string): LockRecord | null {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockRecord>;
    return Number.isSafeInteger(value.pid) && typeof value.host === 'string' ? (value as LockRecord) : null;
  } catch {
    return null; // half-written or not ours: treated as stale
  }
}

/** A holder on another machine (a shared file system) cannot be checked: it counts as alive. */
function holderAlive(holder: LockRecord): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, but another user's
  }
}

function describeHolder(holder: LockRecord | null, path: string): string {
  if (holder === null) return `another run (${path})`;
  const where = holder.host === hostname() ? '' : ` on ${holder.host}`;
  return `'${holder.command}' (pid ${holder.pid}${where}, since ${holder.since}; if no such run is going, delete ${path})`;
}

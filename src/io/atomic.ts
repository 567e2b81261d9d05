/**
 * Writing a file so that readers (and a crash at any moment) see either the old contents or the
 * new ones, never a mixture: write a temporary file beside the target, flush it to disk, rename it
 * over the target (atomic within one file system), then flush the directory so the rename itself
 * survives a power cut.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { fsErrorInWords } from './fsErrors.js';

/** Temporary files are named `<target>.tmp-<pid>-<random hex>`; this recognises them. */
export const TEMPORARY_SUFFIX = /\.tmp-\d+-[0-9a-f]+$/;

/** Bytes per write call: Node refuses a length past 2³¹ − 1 (a 1.3B model's bf16 weights are 2.7 GB). */
const WRITE_CHUNK = 2 ** 30;

export function writeFileAtomic(path: string, contents: Uint8Array | string): void {
  const bytes = typeof contents === 'string' ? new TextEncoder().encode(contents) : contents;
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let fd: number | null = null;
  try {
    fd = openSync(temporary, 'wx', 0o644);
    let written = 0;
    while (written < bytes.byteLength) written += writeSync(fd, bytes, written, Math.min(WRITE_CHUNK, bytes.byteLength - written));
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temporary, path);
  } catch (error) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(temporary);
    } catch {
      // Never created, or already renamed: nothing to clean up.
    }
    // In words ("the disk is full"), naming the target rather than the temporary file errno names.
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? `its directory ${dirname(path)} does not exist` : fsErrorInWords(error);
    throw new Error(`writeFileAtomic: could not write ${path}: ${why}`, { cause: error });
  }
  syncDirectory(dirname(path));
}

/**
 * Flushes a directory's entries (new names, renames, deletions) to disk. Some platforms (Windows)
 * cannot open or flush directories; there the rename is as durable as the OS makes it anyway.
 */
export function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error;
  } finally {
    closeSync(fd);
  }
}

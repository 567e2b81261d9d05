/** File-system errors in words, for one-line messages without the raw errno text ("ENOSPC: …, write"). */

const IN_WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EEXIST: 'it already exists',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'a read-only file system',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  EIO: 'an input/output error (a failing disk, or a network file system gone)',
};

/** Why a file-system call failed, in words; the error's own message when its code has none here. */
export function fsErrorInWords(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return (code !== undefined ? IN_WORDS[code] : undefined) ?? (error as Error).message;
}

/**
 * A file the user gave that cannot be used as it is (not text, too large): their input to fix, so
 * the CLI reports it like a usage error (exit code 2), in one line.
 */
export class InputFileError extends Error {
  override name = 'InputFileError';
}

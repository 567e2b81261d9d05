/**
 * A user's text file read as one string, for the `--corpus FILE` of `lm` and `mt`: refused by size
 * before it is read when it cannot fit in one JavaScript string, refused with the line number when
 * it is not UTF-8 text (an invalid byte sequence, or a NUL byte: a binary file), and with its line
 * endings normalised to "\n" (CRLF and lone CR). Node-only.
 */
import { constants } from 'node:buffer';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { formatBytes } from '../train/resources.js';
import { InputFileError } from '../io/fsErrors.js';

/** `what` names the file in errors: 'corpus file'. */
export function readTextFile(path: string, what: string): string {
  checkTextFileSize(path, what);
  const bytes = readFileSync(path);
  const bad = firstInvalidUtf8(bytes);
  if (bad !== null) {
    const where = `${path}:${lineOf(bytes, bad.at)}`;
    throw new InputFileError(bad.nul ? `${where}: ${what} holds a NUL byte: a binary file, not text` : `${where}: ${what} is not valid UTF-8 (byte 0x${bytes[bad.at]!.toString(16).padStart(2, '0')} at offset ${bad.at})`);
  }
  return new TextDecoder('utf-8').decode(bytes).replace(/\r\n?/g, '\n');
}

/**
 * Refuses, before a byte is read, a file too large to be read as one string. UTF-8 never takes fewer
 * bytes than the UTF-16 code units it decodes to, so a larger file could only fit if much of it were
 * multi-byte; reading it would end after gigabytes in "Invalid string length" or a misleading error.
 */
export function checkTextFileSize(path: string, what: string): void {
  const size = statSync(path).size;
  if (size > constants.MAX_STRING_LENGTH) {
    throw new InputFileError(`${what} ${path} is ${formatBytes(size)}, more than the ${formatBytes(constants.MAX_STRING_LENGTH)} one JavaScript string can hold (${constants.MAX_STRING_LENGTH} characters); use a part of it`);
  }
}

/** The offset of the first byte that starts no valid UTF-8 character (or a NUL), or null. */
export function firstInvalidUtf8(bytes: Uint8Array): { at: number; nul: boolean } | null {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b === 0) return { at: i, nul: true };
    if (b < 0x80) {
      i++;
      continue;
    }
    // The well-formed sequences of the Unicode standard (Table 3-7): no overlong forms, no surrogates, at most U+10FFFF.
    const [length, low, high] = b >= 0xc2 && b <= 0xdf ? [2, 0x80, 0xbf]
      : b === 0xe0 ? [3, 0xa0, 0xbf]
      : b === 0xed ? [3, 0x80, 0x9f]
      : b >= 0xe1 && b <= 0xef ? [3, 0x80, 0xbf]
      : b === 0xf0 ? [4, 0x90, 0xbf]
      : b >= 0xf1 && b <= 0xf3 ? [4, 0x80, 0xbf]
      : b === 0xf4 ? [4, 0x80, 0x8f]
      : [0, 0, 0];
    if (length === 0 || i + length > bytes.length) return { at: i, nul: false };
    const second = bytes[i + 1]!;
    if (second < low || second > high) return { at: i, nul: false };
    for (let k = 2; k < length; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return { at: i, nul: false };
    i += length;
  }
  return null;
}

/** The 1-based line of a byte offset. */
function lineOf(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/**
 * The SHA-256 of a file's bytes, in hex: what ties a checkpoint to the text file it was trained on.
 * Read in pieces, so a file of any size (even one too large to read as one string) can be hashed.
 */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const piece = Buffer.allocUnsafe(1 << 24);
  const fd = openSync(path, 'r');
  try {
    for (let n; (n = readSync(fd, piece, 0, piece.length, null)) > 0; ) hash.update(piece.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

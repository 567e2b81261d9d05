/**
 * The byte-level alphabet of GPT-2 style BPE: each of the 256 bytes is written as one printable
 * Unicode character, so that byte strings can be stored as JSON strings. Printable ASCII and
 * Latin-1 bytes stand for themselves; the other 68 (controls, space, U+00AD) become U+0100 onwards
 * in byte order, so the space byte is "Ġ" (U+0120) and "\n" is "Ċ" (U+010A).
 *
 * Browser-safe: no Node imports.
 */

function isPrintable(byte: number): boolean {
  return (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
}

/** BYTE_TO_CHAR[b] is the character that stands for byte b. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const chars: string[] = [];
  let next = 0x100;
  for (let b = 0; b < 256; b++) chars.push(String.fromCharCode(isPrintable(b) ? b : next++));
  return chars;
})();

export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

export function bytesToByteLevel(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += BYTE_TO_CHAR[b]!;
  return out;
}

/**
 * Decoders of a tokenizer.json: they turn the token strings of some ids back into text. Each
 * step maps a list of strings to a list of strings; the result is their concatenation.
 *
 * Browser-safe: no Node imports.
 */
import { CHAR_TO_BYTE } from './byteLevel.js';
import { asChar, asNonNegativeInteger, child, field, parseComponent, sequenceParts, unsupportedType, type JsonPlace } from './json.js';
import { parseReplace } from './normalizers.js';
import { parsePrependScheme } from './preTokenizers.js';

export type DecoderStep = (tokens: string[]) => string[];

const SUPPORTED = ['ByteLevel', 'ByteFallback', 'Metaspace', 'Replace', 'Fuse', 'Strip', 'Sequence'] as const;

/** A byte-fallback token, "<0x41>"; the library also reads "<0x+F>" (Rust's from_str_radix takes a sign). */
const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2}|\+[0-9A-Fa-f])>$/;

// ignoreBOM: a leading U+FEFF is text like any other (TextDecoder would drop it by default).
const lossy = new TextDecoder('utf-8', { ignoreBOM: true });
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function byteOfToken(token: string): number | undefined {
  const m = BYTE_TOKEN.exec(token);
  return m === null ? undefined : parseInt(m[1]!.replace('+', ''), 16);
}

export function parseDecoder(place: JsonPlace, value: unknown): DecoderStep | null {
  return parseComponent(place, value, 'decoder', (obj, type): DecoderStep => {
    switch (type) {
      case 'Sequence': {
        const steps = sequenceParts(place, obj, 'decoders', parseDecoder);
        return (tokens) => steps.reduce((t, step) => step(t), tokens);
      }
      case 'ByteLevel':
        return byteLevel;
      case 'ByteFallback':
        return byteFallback;
      case 'Fuse':
        return (tokens) => [tokens.join('')];
      case 'Replace': {
        const replace = parseReplace(place, obj);
        return (tokens) => tokens.map(replace);
      }
      case 'Strip': {
        const content = asChar(child(place, 'content'), field(place, obj, 'content'));
        const start = asNonNegativeInteger(child(place, 'start'), field(place, obj, 'start'));
        const stop = asNonNegativeInteger(child(place, 'stop'), field(place, obj, 'stop'));
        return (tokens) => tokens.map((token) => strip(token, content, start, stop));
      }
      case 'Metaspace': {
        const replacement = asChar(child(place, 'replacement'), field(place, obj, 'replacement'));
        const scheme = parsePrependScheme(place, obj);
        // Every replacement character in the first token is dropped (not only a leading one), as in the library.
        return (tokens) =>
          tokens.map((token, i) => {
            const space = i === 0 && scheme !== 'never' ? '' : ' ';
            return token.replaceAll(replacement, () => space);
          });
      }
      default:
        return unsupportedType(place, 'decoder', type, SUPPORTED);
    }
  });
}

/** Byte-level characters back to bytes, all tokens together, then UTF-8 with U+FFFD for bad bytes. */
function byteLevel(tokens: string[]): string[] {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (const token of tokens) {
    const chars = [...token];
    if (chars.every((c) => CHAR_TO_BYTE.has(c))) for (const c of chars) bytes.push(CHAR_TO_BYTE.get(c)!);
    else for (const b of encoder.encode(token)) bytes.push(b); // e.g. an added token: its own text
  }
  return [lossy.decode(Uint8Array.from(bytes))];
}

/** Runs of byte tokens become their UTF-8 text, or one U+FFFD per byte if the run is not valid UTF-8. */
function byteFallback(tokens: string[]): string[] {
  const out: string[] = [];
  let run: number[] = [];
  const flush = (): void => {
    if (run.length === 0) return;
    try {
      out.push(strict.decode(Uint8Array.from(run)));
    } catch {
      for (let i = 0; i < run.length; i++) out.push('\uFFFD');
    }
    run = [];
  };
  for (const token of tokens) {
    const byte = byteOfToken(token);
    if (byte !== undefined) {
      run.push(byte);
    } else {
      flush();
      out.push(token);
    }
  }
  flush();
  return out;
}

/** Removes up to `start` leading and up to `stop` trailing `content` characters. */
function strip(token: string, content: string, start: number, stop: number): string {
  // `content` is one code point (one or two UTF-16 units); only the ends are looked at.
  let from = 0;
  for (let n = 0; n < start && token.startsWith(content, from); n++) from += content.length;
  let to = token.length;
  for (let n = 0; n < stop && to - content.length >= from && token.endsWith(content, to); n++) to -= content.length;
  return token.slice(from, to);
}

/**
 * Streaming decode for generation: text for each new token as soon as it is final.
 *
 * A token's text can depend on its neighbours: a UTF-8 character split over byte-fallback or
 * byte-level tokens is only complete with its last byte, and decoders such as Metaspace or Strip
 * treat the first token differently. So each step decodes a short window (the tokens of the
 * previous chunk and the new ones) and hands out what follows the previous chunk's text, once that
 * does not end in U+FFFD (an incomplete character) and does not end in a byte token (a run of
 * byte tokens is decoded as a whole, and a later byte can still make it invalid).
 * Joined, the chunks and `flush()` equal `decode` of all the ids.
 *
 * Browser-safe: no Node imports.
 */

export interface StreamDecoder {
  /** Adds one token id; returns the text that became final with it (often "", never undone). */
  push(id: number): string;
  /** Ends the stream: returns whatever text was held back (an incomplete character decodes to U+FFFD). */
  flush(): string;
}

/**
 * `decode` decodes ids as the tokenizer does; `endsInByteToken(ids)` says whether the last token
 * that reaches the decoder (skipped special tokens do not) is a byte-fallback token.
 */
export function createStreamDecoder(decode: (ids: number[]) => string, endsInByteToken: (ids: number[]) => boolean): StreamDecoder {
  // window = [tokens of the previous chunk (prefixCount of them)][tokens not yet handed out]
  let window: number[] = [];
  let prefixCount = 0;
  let prefix = '';
  return {
    push(id: number): string {
      window.push(id);
      const text = decode(window); // also checks the id
      if (endsInByteToken(window) || text.length <= prefix.length || text.endsWith('\uFFFD') || !text.startsWith(prefix)) return '';
      window = window.slice(prefixCount);
      prefixCount = window.length;
      const chunk = text.slice(prefix.length);
      prefix = decode(window);
      return chunk;
    },
    flush(): string {
      const text = decode(window);
      const rest = text.startsWith(prefix) ? text.slice(prefix.length) : text;
      window = [];
      prefixCount = 0;
      prefix = '';
      return rest;
    },
  };
}

/**
 * Hugging Face `tokenizers` tokenizer.json files, read in plain TypeScript: the tokenizers of
 * pretrained models (Llama/Mistral SentencePiece-style BPE with byte fallback, GPT-2 style
 * byte-level BPE) encode and decode here exactly as in the Rust library (the tests compare against
 * ids it produced). Components this reader does not implement are refused with an error naming the
 * file and the component, never run approximately.
 *
 * encode: added tokens are cut out → the rest normalized → pre-tokenized into pieces → each piece
 * through the BPE model → the post-processor adds special tokens. decode: ids → token strings
 * (special ones skipped if asked) → the decoder.
 *
 * Browser-safe: no Node imports (the file loader is `loadHfTokenizer` in hfTokenizerFile.ts).
 */
import { parseAddedTokens, type AddedToken, type AddedVocabulary } from './addedTokens.js';
import { parseBpeModel, type BpeModel } from './bpeModel.js';
import { byteOfToken, parseDecoder, type DecoderStep } from './decoders.js';
import { HfTokenizerError, asObject, child, fail, field, show, typeName, type JsonPlace } from './json.js';
import { parseNormalizer, type Normalizer } from './normalizers.js';
import { parsePostProcessor, type PostProcessor } from './postProcessors.js';
import { parsePreTokenizer, type PreTokenizer } from './preTokenizers.js';
import { createStreamDecoder, type StreamDecoder } from './streamDecoder.js';

export { HfTokenizerError } from './json.js';
export type { AddedToken } from './addedTokens.js';
export type { StreamDecoder } from './streamDecoder.js';

export interface EncodeOptions {
  /** Add the post-processor's special tokens (e.g. Llama's leading `<s>`); default true, as in the library. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Leave out special added tokens; default true, as in the library. */
  skipSpecialTokens?: boolean;
}

export interface HfTokenizer {
  /** The name the tokenizer was read from (used in errors). */
  readonly source: string;
  /** One more than the largest token id (model vocabulary and added tokens). */
  readonly vocabSize: number;
  /** The added tokens, with the ids they were given. */
  readonly addedTokens: readonly AddedToken[];
  encode(text: string, options?: EncodeOptions): number[];
  /** Throws a RangeError for an id that is no token. */
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  createStreamDecoder(options?: DecodeOptions): StreamDecoder;
}

const MODEL_TYPES = ['BPE'] as const;

/**
 * Reads a tokenizer.json, given as its text or already parsed; `source` names it in errors
 * (a path or URL). Throws an HfTokenizerError naming the source and the problem.
 */
export function parseHfTokenizer(json: unknown, source: string): HfTokenizer {
  const top: JsonPlace = { source, path: '' };
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch (error) {
      throw new HfTokenizerError(`${source}: not valid JSON (${(error as Error).message})`);
    }
  }
  const obj = asObject(top, json);
  if (obj.version !== undefined && obj.version !== '1.0') fail(child(top, 'version'), `unknown tokenizer.json version ${show(obj.version)} (expected "1.0")`);
  for (const key of ['truncation', 'padding']) {
    if (obj[key] !== undefined && obj[key] !== null) fail(child(top, key), `is set; truncation and padding are not supported (only null)`);
  }
  const modelPlace = child(top, 'model');
  const modelObj = asObject(modelPlace, field(top, obj, 'model'));
  // Files written by old versions of the library have no "type" in the model; a vocab with merges is BPE.
  const modelType = modelObj.type === undefined && 'merges' in modelObj ? 'BPE' : typeName(modelPlace, modelObj, 'model');
  if (modelType !== 'BPE') fail(modelPlace, `unsupported model type "${modelType}" (this reader implements ${MODEL_TYPES.join(', ')})`);
  const model = parseBpeModel(modelPlace, modelObj);
  const normalizer = parseNormalizer(child(top, 'normalizer'), obj.normalizer);
  const preTokenizer = parsePreTokenizer(child(top, 'pre_tokenizer'), obj.pre_tokenizer);
  const postProcessor = parsePostProcessor(child(top, 'post_processor'), obj.post_processor);
  const decoder = parseDecoder(child(top, 'decoder'), obj.decoder);
  const added = parseAddedTokens(child(top, 'added_tokens'), obj.added_tokens, model, normalizer);
  return new Tokenizer(source, model, added, normalizer, preTokenizer, postProcessor, decoder);
}

/** Lone surrogates have no UTF-8 form; the library receives them as U+FFFD. */
const LONE_SURROGATE = /\p{Cs}/gu;

class Tokenizer implements HfTokenizer {
  readonly vocabSize: number;
  readonly addedTokens: readonly AddedToken[];

  constructor(
    readonly source: string,
    private readonly model: BpeModel,
    private readonly added: AddedVocabulary,
    private readonly normalizer: Normalizer | null,
    private readonly preTokenizer: PreTokenizer | null,
    private readonly postProcessor: PostProcessor | null,
    private readonly decoder: DecoderStep | null,
  ) {
    this.addedTokens = added.tokens;
    this.vocabSize = Math.max(model.idLimit, ...added.tokens.map((t) => t.id + 1));
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new TypeError(`${this.source}: encode expects a string, got ${typeof text}`);
    const ids: number[] = [];
    for (const segment of this.added.split(text.replace(LONE_SURROGATE, '\uFFFD'), this.normalizer)) {
      if (segment.id !== undefined) {
        ids.push(segment.id);
        continue;
      }
      const pieces = this.preTokenizer === null ? [segment] : this.preTokenizer([{ text: segment.text, atStart: segment.atStart }]);
      for (const piece of pieces) for (const id of this.model.tokenize(piece.text)) ids.push(id);
    }
    const addSpecialTokens = options.addSpecialTokens ?? true;
    return this.postProcessor === null ? ids : this.postProcessor(ids, addSpecialTokens);
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const skipSpecialTokens = options.skipSpecialTokens ?? true;
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const addedToken = this.added.byIdOf(id);
      if (addedToken !== undefined) {
        if (!(skipSpecialTokens && addedToken.special)) tokens.push(addedToken.content);
        continue;
      }
      const token = this.model.idToToken(id);
      if (token === undefined) throw new RangeError(`${this.source}: token id ${id} (at ${i}) is not in the vocabulary`);
      if (!(skipSpecialTokens && this.added.byContentOf(token)?.special === true)) tokens.push(token);
    }
    return this.decoder === null ? tokens.join(' ') : this.decoder(tokens).join('');
  }

  tokenToId(token: string): number | undefined {
    return this.added.byContentOf(token)?.id ?? this.model.tokenToId(token);
  }

  idToToken(id: number): string | undefined {
    return this.added.byIdOf(id)?.content ?? this.model.idToToken(id);
  }

  createStreamDecoder(options: DecodeOptions = {}): StreamDecoder {
    const skipSpecialTokens = options.skipSpecialTokens ?? true;
    const endsInByteToken = (ids: number[]): boolean => {
      for (let i = ids.length - 1; i >= 0; i--) {
        if (skipSpecialTokens && this.added.byIdOf(ids[i]!)?.special === true) continue;
        return byteOfToken(this.idToToken(ids[i]!) ?? '') !== undefined;
      }
      return false;
    };
    return createStreamDecoder((ids) => this.decode(ids, options), endsInByteToken);
  }
}

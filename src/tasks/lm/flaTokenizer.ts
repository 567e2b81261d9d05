/**
 * The tokenizer of an fla DeltaNet run (`lm train --arch fla`, or `--init DIR`): this project's
 * byte-level BPE learned from the corpus, or the tokenizer.json of the Hugging Face directory the
 * run started from. The run's checkpoints keep it as it is; `lm export` writes it as a
 * tokenizer.json (the BPE through hfTokenizer/export.ts, which reads back to the same ids).
 * Browser-safe: no Node imports.
 */
import { BpeTokenizer } from '../../data/bpe.js';
import { bpeToHfTokenizerJson } from '../../data/hfTokenizer/export.js';
import { parseHfTokenizer, type HfTokenizer } from '../../data/hfTokenizer/index.js';

export class FlaRunTokenizer {
  private hfCache: HfTokenizer | null;

  private constructor(
    /** Our BPE, or null for a Hugging Face tokenizer. */
    readonly bpe: BpeTokenizer | null,
    /** The tokenizer.json a Hugging Face tokenizer was read from (null for our BPE). */
    private readonly hfJson: Record<string, unknown> | null,
    hf: HfTokenizer | null,
  ) {
    this.hfCache = hf;
  }

  static fromBpe(bpe: BpeTokenizer): FlaRunTokenizer {
    return new FlaRunTokenizer(bpe, null, null);
  }

  /** A parsed tokenizer.json; `source` names it in errors. */
  static fromHuggingFace(json: unknown, source: string): FlaRunTokenizer {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${source}: a tokenizer.json must hold a JSON object`);
    return new FlaRunTokenizer(null, json as Record<string, unknown>, parseHfTokenizer(json, source));
  }

  /** What toJSON wrote: our BPE's own format, or a tokenizer.json. */
  static fromJSON(json: unknown, source: string): FlaRunTokenizer {
    const format = (json as { format?: unknown } | null)?.format;
    return format === 'fastweights-bpe' ? FlaRunTokenizer.fromBpe(BpeTokenizer.fromJSON(json)) : FlaRunTokenizer.fromHuggingFace(json, source);
  }

  /** The tokenizer as Hugging Face's tokenizers library reads it (our BPE converted, with the same ids). */
  get hf(): HfTokenizer {
    this.hfCache ??= parseHfTokenizer(this.huggingFaceJson(), 'the run tokenizer');
    return this.hfCache;
  }

  get vocabSize(): number {
    return this.bpe ? this.bpe.vocabSize : this.hf.vocabSize;
  }

  /** A Hugging Face tokenizer adds its post-processor's special tokens (Llama's `<s>`), as `lm eval --corpus` does. */
  encode(text: string): number[] {
    return this.bpe ? this.bpe.encode(text) : this.hf.encode(text);
  }

  decode(ids: ArrayLike<number>): string {
    return this.bpe ? this.bpe.decode(ids) : this.hf.decode(ids);
  }

  /** The form the checkpoint keeps. */
  toJSON(): unknown {
    return this.bpe ? this.bpe.toJSON() : this.hfJson;
  }

  /** The tokenizer.json an export writes. */
  huggingFaceJson(): Record<string, unknown> {
    return this.bpe ? bpeToHfTokenizerJson(this.bpe) : this.hfJson!;
  }
}

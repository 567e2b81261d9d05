/**
 * A language model as the demo's language-model panel uses it, whichever kind was picked (a
 * `fastweights lm train` checkpoint, demo/lmCheckpoint.ts; or a Hugging Face directory of fla's
 * DeltaNet, demo/hfLm.ts): what to say about it, and generation as a stream of text pieces.
 */
export interface GenerateRequest {
  /** What the person typed in the prompt box. */
  prompt: string;
  tokens: number;
  /** 0: greedy. */
  temperature: number;
  seed: number;
}

export interface PanelModel {
  /** One paragraph: the model's shape, its size and its recurrent state. */
  summary: string;
  /** What the prompt box holds, as its placeholder says (text, or token ids when there is no tokenizer). */
  promptHint: string;
  /** Yields the output a piece at a time: the prompt first, then the continuation as it is generated. */
  generate(request: GenerateRequest): Iterator<string>;
}

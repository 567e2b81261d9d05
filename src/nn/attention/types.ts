/** What every attention layer takes and returns. */
import type { Tensor } from '../../tensor/tensor.js';

/**
 * Recurrent memory carried between calls: the fast weights of an FWP layer, or the key/value
 * cache of softmax attention. Tensors are detached from the graph between segments.
 */
export type AttentionState =
  | { kind: 'fast-weights'; W: Tensor; z?: Tensor } // W [B, H, dv, dDot], z [B, H, dDot]
  | { kind: 'kv-cache'; keys: Tensor; values: Tensor }; // [B, H, t, dk], [B, H, t, dv]

export interface AttentionInput {
  /** Keys and values come from here instead of x (cross-attention), [B, S, D]. */
  memory?: Tensor;
  /** 1 = real position, 0 = padding, for the key/value positions, [B, S] (S = T without memory). */
  keyMask?: Tensor;
  /** State from the previous segment or token (causal layers only). */
  state?: AttentionState;
}

export interface AttentionOutput {
  /** [B, T, D] */
  output: Tensor;
  /** The state after this call (causal layers), to pass to the next call. */
  state?: AttentionState;
}

export interface AttentionLayer {
  readonly causal: boolean;
  forward(x: Tensor, input?: AttentionInput): AttentionOutput;
}

/**
 * Translations that show an undertrained model rather than a translation: empty outputs (the model
 * ends every sentence at once: BLEU 0 with hyp_len 0) and one token repeated on and on. `mt translate`
 * and `mt eval` warn about them instead of printing blank lines or a bare BLEU of 0.
 */

/** A token repeated this many times in a row marks an output as degenerate. */
export const REPEAT_RUN = 5;

/** The longest run of one token in `ids`. */
function longestRun(ids: readonly number[]): number {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < ids.length; i++) {
    run = i > 0 && ids[i] === ids[i - 1] ? run + 1 : 1;
    longest = Math.max(longest, run);
  }
  return longest;
}

/** The warning for a set of outputs (token ids, <eos> excluded), or null when none is degenerate. */
export function degenerateWarning(outputs: readonly (readonly number[])[]): string | null {
  const empty = outputs.filter((ids) => ids.length === 0).length;
  const repeating = outputs.filter((ids) => longestRun(ids) >= REPEAT_RUN).length;
  if (empty === 0 && repeating === 0) return null;
  const n = outputs.length;
  const parts = [
    ...(empty > 0 ? [`${empty} of ${n} translation${n === 1 ? ' is' : 's are'} empty`] : []),
    ...(repeating > 0 ? [`${repeating} of ${n} repeat${repeating === 1 ? 's' : ''} one token ${REPEAT_RUN} or more times in a row`] : []),
  ];
  return `${parts.join(', and ')}: the model is undertrained (train longer, e.g. --minutes 60, or check the valid loss)`;
}

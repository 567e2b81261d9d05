/** mt translate / mt eval warn about outputs that show an undertrained model (src/tasks/mt/degenerate.ts). */
import { describe, expect, it } from 'vitest';
import { REPEAT_RUN, degenerateWarning } from '../../../src/tasks/mt/degenerate.js';

describe('degenerate translations', () => {
  it('empty outputs (hyp_len 0) and one token repeated are named, with how many', () => {
    expect(degenerateWarning([[], [], []])).toBe('3 of 3 translations are empty: the model is undertrained (train longer, e.g. --minutes 60, or check the valid loss)');
    expect(degenerateWarning([Array(24).fill(412), [5, 6, 7]])).toMatch(/^1 of 2 repeats one token 5 or more times in a row: the model is undertrained/);
    expect(degenerateWarning([[], Array(REPEAT_RUN).fill(9), [1, 2]])).toMatch(/^1 of 3 translations are empty, and 1 of 3 repeats one token 5 or more times in a row/);
  });

  it('ordinary outputs pass quietly, even with a token repeated a few times apart or in a short run', () => {
    expect(degenerateWarning([[4, 5, 4, 5, 4, 5, 4, 5, 4, 5], Array(REPEAT_RUN - 1).fill(7)])).toBeNull();
    expect(degenerateWarning([])).toBeNull();
  });
});

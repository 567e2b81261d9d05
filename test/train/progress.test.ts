import { describe, expect, it } from 'vitest';
import { createProgress, formatBar, formatDuration, formatNumber, type ProgressRecord } from '../../src/train/progress.js';
import { describeRunSpeed, describeStop, timeBudgetNote } from '../../src/train/stopReason.js';

function fakeStream(isTTY = false, columns?: number) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, ...(columns !== undefined ? { columns } : {}), write: (text: string) => chunks.push(text) } };
}

function fakeClock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('plain progress', () => {
  it('prints the first update, then at most one line per interval, and a final line', () => {
    const { chunks, stream } = fakeStream();
    const clock = fakeClock();
    const p = createProgress({ total: 1000, label: 'train', unit: 'tokens', mode: 'auto', stream, now: clock.now });
    clock.advance(2000);
    p.update(100, { loss: 3.14159 });
    clock.advance(1000);
    p.update(200, { loss: 3 }); // within 5 s of the last line: quiet
    clock.advance(5000);
    p.update(800, { loss: 2.5 });
    clock.advance(2000);
    p.finish({ loss: 2.25 });
    p.finish();
    expect(chunks).toEqual([
      'train: 100/1000 tokens (10.0%) | loss 3.142 | 50.0 tokens/s | elapsed 0:02 | left 0:18\n',
      'train: 800/1000 tokens (80.0%) | loss 2.5 | 100 tokens/s | elapsed 0:08 | left 0:02\n',
      'train: 800/1000 tokens (80.0%) | loss 2.25 | 80.0 tokens/s | elapsed 0:10 | done\n',
    ]);
  });
});

describe('rounded for people', () => {
  it('a time budget shows seconds to one decimal as a line, as m:ss on the bar', () => {
    for (const isTTY of [false, true]) {
      const { chunks, stream } = fakeStream(isTTY);
      const clock = fakeClock();
      const p = createProgress({ total: 180, label: 'train', unit: 's', mode: 'auto', stream, now: clock.now });
      clock.advance(2000);
      p.update(97.779622604, { loss: 3 });
      p.finish();
      const text = chunks.join('');
      expect(text).toContain(isTTY ? '1:38/3:00' : '97.8/180 s');
      expect(text).not.toContain('97.77');
    }
  });
});

describe('json progress', () => {
  it('writes one parseable record per line, throttled, with a final done record', () => {
    const { chunks, stream } = fakeStream(true);
    const clock = fakeClock();
    const p = createProgress({ total: 10, label: 'eval', unit: 'batches', mode: 'json', stream, intervalMs: 1000, now: clock.now });
    for (let i = 1; i <= 10; i++) {
      clock.advance(400);
      p.update(i, { ppl: 40 - i });
    }
    p.finish();
    const records = chunks.map((c) => JSON.parse(c) as ProgressRecord);
    expect(chunks.every((c) => c.endsWith('\n') && !c.slice(0, -1).includes('\n'))).toBe(true);
    expect(records.map((r) => r.done)).toEqual([1, 4, 7, 10, 10]);
    expect(records.at(-1)).toMatchObject({ event: 'done', label: 'eval', unit: 'batches', total: 10, done: 10, elapsedSeconds: 4, rate: 2.5, remainingSeconds: 0 });
    expect(records[0]).toMatchObject({ event: 'progress', fields: { ppl: 39 } });
  });

  it('keeps the fields of the updates it does not report: the next record and the last one carry them', () => {
    const { stream } = fakeStream();
    const clock = fakeClock();
    const seen: ProgressRecord[] = [];
    const p = createProgress({ total: 180, unit: 's', mode: 'json', stream, intervalMs: 1000, now: clock.now, onJson: (r) => seen.push(r) });
    p.update(1, { step: 10, loss: 3 }); // reported
    clock.advance(100);
    p.update(2, { step: 20, validPpl: 25 }); // within the interval: an evaluation that must not be lost
    clock.advance(100);
    p.update(3, { step: 30, loss: 2 });
    p.finish();
    expect(seen.map((r) => r.event)).toEqual(['progress', 'done']);
    expect(seen[1]!.fields).toEqual({ step: 30, validPpl: 25, loss: 2 });
  });

  it('plain lines end on the last step, not the last one printed', () => {
    const { chunks, stream } = fakeStream();
    const clock = fakeClock();
    const p = createProgress({ total: 180, label: 'train', unit: 's', mode: 'plain', stream, now: clock.now });
    p.update(1, { step: 1 });
    clock.advance(1000);
    p.update(2, { step: 6283 });
    p.finish();
    expect(chunks.at(-1)).toContain('step 6283');
  });

  it('a resumed run counts its rate and time left from the units it did itself', () => {
    const { stream } = fakeStream();
    const clock = fakeClock();
    const seen: ProgressRecord[] = [];
    // Resumed at step 50 of 1000: 10 steps in 5 s is 2 steps/s, so 470 s left (not 60 / 5 = 12 steps/s).
    const p = createProgress({ total: 1000, initial: 50, unit: 'steps', mode: 'json', stream, now: clock.now, onJson: (r) => seen.push(r) });
    clock.advance(5000);
    p.update(60);
    expect(seen[0]!.rate).toBeCloseTo(2, 10);
    expect(seen[0]!.remainingSeconds).toBeCloseTo(470, 6);
  });

  it('hands records to a callback instead of writing when one is given', () => {
    const { chunks, stream } = fakeStream();
    const seen: ProgressRecord[] = [];
    const p = createProgress({ total: 2, mode: 'json', stream, onJson: (r) => seen.push(r) });
    p.update(1);
    p.finish();
    expect(chunks).toEqual([]);
    expect(seen.map((r) => r.event)).toEqual(['progress', 'done']);
  });
});

describe('other modes', () => {
  it('silent writes nothing', () => {
    const { chunks, stream } = fakeStream(true);
    const p = createProgress({ total: 5, mode: 'silent', stream });
    p.update(3, { loss: 1 });
    p.finish();
    expect(chunks).toEqual([]);
  });

  it('auto on a terminal draws a bar with the fields, and stops its timer at finish', () => {
    const { chunks, stream } = fakeStream(true);
    const p = createProgress({ total: 4, label: 'train', unit: 'steps', stream });
    p.update(2, { loss: 1.5 });
    p.finish({ loss: 1.25 });
    const text = chunks.join('');
    expect(text).toContain('train');
    expect(text).toContain('loss 1.25');
    expect(text).toContain('steps/s');
  });

  it('refuses a bad total', () => {
    expect(() => createProgress({ total: Number.NaN })).toThrow(/total must be a finite number/);
  });
});

describe('formatting', () => {
  it('durations and numbers', () => {
    expect(formatDuration(5)).toBe('0:05');
    expect(formatDuration(61.4)).toBe('1:01');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatNumber(3.14159)).toBe('3.142');
    expect(formatNumber(0.000123456)).toBe('0.0001235');
    expect(formatNumber(42)).toBe('42');
  });
});

describe('the bar fits the terminal', () => {
  /** A time-budgeted training frame: 108 of 180 s, step 1802, a validation figure from an earlier step. */
  const frame: ProgressRecord = {
    event: 'progress', label: 'train delta', unit: 's', done: 108, total: 180, rate: 1, elapsedSeconds: 108, remainingSeconds: 72,
    fields: { step: 1802, 'steps/s': 16.69, loss: 4.2137, 'tok/s': 21843, lr: '2.1e-3', validLoss: 3.561, validPpl: 35.19 },
  };

  it('at 60, 80 and 120 columns: never wider, the loss and the validation figure always there', () => {
    const lines = [60, 80, 120].map((columns) => formatBar(frame, columns));
    lines.forEach((line, i) => expect(line.length).toBeLessThan([60, 80, 120][i]!));
    for (const line of lines) {
      expect(line).toMatch(/^train delta /);
      expect(line).toContain('loss 4.214');
      expect(line).toContain('validPpl 35.19');
    }
    expect(lines[1]).toMatch(/1:48\/3:00/); // the amount done, at 80
    expect(lines[2]).toContain('step 1,802');
    expect(lines[2]).toContain('steps/s 16.7');
    expect(lines[2]).toMatch(/\|[\u2588\u2591]{8,30}\|/); // the bar itself, when there is room
    // Never "s/s": a time budget's rates are steps/s and tok/s.
    for (const line of lines) expect(line).not.toMatch(/ s\/s/);
  });

  it('drops the least important fields first', () => {
    const narrow = formatBar(frame, 60);
    expect(narrow).not.toContain('lr ');
    expect(narrow).not.toContain('elapsed');
  });

  it('the terminal\'s width reaches the bar, and a validation figure stays on the following frames', () => {
    for (const columns of [60, 80, 120]) {
      const { chunks, stream } = fakeStream(true, columns);
      const clock = fakeClock();
      const p = createProgress({ total: 40, label: 'train delta', unit: 'steps', stream, now: clock.now });
      clock.advance(1000);
      p.update(20, { loss: 6.02, validPpl: 401.5 });
      clock.advance(1000);
      p.update(21, { loss: 5.98 }); // no evaluation at this step
      p.finish();
      const frames = chunks.join('').split(/\r|\n|\u001b\[[0-9;]*[A-Za-z]/).filter((f) => f.includes('train delta'));
      expect(frames.length).toBeGreaterThan(0);
      for (const f of frames) expect(f.length).toBeLessThan(columns);
      expect(frames.at(-1)).toContain('loss 5.98');
      expect(frames.at(-1)).toContain('validPpl 401.5');
    }
  });

  it('plain lines of a time budget carry no seconds-per-second rate', () => {
    const { chunks, stream } = fakeStream(false);
    const clock = fakeClock();
    const p = createProgress({ total: 180, label: 'train', unit: 's', stream, now: clock.now });
    clock.advance(2000);
    p.update(2, { step: 30, 'steps/s': 15, loss: 5 });
    p.finish();
    expect(chunks.join('')).not.toMatch(/ s\/s/);
    expect(chunks[0]).toContain('steps/s 15');
  });
});

describe('the final line says why the run stopped, in words', () => {
  it('budget, steps, signals', () => {
    expect(describeStop(1802, 'minutes', { minutes: 3 })).toBe('stopped at step 1,802: the 3-minute budget ran out');
    expect(describeStop(75, 'minutes', { minutes: 0.5 })).toBe('stopped at step 75: the 30-second budget ran out');
    expect(describeStop(40, 'steps', { steps: 40 })).toBe('stopped at step 40: all 40 steps done');
    expect(describeStop(12, 'interrupt', { steps: 40 }, 'SIGINT')).toBe('stopped at step 12: interrupted (Ctrl-C)');
    expect(describeStop(12, 'interrupt', { minutes: 3 }, 'SIGTERM')).toBe('stopped at step 12: stopped by SIGTERM');
  });
});

describe("the run's speed and what a time budget means, in words", () => {
  it('steps, seconds and tokens/s to 3 significant figures; the fixed-step form of a time budget', () => {
    expect(describeRunSpeed({ runSteps: 6283, runTokens: 6283 * 512, runSeconds: 180.4 })).toBe('6,283 steps in 180 s, 17,800 tokens/s on this machine');
    expect(describeRunSpeed({ runSteps: 1, runTokens: 16, runSeconds: 0.2 })).toBe('1 step in 0 s, 80 tokens/s on this machine');
    expect(describeRunSpeed({ runSteps: 0, runTokens: 0, runSeconds: 0 })).toBe('0 steps in 0 s');
    expect(timeBudgetNote(6283, 3)).toBe("the 3-minute budget makes the steps made, and so these figures, depend on this machine's speed and load; --steps 6283 in place of --minutes 3 trains the same number of steps on any machine");
    expect(timeBudgetNote(75, 0.5)).toMatch(/^the 30-second budget .* --steps 75 in place of --minutes 0.5 /);
  });
});

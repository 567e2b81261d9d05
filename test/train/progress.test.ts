import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, formatNumber, type ProgressRecord } from '../../src/train/progress.js';

function fakeStream(isTTY = false) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (text: string) => chunks.push(text) } };
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
  it('a time budget shows seconds to one decimal, as a line and as a bar', () => {
    for (const isTTY of [false, true]) {
      const { chunks, stream } = fakeStream(isTTY);
      const clock = fakeClock();
      const p = createProgress({ total: 180, label: 'train', unit: 's', mode: 'auto', stream, now: clock.now });
      clock.advance(2000);
      p.update(97.779622604, { loss: 3 });
      p.finish();
      const text = chunks.join('');
      expect(text).toContain('97.8/180 s');
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

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lineChartSvg, escapeXml } from '../../src/report/svg.js';
import { formatTick, linearAxis, logAxis, niceStep } from '../../src/report/ticks.js';
import { csvField, recordsToCsv, toCsv } from '../../src/report/csv.js';

/**
 * A small well-formedness check: every tag is closed in order, attributes are quoted, and text
 * holds no raw '<' or bare '&'. Returns the element names in document order.
 */
function checkWellFormedXml(xml: string): string[] {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const names: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < body.length) {
    if (body[i] === '<') {
      tag.lastIndex = i;
      const m = tag.exec(body);
      if (m === null) throw new Error(`malformed tag at ${i}: ${body.slice(i, i + 40)}`);
      const [, closing, name, , selfClosing] = m;
      if (closing) {
        if (stack.pop() !== name) throw new Error(`unbalanced </${name}> at ${i}`);
      } else {
        names.push(name!);
        if (!selfClosing) stack.push(name!);
      }
      i = tag.lastIndex;
    } else {
      const next = body.indexOf('<', i);
      const textPart = body.slice(i, next === -1 ? undefined : next);
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(textPart)) throw new Error(`bare & in text: ${textPart}`);
      if (stack.length === 0 && textPart.trim() !== '') throw new Error(`text outside the root: ${textPart}`);
      i = next === -1 ? body.length : next;
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
  return names;
}

describe('the XML checker itself', () => {
  it('rejects broken documents', () => {
    expect(() => checkWellFormedXml('<svg><g></svg>')).toThrow(/unbalanced/);
    expect(() => checkWellFormedXml('<svg><text>a & b</text></svg>')).toThrow(/bare &/);
    expect(() => checkWellFormedXml('<svg x=1></svg>')).toThrow(/malformed/);
    expect(() => checkWellFormedXml('<svg>')).toThrow(/unclosed/);
  });
});

describe('lineChartSvg', () => {
  const chart = () =>
    lineChartSvg({
      title: 'Loss <vs> steps & "things"',
      xLabel: 'step',
      yLabel: 'loss',
      markers: true,
      series: [
        { name: 'delta', points: [[0, 2], [10, 1], [20, 0.5]] },
        { name: 'linear & co', points: [[0, 2.2], [10, 1.5], [20, Number.NaN], [30, 1.2]], dashed: true },
      ],
    });

  it('is well-formed XML and holds every series, escaped', () => {
    const svg = chart();
    const names = checkWellFormedXml(svg);
    expect(names[0]).toBe('svg');
    expect(svg).toContain('data-name="delta"');
    expect(svg).toContain('data-name="linear &amp; co"');
    expect(svg).toContain('Loss &lt;vs&gt; steps &amp; &quot;things&quot;');
    expect(names.filter((n) => n === 'path')).toHaveLength(2);
    expect(names.filter((n) => n === 'circle')).toHaveLength(6); // the NaN point is not drawn
  });

  it('breaks a line at a point it cannot draw', () => {
    const path = /data-name="linear &amp; co">\s*<path d="([^"]*)"/.exec(chart())![1]!;
    expect(path.match(/M/g)).toHaveLength(2);
    expect(path.match(/L/g)).toHaveLength(1);
  });

  it('puts log-scale ticks at powers of ten', () => {
    const svg = lineChartSvg({ logY: true, series: [{ name: 'loss', points: [[1, 0.003], [2, 0.5], [3, 40]] }] });
    checkWellFormedXml(svg);
    const labels = [...svg.matchAll(/text-anchor="end">([^<]*)</g)].map((m) => m[1]);
    expect(labels).toEqual(['0.001', '0.01', '0.1', '1', '10', '100']);
  });

  it('places points inside the plot area and in order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 30 }), (points) => {
        const svg = lineChartSvg({ width: 400, height: 300, series: [{ name: 's', points, markers: true }] });
        checkWellFormedXml(svg);
        const circles = [...svg.matchAll(/<circle cx="([-\d.e]+)" cy="([-\d.e]+)"/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
        expect(circles).toHaveLength(points.length);
        for (const [cx, cy] of circles) {
          expect(cx).toBeGreaterThanOrEqual(70 - 0.01);
          expect(cx).toBeLessThanOrEqual(380 + 0.01);
          expect(cy).toBeGreaterThanOrEqual(40 - 0.01);
          expect(cy).toBeLessThanOrEqual(250 + 0.01);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('draws an empty chart when there is nothing to draw', () => {
    const svg = lineChartSvg({ logX: true, series: [{ name: 'none', points: [[0, 1], [-1, 2]] }] });
    expect(checkWellFormedXml(svg)).not.toContain('path');
  });
});

describe('ticks', () => {
  it('linear axes use 1-2-5 steps and cover the data', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(0.7, 5)).toBe(0.2);
    expect(linearAxis(0.1, 0.95)).toEqual({ domain: [0, 1], ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], log: false });
    expect(linearAxis(3, 3).ticks).toContain(3);
    fc.assert(
      fc.property(fc.double({ min: -1e300, max: 1e300, noNaN: true }), fc.double({ min: 0, max: 1e300, noNaN: true }), (min, span) => {
        fc.pre(Number.isFinite(min + span));
        const axis = linearAxis(min, min + span);
        expect(axis.domain[0]).toBeLessThanOrEqual(min);
        expect(axis.domain[1]).toBeGreaterThanOrEqual(min + span);
        expect(axis.ticks.length).toBeGreaterThanOrEqual(2);
        expect(axis.ticks.length).toBeLessThanOrEqual(12);
      }),
    );
  });

  it('log axes span whole decades', () => {
    expect(logAxis(0.02, 300)).toEqual({ domain: [0.01, 1000], ticks: [0.01, 0.1, 1, 10, 100, 1000], log: true });
    expect(logAxis(10, 10).domain).toEqual([1, 10]);
    expect(logAxis(1e-20, 1e20).ticks.length).toBeLessThanOrEqual(11);
    expect(() => logAxis(0, 1)).toThrow(/log scales need positive values/);
    fc.assert(
      fc.property(fc.double({ min: 1e-300, max: 1e300, noNaN: true }), fc.double({ min: 1, max: 1e10, noNaN: true }), (min, factor) => {
        fc.pre(Number.isFinite(min * factor));
        const axis = logAxis(min, min * factor);
        expect(axis.domain[0]).toBeLessThanOrEqual(min);
        expect(axis.domain[1]).toBeGreaterThanOrEqual(min * factor);
        for (const t of axis.ticks) expect(Math.log10(t)).toBeCloseTo(Math.round(Math.log10(t)), 9);
      }),
    );
    expect(formatTick(1e-5, true)).toBe('1e-5');
    expect(formatTick(1e6, false)).toBe('1e6');
    expect(formatTick(2.5e-7, false)).toBe('2.5e-7');
  });
});

describe('csv', () => {
  it('quotes only what needs quoting and doubles quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField(null)).toBe('');
    expect(csvField(1.5)).toBe('1.5');
    expect(csvField(false)).toBe('false');
  });

  it('writes rows and records', () => {
    expect(toCsv([['a', 'b'], [1, 'x,y']], { lineEnding: '\r\n' })).toBe('a,b\r\n1,"x,y"\r\n');
    expect(recordsToCsv([{ model: 'delta', ppl: 34.1 }, { model: 'linear', ppl: 37.1, note: 'ok' }])).toBe('model,ppl,note\ndelta,34.1,\nlinear,37.1,ok\n');
  });

  it('round-trips through a minimal RFC 4180 reader', () => {
    const parse = (text: string): string[][] => {
      const rows: string[][] = [];
      let row: string[] = [];
      let field = '';
      let quoted = false;
      for (let i = 0; i < text.length; i++) {
        const c = text[i]!;
        if (quoted) {
          if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
          else if (c === '"') quoted = false;
          else field += c;
        } else if (c === '"') quoted = true;
        else if (c === ',') row.push(field), (field = '');
        else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
        else field += c;
      }
      return rows;
    };
    fc.assert(
      fc.property(fc.array(fc.array(fc.string(), { minLength: 1, maxLength: 4 }), { maxLength: 5 }), (rows) => {
        expect(parse(toCsv(rows))).toEqual(rows);
      }),
    );
  });
});

describe('escapeXml', () => {
  it('escapes the five special characters', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});

import { describe, expect, it } from 'vitest';
import { otherLimits } from '../input/limits.js';
import {
  appendLogLines,
  appendTarget,
  checkAppendOnly,
  dayPathOfLog,
  logSegmentOf,
  logSegmentPath,
  logSegments,
  missingSegments,
  parseLedgerLog,
  serializeLogLine,
  transitionsPathFor,
  vsaPathFor,
} from './storage.js';

const DAY = 'docs/reports/2025-11-24/manifest.json';

describe('layout', () => {
  it('keeps the logs beside the day file', () => {
    expect(transitionsPathFor(DAY)).toBe('docs/reports/2025-11-24/transitions.jsonl');
    expect(vsaPathFor(DAY)).toBe('docs/reports/2025-11-24/vsa.jsonl');
    expect(dayPathOfLog('docs/reports/2025-11-24/transitions.jsonl')).toBe(DAY);
    expect(dayPathOfLog('docs/reports/2025-11-24/vsa.jsonl')).toBe(DAY);
    expect(dayPathOfLog(DAY)).toBeUndefined();
    expect(() => transitionsPathFor('docs/reports/2025-11-24/other.json')).toThrowCode('INTERNAL');
  });
});

describe('log segments', () => {
  const dir = 'docs/reports/2025-11-24/';
  it('names segment 1 as the log itself and the next ones with their number', () => {
    expect(logSegmentPath(DAY, 'transitions', 1)).toBe(`${dir}transitions.jsonl`);
    expect(logSegmentPath(DAY, 'transitions', 2)).toBe(`${dir}transitions.2.jsonl`);
    expect(logSegmentPath(DAY, 'vsa', 17)).toBe(`${dir}vsa.17.jsonl`);
    expect(() => logSegmentPath(DAY, 'vsa', 0)).toThrowCode('INTERNAL');
    expect(() => logSegmentPath(DAY, 'vsa', otherLimits.ledgerLogSegments + 1)).toThrowCode('INTERNAL');
  });

  it('reads a segment name back, and nothing else as one', () => {
    expect(logSegmentOf(`${dir}transitions.jsonl`)).toEqual({ day: DAY, kind: 'transitions', n: 1 });
    expect(logSegmentOf(`${dir}transitions.2.jsonl`)).toEqual({ day: DAY, kind: 'transitions', n: 2 });
    expect(logSegmentOf(`${dir}vsa.4096.jsonl`)).toEqual({ day: DAY, kind: 'vsa', n: 4096 });
    expect(dayPathOfLog(`${dir}vsa.12.jsonl`)).toBe(DAY);
    for (const name of [
      'transitions.1.jsonl', // segment 1 has one name only
      'transitions.02.jsonl',
      'transitions.0.jsonl',
      'transitions.4097.jsonl',
      'transitions.-2.jsonl',
      'transitions.2.json',
      'xtransitions.2.jsonl',
      'transitions..jsonl',
      'manifest.json',
    ]) {
      expect(logSegmentOf(`${dir}${name}`), name).toBeUndefined();
    }
  });

  it('orders segments by number, a text being segment 1, and finds the missing ones', () => {
    const segs = logSegments(DAY, 'transitions', [
      { path: `${dir}transitions.10.jsonl`, n: 10, text: 'c\n' },
      { path: `${dir}transitions.2.jsonl`, n: 2, text: 'b\n' },
      { path: `${dir}transitions.jsonl`, n: 1, text: 'a\n' },
    ]);
    expect(segs.map((s) => s.n)).toEqual([1, 2, 10]);
    expect(missingSegments(segs)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(logSegments(DAY, 'vsa', 'x\n')).toEqual([{ path: `${dir}vsa.jsonl`, n: 1, text: 'x\n' }]);
    expect(logSegments(DAY, 'vsa', undefined)).toEqual([]);
    expect(missingSegments([{ path: `${dir}transitions.2.jsonl`, n: 2, text: '' }])).toEqual([1]);
  });

  it('appends to the last segment until it is full, then starts the next', () => {
    const max = otherLimits.ledgerLogSegmentBytes;
    expect(appendTarget(DAY, 'transitions', undefined)).toEqual({
      path: `${dir}transitions.jsonl`,
      text: undefined,
    });
    expect(appendTarget(DAY, 'transitions', { n: 1, size: 2, text: 'a\n' })).toEqual({
      path: `${dir}transitions.jsonl`,
      text: 'a\n',
    });
    expect(appendTarget(DAY, 'transitions', { n: 3, size: max - 1, text: 'a\n' }).path).toBe(
      `${dir}transitions.3.jsonl`,
    );
    // full, over the bound it was read within, or cut short by a pusher: the next segment, new
    expect(appendTarget(DAY, 'transitions', { n: 3, size: max, text: 'a\n' })).toEqual({
      path: `${dir}transitions.4.jsonl`,
      text: undefined,
    });
    expect(appendTarget(DAY, 'vsa', { n: 1, size: 10 * max, text: undefined }).path).toBe(
      `${dir}vsa.2.jsonl`,
    );
    expect(appendTarget(DAY, 'vsa', { n: 2, size: 3, text: '{"a"' }).path).toBe(`${dir}vsa.3.jsonl`);
    expect(() =>
      appendTarget(DAY, 'vsa', { n: otherLimits.ledgerLogSegments, size: max, text: '' }),
    ).toThrowCode('INPUT_TOO_LARGE');
  });
});

describe('appendLogLines', () => {
  it('appends whole lines only', () => {
    const a = serializeLogLine({ a: 1 });
    expect(a).toBe('{"a":1}\n');
    expect(appendLogLines(undefined, [a])).toBe(a);
    expect(appendLogLines(a, [a, a])).toBe(a + a + a);
    expect(() => appendLogLines('{"a":1}', [a])).toThrowCode('INTERNAL');
    expect(() => appendLogLines(a, ['{"a":1}'])).toThrowCode('INTERNAL');
    expect(() => appendLogLines(a, ['{}\n{}\n'])).toThrowCode('INTERNAL');
  });
});

describe('parseLedgerLog', () => {
  it('reads every good line and reports every bad one', () => {
    const text = '{"a":1}\nnot json\n{"b":1,"B":2}\n{"c":[1]}\n{"partial"';
    const parsed = parseLedgerLog(text, 'log');
    expect(parsed.lines.map((l) => [l.line, l.bundle])).toEqual([
      [1, { a: 1 }],
      [4, { c: [1] }],
    ]);
    expect(parsed.problems.map((p) => p.line)).toEqual([2, 3, 5]);
  });

  it('holds the limits', () => {
    expect(parseLedgerLog('{}\n'.repeat(otherLimits.ledgerLogLines + 1), 'log').problems).toEqual([
      expect.objectContaining({ line: otherLimits.ledgerLogLines + 1 }),
    ]);
    const deep = `${'['.repeat(40)}${']'.repeat(40)}\n`;
    expect(parseLedgerLog(deep, 'log').problems).toHaveLength(1);
  });

  it('reports an oversized log without reading it', () => {
    const huge = { length: otherLimits.ledgerLogBytes + 1 } as unknown as string;
    expect(parseLedgerLog(huge, 'log').problems[0]!.line).toBe(0);
  });
});

describe('checkAppendOnly', () => {
  it.each([
    ['a new log', undefined, 'a\n', true],
    ['no change', 'a\n', 'a\n', true],
    ['one line appended', 'a\n', 'a\nb\n', true],
    ['two lines appended', 'a\n', 'a\nb\nc\n', true],
    ['absent stays absent', undefined, undefined, true],
    ['an empty log deleted', '', undefined, true],
    ['a log deleted', 'a\n', undefined, false],
    ['a line changed', 'a\nb\n', 'a\nc\n', false],
    ['a line removed', 'a\nb\n', 'a\n', false],
    ['a line inserted before', 'a\n', 'x\na\n', false],
    ['an incomplete line appended', 'a\n', 'a\nb', false],
    ['a line extended', 'a', 'ab\n', false],
    // mutation audit (issue 14): the last complete line extended past its newline
    ['the last complete line extended in place', 'a\n', 'ab\n', false],
  ])('%s', (_name, before, after, ok) => {
    const check = checkAppendOnly(before, after);
    expect(check.ok).toBe(ok);
    if (!check.ok) expect(check.reason).not.toBe('');
  });

  it('names the first line that changed', () => {
    const check = checkAppendOnly('a\nb\nc\n', 'a\nb\nX\n');
    expect(!check.ok && check.reason).toContain('line 3');
  });
});

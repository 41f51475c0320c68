import { describe, expect, it } from 'vitest';
import { otherLimits } from '../input/limits.js';
import {
  appendLogLines,
  checkAppendOnly,
  dayPathOfLog,
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

import { describe, expect, it } from 'vitest';
import { escapeUnprintable, escapeUnprintableLines, stringifyJsonPrintable } from './unprintable.js';

// a code point the terminal must not receive raw: controls, format (bidi, zero-width), separators
const RAW = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\u00a0\u2000-\u200a\u202f\u205f\u3000]/u;

describe('escapeUnprintable', () => {
  it.each([
    ['v1.0\u202e', 'v1.0\\u202e'],
    ['a\u200bb', 'a\\u200bb'],
    ['\ufeffv1', '\\ufeffv1'],
    ['x\u001b[31m', 'x\\u001b[31m'],
    ['tag\u{e0041}', 'tag\\u{e0041}'],
    ['plain v1.2.3 é', 'plain v1.2.3 é'],
  ])('%j -> %j', (input, shown) => {
    expect(escapeUnprintable(input)).toBe(shown);
  });
});

describe('stringifyJsonPrintable', () => {
  const value = {
    ok: true,
    result: {
      tag: 'v1.0\u202egpj.exe',
      zero: 'a\u200bb\ufeff',
      sep: 'line\u2028para\u2029nbsp\u00a0',
      c1: 'del\u007f\u0085',
      ctl: 'esc\u001b[2J\nnew',
      astral: 'tag\u{e0041}\u{1d173}',
      lone: 'x\ud800y',
      plain: ['v1.2.3', 'é', '日本'],
    },
  };

  it.each([undefined, 2])('keeps the parsed value and prints no such code point (indent %s)', (indent) => {
    const text = stringifyJsonPrintable(value, indent);
    expect(JSON.parse(text)).toEqual(value);
    expect(RAW.test(text.replace(/\n/g, ''))).toBe(false);
    expect(text).toContain('v1.0\\u202egpj.exe');
    expect(text).toContain('\\udb40\\udc41');
  });

  it('leaves printable text as JSON.stringify writes it', () => {
    const plain = { a: 'v1.2.3 é 日本', b: [1, null, true] };
    expect(stringifyJsonPrintable(plain)).toBe(JSON.stringify(plain));
    expect(stringifyJsonPrintable(plain, 2)).toBe(JSON.stringify(plain, null, 2));
  });
});

describe('escapeUnprintableLines', () => {
  it.each([
    ['two\nlines\tand a tab', 'two\nlines\tand a tab'],
    ['x\u001b[2J\u001b[32mPASSED\nnext', 'x\\u001b[2J\\u001b[32mPASSED\nnext'],
    ['bel\u0007 csi\u009b cr\r', 'bel\\u0007 csi\\u009b cr\\u000d'],
    ['v1.0\u202e\tgpj', 'v1.0\\u202e\tgpj'],
  ])('%j -> %j (layout kept, every other control escaped)', (input, shown) => {
    expect(escapeUnprintableLines(input)).toBe(shown);
  });
});

// The mutation audit of the bounded parsers (docs/status.md, issue 13): each class of the set, and
// each end of its ranges, is escaped; its neighbours are not.
describe('the unprintable set, class by class (mutation audit)', () => {
  it.each([
    ['\u0000', '\\u0000'],
    ['\u001f', '\\u001f'],
    ['\u007f', '\\u007f'],
    ['\u0085', '\\u0085'],
    ['\u009f', '\\u009f'],
    ['\u00ad', '\\u00ad'],
    ['\u061c', '\\u061c'],
    ['\u200e', '\\u200e'],
    ['\u2066', '\\u2066'],
    ['\u2028', '\\u2028'],
    ['\u2029', '\\u2029'],
    ['\u00a0', '\\u00a0'],
    ['\u2000', '\\u2000'],
    ['\u2005', '\\u2005'],
    ['\u200a', '\\u200a'],
    ['\u202f', '\\u202f'],
    ['\u205f', '\\u205f'],
    ['\u3000', '\\u3000'],
    ['\ud800', '\\ud800'],
    ['\udfff', '\\udfff'],
    ['\u{e007f}', '\\u{e007f}'],
  ])('escapeUnprintable(%j) is %j', (raw, shown) => {
    expect(escapeUnprintable(`a${raw}b`)).toBe(`a${shown}b`);
    expect(escapeUnprintableLines(`a${raw}b`)).toBe(`a${shown}b`);
  });

  it('leaves the neighbours of the ranges alone', () => {
    const printable = ' ~\u00a1\u1fff\u2010\u2030\u205e\u3001\ufffd\u{1f600}';
    expect(escapeUnprintable(printable)).toBe(printable);
  });

  it('escapes every occurrence, not only the first', () => {
    expect(escapeUnprintable('\u202e\u202e x \u001b')).toBe('\\u202e\\u202e x \\u001b');
    expect(stringifyJsonPrintable('\u202e\u202e')).toBe('"\\u202e\\u202e"');
  });

  it('keeps only LF and TAB raw in lines; CR and the rest are escaped', () => {
    expect(escapeUnprintableLines('a\tb\nc\rd\u000be')).toBe('a\tb\nc\\u000dd\\u000be');
  });

  it('prints a code point above U+FFFF as a pair of JSON escapes, and undefined as null', () => {
    expect(stringifyJsonPrintable('\u{e0041}')).toBe('"\\udb40\\udc41"');
    expect(stringifyJsonPrintable(undefined)).toBe('null');
    // layout newlines of an indented document are not escaped (that would not be JSON)
    expect(stringifyJsonPrintable({ a: ['\u2028'] }, 2)).toBe('{\n  "a": [\n    "\\u2028"\n  ]\n}');
  });
});

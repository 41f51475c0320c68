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

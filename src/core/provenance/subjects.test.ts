import { describe, expect, it } from 'vitest';
import { checkSubjectName, parseSha256Sums } from './subjects.js';

const a = 'A'.repeat(64);
const b = 'b'.repeat(64);

describe('parseSha256Sums', () => {
  it('reads text and binary mode lines, lower-cases digests, skips blank lines', () => {
    expect(parseSha256Sums(`${a}  app.tar.gz\n\n${b} *dir/app two.zip\r\n`, 'SUMS')).toStrictEqual([
      { name: 'app.tar.gz', sha256: 'a'.repeat(64) },
      { name: 'dir/app two.zip', sha256: b },
    ]);
  });
  it.each([
    ['a short digest', `${'a'.repeat(63)}  x`],
    ['no name', `${b}  `],
    ['one space only', `${b} x`.replace(' ', '')],
    ['garbage', 'hello'],
    ['a single space between digest and name', `${b} x`],
    ['a digest of 65 hex digits', `${b}b  x`],
    ['text before the digest', `x${b}  x`],
    ['one bad line among good ones', `${a}  a\nhello\n${b}  b`],
  ])('refuses %s with INPUT_INVALID', (_name, text) => {
    expect(() => parseSha256Sums(text, 'SUMS')).toThrowCode('INPUT_INVALID');
  });
  it('refuses an empty file', () => {
    expect(() => parseSha256Sums('\n', 'SUMS')).toThrowCode('INPUT_INVALID');
  });
  it("unescapes GNU sha256sum's escaped names (a line marked with a backslash)", () => {
    expect(parseSha256Sums(`\\${b}  dir\\\\app.tgz\n`, 'SUMS')).toStrictEqual([
      { name: 'dir\\app.tgz', sha256: b },
    ]);
  });
  it('keeps a backslash of a line not marked as escaped', () => {
    expect(parseSha256Sums(`${b}  dir\\app\\\\x.tgz\n`, 'SUMS')).toStrictEqual([
      { name: 'dir\\app\\\\x.tgz', sha256: b },
    ]);
  });
  it.each([
    ['an escaped line break', `\\${b}  app.tgz\\nforged`],
    ['an escaped carriage return', `\\${b}  app\\r.tgz`],
    ['an unknown escape', `\\${b}  app\\t.tgz`],
    ['an escape at the end', `\\${b}  app\\`],
    ['an escape character', `${b}  app\u001b[2J.tgz`],
    ['a bidi override', `${b}  app\u202egpj.exe`],
    ['a name of spaces', `${b}     `],
  ])('refuses a name with %s (INPUT_INVALID)', (_name, text) => {
    expect(() => parseSha256Sums(text, 'SUMS')).toThrowCode('INPUT_INVALID');
  });
});

describe('checkSubjectName', () => {
  it.each([
    ['app.tgz', undefined],
    ['dir\\app two.zip', undefined],
    [' ', 'an empty name'],
    ['a'.repeat(1025), 'a name of 1025 characters (at most 1024)'],
    ['a\tb', "the name 'a\\u0009b' holds a control or invisible character"],
    ['a\u200bb', "the name 'a\\u200bb' holds a control or invisible character"],
    ['a\u2028b', "the name 'a\\u2028b' holds a control or invisible character"],
    ['a\u2029b', "the name 'a\\u2029b' holds a control or invisible character"],
    ['a\ud800b', "the name 'a\\ud800b' is not well-formed unicode"],
  ])('%j: %s', (name, expected) => {
    expect(checkSubjectName(name)).toBe(expected);
  });
});

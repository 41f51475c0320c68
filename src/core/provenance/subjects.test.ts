import { describe, expect, it } from 'vitest';
import { parseSha256Sums } from './subjects.js';

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
  ])('refuses %s with INPUT_INVALID', (_name, text) => {
    expect(() => parseSha256Sums(text, 'SUMS')).toThrowCode('INPUT_INVALID');
  });
  it('refuses an empty file', () => {
    expect(() => parseSha256Sums('\n', 'SUMS')).toThrowCode('INPUT_INVALID');
  });
});

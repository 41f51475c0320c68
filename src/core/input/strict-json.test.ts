import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { limits, type JsonLimits } from './limits.js';
import { checkJson, foldLongWhitespace, parseJson } from './strict-json.js';

const small: JsonLimits = {
  maxBytes: 1000,
  maxDepth: 4,
  maxStringLength: 10,
  maxArrayLength: 5,
  maxObjectKeys: 3,
  caseInsensitiveKeys: false,
};

describe('parseJson', () => {
  it('parses what JSON.parse parses, within limits', () => {
    expect(parseJson('{"a":[1,"x",null,true]}', small, 'doc')).toEqual({ a: [1, 'x', null, true] });
    expect(parseJson(Buffer.from(' [] '), small, 'doc')).toEqual([]);
  });

  it.each([
    ['[1,]'],
    ['{"a":1,}'],
    ['01'],
    ['NaN'],
    ["'a'"],
    ['"\u0001"'],
    ['[1]/*c*/'],
    ['{"a":1}{"b":2}'],
    [''],
    ['\ufeff[]'],
  ])('refuses %j as malformed', (text) => {
    expect(() => parseJson(text, small, 'doc')).toThrowCode('INPUT_JSON_MALFORMED');
  });

  it('refuses invalid UTF-8', () => {
    expect(() => parseJson(Buffer.from([0x22, 0xff, 0x22]), small, 'doc')).toThrowCode(
      'INPUT_JSON_MALFORMED',
    );
  });

  it('refuses a document over the byte limit before decoding it', () => {
    expect(() => parseJson(' '.repeat(1001) + '1', small, 'doc')).toThrowCode('INPUT_TOO_LARGE');
    expect(() => parseJson(Buffer.alloc(1001, 0x20), small, 'doc')).toThrowCode('INPUT_TOO_LARGE');
  });

  it('stops at the depth limit, however deep the document goes', () => {
    expect(() => parseJson('[[[[1]]]]', small, 'doc')).not.toThrow();
    expect(() => parseJson('[[[[[1]]]]]', small, 'doc')).toThrowCode('INPUT_LIMIT_EXCEEDED');
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect(() => parseJson(deep, { ...limits.dayFile, maxBytes: 1e6 }, 'doc')).toThrowCode(
      'INPUT_LIMIT_EXCEEDED',
    );
  });

  it('bounds strings, keys, arrays and objects', () => {
    expect(() => parseJson('"12345678901"', small, 'doc')).toThrowCode('INPUT_LIMIT_EXCEEDED');
    expect(() => parseJson('{"12345678901":1}', small, 'doc')).toThrowCode('INPUT_LIMIT_EXCEEDED');
    expect(() => parseJson('[1,2,3,4,5,6]', small, 'doc')).toThrowCode('INPUT_LIMIT_EXCEEDED');
    expect(() => parseJson('[[1,2,3,4,5],[1,2,3,4,5]]', small, 'doc')).not.toThrow();
    expect(() => parseJson('{"a":1,"b":2,"c":3,"d":4}', small, 'doc')).toThrowCode('INPUT_LIMIT_EXCEEDED');
  });

  it('names the place of an excess', () => {
    try {
      parseJson('{"a":[{"b":"12345678901"}]}', small, 'doc');
      expect.unreachable();
    } catch (error) {
      expect((error as { details: { pointer: string } }).details.pointer).toBe('/a/0/b');
    }
  });

  it('refuses duplicate keys, also when escapes spell the same key', () => {
    expect(() => parseJson('{"subject":1,"subject":2}', small, 'doc')).toThrowCode(
      'INPUT_JSON_DUPLICATE_KEY',
    );
    expect(() => parseJson('{"a":{"x":1,"\\u0078":2}}', small, 'doc')).toThrowCode(
      'INPUT_JSON_DUPLICATE_KEY',
    );
    expect(() => parseJson('[{"a":1},{"a":1}]', small, 'doc')).not.toThrow();
  });

  it('refuses case-variant keys in signed documents only', () => {
    expect(() => parseJson('{"subject":1,"Subject":2}', small, 'doc')).not.toThrow();
    expect(() => parseJson('{"subject":1,"Subject":2}', limits.signed, 'doc')).toThrowCode(
      'INPUT_JSON_DUPLICATE_KEY',
    );
    // Go folds the Kelvin sign to k and the long s to s
    expect(() => parseJson('{"kind":1,"\u212aind":2}', limits.signed, 'doc')).toThrowCode(
      'INPUT_JSON_DUPLICATE_KEY',
    );
    expect(() => parseJson('{"sig":1,"\u017fig":2}', limits.signed, 'doc')).toThrowCode(
      'INPUT_JSON_DUPLICATE_KEY',
    );
  });

  it('agrees with JSON.parse on every document within limits (property)', () => {
    const generous: JsonLimits = { ...limits.signed, caseInsensitiveKeys: false };
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        expect(parseJson(text, generous, 'doc')).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        let ours: unknown;
        let theirs: unknown;
        try {
          ours = checkJson(text, generous, 'doc') === text;
        } catch {
          ours = false;
        }
        try {
          JSON.parse(text);
          theirs = true;
        } catch {
          theirs = false;
        }
        // a text we accept is always JSON; JSON we refuse can only be duplicate keys (none here)
        expect(ours).toBe(theirs);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('long whitespace runs (a hostile 25 MiB run of spaces cost ~12 s of GC per read)', () => {
  const wide: JsonLimits = {
    ...limits.dayFile,
    maxBytes: 64 * 1024 * 1024,
    maxStringLength: 16 * 1024 * 1024,
  };

  it('folds runs of 64+ outside strings only; a valid text keeps its value', () => {
    const pad = ' \n\t\r'.repeat(40);
    const spaces = ' '.repeat(100); // inside strings: JSON allows no raw tab or newline there
    const text = `${pad}{${pad}"a${spaces}b"${pad}:${pad}["x${spaces}", 1 ,${pad}null]${pad}}${pad}`;
    const folded = foldLongWhitespace(text);
    expect(folded.length).toBeLessThan(text.length);
    expect(JSON.parse(folded)).toEqual(JSON.parse(text));
    expect(parseJson(text, wide, 'doc')).toEqual(JSON.parse(text));
    expect(foldLongWhitespace('{"a": 1}')).toBe('{"a": 1}');
  });

  it('agrees with JSON.parse on any value printed with wide indentation', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.integer({ min: 60, max: 130 }), (v, indent) => {
        const text = JSON.stringify(v, null, ' '.repeat(Math.min(indent, 10))).replace(
          /\n/g,
          `\n${' '.repeat(indent)}`,
        );
        expect(JSON.parse(foldLongWhitespace(text))).toEqual(JSON.parse(text));
      }),
      { numRuns: 200 },
    );
  });

  it('a 25 MiB run of spaces is read, and duplicate keys behind one are still refused', () => {
    const spaces = ' '.repeat(25 * 1024 * 1024);
    expect(parseJson(`[${spaces}]`, wide, 'doc')).toEqual([]);
    expect(() => parseJson(`{"a":1,${spaces}"a":2}`, wide, 'doc')).toThrowCode('INPUT_JSON_DUPLICATE_KEY');
    // escaped quotes never end a string: whitespace inside one is kept
    const inString = `["\\"${' '.repeat(100)}\\""]`;
    expect(foldLongWhitespace(inString)).toBe(inString);
    // a long run of escaped quotes is one linear pass (a regular expression over strings backtracks on it)
    expect(() => parseJson(`"${'\\"'.repeat(1_000_000)}`, wide, 'doc')).toThrowCode('INPUT_JSON_MALFORMED');
  });
});

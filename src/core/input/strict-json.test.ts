import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { limits, type JsonLimits } from './limits.js';
import { checkJson, foldLongWhitespace, isWellFormedText, jsonPointer, parseJson } from './strict-json.js';

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

// The mutation audit of the bounded parsers (docs/status.md, issue 13): every limit accepts N and
// refuses N + 1, and each check is seen to refuse on its own.
describe('limits at their edges (mutation audit)', () => {
  function errorOf(f: () => unknown): { code?: string; message: string; details: Record<string, unknown> } {
    try {
      f();
    } catch (error) {
      return error as { code?: string; message: string; details: Record<string, unknown> };
    }
    throw new Error('no error');
  }

  it('accepts exactly maxBytes and refuses one byte more, counting UTF-8 bytes of a string', () => {
    expect(parseJson(' '.repeat(999) + '1', small, 'doc')).toBe(1);
    expect(parseJson(Buffer.from(' '.repeat(999) + '1'), small, 'doc')).toBe(1);
    // 502 UTF-16 units but 1,002 UTF-8 bytes: over the byte limit, refused before the string limit
    expect(errorOf(() => parseJson(`"${'é'.repeat(500)}"`, small, 'doc'))).toMatchObject({
      code: 'INPUT_TOO_LARGE',
      details: { limit: 'bytes', max: 1000, actual: 1002 },
    });
  });

  it('accepts every limit at N and refuses N + 1, with details naming it', () => {
    expect(parseJson('"1234567890"', small, 'doc')).toBe('1234567890');
    expect(parseJson('{"1234567890":1}', small, 'doc')).toEqual({ '1234567890': 1 });
    expect(parseJson('{"a":1,"b":2,"c":3}', small, 'doc')).toEqual({ a: 1, b: 2, c: 3 });
    expect(parseJson('[1,2,3,4,5]', small, 'doc')).toEqual([1, 2, 3, 4, 5]);
    expect(errorOf(() => parseJson('[1,2,3,4,5,6]', small, 'doc'))).toMatchObject({
      code: 'INPUT_LIMIT_EXCEEDED',
      details: { limit: 'array length', max: 5, actual: 6, pointer: '/5' },
    });
    expect(errorOf(() => parseJson('{"a":1,"b":2,"c":3,"d":4}', small, 'doc'))).toMatchObject({
      details: { limit: 'keys per object', max: 3, actual: 4, pointer: '' },
    });
    expect(errorOf(() => parseJson('[[[[[1]]]]]', small, 'doc'))).toMatchObject({
      details: { limit: 'depth', max: 4, actual: 5 },
    });
    const root = errorOf(() => parseJson('"12345678901"', small, 'doc'));
    expect(root).toMatchObject({ details: { limit: 'string length', max: 10, actual: 11, pointer: '' } });
    expect(root.message).toContain("at '/'");
    expect(errorOf(() => parseJson('{"12345678901":1}', small, 'doc'))).toMatchObject({
      details: { limit: 'key length', max: 10, actual: 11 },
    });
  });

  it('counts nested arrays and objects as items of their array, and only array items', () => {
    expect(errorOf(() => parseJson('[[],[],[],[],[],[]]', small, 'doc'))).toMatchObject({
      details: { limit: 'array length', actual: 6 },
    });
    expect(errorOf(() => parseJson('[{},{},{},{},{},{}]', small, 'doc'))).toMatchObject({
      details: { limit: 'array length', actual: 6 },
    });
    // an object's values are not array items: three keys within maxObjectKeys pass a maxArrayLength of 2
    expect(parseJson('{"a":1,"b":2,"c":3}', { ...small, maxArrayLength: 2 }, 'doc')).toEqual({
      a: 1,
      b: 2,
      c: 3,
    });
  });

  it('counts depth along one path: siblings do not add up', () => {
    const flat = { ...small, maxDepth: 2 };
    expect(parseJson('[[],[],[],[],[]]', flat, 'doc')).toEqual([[], [], [], [], []]);
    expect(parseJson('{"a":{},"b":{},"c":{}}', flat, 'doc')).toEqual({ a: {}, b: {}, c: {} });
  });

  it('names the place with RFC 6901 escapes (~0, ~1)', () => {
    expect(errorOf(() => parseJson('{"a/b":{"c~d":"12345678901"}}', small, 'doc')).details.pointer).toBe(
      '/a~1b/c~0d',
    );
  });

  it('reports the first scanner error, the duplicate key with its offset, the BOM of bytes', () => {
    // "[1,]x": a value expected at offset 3, then an end of file expected at 4
    expect(errorOf(() => parseJson('[1,]x', small, 'doc')).details.offset).toBe(3);
    // the scanner's codes in words, not run together ("valueexpected", "invalidcharacter")
    expect(errorOf(() => parseJson('[1,]x', small, 'doc')).message).toContain(
      'value expected at byte offset 3',
    );
    expect(errorOf(() => parseJson('[\u0001]', small, 'doc')).message).toMatch(/invalid (character|symbol)/);
    expect(errorOf(() => parseJson('{"a":1, "a":2}', small, 'doc'))).toMatchObject({
      code: 'INPUT_JSON_DUPLICATE_KEY',
      details: { key: 'a', pointer: '', offset: 8 },
    });
    const bom = errorOf(() => parseJson(Buffer.from('\ufeff[]'), small, 'doc'));
    expect(bom).toMatchObject({ code: 'INPUT_JSON_MALFORMED', details: { offset: 0 } });
    expect(bom.message).toContain('byte-order mark');
    expect(errorOf(() => parseJson('\ufeff[]', small, 'doc')).message).toContain('byte-order mark');
  });

  it('checkJson refuses an empty text, comments and trailing commas (not only JSON.parse)', () => {
    expect(() => checkJson('', small, 'doc')).toThrowCode('INPUT_JSON_MALFORMED');
    expect(() => checkJson('  ', small, 'doc')).toThrowCode('INPUT_JSON_MALFORMED');
    expect(() => checkJson('[1,]', small, 'doc')).toThrowCode('INPUT_JSON_MALFORMED');
    expect(() => checkJson('{"a":1,}', small, 'doc')).toThrowCode('INPUT_JSON_MALFORMED');
    expect(() => checkJson('[1]/*c*/', small, 'doc')).toThrowCode('INPUT_JSON_MALFORMED');
    expect(() => checkJson('[1]//c', small, 'doc')).toThrowCode('INPUT_JSON_MALFORMED');
  });

  it('folds a run of exactly 64 whitespace characters of each kind, never 63', () => {
    for (const c of [' ', '\t', '\n', '\r']) {
      expect(foldLongWhitespace(`[1,${c.repeat(64)}2]`)).toBe('[1, 2]');
      expect(foldLongWhitespace(`[1,${c.repeat(63)}2]`)).toBe(`[1,${c.repeat(63)}2]`);
    }
    expect(foldLongWhitespace(`${' '.repeat(70)}1${' '.repeat(70)}`)).toBe(' 1 ');
  });

  it('keeps whitespace inside strings after a folded run, and never joins two tokens', () => {
    const inner = ' '.repeat(100);
    expect(foldLongWhitespace(`[${' '.repeat(64)}"${inner}"]`)).toBe(`[ "${inner}"]`);
    expect(foldLongWhitespace(`["a",${' '.repeat(64)}"${inner}"]`)).toBe(`["a", "${inner}"]`);
    // "[1 <64 spaces> 2]" is not JSON, and folding must not make it "[12]"
    expect(() => parseJson(`[1${' '.repeat(64)}2]`, small, 'doc')).toThrowCode('INPUT_JSON_MALFORMED');
  });
});

describe('isWellFormedText and jsonPointer (mutation audit)', () => {
  it('finds lone surrogates, and accepts pairs', () => {
    expect(isWellFormedText('tag \u{1f600}')).toBe(true);
    expect(isWellFormedText('x\ud800')).toBe(false);
    expect(isWellFormedText('\udc00x')).toBe(false);
  });

  it('escapes ~ and / as RFC 6901 says', () => {
    expect(jsonPointer(['a/b', 'c~d', 0, '~1'])).toBe('/a~1b/c~0d/0/~01');
    expect(jsonPointer([])).toBe('');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSlsaLedgerError } from '../../errors.js';
import type { JsonLimits } from '../input/limits.js';
import { parseJson } from '../input/strict-json.js';
import { parseCanonicalJson } from './canonical-json.js';

const tight: JsonLimits = {
  maxBytes: 400,
  maxDepth: 4,
  maxStringLength: 20,
  maxArrayLength: 5,
  maxObjectKeys: 5,
  caseInsensitiveKeys: true,
};

function outcome(f: () => unknown): { value?: unknown; code?: string } {
  try {
    return { value: f() };
  } catch (error) {
    if (isSlsaLedgerError(error)) return { code: error.code };
    throw error;
  }
}

const agree = (text: string, limits: JsonLimits | 'signed' | 'transitionLine') => {
  expect(outcome(() => parseCanonicalJson(text, limits, 'doc'))).toEqual(
    outcome(() => parseJson(text, limits, 'doc')),
  );
  const bytes = Buffer.from(text);
  expect(outcome(() => parseCanonicalJson(bytes, limits, 'doc'))).toEqual(
    outcome(() => parseJson(bytes, limits, 'doc')),
  );
};

describe('parseCanonicalJson agrees with the strict scanner', () => {
  it('on compact JSON of any value, within tight and real limits', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = JSON.stringify(v);
        agree(text, tight);
        agree(text, 'signed');
      }),
      { numRuns: 500 },
    );
  });

  it('on texts with duplicate and case-variant keys spliced in', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1 }),
        fc.boolean(),
        (o, upper) => {
          const text = JSON.stringify(o);
          const [k, v] = Object.entries(o)[0]!;
          const dupKey = upper ? k.toUpperCase() : k;
          agree(`{${JSON.stringify(dupKey)}:${JSON.stringify(v)},${text.slice(1)}`, 'signed');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('on arbitrary strings and pretty-printed JSON', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v, null, 1)),
        ),
        (text) => agree(text, tight),
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    ['a bom', '\ufeff{}'],
    ['a lone surrogate escape', '"\\ud800"'],
    ['a huge number', '1e400'],
    ['negative zero', '-0'],
    ['a __proto__ key', '{"__proto__":1}'],
    ['a duplicate __proto__', '{"__proto__":1,"__proto__":2}'],
    ['deep nesting', `${'['.repeat(70)}${']'.repeat(70)}`],
    ['an escaped key that folds to another', '{"A":1,"\\u0061":2}'],
    ['whitespace', '{ "a": 1 }'],
    ['two values', '{}{}'],
    ['nothing', ''],
  ])('on %s', (_name, text) => {
    agree(text, 'signed');
    agree(text, tight);
  });

  it('refuses invalid UTF-8 as the scanner does', () => {
    const bytes = Uint8Array.from([0x22, 0xff, 0x22]);
    expect(outcome(() => parseCanonicalJson(bytes, 'signed', 'doc'))).toEqual({
      code: 'INPUT_JSON_MALFORMED',
    });
  });

  it('refuses a 20,000-deep value with the depth limit, never a stack overflow of re-serialising it', () => {
    // JSON.parse builds such a value without recursion; JSON.stringify of it throws RangeError
    for (const deep of [
      '['.repeat(20_000) + ']'.repeat(20_000),
      '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000),
    ]) {
      for (const profile of ['dayFile', 'transitionLine'] as const) {
        const got = outcome(() => parseCanonicalJson(deep, profile, 'doc'));
        expect(got).toEqual(outcome(() => parseJson(deep, profile, 'doc')));
        expect(['INPUT_LIMIT_EXCEEDED', 'INPUT_TOO_LARGE']).toContain((got as { code?: string }).code);
      }
    }
  });
});

// Mutation audit (issue 14, seventeenth session): the fast path at each limit's boundary, where
// random values seldom land (an off-by-one or a dropped check there made it accept what the
// scanner refuses).
describe('parseCanonicalJson at the limits, mutation audit', () => {
  const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
  const big = JSON.stringify(
    Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((k) => [k, Array(5).fill('x'.repeat(20))])),
  );
  it.each([
    ['depth at the limit', nested(4)],
    ['depth over the limit', nested(5)],
    ['a string at the limit', JSON.stringify('x'.repeat(20))],
    ['a string over the limit', JSON.stringify('x'.repeat(21))],
    ['a key over the string limit', JSON.stringify({ ['k'.repeat(21)]: 1 })],
    ['a document over the byte limit, every other limit kept', big],
    ['keys equal once upper- then lower-cased (ſ and s)', '{"ſ":1,"s":2}'],
    ['keys equal once upper- then lower-cased (ß and ss)', '{"ß":1,"ss":2}'],
  ])('%s', (_name, text) => {
    agree(text, tight);
  });
  it('the byte-limit case is over the limit and refused', () => {
    expect(Buffer.byteLength(big)).toBeGreaterThan(tight.maxBytes);
    expect(outcome(() => parseCanonicalJson(big, tight, 'doc')).code).toBeDefined();
  });
});

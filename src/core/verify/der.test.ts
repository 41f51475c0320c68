import { describe, expect, it } from 'vitest';
import { checkDerCertificate, derProblem, nestsDeeperThan } from './der.js';

// TLV helpers: definite lengths, long form from 128 bytes on
const length = (n: number): number[] => {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return [0x80 | bytes.length, ...bytes];
};
const tlv = (tag: number, content: Uint8Array): Uint8Array =>
  Uint8Array.from([tag, ...length(content.length), ...content]);
const NULL = Uint8Array.from([0x05, 0x00]);
const nest = (depth: number, tag = 0x30, inner: Uint8Array = NULL): Uint8Array => {
  // built from the inside out without copying the whole buffer per level
  const headers: number[][] = [];
  let size = inner.length;
  for (let i = 0; i < depth; i++) {
    const h = [tag, ...length(size)];
    headers.push(h);
    size += h.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const h of headers.reverse()) {
    out.set(h, at);
    at += h.length;
  }
  out.set(inner, at);
  return out;
};
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

describe('nestsDeeperThan (a bound for @sigstore/core’s recursive ASN.1 reader)', () => {
  it('counts constructed elements', () => {
    const two = nest(2);
    expect(nestsDeeperThan(two, 2)).toBe(false);
    expect(nestsDeeperThan(two, 1)).toBe(true);
    expect(nestsDeeperThan(cat(nest(1), nest(3)), 2)).toBe(true);
  });

  it('stops at the bound on 200,000 levels, without recursion', () => {
    expect(nestsDeeperThan(nest(200_000), 64)).toBe(true);
  });

  it('counts OCTET STRINGs whose content reads as elements, as the reader parses them', () => {
    expect(nestsDeeperThan(nest(70, 0x04), 64)).toBe(true);
    expect(nestsDeeperThan(tlv(0x30, tlv(0x04, nest(70))), 64)).toBe(true);
    // an empty OCTET STRING is a primitive
    expect(nestsDeeperThan(tlv(0x30, tlv(0x04, new Uint8Array())), 1)).toBe(false);
  });

  it('an OCTET STRING of plain bytes is skipped, and what follows it still counts', () => {
    const garbage = tlv(0x04, Uint8Array.from([0xff, 0xff, 0xff]));
    expect(nestsDeeperThan(tlv(0x30, cat(garbage, nest(70))), 64)).toBe(true);
    expect(nestsDeeperThan(tlv(0x30, cat(garbage, nest(3))), 64)).toBe(false);
  });

  it('reads lengths of up to six bytes, zero-padded, as the reader does', () => {
    // each level's length in five bytes (0x85 00 00 00 LL LL): legal for the reader, not DER
    let inner: Uint8Array = NULL;
    for (let i = 0; i < 70; i++) {
      const n = inner.length;
      inner = Uint8Array.from([0x30, 0x85, 0, 0, 0, n >> 8, n & 0xff, ...inner]);
    }
    expect(nestsDeeperThan(inner, 64)).toBe(true);
  });

  it('stops where the reader fails: a long-form zero length, an element one byte past its container', () => {
    expect(nestsDeeperThan(tlv(0x30, cat(Uint8Array.from([0x30, 0x81, 0x00]), nest(70))), 64)).toBe(false);
    const deep = nest(70);
    expect(nestsDeeperThan(Uint8Array.from([0x30, ...length(deep.length + 1), ...deep]), 64)).toBe(false);
  });

  it.each([
    ['an indefinite length', Uint8Array.from([0x30, 0x80, 0x05, 0x00, 0x00, 0x00])],
    ['a length of seven bytes', Uint8Array.from([0x30, 0x87, 1, 0, 0, 0, 0, 0, 0])],
    ['a long-form zero length', Uint8Array.from([0x30, 0x81, 0x00])],
    ['a truncated length', Uint8Array.from([0x30, 0x82, 0x01])],
    ['an element longer than its container', Uint8Array.from([0x30, 0x03, 0x30, 0x05, 0x00])],
    ['a lone byte', Uint8Array.from([0x30])],
    ['nothing', new Uint8Array()],
  ])('%s: left to the reader (which refuses it)', (_name, der) => {
    expect(nestsDeeperThan(der, 64)).toBe(false);
  });
});

// A small certificate, structurally valid (not signed: derProblem reads structure only), built
// from parts so each test breaks one of them. A hostile value goes in the subject's attribute
// value, which the walk reads like any other element.
const b = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
const str = (s: string): Uint8Array => new TextEncoder().encode(s);
const seq = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, cat(...parts));
const ALGORITHM = seq(tlv(0x06, b(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02)));
const CN = tlv(0x06, b(0x55, 0x04, 0x03));
const O = tlv(0x06, b(0x55, 0x04, 0x0a));
const rdn = (type: Uint8Array, value: Uint8Array): Uint8Array => seq(type, value);
const subjectWith = (value: Uint8Array): Uint8Array => seq(tlv(0x31, rdn(CN, value)));
const UTC = (s: string): Uint8Array => tlv(0x17, str(s));
const VALIDITY = seq(UTC('250101000000Z'), UTC('260101000000Z'));
const SPKI = seq(ALGORITHM, tlv(0x03, b(0x00, 0x04, 0x01)));
const KEY_USAGE = tlv(0x06, b(0x55, 0x1d, 0x0f));
const extension = (...parts: Uint8Array[]): Uint8Array => seq(KEY_USAGE, ...parts);
const VALUE = tlv(0x04, b(0x03, 0x02, 0x07, 0x80));
const EXTENSIONS = tlv(0xa3, seq(extension(tlv(0x01, b(0xff)), VALUE)));
const V3 = tlv(0xa0, tlv(0x02, b(0x02)));
interface Parts {
  readonly version?: Uint8Array;
  readonly value?: Uint8Array;
  readonly validity?: Uint8Array;
  readonly spki?: Uint8Array;
  readonly extra?: readonly Uint8Array[];
  readonly extensions?: Uint8Array;
  readonly after?: readonly Uint8Array[];
}
const tbs = (p: Parts = {}): Uint8Array =>
  seq(
    p.version ?? V3,
    tlv(0x02, b(0x01)),
    ALGORITHM,
    subjectWith(tlv(0x0c, str('issuer'))),
    p.validity ?? VALIDITY,
    subjectWith(p.value ?? tlv(0x0c, str('subject'))),
    p.spki ?? SPKI,
    ...(p.extra ?? []),
    p.extensions ?? EXTENSIONS,
    ...(p.after ?? []),
  );
const SIGNATURE = tlv(0x03, b(0x00, 0x30, 0x00));
const certificate = (p: Parts = {}): Uint8Array => seq(tbs(p), ALGORITHM, SIGNATURE);
/** a certificate whose bytes end inside its last element's header or content (the outer length says so) */
const endingWith = (tail: Uint8Array): Uint8Array => {
  const content = cat(tbs(), ALGORITHM, tail);
  return Uint8Array.from([0x30, ...length(content.length), ...content]);
};
const long = (tag: number, lengthBytes: number[], size: number): Uint8Array =>
  Uint8Array.from([tag, ...lengthBytes, ...new Uint8Array(size).fill(0x41)]);

describe('derProblem: canonical DER certificates, byte by byte', () => {
  it.each<[string, Parts]>([
    ['the plain certificate', {}],
    [
      'issuer and subject unique ids (RFC 5280 [1] and [2])',
      { extra: [tlv(0x81, b(0x00, 0xff)), tlv(0x82, b(0x00, 0xff))] },
    ],
    ['an extension without critical', { extensions: tlv(0xa3, seq(extension(VALUE))) }],
    ['a BOOLEAN TRUE as 0xff, a BOOLEAN FALSE', { value: seq(tlv(0x01, b(0xff)), tlv(0x01, b(0x00))) }],
    [
      'INTEGERs that need their leading byte',
      { value: seq(tlv(0x02, b(0x00, 0x80)), tlv(0x02, b(0xff, 0x7f)), tlv(0x02, b(0x00))) },
    ],
    ['a BIT STRING with seven zero padding bits', { value: tlv(0x03, b(0x07, 0x80)) }],
    ['an empty BIT STRING', { value: tlv(0x03, b(0x00)) }],
    [
      'an OBJECT IDENTIFIER with 0x80 inside a sub-identifier',
      { value: tlv(0x06, b(0x2a, 0x86, 0x80, 0x01)) },
    ],
    ['a GeneralizedTime', { value: tlv(0x18, str('20250101000000Z')) }],
    ['a BMPString, a UniversalString', { value: seq(tlv(0x1e, b(0x00, 0x41)), tlv(0x1c, b(0, 0, 0, 0x41))) }],
    ['a long-form length of exactly 128', { value: long(0x0c, [0x81, 0x80], 0x80) }],
    ['a two-byte length', { value: long(0x0c, [0x82, 0x01, 0x00], 0x100) }],
    ['equal components of a SET OF', { value: tlv(0x31, cat(rdn(CN, NULL), rdn(CN, NULL))) }],
    ['a SET OF in DER order', { value: tlv(0x31, cat(rdn(CN, NULL), rdn(O, NULL))) }],
    ['elements nested 32 levels deep', { value: nest(27) }],
  ])('accepts %s', (_name, parts) => {
    expect(derProblem(certificate(parts))).toBeUndefined();
  });

  it.each<[string, () => Uint8Array, 'not-certificate' | 'non-canonical']>([
    ['a lone byte', () => b(0x30), 'not-certificate'],
    ['an element longer than the input', () => b(0x04, 0x05, 0x00), 'not-certificate'],
    [
      'a length of five bytes',
      () => certificate({ value: b(0x04, 0x85, 0x00, 0x00, 0x00, 0x00, 0x01, 0x41) }),
      'not-certificate',
    ],
    ['a multi-byte tag', () => certificate({ value: b(0x9f, 0x01, 0x00) }), 'not-certificate'],
    ['a length cut short at the end of the input', () => endingWith(b(0x03, 0x82, 0x01)), 'not-certificate'],
    [
      'a long-form length with a leading zero byte',
      () => certificate({ value: long(0x0c, [0x83, 0x00, 0x00, 0x80], 0x80) }),
      'non-canonical',
    ],
    [
      'a long-form length for 127 bytes',
      () => certificate({ value: long(0x0c, [0x81, 0x7f], 0x7f) }),
      'non-canonical',
    ],
    [
      'an element longer than its container (the last TBS field runs over the signature)',
      () => {
        const spkiContent = cat(ALGORITHM, tlv(0x03, b(0x00, 0x04, 0x01)));
        const tail = cat(ALGORITHM, SIGNATURE);
        // the SPKI's header claims its own content and the algorithm and signature after the TBS
        const spki = Uint8Array.from([0x30, ...length(spkiContent.length + tail.length), ...spkiContent]);
        const body = cat(
          V3,
          tlv(0x02, b(0x01)),
          ALGORITHM,
          subjectWith(NULL),
          VALIDITY,
          subjectWith(NULL),
          spki,
        );
        return seq(Uint8Array.from([0x30, ...length(body.length), ...body]), tail);
      },
      'not-certificate',
    ],
    ['elements nested 33 levels deep', () => certificate({ value: nest(28) }), 'not-certificate'],
    [
      'a constructed UTF8String',
      () => certificate({ value: tlv(0x2c, tlv(0x0c, str('a'))) }),
      'non-canonical',
    ],
    [
      'a constructed OCTET STRING',
      () => certificate({ value: tlv(0x24, tlv(0x04, b(0x00))) }),
      'non-canonical',
    ],
    ['a primitive SEQUENCE', () => certificate({ value: b(0x10, 0x00) }), 'not-certificate'],
    [
      'a SET OF out of DER order',
      () => certificate({ value: tlv(0x31, cat(rdn(O, NULL), rdn(CN, NULL))) }),
      'non-canonical',
    ],
    ['a BOOLEAN TRUE as 0x01', () => certificate({ value: tlv(0x01, b(0x01)) }), 'non-canonical'],
    ['a BOOLEAN of two bytes', () => certificate({ value: tlv(0x01, b(0xff, 0xff)) }), 'not-certificate'],
    ['an INTEGER padded with 0x00', () => certificate({ value: tlv(0x02, b(0x00, 0x7f)) }), 'non-canonical'],
    ['an INTEGER padded with 0xff', () => certificate({ value: tlv(0x02, b(0xff, 0x80)) }), 'non-canonical'],
    ['an empty INTEGER', () => certificate({ value: tlv(0x02, b()) }), 'not-certificate'],
    [
      'a BIT STRING with 8 unused bits',
      () => certificate({ value: tlv(0x03, b(0x08, 0x00)) }),
      'not-certificate',
    ],
    [
      'an empty BIT STRING with unused bits',
      () => certificate({ value: tlv(0x03, b(0x01)) }),
      'not-certificate',
    ],
    [
      'a BIT STRING with a padding bit set',
      () => certificate({ value: tlv(0x03, b(0x01, 0x01)) }),
      'non-canonical',
    ],
    ['a NULL with content', () => certificate({ value: tlv(0x05, b(0x00)) }), 'not-certificate'],
    [
      'an OBJECT IDENTIFIER with a padded first sub-identifier',
      () => certificate({ value: tlv(0x06, b(0x80, 0x01)) }),
      'non-canonical',
    ],
    [
      'an OBJECT IDENTIFIER with a padded later sub-identifier',
      () => certificate({ value: tlv(0x06, b(0x2a, 0x80, 0x01)) }),
      'non-canonical',
    ],
    [
      'an OBJECT IDENTIFIER cut in a sub-identifier',
      () => certificate({ value: tlv(0x06, b(0x2a, 0x86)) }),
      'not-certificate',
    ],
    [
      'a UTCTime with a byte after its Z',
      () => certificate({ value: UTC('250101000000Z0') }),
      'non-canonical',
    ],
    [
      'a GeneralizedTime with a fraction',
      () => certificate({ value: tlv(0x18, str('20250101000000.5Z')) }),
      'non-canonical',
    ],
    ['a UTF8String that is not UTF-8', () => certificate({ value: tlv(0x0c, b(0xff)) }), 'not-certificate'],
    ['a BMPString of odd length', () => certificate({ value: tlv(0x1e, b(0x41)) }), 'not-certificate'],
    [
      'a UniversalString of 2 bytes',
      () => certificate({ value: tlv(0x1c, b(0x00, 0x41)) }),
      'not-certificate',
    ],
    ['a byte after the certificate', () => cat(certificate(), b(0x00)), 'non-canonical'],
    ['a fourth element in the certificate', () => seq(tbs(), ALGORITHM, SIGNATURE, NULL), 'not-certificate'],
    [
      'an outer signature algorithm other than the TBS one (RFC 5280 §4.1.1.2)',
      () => seq(tbs(), seq(tlv(0x06, b(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03))), SIGNATURE),
      'not-certificate',
    ],
    [
      'an outer signature algorithm with parameters the TBS one has not',
      () => seq(tbs(), seq(tlv(0x06, b(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02)), NULL), SIGNATURE),
      'not-certificate',
    ],
    [
      'a signature that is not a BIT STRING',
      () => seq(tbs(), ALGORITHM, tlv(0x04, b(0x00))),
      'not-certificate',
    ],
    [
      'an explicit version v1',
      () => certificate({ version: tlv(0xa0, tlv(0x02, b(0x00))) }),
      'non-canonical',
    ],
    [
      'a version of two INTEGERs',
      () => certificate({ version: tlv(0xa0, cat(tlv(0x02, b(0x02)), tlv(0x02, b(0x02)))) }),
      'not-certificate',
    ],
    [
      'a validity of three times',
      () => certificate({ validity: seq(UTC('250101000000Z'), UTC('250101000000Z'), UTC('260101000000Z')) }),
      'not-certificate',
    ],
    [
      'a validity with an INTEGER',
      () => certificate({ validity: seq(UTC('250101000000Z'), tlv(0x02, b(0x01))) }),
      'not-certificate',
    ],
    [
      'two extension lists',
      () => certificate({ extensions: tlv(0xa3, cat(seq(extension(VALUE)), seq(extension(VALUE)))) }),
      'not-certificate',
    ],
    [
      'an extension of four parts',
      () => certificate({ extensions: tlv(0xa3, seq(extension(tlv(0x01, b(0xff)), VALUE, VALUE))) }),
      'not-certificate',
    ],
    [
      'an extension whose critical is no BOOLEAN',
      () => certificate({ extensions: tlv(0xa3, seq(extension(tlv(0x02, b(0x01)), VALUE))) }),
      'not-certificate',
    ],
    [
      'an extension with critical FALSE',
      () => certificate({ extensions: tlv(0xa3, seq(extension(tlv(0x01, b(0x00)), VALUE))) }),
      'non-canonical',
    ],
    [
      'an extension value that is no OCTET STRING',
      () => certificate({ extensions: tlv(0xa3, seq(extension(tlv(0x02, b(0x01))))) }),
      'not-certificate',
    ],
    [
      'an extension that is no SEQUENCE',
      () => certificate({ extensions: tlv(0xa3, seq(tlv(0xa0, cat(KEY_USAGE, VALUE)))) }),
      'not-certificate',
    ],
    ['a field after the extensions', () => certificate({ after: [tlv(0xa4, NULL)] }), 'not-certificate'],
    [
      'the unique ids after the extensions',
      () => certificate({ after: [tlv(0x81, b(0x00, 0xff))] }),
      'not-certificate',
    ],
  ])('refuses %s', (_name, make, kind) => {
    const der = make();
    expect(derProblem(der)?.kind).toBe(kind);
    expect(() => checkDerCertificate(der)).toThrowCode('VERIFY_CERTIFICATE_INVALID');
  });
});

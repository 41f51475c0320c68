// The strict DER walk (der.ts) against a parse-and-re-encode round trip through a maintained X.509
// schema (@peculiar/asn1-x509) on every real certificate of the test data, and against BER
// re-encodings of a real certificate, each refused.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { checkDerCertificate, derProblem } from '../../../src/core/verify/der.js';

const VECTORS = join(import.meta.dirname, '../../fixtures/vectors');

function roundTrips(der: Buffer): boolean {
  try {
    return Buffer.from(AsnConvert.serialize(AsnConvert.parse(der, Certificate))).equals(der);
  } catch {
    return false;
  }
}

/** every base64 `rawBytes` of every JSON fixture that parses as a certificate-looking SEQUENCE */
function realCertificates(): Buffer[] {
  const found = new Map<string, Buffer>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        if (k === 'rawBytes' && typeof v === 'string') {
          const der = Buffer.from(v, 'base64');
          // certificates, not public keys: a SEQUENCE whose first element is a SEQUENCE with a version
          if (der[0] === 0x30 && der.includes(Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02]))) found.set(v, der);
        } else visit(v);
      }
    }
  };
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(json|jsonl)$/.test(e.name)) files.push(p);
    }
  };
  if (existsSync(VECTORS)) walk(VECTORS);
  for (const f of files) {
    for (const line of readFileSync(f, 'utf8').split(/\n(?=\{)/)) {
      try {
        visit(JSON.parse(line));
      } catch {
        // not JSON (or a malformed case): no certificate to take
      }
    }
  }
  return [...found.values()];
}

const certificates = realCertificates();
const sample = readFileSync(
  join(VECTORS, 'sigstore-conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json'),
  'utf8',
);
const LEAF = Buffer.from(
  (JSON.parse(sample) as { verificationMaterial: { certificate: { rawBytes: string } } }).verificationMaterial
    .certificate.rawBytes,
  'base64',
);

/** replaces the first occurrence of `from` (after `after`) in the leaf */
function patched(from: string, to: string): Buffer {
  const hex = LEAF.toString('hex');
  const i = hex.indexOf(from);
  expect(i).toBeGreaterThanOrEqual(0);
  return Buffer.from(hex.slice(0, i) + to + hex.slice(i + from.length), 'hex');
}

/** re-wraps the outer SEQUENCE with a content change (lengths fixed up) */
function withContent(edit: (content: Buffer) => Buffer): Buffer {
  const lengthBytes = (LEAF[1] as number) & 0x7f;
  const content = edit(LEAF.subarray(2 + lengthBytes));
  const header =
    content.length < 0x80 ? [0x30, content.length] : [0x30, 0x82, content.length >> 8, content.length & 0xff];
  return Buffer.concat([Buffer.from(header), content]);
}

describe('checkDerCertificate', () => {
  it('accepts every real certificate of the test data, as the schema round trip does', () => {
    expect(certificates.length).toBeGreaterThan(20);
    for (const der of certificates) {
      expect({ der: der.toString('base64').slice(0, 40), problem: derProblem(der) }).toEqual({
        der: der.toString('base64').slice(0, 40),
        problem: roundTrips(der) ? undefined : expect.anything(),
      });
    }
  });

  // each a BER re-encoding (or a breakage) of happy-path-v0.3's leaf certificate
  const variants: [string, () => Buffer, boolean][] = [
    [
      'long-form outer length (0x83 00 LL LL)',
      () => Buffer.concat([Buffer.from([0x30, 0x83, 0x00]), LEAF.subarray(2)]),
      true,
    ],
    ['bytes after the certificate', () => Buffer.concat([LEAF, Buffer.from([0x00])]), true],
    ['BOOLEAN TRUE as 0x01 (critical)', () => patched('0101ff', '010101'), true],
    ['critical FALSE encoded', () => patched('0101ff', '010100'), true],
    ['version v1 explicit', () => patched('a003020102', 'a003020100'), true],
    [
      'indefinite length',
      () => Buffer.concat([Buffer.from([0x30, 0x80]), LEAF.subarray(4), Buffer.from([0, 0])]),
      true,
    ],
    [
      'UTCTime without seconds',
      () => {
        const hex = LEAF.toString('hex');
        const i = hex.indexOf('170d'); // UTCTime, 13 bytes
        return withContent((content) => {
          const c = content.toString('hex');
          const j = c.indexOf(hex.slice(i, i + 30));
          // 17 0b YYMMDDHHMMZ: drop the seconds; the enclosing lengths change too, so the
          // certificate is broken as well as non-canonical: either way refused
          return Buffer.from(c.slice(0, j) + '170b' + c.slice(j + 4, j + 24) + '5a' + c.slice(j + 30), 'hex');
        });
      },
      true,
    ],
    ['not a certificate at all', () => Buffer.from('3003020101', 'hex'), true],
    ['truncated', () => LEAF.subarray(0, LEAF.length - 10), true],
  ];

  it.each(variants)('refuses: %s', (_name, make, refused) => {
    const der = make();
    expect(derProblem(der) !== undefined).toBe(refused);
    expect(() => checkDerCertificate(der)).toThrowCode('VERIFY_CERTIFICATE_INVALID');
  });

  it('the round trip refuses the BER variants it can read too (no weaker than before)', () => {
    for (const [, make] of variants.slice(0, 5)) expect(roundTrips(make())).toBe(false);
  });
});

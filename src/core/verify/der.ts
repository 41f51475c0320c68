import { VerificationError } from '../../errors.js';

// X.509 certificates are DER (RFC 5280 §4.1, X.690 §10–11): one encoding per value. BER also
// allows long-form lengths for short values, indefinite lengths, constructed strings, explicit
// DEFAULT values, BOOLEAN TRUE as any non-zero byte, padded INTEGERs and other re-encodings of
// the same certificate; a verifier that accepts them lets one signed certificate take many byte
// forms (different fingerprints, different log entries), whatever @sigstore/verify's lenient
// ASN.1 reader makes of them.
//
// The check is one walk over the bytes: every element's tag and length in their DER form, every
// primitive in its canonical content (BOOLEAN, INTEGER, BIT STRING, NULL, OBJECT IDENTIFIER,
// UTCTime, GeneralizedTime, UTF8String, BMPString), SET OF in DER order, no trailing bytes; and the
// Certificate / TBSCertificate / Extension structure of RFC 5280 §4.1, where DER forbids encoding a
// DEFAULT: a version of v1, an extension's `critical` of FALSE; and the outer signature algorithm
// must be the TBS's, byte for byte (RFC 5280 §4.1.1.2). Extension values (OCTET STRING) are
// read by their own parsers and are not walked. It replaces a parse-and-re-encode round trip
// through an X.509 schema (a fifth of a verification) with the same refusals and a few more (an
// INTEGER with a redundant leading byte, SET OF order, invalid UTF-8 are not DER either).

/**
 * Refuses a certificate that is not canonical DER (or not a certificate at all).
 * @throws VerificationError `VERIFY_CERTIFICATE_INVALID`
 */
export function checkDerCertificate(der: Uint8Array, what = 'certificate'): void {
  const problem = derProblem(der);
  if (problem === undefined) return;
  if (problem.kind === 'not-certificate') {
    throw new VerificationError('VERIFY_CERTIFICATE_INVALID', `${what} is not an x.509 certificate in der`, {
      details: { reason: 'not-der', at: problem.at, problem: problem.message },
    });
  }
  throw new VerificationError(
    'VERIFY_CERTIFICATE_INVALID',
    `${what} is not canonical der (a ber re-encoding of a certificate is refused): ${problem.message} at byte ${problem.at}`,
    {
      details: {
        reason: 'non-canonical-der',
        length: der.byteLength,
        at: problem.at,
        problem: problem.message,
      },
    },
  );
}

interface Problem {
  readonly kind: 'not-certificate' | 'non-canonical';
  readonly message: string;
  readonly at: number;
}

class DerProblem extends Error {
  constructor(
    readonly kind: Problem['kind'],
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

/** What makes `der` not a canonical DER certificate, or undefined. */
export function derProblem(der: Uint8Array): Problem | undefined {
  try {
    const top = element(der, 0);
    walk(der, top, 0);
    if (top.end !== der.length) throw new DerProblem('non-canonical', 'bytes after the certificate', top.end);
    certificate(der, top);
    return undefined;
  } catch (error) {
    if (error instanceof DerProblem) return { kind: error.kind, message: error.message, at: error.at };
    throw error;
  }
}

interface Element {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

const MAX_DEPTH = 32;

function element(der: Uint8Array, at: number): Element {
  if (at + 2 > der.length) throw new DerProblem('not-certificate', 'truncated element', at);
  const tag = der[at] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerProblem('not-certificate', 'multi-byte tag', at);
  const first = der[at + 1] as number;
  let length = first;
  let contentStart = at + 2;
  if (first === 0x80) throw new DerProblem('non-canonical', 'indefinite length', at + 1);
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n > 4) throw new DerProblem('not-certificate', 'length too large', at + 1);
    if (contentStart + n > der.length) throw new DerProblem('not-certificate', 'truncated length', at + 1);
    if (der[contentStart] === 0)
      throw new DerProblem('non-canonical', 'length with a leading zero byte', at + 1);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (der[contentStart + i] as number);
    if (length < 0x80) throw new DerProblem('non-canonical', 'long-form length for a short value', at + 1);
    contentStart += n;
  }
  const end = contentStart + length;
  if (end > der.length) throw new DerProblem('not-certificate', 'element longer than its container', at);
  return { tag, start: at, contentStart, end };
}

function childrenOf(der: Uint8Array, parent: Element): Element[] {
  const out: Element[] = [];
  for (let at = parent.contentStart; at < parent.end;) {
    const child = element(der, at);
    if (child.end > parent.end)
      throw new DerProblem('not-certificate', 'element longer than its container', at);
    out.push(child);
    at = child.end;
  }
  return out;
}

const CONSTRUCTED = 0x20;
const UNIVERSAL_MUST_BE_PRIMITIVE = new Set([
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x12, 0x13, 0x14, 0x16, 0x17, 0x18, 0x1a, 0x1c, 0x1e,
]);

/** X.690 §10–11 for every element: DER tags and lengths, canonical primitives, SET OF order. */
function walk(der: Uint8Array, e: Element, depth: number): void {
  if (depth > MAX_DEPTH) throw new DerProblem('not-certificate', 'nested too deep', e.start);
  const constructed = (e.tag & CONSTRUCTED) !== 0;
  const universal = (e.tag & 0xc0) === 0;
  const number = e.tag & 0x1f;
  if (universal && constructed && UNIVERSAL_MUST_BE_PRIMITIVE.has(number)) {
    throw new DerProblem('non-canonical', `constructed form of universal type ${number}`, e.start);
  }
  if (universal && !constructed && (number === 0x10 || number === 0x11)) {
    throw new DerProblem('not-certificate', 'primitive sequence or set', e.start);
  }
  if (constructed) {
    const kids = childrenOf(der, e);
    for (const kid of kids) walk(der, kid, depth + 1);
    if (universal && number === 0x11) setOrder(der, kids);
    return;
  }
  if (universal) primitive(der, e, number);
}

function primitive(der: Uint8Array, e: Element, number: number): void {
  const length = e.end - e.contentStart;
  const at = e.contentStart;
  const byte = (i: number): number => der[at + i] as number;
  switch (number) {
    case 0x01: // BOOLEAN
      if (length !== 1) throw new DerProblem('not-certificate', 'boolean of another length than 1', e.start);
      if (byte(0) !== 0x00 && byte(0) !== 0xff)
        throw new DerProblem('non-canonical', 'boolean true not 0xff', at);
      return;
    case 0x02: // INTEGER
      if (length === 0) throw new DerProblem('not-certificate', 'empty integer', e.start);
      if (length > 1 && ((byte(0) === 0x00 && byte(1) < 0x80) || (byte(0) === 0xff && byte(1) >= 0x80))) {
        throw new DerProblem('non-canonical', 'integer with a redundant leading byte', at);
      }
      return;
    case 0x03: {
      // BIT STRING: unused bits 0..7, none in an empty string, padding bits zero
      if (length === 0)
        throw new DerProblem('not-certificate', 'bit string without its unused-bits byte', e.start);
      const unused = byte(0);
      if (unused > 7 || (length === 1 && unused !== 0)) {
        throw new DerProblem('not-certificate', 'bit string with a bad unused-bits count', at);
      }
      if (unused > 0 && (byte(length - 1) & ((1 << unused) - 1)) !== 0) {
        throw new DerProblem('non-canonical', 'bit string with non-zero padding bits', e.end - 1);
      }
      return;
    }
    case 0x05: // NULL
      if (length !== 0) throw new DerProblem('not-certificate', 'null with content', e.start);
      return;
    case 0x06: // OBJECT IDENTIFIER: minimal sub-identifiers, the last one complete
      if (length === 0) throw new DerProblem('not-certificate', 'empty object identifier', e.start);
      for (let i = 0; i < length; i++) {
        const startsSubidentifier = i === 0 || (byte(i - 1) & 0x80) === 0;
        if (startsSubidentifier && byte(i) === 0x80) {
          throw new DerProblem('non-canonical', 'object identifier with a padded sub-identifier', at + i);
        }
      }
      if ((byte(length - 1) & 0x80) !== 0) {
        throw new DerProblem('not-certificate', 'object identifier cut in a sub-identifier', e.end - 1);
      }
      return;
    case 0x17: // UTCTime, DER: YYMMDDHHMMSSZ
      if (!/^\d{12}Z$/.test(ascii(der, e)))
        throw new DerProblem('non-canonical', 'utctime not YYMMDDHHMMSSZ', at);
      return;
    case 0x18: // GeneralizedTime, DER and RFC 5280: YYYYMMDDHHMMSSZ
      if (!/^\d{14}Z$/.test(ascii(der, e))) {
        throw new DerProblem('non-canonical', 'generalizedtime not YYYYMMDDHHMMSSZ', at);
      }
      return;
    case 0x0c: // UTF8String
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(der.subarray(at, e.end));
      } catch {
        throw new DerProblem('not-certificate', 'utf8string not utf-8', at);
      }
      return;
    case 0x1e: // BMPString
      if (length % 2 !== 0) throw new DerProblem('not-certificate', 'bmpstring of odd length', e.start);
      return;
    case 0x1c: // UniversalString
      if (length % 4 !== 0)
        throw new DerProblem('not-certificate', 'universalstring length not a multiple of 4', e.start);
      return;
    default:
      return;
  }
}

function ascii(der: Uint8Array, e: Element): string {
  return Buffer.from(der.buffer, der.byteOffset + e.contentStart, e.end - e.contentStart).toString('latin1');
}

/** X.690 §11.6: the components of a SET OF in ascending order of their encodings */
function setOrder(der: Uint8Array, kids: readonly Element[]): void {
  for (let i = 1; i < kids.length; i++) {
    const a = der.subarray((kids[i - 1] as Element).start, (kids[i - 1] as Element).end);
    const b = der.subarray((kids[i] as Element).start, (kids[i] as Element).end);
    if (Buffer.compare(a, b) > 0) {
      throw new DerProblem('non-canonical', 'set of components not in der order', (kids[i] as Element).start);
    }
  }
}

const SEQUENCE = 0x30;
const notCertificate = (message: string, at: number): DerProblem =>
  new DerProblem('not-certificate', message, at);

/** RFC 5280 §4.1: Certificate, TBSCertificate, Extension, with no encoded DEFAULT */
function certificate(der: Uint8Array, top: Element): void {
  if (top.tag !== SEQUENCE) throw notCertificate('not a sequence', top.start);
  const [tbs, algorithm, signature, ...rest] = childrenOf(der, top);
  if (tbs?.tag !== SEQUENCE || algorithm?.tag !== SEQUENCE || signature?.tag !== 0x03 || rest.length > 0) {
    throw notCertificate('not certificate, algorithm, signature', top.start);
  }
  const fields = childrenOf(der, tbs);
  let i = 0;
  const next = (): Element | undefined => fields[i];
  if (next()?.tag === 0xa0) {
    const version = childrenOf(der, fields[i] as Element);
    if (version.length !== 1 || version[0]?.tag !== 0x02)
      throw notCertificate('bad version', (fields[i] as Element).start);
    const v = version[0];
    if (v.end - v.contentStart === 1 && der[v.contentStart] === 0) {
      throw new DerProblem('non-canonical', 'version v1 encoded (it is the default)', v.start);
    }
    i++;
  }
  const expect = (tag: number, what: string): Element => {
    const f = next();
    if (f?.tag !== tag) throw notCertificate(`expected ${what}`, f?.start ?? tbs.end);
    i++;
    return f;
  };
  expect(0x02, 'serial number');
  // RFC 5280 §4.1.1.2: the outer signatureAlgorithm MUST be the TBS's `signature` field. Only the
  // TBS one is signed, so a certificate whose outer algorithm differs is another byte form of the
  // same signed certificate (@sigstore/core verifies with the outer one, and a hash it maps from
  // an RSA identifier verifies an ECDSA signature too). Go's x509 parser refuses it ("inner and
  // outer signature algorithm identifiers don't match"), and with it sigstore-go, slsa-verifier
  // and `gh attestation verify`.
  const inner = expect(SEQUENCE, 'signature algorithm');
  if (
    Buffer.compare(der.subarray(inner.start, inner.end), der.subarray(algorithm.start, algorithm.end)) !== 0
  ) {
    throw notCertificate('signature algorithm differs from the to-be-signed one', algorithm.start);
  }
  expect(SEQUENCE, 'issuer');
  const validity = expect(SEQUENCE, 'validity');
  const times = childrenOf(der, validity);
  if (times.length !== 2 || !times.every((t) => t.tag === 0x17 || t.tag === 0x18)) {
    throw notCertificate('bad validity', validity.start);
  }
  expect(SEQUENCE, 'subject');
  expect(SEQUENCE, 'subject public key info');
  if (next()?.tag === 0x81) i++;
  if (next()?.tag === 0x82) i++;
  if (next()?.tag === 0xa3) {
    const wrapper = fields[i] as Element;
    const inner = childrenOf(der, wrapper);
    if (inner.length !== 1 || inner[0]?.tag !== SEQUENCE)
      throw notCertificate('bad extensions', wrapper.start);
    for (const extension of childrenOf(der, inner[0])) {
      const parts = childrenOf(der, extension);
      if (extension.tag !== SEQUENCE || parts[0]?.tag !== 0x06)
        throw notCertificate('bad extension', extension.start);
      const hasCritical = parts.length === 3;
      if (parts.length < 2 || parts.length > 3 || (hasCritical && parts[1]?.tag !== 0x01)) {
        throw notCertificate('bad extension', extension.start);
      }
      if (parts[parts.length - 1]?.tag !== 0x04) throw notCertificate('bad extension value', extension.start);
      if (hasCritical && der[(parts[1] as Element).contentStart] === 0x00) {
        throw new DerProblem(
          'non-canonical',
          'critical FALSE encoded (it is the default)',
          (parts[1] as Element).start,
        );
      }
    }
    i++;
  }
  if (i !== fields.length)
    throw notCertificate('unexpected field in the certificate', (fields[i] as Element).start);
}

/**
 * Whether the elements of `der` nest deeper than `max`, counted as @sigstore/core's ASN.1 reader
 * reads them: definite lengths, constructed elements, and OCTET STRINGs whose content reads as
 * elements (it tries each one, and treats it as primitive when that fails). One loop, no
 * recursion: that reader recurses once per level, so a token of a million nested SEQUENCEs (a few
 * MiB in a bundle) ran it out of stack. Bytes the reader cannot read either are left to it.
 */
export function nestsDeeperThan(der: Uint8Array, max: number): boolean {
  const frames: { end: number; octets: boolean }[] = [];
  let at = 0;
  for (;;) {
    while (frames.length > 0 && at === frames[frames.length - 1]!.end) frames.pop();
    if (at >= der.length && frames.length === 0) return false;
    const limit = frames.length > 0 ? frames[frames.length - 1]!.end : der.length;
    const next = readElement(der, at, limit);
    if (next === undefined) {
      // unreadable: inside an OCTET STRING the reader keeps the string as bytes and goes on after
      // it; anywhere else it fails, and so does the verification
      let inner = frames.length - 1;
      while (inner >= 0 && !frames[inner]!.octets) inner--;
      if (inner < 0) return false;
      at = frames[inner]!.end;
      frames.length = inner;
      continue;
    }
    const { tag, contentStart, end } = next;
    const octets = tag === 0x04;
    if ((tag & CONSTRUCTED) !== 0 || (octets && end > contentStart)) {
      frames.push({ end, octets });
      if (frames.length > max) return true;
      at = contentStart;
    } else {
      at = end;
    }
  }
}

function readElement(
  der: Uint8Array,
  at: number,
  limit: number,
): { tag: number; contentStart: number; end: number } | undefined {
  if (at + 2 > limit) return undefined;
  const tag = der[at] as number;
  const first = der[at + 1] as number;
  let length = first;
  let contentStart = at + 2;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 6 || contentStart + n > limit) return undefined;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (der[contentStart + i] as number);
    if (length === 0) return undefined;
    contentStart += n;
  }
  const end = contentStart + length;
  return end > limit ? undefined : { tag, contentStart, end };
}

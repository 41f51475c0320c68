// @sigstore/core's DSSE module on its own: the package index also loads its ASN.1, X.509 and RFC 3161
// code (~10 ms of start-up that `attest` pays after hashing). The package has no `exports` map, so
// the path is public; dsse.test.ts checks it is the very function the index exports.
import { preAuthEncoding } from '@sigstore/core/dist/dsse.js';
import { SlsaLedgerError, VerificationError } from '../../errors.js';
import { parseJson } from '../input/strict-json.js';
import type { DsseEnvelope, InTotoStatement } from '../verify/types.js';

/** The only DSSE payload type slsa-ledger signs or accepts. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/**
 * DSSE v1 pre-authentication encoding: `DSSEv1 <len(type)> <type> <len(body)> <body>`, lengths are
 * byte counts. Delegates to @sigstore/core so signer and verifier agree with sigstore-js.
 */
export function computePae(payloadType: string, payload: Uint8Array): Uint8Array {
  return preAuthEncoding(payloadType, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
}

/** A DSSE envelope over `payload` with the given signatures (base64 as the DSSE JSON form requires). */
export function buildEnvelope(
  payloadType: string,
  payload: Uint8Array,
  signatures: readonly { keyid: string; sig: Uint8Array }[],
): DsseEnvelope {
  return {
    payloadType,
    payload: Buffer.from(payload).toString('base64'),
    signatures: signatures.map((s) => ({ keyid: s.keyid, sig: Buffer.from(s.sig).toString('base64') })),
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** Decodes standard or URL-safe base64 strictly; undefined when it is not base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  if (BASE64.test(text)) return Buffer.from(text, 'base64');
  if (BASE64URL.test(text)) return Buffer.from(text, 'base64url');
  return undefined;
}

function malformed(source: string, problem: string, details: Record<string, unknown> = {}): SlsaLedgerError {
  return new SlsaLedgerError('INPUT_PROVENANCE_MALFORMED', `${source}: ${problem}`, {
    details: { source, ...details },
  });
}

/**
 * Checks that a parsed JSON value has the DSSE envelope shape (payloadType, base64 payload, at least
 * one signature with a base64 `sig`). Throws INPUT_PROVENANCE_MALFORMED naming `source`.
 */
export function parseEnvelope(value: unknown, source: string): DsseEnvelope {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(source, 'a dsse envelope must be a json object');
  }
  const v = value as Record<string, unknown>;
  if (typeof v.payloadType !== 'string' || v.payloadType === '') {
    throw malformed(source, 'the dsse envelope has no payloadType');
  }
  if (typeof v.payload !== 'string' || decodeBase64(v.payload) === undefined) {
    throw malformed(source, 'the dsse envelope payload is missing or not base64');
  }
  if (!Array.isArray(v.signatures) || v.signatures.length === 0) {
    throw malformed(source, 'the dsse envelope has no signatures');
  }
  const signatures = v.signatures.map((s: unknown, i) => {
    const sig = (s as { sig?: unknown } | null)?.sig;
    const keyid = (s as { keyid?: unknown } | null)?.keyid;
    if (typeof sig !== 'string' || sig === '' || decodeBase64(sig) === undefined) {
      throw malformed(source, `signature ${i} has no base64 sig`);
    }
    if (keyid !== undefined && typeof keyid !== 'string') {
      throw malformed(source, `signature ${i} has a keyid that is not a string`);
    }
    return keyid === undefined ? { sig } : { keyid, sig };
  });
  return { payloadType: v.payloadType, payload: v.payload, signatures };
}

/** The payload bytes of a (shape-checked) envelope. */
export function envelopePayload(envelope: DsseEnvelope): Uint8Array {
  return decodeBase64(envelope.payload) ?? new Uint8Array();
}

/**
 * Decodes a verified envelope's payload as an in-toto statement. The payload type must be in-toto
 * (VERIFY_PAYLOAD_TYPE_INVALID, a negative verdict: the signer signed something else); the payload
 * must be a JSON statement with subjects and a predicate type (INPUT_PROVENANCE_MALFORMED).
 */
export function decodeStatement(envelope: DsseEnvelope, source: string): InTotoStatement {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new VerificationError(
      'VERIFY_PAYLOAD_TYPE_INVALID',
      `${source}: payload type is ${envelope.payloadType}, expected ${IN_TOTO_PAYLOAD_TYPE}`,
      { details: { source, expected: IN_TOTO_PAYLOAD_TYPE, actual: envelope.payloadType } },
    );
  }
  return parseStatement(envelopePayload(envelope), source);
}

/** Parses statement bytes and checks its shape (not its types: the policy checks those). */
export function parseStatement(payload: Uint8Array, source: string): InTotoStatement {
  // strictly, within the `signed` limits: duplicate and case-variant keys refused at every level
  // (INPUT_JSON_DUPLICATE_KEY), like the bundle or envelope around it
  const value = parseJson(payload, 'signed', `${source}: in-toto statement`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(source, 'the statement must be a json object');
  }
  const s = value as Record<string, unknown>;
  if (typeof s._type !== 'string') throw malformed(source, 'the statement has no _type');
  if (typeof s.predicateType !== 'string') throw malformed(source, 'the statement has no predicateType');
  if (!Array.isArray(s.subject) || s.subject.length === 0) {
    throw malformed(source, 'the statement has no subjects');
  }
  checkSubjectShapes(s.subject, source);
  if (typeof s.predicate !== 'object' || s.predicate === null || Array.isArray(s.predicate)) {
    throw malformed(source, 'the statement has no predicate object');
  }
  return value as InTotoStatement;
}

/**
 * Each subject is an in-toto v1.1 ResourceDescriptor: a name or a uri (strings), and a non-empty
 * digest set of strings (any algorithm). Every reader of a signed statement checks this before it
 * looks at a subject, so a hostile subject (`null`, a digest that is not an object, a number for a
 * digest value) is bad input (INPUT_PROVENANCE_MALFORMED, exit 3), never a crash.
 */
export function checkSubjectShapes(subjects: readonly unknown[], source: string): void {
  for (const [i, subject] of subjects.entries()) {
    const sub = subject as { name?: unknown; uri?: unknown; digest?: unknown } | null;
    const digest = sub?.digest;
    if (
      sub === null ||
      typeof sub !== 'object' ||
      (sub.name !== undefined && typeof sub.name !== 'string') ||
      (sub.uri !== undefined && typeof sub.uri !== 'string') ||
      (sub.name === undefined && sub.uri === undefined) ||
      typeof digest !== 'object' ||
      digest === null ||
      Array.isArray(digest) ||
      Object.keys(digest).length === 0 ||
      !Object.values(digest).every((d) => typeof d === 'string')
    ) {
      throw malformed(source, `subject ${i} needs a name or a uri, and a digest set`);
    }
  }
}

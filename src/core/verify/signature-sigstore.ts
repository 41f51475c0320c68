import {
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  bundleFromJSON,
  type Bundle,
} from '@sigstore/bundle';
import { ASN1Obj, X509Certificate, crypto as sigstoreCrypto, dsse } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  Verifier,
  toSignedEntity,
  toTrustMaterial,
  type SignedEntity,
  type TrustMaterial,
} from '@sigstore/verify';
import { SlsaLedgerError, VerificationError, type ErrorCode } from '../../errors.js';
import type { InTotoStatement, SignerIdentity } from './types.js';

/** Trust material for certificate-signed provenance (a parsed Sigstore trusted_root.json). */
export interface SigstoreTrust {
  /** the trusted_root.json document as parsed JSON (media type application/vnd.dev.sigstore.trustedroot+json) */
  readonly trustedRoot: unknown;
}

/** A certificate-signed provenance as read from disk: a Sigstore bundle (v0.1–v0.3) or a bare DSSE envelope with a cert. */
export type CertificateSignedProvenance =
  | { readonly kind: 'bundle'; readonly bundle: unknown }
  | { readonly kind: 'dsse-with-certificate'; readonly envelope: unknown; readonly certificatePem: string };

const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

const KNOWN_BUNDLE_MEDIA_TYPES: ReadonlySet<string> = new Set([
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
]);

// Fulcio certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md).
// 1.1–1.6 are the deprecated raw-string forms; 1.8 onwards are DER-encoded UTF8Strings.
const OID = {
  issuerV1: '1.3.6.1.4.1.57264.1.1',
  workflowSha: '1.3.6.1.4.1.57264.1.3',
  workflowRepository: '1.3.6.1.4.1.57264.1.5',
  workflowRef: '1.3.6.1.4.1.57264.1.6',
  issuerV2: '1.3.6.1.4.1.57264.1.8',
  buildSignerUri: '1.3.6.1.4.1.57264.1.9',
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryDigest: '1.3.6.1.4.1.57264.1.13',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  buildConfigUri: '1.3.6.1.4.1.57264.1.18',
  runInvocationUri: '1.3.6.1.4.1.57264.1.21',
} as const;

/**
 * Builds @sigstore/verify trust material from a parsed trusted_root.json. Pure (key parsing only).
 * Throws INPUT_TRUSTED_ROOT_INVALID when the document is not a usable trusted root.
 */
export function buildTrustMaterial(trustedRoot: unknown): TrustMaterial {
  if (trustedRoot === null || typeof trustedRoot !== 'object' || Array.isArray(trustedRoot)) {
    throw new SlsaLedgerError('INPUT_TRUSTED_ROOT_INVALID', 'trusted root is not a json object');
  }
  const mediaType = (trustedRoot as { mediaType?: unknown }).mediaType;
  if (typeof mediaType !== 'string' || !mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')) {
    throw new SlsaLedgerError(
      'INPUT_TRUSTED_ROOT_INVALID',
      `trusted root has media type ${String(mediaType)}, expected application/vnd.dev.sigstore.trustedroot+json`,
      { details: { mediaType: typeof mediaType === 'string' ? mediaType : null } },
    );
  }
  try {
    return toTrustMaterial(TrustedRoot.fromJSON(trustedRoot));
  } catch (cause) {
    throw new SlsaLedgerError(
      'INPUT_TRUSTED_ROOT_INVALID',
      `trusted root cannot be read: ${messageOf(cause)}`,
      {
        cause,
      },
    );
  }
}

// One Verifier per trust object: building trust material parses every key, which batch mode must not repeat.
const verifierCache = new WeakMap<object, Verifier>();

function verifierFor(trust: SigstoreTrust): Verifier {
  const cached = verifierCache.get(trust);
  if (cached) return cached;
  // Thresholds as sigstore-js defaults and as slsa-verifier: at least one SCT, one tlog entry, one trusted time.
  const verifier = new Verifier(buildTrustMaterial(trust.trustedRoot), {
    ctlogThreshold: 1,
    tlogThreshold: 1,
    timestampThreshold: 1,
  });
  verifierCache.set(trust, verifier);
  return verifier;
}

/**
 * Verifies certificate chain (to a Fulcio CA of the trusted root at the log's integrated time), SCTs,
 * the transparency-log entry (SET, inclusion proof against a signed checkpoint, body matches the
 * envelope) and the DSSE signature, and returns the statement with the signer's identity. Pure and
 * synchronous over pre-loaded trust material. Every failure is a coded error (DESIGN.md §3).
 */
export function verifyCertificateSigned(
  provenance: CertificateSignedProvenance,
  trust: SigstoreTrust,
): { statement: InTotoStatement; signer: SignerIdentity } {
  switch (provenance.kind) {
    case 'bundle':
      return verifyBundle(provenance.bundle, trust);
    case 'dsse-with-certificate':
      return verifyBareEnvelope(provenance.envelope, provenance.certificatePem);
  }
}

function verifyBundle(
  raw: unknown,
  trust: SigstoreTrust,
): { statement: InTotoStatement; signer: SignerIdentity } {
  const bundle = parseBundle(raw);
  if (bundle.content.$case !== 'dsseEnvelope') {
    throw new SlsaLedgerError(
      'INPUT_PROVENANCE_MALFORMED',
      'sigstore bundle holds a message signature, expected a dsse envelope with an in-toto statement',
    );
  }
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.signatures.length !== 1) {
    throw new SlsaLedgerError(
      'INPUT_PROVENANCE_MALFORMED',
      `dsse envelope in a sigstore bundle must carry exactly one signature, found ${envelope.signatures.length}`,
      { details: { signatures: envelope.signatures.length } },
    );
  }
  const material = bundle.verificationMaterial;
  if (material.content.$case === 'publicKey') {
    throw new VerificationError(
      'VERIFY_CERTIFICATE_INVALID',
      'sigstore bundle is signed with a public key, expected a fulcio certificate',
    );
  }
  if (material.tlogEntries.length === 0) {
    throw new VerificationError(
      'VERIFY_TLOG_MISSING',
      'sigstore bundle has no transparency-log entry: nothing proves when the short-lived certificate signed it',
    );
  }
  const provesInclusion = material.tlogEntries.every(
    (entry) => entry.inclusionPromise !== undefined || entry.inclusionProof !== undefined,
  );
  if (!provesInclusion) {
    throw new VerificationError(
      'VERIFY_TLOG_MISSING',
      'transparency-log entry has neither a signed entry timestamp nor an inclusion proof',
    );
  }
  const hasTrustedTime =
    material.tlogEntries.some(
      (entry) => entry.inclusionPromise !== undefined && entry.integratedTime !== '0',
    ) || (material.timestampVerificationData?.rfc3161Timestamps.length ?? 0) > 0;
  if (!hasTrustedTime) {
    throw new VerificationError(
      'VERIFY_TLOG_MISSING',
      'no signed entry timestamp or timestamp-authority token proves when the certificate signed',
    );
  }

  for (const entry of material.tlogEntries) checkProofMatchesCheckpoint(entry);

  let entity: SignedEntity;
  try {
    entity = toSignedEntity(bundle);
  } catch (cause) {
    throw new VerificationError(
      'VERIFY_CERTIFICATE_INVALID',
      `certificate cannot be parsed: ${messageOf(cause)}`,
      {
        cause,
      },
    );
  }
  if (entity.key.$case !== 'certificate') {
    throw new VerificationError(
      'VERIFY_CERTIFICATE_INVALID',
      'sigstore bundle carries no signing certificate',
    );
  }
  const certificate = entity.key.certificate;

  try {
    verifierFor(trust).verify(entity);
  } catch (cause) {
    throw mapSigstoreError(cause);
  }

  const signer = certificateIdentity(certificate);
  const statement = parseStatement(envelope.payloadType, envelope.payload);
  return { statement, signer };
}

type TlogEntry = Bundle['verificationMaterial']['tlogEntries'][number];

// @sigstore/verify checks the Merkle path against the signed checkpoint and ignores the proof's own
// rootHash and treeSize; a proof that states another tree than its checkpoint is inconsistent.
function checkProofMatchesCheckpoint(entry: TlogEntry): void {
  const proof = entry.inclusionProof;
  if (proof === undefined) return;
  const note = proof.checkpoint?.envelope ?? '';
  const [, size, root] = note.split('\n');
  if (size !== proof.treeSize || root !== Buffer.from(proof.rootHash).toString('base64')) {
    throw new VerificationError(
      'VERIFY_TLOG_INVALID',
      'transparency-log inclusion proof states another tree (size or root hash) than its checkpoint',
      { details: { proofTreeSize: proof.treeSize, checkpointTreeSize: size ?? null } },
    );
  }
}

function verifyBareEnvelope(raw: unknown, certificatePem: string): never {
  const envelope = parseBareEnvelope(raw);
  const certificate = parseCertificate(certificatePem);
  const signature = envelope.signatures[0];
  /* c8 ignore next 3 -- parseBareEnvelope guarantees exactly one signature */
  if (signature === undefined) {
    throw new SlsaLedgerError('INPUT_PROVENANCE_MALFORMED', 'dsse envelope has no signature');
  }
  let valid: boolean;
  try {
    const key = sigstoreCrypto.createPublicKey(certificate.publicKey);
    valid = sigstoreCrypto.verify(
      dsse.preAuthEncoding(envelope.payloadType, envelope.payload),
      key,
      signature,
    );
  } catch (cause) {
    throw new VerificationError(
      'VERIFY_CERTIFICATE_INVALID',
      `certificate key cannot be used: ${messageOf(cause)}`,
      {
        cause,
      },
    );
  }
  if (!valid) {
    throw new VerificationError(
      'VERIFY_SIGNATURE_INVALID',
      'dsse signature does not verify with the certificate key',
    );
  }
  // The signature is good, but a Fulcio certificate lives ten minutes: only a transparency-log entry
  // proves the signature was made while it was valid. slsa-verifier searches Rekor online for it;
  // offline we fail closed rather than trust a signature of unknown date.
  throw new VerificationError(
    'VERIFY_TLOG_MISSING',
    'the dsse envelope carries a certificate but no transparency-log entry; provide a sigstore bundle with its rekor entry',
    { details: { subjectAlternativeName: certificate.subjectAltName ?? null } },
  );
}

function parseBundle(raw: unknown): Bundle {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SlsaLedgerError('INPUT_PROVENANCE_MALFORMED', 'sigstore bundle is not a json object');
  }
  const mediaType = (raw as { mediaType?: unknown }).mediaType;
  if (typeof mediaType !== 'string' || !KNOWN_BUNDLE_MEDIA_TYPES.has(mediaType)) {
    throw new SlsaLedgerError(
      'INPUT_PROVENANCE_MALFORMED',
      `unknown sigstore bundle media type ${JSON.stringify(mediaType ?? null)}`,
      {
        details: {
          mediaType: typeof mediaType === 'string' ? mediaType : null,
          expected: [...KNOWN_BUNDLE_MEDIA_TYPES],
        },
      },
    );
  }
  try {
    return bundleFromJSON(raw);
  } catch (cause) {
    throw new SlsaLedgerError('INPUT_PROVENANCE_MALFORMED', `invalid sigstore bundle: ${messageOf(cause)}`, {
      cause,
    });
  }
}

interface BareEnvelope {
  readonly payloadType: string;
  readonly payload: Buffer;
  readonly signatures: readonly Buffer[];
}

function parseBareEnvelope(raw: unknown): BareEnvelope {
  const env = raw as { payloadType?: unknown; payload?: unknown; signatures?: unknown } | null;
  if (
    env === null ||
    typeof env !== 'object' ||
    typeof env.payloadType !== 'string' ||
    typeof env.payload !== 'string' ||
    !Array.isArray(env.signatures)
  ) {
    throw new SlsaLedgerError(
      'INPUT_PROVENANCE_MALFORMED',
      'dsse envelope needs payloadType, payload and signatures',
    );
  }
  if (env.signatures.length !== 1) {
    throw new SlsaLedgerError(
      'INPUT_PROVENANCE_MALFORMED',
      `dsse envelope with a certificate must carry exactly one signature, found ${env.signatures.length}`,
      { details: { signatures: env.signatures.length } },
    );
  }
  const sig = (env.signatures[0] as { sig?: unknown } | null)?.sig;
  if (typeof sig !== 'string' || sig.length === 0) {
    throw new SlsaLedgerError('INPUT_PROVENANCE_MALFORMED', 'dsse signature has no sig');
  }
  return {
    payloadType: env.payloadType,
    payload: Buffer.from(env.payload, 'base64'),
    signatures: [Buffer.from(sig, 'base64')],
  };
}

function parseCertificate(pem: string): X509Certificate {
  try {
    return X509Certificate.parse(pem);
  } catch (cause) {
    throw new VerificationError(
      'VERIFY_CERTIFICATE_INVALID',
      `certificate cannot be parsed: ${messageOf(cause)}`,
      {
        cause,
      },
    );
  }
}

function parseStatement(payloadType: string, payload: Buffer): InTotoStatement {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new VerificationError(
      'VERIFY_PAYLOAD_TYPE_INVALID',
      `dsse payload type is ${payloadType}, expected ${IN_TOTO_PAYLOAD_TYPE}`,
      { details: { expected: IN_TOTO_PAYLOAD_TYPE, actual: payloadType } },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch (cause) {
    throw new SlsaLedgerError('INPUT_PROVENANCE_MALFORMED', 'dsse payload is not json', { cause });
  }
  const st = parsed as Partial<InTotoStatement> | null;
  if (
    st === null ||
    typeof st !== 'object' ||
    typeof st._type !== 'string' ||
    typeof st.predicateType !== 'string' ||
    !Array.isArray(st.subject)
  ) {
    throw new SlsaLedgerError(
      'INPUT_PROVENANCE_MALFORMED',
      'dsse payload is not an in-toto statement (needs _type, subject, predicateType)',
    );
  }
  return st as InTotoStatement;
}

/**
 * Reads the signer identity from a Fulcio certificate: SAN, issuer and the GitHub workflow
 * extensions. A deprecated and a current extension that disagree make the certificate invalid.
 */
export function certificateIdentity(certificate: X509Certificate): SignerIdentity & { kind: 'certificate' } {
  const san = certificate.subjectAltName;
  if (san === undefined || san === '') {
    throw new VerificationError('VERIFY_CERTIFICATE_INVALID', 'certificate has no subject alternative name');
  }
  const issuer = agreeing(
    rawExtension(certificate, OID.issuerV1),
    utf8Extension(certificate, OID.issuerV2),
    'issuer',
  );
  if (issuer === undefined) {
    throw new VerificationError('VERIFY_CERTIFICATE_INVALID', 'certificate has no oidc issuer extension');
  }
  const legacyRepository = rawExtension(certificate, OID.workflowRepository);
  const sourceRepositoryUri = agreeing(
    legacyRepository === undefined ? undefined : `https://github.com/${legacyRepository}`,
    utf8Extension(certificate, OID.sourceRepositoryUri),
    'source repository',
  );
  const sourceRepositoryRef = agreeing(
    rawExtension(certificate, OID.workflowRef),
    utf8Extension(certificate, OID.sourceRepositoryRef),
    'source ref',
  );
  const sourceRepositoryDigest = agreeing(
    rawExtension(certificate, OID.workflowSha),
    utf8Extension(certificate, OID.sourceRepositoryDigest),
    'source digest',
  );
  const buildSignerUri = utf8Extension(certificate, OID.buildSignerUri);
  const runInvocationUri = utf8Extension(certificate, OID.runInvocationUri);
  const buildConfigUri = utf8Extension(certificate, OID.buildConfigUri);
  return {
    kind: 'certificate',
    issuer,
    subjectAlternativeName: san,
    ...(sourceRepositoryUri === undefined ? {} : { sourceRepositoryUri }),
    ...(sourceRepositoryRef === undefined ? {} : { sourceRepositoryRef }),
    ...(sourceRepositoryDigest === undefined ? {} : { sourceRepositoryDigest }),
    ...(buildSignerUri === undefined ? {} : { buildSignerUri }),
    ...(runInvocationUri === undefined ? {} : { runInvocationUri }),
    ...(buildConfigUri === undefined ? {} : { buildConfigUri }),
  };
}

function agreeing(
  deprecated: string | undefined,
  current: string | undefined,
  what: string,
): string | undefined {
  if (deprecated !== undefined && current !== undefined && deprecated !== current) {
    throw new VerificationError(
      'VERIFY_CERTIFICATE_INVALID',
      `certificate ${what} extensions disagree: ${deprecated} and ${current}`,
      { details: { deprecated, current } },
    );
  }
  return current ?? deprecated;
}

function rawExtension(certificate: X509Certificate, oid: string): string | undefined {
  const ext = certificate.extension(oid);
  if (ext === undefined) return undefined;
  return ext.value.toString('utf8');
}

function utf8Extension(certificate: X509Certificate, oid: string): string | undefined {
  const ext = certificate.extension(oid);
  if (ext === undefined) return undefined;
  try {
    const inner = ext.valueObj.subs[0] ?? ASN1Obj.parseBuffer(Buffer.from(ext.value));
    // DER UTF8String (tag 0x0c) inside the extension's OCTET STRING.
    if (inner.tag.number !== 0x0c) throw new Error(`tag ${inner.tag.number}`);
    return inner.value.toString('utf8');
  } catch (cause) {
    throw new VerificationError(
      'VERIFY_CERTIFICATE_INVALID',
      `certificate extension ${oid} is not a utf-8 string`,
      {
        cause,
        details: { oid },
      },
    );
  }
}

// @sigstore/verify error codes -> DESIGN.md §3 codes.
const sigstoreCodeMap: Readonly<Record<string, ErrorCode>> = {
  CERTIFICATE_ERROR: 'VERIFY_CERTIFICATE_INVALID',
  PUBLIC_KEY_ERROR: 'VERIFY_CERTIFICATE_INVALID',
  SIGNATURE_ERROR: 'VERIFY_SIGNATURE_INVALID',
  TLOG_ERROR: 'VERIFY_TLOG_MISSING',
  TLOG_MISSING_INCLUSION_ERROR: 'VERIFY_TLOG_MISSING',
  TLOG_INCLUSION_PROOF_ERROR: 'VERIFY_TLOG_INVALID',
  TLOG_INCLUSION_PROMISE_ERROR: 'VERIFY_TLOG_INVALID',
  TLOG_BODY_ERROR: 'VERIFY_TLOG_INVALID',
  TIMESTAMP_ERROR: 'VERIFY_TLOG_INVALID',
  NOT_IMPLEMENTED_ERROR: 'VERIFY_TLOG_INVALID',
  UNTRUSTED_SIGNER_ERROR: 'VERIFY_CERTIFICATE_INVALID',
};

function mapSigstoreError(cause: unknown): SlsaLedgerError {
  if (cause instanceof SlsaLedgerError) return cause;
  const sigstoreCode = (cause as { code?: unknown } | null)?.code;
  if (typeof sigstoreCode === 'string' && sigstoreCode in sigstoreCodeMap) {
    const code = sigstoreCodeMap[sigstoreCode] as ErrorCode;
    return new VerificationError(code, describeSigstoreFailure(sigstoreCode, cause), {
      cause,
      details: { sigstoreCode },
    });
  }
  // Anything else is a malformed structure the library tripped over (a short hash, a bad base64
  // field): the input is at fault, never a pass and never an internal error.
  return new VerificationError(
    'VERIFY_TLOG_INVALID',
    `sigstore bundle failed verification: ${messageOf(cause)}`,
    {
      cause,
    },
  );
}

function describeSigstoreFailure(code: string, cause: unknown): string {
  const detail = messageOf(cause);
  const inner = (cause as { cause?: unknown }).cause;
  const suffix = inner === undefined ? '' : `: ${messageOf(inner)}`;
  switch (code) {
    case 'CERTIFICATE_ERROR':
      return `certificate does not chain to a trusted fulcio ca at the signing time (${detail}${suffix})`;
    case 'SIGNATURE_ERROR':
      return 'dsse signature does not verify with the certificate key';
    case 'TLOG_BODY_ERROR':
      return `transparency-log entry does not match the envelope (${detail})`;
    case 'TLOG_INCLUSION_PROOF_ERROR':
      return `transparency-log inclusion proof is invalid (${detail})`;
    case 'TLOG_INCLUSION_PROMISE_ERROR':
      return `transparency-log signed entry timestamp is invalid (${detail})`;
    default:
      return `sigstore verification failed: ${detail}${suffix}`.toLowerCase();
  }
}

function messageOf(value: unknown): string {
  if (value instanceof Error) return value.message.toLowerCase();
  return String(value).toLowerCase();
}

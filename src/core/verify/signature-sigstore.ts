import { createHash } from 'node:crypto';
import {
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  bundleFromJSON,
  type Bundle,
} from '@sigstore/bundle';
import { ASN1Obj, X509Certificate, crypto as sigstoreCrypto, dsse } from '@sigstore/core';
import { TrustedRoot, type PublicKey } from '@sigstore/protobuf-specs';
import { Entry as RekorV2Entry } from '@sigstore/protobuf-specs/rekor/v2';
import {
  Verifier,
  toSignedEntity,
  toTrustMaterial,
  type SignedEntity,
  type TrustMaterial,
} from '@sigstore/verify';
// The tlog checks on their own (the package has no `exports` map, so the path is public): the
// Verifier's body check of a Rekor v2 `hashedrekord` 0.0.2 entry is wrong for DSSE (below).
import { verifyTLogBody, verifyTLogInclusion } from '@sigstore/verify/dist/tlog/index.js';
import { parseJson } from '../input/strict-json.js';
import { checkSubjectShapes } from '../provenance/dsse.js';
import { SlsaLedgerError, VerificationError, type ErrorCode } from '../../errors.js';
import { registerCertificateBytes, verifyCertificateCached } from './chain.js';
import { checkDerCertificate, nestsDeeperThan } from './der.js';
import type { TrustedPublicKey } from './signature-key.js';
import type { InTotoStatement, SignerIdentity } from './types.js';

/**
 * Trust material for certificate-signed provenance: one or more parsed Sigstore trusted roots
 * (`trusted_root.json`, or the lines of `gh attestation trusted-root`'s JSONL: Sigstore public good
 * and GitHub's own instance). A bundle verifies when it verifies under one of them, with that
 * root's thresholds (see `thresholdsOf`).
 */
export interface SigstoreTrust {
  /** one trusted_root.json (media type application/vnd.dev.sigstore.trustedroot+json) */
  readonly trustedRoot?: unknown;
  /** several, e.g. the lines of `gh attestation trusted-root` */
  readonly trustedRoots?: readonly unknown[];
  /**
   * the npm registry's keys (`registry.npmjs.org/keys.json`) as Sigstore public good's TUF repository
   * served them with the trusted root; absent: the copy slsa-ledger ships (npm-registry-keys.ts)
   */
  readonly npmRegistryKeys?: string;
}

/** A certificate-signed provenance as read from disk: a Sigstore bundle (v0.1–v0.3) or a bare DSSE envelope with a cert. */
export type CertificateSignedProvenance =
  | { readonly kind: 'bundle'; readonly bundle: unknown }
  | { readonly kind: 'dsse-with-certificate'; readonly envelope: unknown; readonly certificatePem: string };

const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** A TimeStampToken (CMS SignedData, RFC 3161) nests about 12 levels; certificates inside it too. */
const MAX_TIMESTAMP_DEPTH = 64;

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
  buildSignerDigest: '1.3.6.1.4.1.57264.1.10',
  runnerEnvironment: '1.3.6.1.4.1.57264.1.11',
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryDigest: '1.3.6.1.4.1.57264.1.13',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  sourceRepositoryOwnerUri: '1.3.6.1.4.1.57264.1.16',
  buildConfigUri: '1.3.6.1.4.1.57264.1.18',
  runInvocationUri: '1.3.6.1.4.1.57264.1.21',
} as const;

/** The roots of a SigstoreTrust, in order. */
export function trustedRootsOf(trust: SigstoreTrust): readonly unknown[] {
  return [...(trust.trustedRoot === undefined ? [] : [trust.trustedRoot]), ...(trust.trustedRoots ?? [])];
}

/**
 * Builds @sigstore/verify trust material from a parsed trusted_root.json. Pure (key parsing only).
 * Throws INPUT_TRUSTED_ROOT_INVALID when the document is not a usable trusted root.
 */
export function buildTrustMaterial(trustedRoot: unknown, keys?: Record<string, PublicKey>): TrustMaterial {
  return toTrustMaterial(parseTrustedRoot(trustedRoot), keys);
}

function parseTrustedRoot(trustedRoot: unknown): TrustedRoot {
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
    const root = TrustedRoot.fromJSON(trustedRoot);
    // a trusted key without the start of its validity is malformed, not "valid forever" (a closed
    // interval needs both ends; sigstore-conformance trust-root-tlog-missing-validity-start_fail)
    for (const log of [...root.tlogs, ...root.ctlogs]) {
      if (log.publicKey?.validFor?.start === undefined)
        throw new Error(`log ${log.baseUrl} has no validFor.start`);
    }
    toTrustMaterial(root);
    return root;
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

/**
 * The thresholds a trusted root asks for, as sigstore-js defines them (`VerifierOptions`): at
 * least one verified timestamp (a signed entry timestamp of a transparency log, or an RFC 3161
 * timestamp of one of the root's TSAs); at least one transparency-log entry when the root trusts
 * any log; at least one SCT when it trusts any CT log. GitHub's own instance (private
 * repositories) trusts no log and no CT log: its bundles carry a TSA timestamp and nothing else,
 * and verify only against its root. Any other root asks for a log entry they do not have.
 */
export interface RootThresholds {
  readonly tlog: number;
  readonly ctlog: number;
  readonly timestamp: number;
}

interface RootVerifier {
  readonly root: TrustedRoot;
  readonly material: TrustMaterial;
  readonly verifier: Verifier;
  readonly thresholds: RootThresholds;
  /** DER subjects of the root's CA certificates, to pick the root that issued a certificate */
  readonly caSubjects: readonly Buffer[];
}

function rootVerifier(root: TrustedRoot, keys?: Record<string, PublicKey>): RootVerifier {
  const material = toTrustMaterial(root, keys);
  const thresholds: RootThresholds = {
    tlog: root.tlogs.length > 0 ? 1 : 0,
    ctlog: root.ctlogs.length > 0 ? 1 : 0,
    timestamp: 1,
  };
  // the Verifier checks timestamps, the certificate (chain, SCTs) and the signature; the tlog
  // entries are checked here (verifyTransparencyLog), so its own tlog threshold is 0
  const verifier = new Verifier(material, {
    ctlogThreshold: thresholds.ctlog,
    tlogThreshold: thresholds.tlog,
    timestampThreshold: thresholds.timestamp,
  });
  // The Verifier's certificate step, replaced in place by the same checks with the CA side of the
  // chain prepared once per trusted root (chain.ts); a public key goes to the library's step.
  const librarySigningKey = (
    verifier as unknown as { verifySigningKey: (e: SignedEntity, t: Date[]) => unknown }
  ).verifySigningKey.bind(verifier);
  Object.defineProperty(verifier, 'verifySigningKey', {
    value: (entity: SignedEntity, timestamps: Date[]): unknown =>
      entity.key.$case === 'certificate'
        ? verifyCertificateCached(entity.key.certificate, timestamps, material, thresholds.ctlog)
        : librarySigningKey(entity, timestamps),
  });
  // The Verifier's log step, replaced in place (the only one of its steps that is): same order,
  // same threshold, but a Rekor v2 hashedrekord over DSSE is checked with the spec's semantics.
  Object.defineProperty(verifier, 'verifyTLogs', {
    value: (entity: SignedEntity): void => {
      const bundle = logContext.get(entity);
      /* c8 ignore next -- every entity handed to the verifier is registered first */
      if (bundle === undefined) throw new Error('transparency-log context missing');
      for (const entry of entity.tlogEntries) {
        checkProofMatchesCheckpoint(entry);
        verifyTransparencyLogEntry(entry, bundle, entity, material);
      }
      if (entity.tlogEntries.length < thresholds.tlog) {
        throw new VerificationError(
          'VERIFY_TLOG_MISSING',
          `expected ${thresholds.tlog} transparency-log entries, got ${entity.tlogEntries.length}`,
        );
      }
    },
  });
  const caSubjects = root.certificateAuthorities.flatMap((ca) =>
    (ca.certChain?.certificates ?? []).map((c) => {
      try {
        return X509Certificate.parse(Buffer.from(c.rawBytes)).subject;
      } catch {
        return Buffer.alloc(0);
      }
    }),
  );
  return { root, material, verifier, thresholds, caSubjects };
}

// The bundle a SignedEntity was made from, for the replaced log step.
const logContext = new WeakMap<SignedEntity, Bundle>();

// Trust material is parsed once per trust object: batch mode must not repeat it.
const verifierCache = new WeakMap<object, readonly RootVerifier[]>();

function rootVerifiersFor(trust: SigstoreTrust): readonly RootVerifier[] {
  const cached = verifierCache.get(trust);
  if (cached) return cached;
  const roots = trustedRootsOf(trust);
  if (roots.length === 0) {
    throw new SlsaLedgerError('INPUT_TRUSTED_ROOT_INVALID', 'no trusted root was given');
  }
  const verifiers = roots.map((r) => rootVerifier(parseTrustedRoot(r)));
  verifierCache.set(trust, verifiers);
  return verifiers;
}

/** What a verified bundle signed, and who signed it. */
export interface VerifiedBundle {
  readonly content:
    | { readonly kind: 'dsse'; readonly payloadType: string; readonly payload: Buffer }
    | { readonly kind: 'message'; readonly digest: Buffer; readonly algorithm: string };
  /** the certificate's identity, or the key's id for a key-signed bundle */
  readonly signer: SignerIdentity;
  /** the verified timestamps (seconds since the epoch), per kind */
  readonly timestamps: readonly { readonly kind: 'tlog' | 'tsa'; readonly time: Date }[];
}

export interface VerifyBundleOptions {
  /** the signed artifact, for a message-signature bundle (its digest must be the bundle's) */
  readonly artifact?: Uint8Array;
  /** public keys for a key-signed bundle (matched by `publicKey.hint`, the key id) */
  readonly publicKeys?: readonly TrustedPublicKey[];
}

/**
 * Verifies a Sigstore bundle (v0.1–v0.3, DSSE or message signature, certificate or public key)
 * against trust material: canonical-DER certificates, chain to a CA of the trusted root at a
 * verified time, SCTs, transparency-log entries (SET, inclusion proof, checkpoint, body — Rekor v1
 * and v2), RFC 3161 timestamps of the root's TSAs, thresholds per root, then the signature. Pure
 * and synchronous over pre-loaded trust. Every failure is a coded error (DESIGN.md §3).
 */
export function verifyBundleSignature(
  raw: unknown,
  trust: SigstoreTrust,
  options: VerifyBundleOptions = {},
): VerifiedBundle {
  const bundle = parseBundle(raw);
  if (bundle.content.$case === 'dsseEnvelope' && bundle.content.dsseEnvelope.signatures.length !== 1) {
    throw new SlsaLedgerError(
      'INPUT_PROVENANCE_MALFORMED',
      `dsse envelope in a sigstore bundle must carry exactly one signature, found ${bundle.content.dsseEnvelope.signatures.length}`,
      { details: { signatures: bundle.content.dsseEnvelope.signatures.length } },
    );
  }
  const material = bundle.verificationMaterial;
  if (material.content.$case === 'x509CertificateChain') {
    const chain = material.content.x509CertificateChain.certificates;
    if (chain.length === 0) {
      throw new VerificationError(
        'VERIFY_CERTIFICATE_INVALID',
        'the certificate chain of the bundle is empty',
      );
    }
    chain.forEach((c, i) =>
      checkDerCertificate(c.rawBytes, i === 0 ? 'signing certificate' : `chain certificate ${i}`),
    );
  } else if (material.content.$case === 'certificate') {
    checkDerCertificate(material.content.certificate.rawBytes, 'signing certificate');
  }

  // RFC 3161 tokens are read by @sigstore/core's recursive ASN.1 reader: bound their depth first
  for (const token of material.timestampVerificationData?.rfc3161Timestamps ?? []) {
    if (nestsDeeperThan(token.signedTimestamp, MAX_TIMESTAMP_DEPTH)) {
      throw new VerificationError(
        'VERIFY_TLOG_INVALID',
        `an rfc 3161 timestamp nests deeper than ${MAX_TIMESTAMP_DEPTH} levels`,
      );
    }
  }

  let entity: SignedEntity;
  try {
    entity = toSignedEntity(
      bundle,
      options.artifact === undefined ? undefined : Buffer.from(options.artifact),
    );
  } catch (cause) {
    throw new VerificationError('VERIFY_CERTIFICATE_INVALID', `bundle cannot be read: ${messageOf(cause)}`, {
      cause,
    });
  }

  if (entity.key.$case === 'certificate') {
    const der =
      material.content.$case === 'certificate'
        ? material.content.certificate.rawBytes
        : material.content.$case === 'x509CertificateChain'
          ? material.content.x509CertificateChain.certificates[0]?.rawBytes
          : undefined;
    if (der !== undefined) registerCertificateBytes(entity.key.certificate, der);
  }

  let rootVerifiers: readonly RootVerifier[];
  if (entity.key.$case === 'public-key') {
    const hint = entity.key.hint;
    const key = (options.publicKeys ?? []).find((k) => k.keyId === hint) ?? options.publicKeys?.[0];
    if (key === undefined) {
      throw new VerificationError(
        'VERIFY_SIGNATURE_INVALID',
        'the bundle is signed with a key and no public key was given',
      );
    }
    const keys: Record<string, PublicKey> = {
      [hint]: {
        rawBytes: key.keyObject.export({ type: 'spki', format: 'der' }),
        keyDetails: key.keyObject.asymmetricKeyType === 'ed25519' ? 7 : 5, // PKIX_ED25519 / PKIX_ECDSA_P256_SHA_256
        ...(key.validFor === undefined ? {} : { validFor: key.validFor }),
      },
    };
    rootVerifiers = trustedRootsOf(trust).map((r) => rootVerifier(parseTrustedRoot(r), keys));
    if (rootVerifiers.length === 0) {
      rootVerifiers = [
        rootVerifier(
          TrustedRoot.fromJSON({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' }),
          keys,
        ),
      ];
    }
  } else {
    rootVerifiers = rootVerifiersFor(trust);
  }

  const errors: { rv: RootVerifier; error: unknown }[] = [];
  for (const rv of rootVerifiers) {
    try {
      const timestamps = verifyWithRoot(rv, bundle, entity);
      return {
        content:
          bundle.content.$case === 'dsseEnvelope'
            ? {
                kind: 'dsse',
                payloadType: bundle.content.dsseEnvelope.payloadType,
                payload: bundle.content.dsseEnvelope.payload,
              }
            : {
                kind: 'message',
                digest: bundle.content.messageSignature.messageDigest?.digest ?? Buffer.alloc(0),
                algorithm: String(bundle.content.messageSignature.messageDigest?.algorithm ?? ''),
              },
        signer:
          entity.key.$case === 'certificate'
            ? certificateIdentity(entity.key.certificate)
            : { kind: 'key', keyId: entity.key.hint },
        timestamps,
      };
    } catch (error) {
      errors.push({ rv, error });
    }
  }
  // Several roots: the answer is the failure under the root whose CA issued the certificate.
  const issuer = entity.key.$case === 'certificate' ? entity.key.certificate.issuer : undefined;
  const issuing =
    issuer === undefined ? undefined : errors.find((e) => e.rv.caSubjects.some((s) => s.equals(issuer)));
  const chosen = (issuing ?? errors[0])?.error;
  throw chosen instanceof Error
    ? chosen
    : new VerificationError('VERIFY_CERTIFICATE_INVALID', 'no trusted root');
}

function verifyWithRoot(
  rv: RootVerifier,
  bundle: Bundle,
  entity: SignedEntity,
): { kind: 'tlog' | 'tsa'; time: Date }[] {
  const material = bundle.verificationMaterial;
  const entries = material.tlogEntries;
  if (entries.length < rv.thresholds.tlog) {
    throw new VerificationError(
      'VERIFY_TLOG_MISSING',
      'sigstore bundle has no transparency-log entry: nothing proves when the short-lived certificate signed it',
    );
  }
  if (!entries.every((entry) => entry.inclusionPromise !== undefined || entry.inclusionProof !== undefined)) {
    throw new VerificationError(
      'VERIFY_TLOG_MISSING',
      'transparency-log entry has neither a signed entry timestamp nor an inclusion proof',
    );
  }
  const tsaCount = material.timestampVerificationData?.rfc3161Timestamps.length ?? 0;
  const setCount = entries.filter((e) => e.inclusionPromise !== undefined && e.integratedTime !== '0').length;
  if (setCount + tsaCount < rv.thresholds.timestamp) {
    throw new VerificationError(
      'VERIFY_TLOG_MISSING',
      'no signed entry timestamp or timestamp-authority token proves when the certificate signed',
    );
  }
  // @sigstore/verify's order: timestamps, certificate, logs, signature; its log step is this
  // module's verifyTransparencyLogEntry (see rootVerifier)
  const checked: SignedEntity = { ...entity };
  logContext.set(checked, bundle);
  try {
    rv.verifier.verify(checked);
  } catch (cause) {
    throw mapSigstoreError(cause);
  }
  return [
    ...entries
      .filter((e) => e.inclusionPromise !== undefined)
      .map((e) => ({ kind: 'tlog' as const, time: new Date(Number(e.integratedTime) * 1000) })),
    ...entity.timestamps.flatMap((t) =>
      t.$case === 'timestamp-authority' ? [{ kind: 'tsa' as const, time: t.timestamp.signingTime }] : [],
    ),
  ];
}

type TlogEntry = Bundle['verificationMaterial']['tlogEntries'][number];

/**
 * One transparency-log entry: inclusion (SET and/or Merkle proof against a signed checkpoint of a
 * log of the trusted root, @sigstore/verify), then the body. For a DSSE envelope logged to Rekor v2
 * as `hashedrekord` 0.0.2, the entry records SHA-256 of the DSSE pre-authentication encoding (what
 * was signed; Rekor v2 spec, "hashedrekord over DSSE"), while @sigstore/verify 3.x compares it with
 * the payload's digest and so refuses every such bundle. That body is checked here instead, with
 * the spec's semantics: the signature must be the envelope's, the digest SHA-256(PAE), and a
 * certificate named by the entry must be the bundle's. Every other kind goes to @sigstore/verify.
 */
function verifyTransparencyLogEntry(
  entry: TlogEntry,
  bundle: Bundle,
  entity: SignedEntity,
  material: TrustMaterial,
): void {
  try {
    verifyTLogInclusion(entry, material.tlogs);
    const { kind, version } = entry.kindVersion ?? { kind: '', version: '' };
    if (kind === 'hashedrekord' && version === '0.0.2' && bundle.content.$case === 'dsseEnvelope') {
      checkHashedRekordOverDsse(entry, bundle.content.dsseEnvelope, entity);
    } else {
      verifyTLogBody(entry, entity.signature);
    }
  } catch (cause) {
    throw mapSigstoreError(cause);
  }
}

function checkHashedRekordOverDsse(
  entry: TlogEntry,
  envelope: Extract<Bundle['content'], { $case: 'dsseEnvelope' }>['dsseEnvelope'],
  entity: SignedEntity,
): void {
  const bad = (problem: string): never => {
    throw new VerificationError(
      'VERIFY_TLOG_INVALID',
      `transparency-log entry does not match the envelope (${problem})`,
    );
  };
  const body = parseJson(entry.canonicalizedBody, 'signed', 'transparency-log entry body') as {
    kind?: unknown;
    apiVersion?: unknown;
  };
  if (body.kind !== 'hashedrekord' || body.apiVersion !== '0.0.2') bad('kind/version mismatch');
  const spec = RekorV2Entry.fromJSON(body).spec?.spec;
  if (spec?.$case !== 'hashedRekordV002') return bad('not a hashedrekord 0.0.2 entry');
  const logged = spec.hashedRekordV002;
  const signature = envelope.signatures[0]?.sig ?? Buffer.alloc(0);
  if (logged.signature === undefined || !logged.signature.content.equals(signature))
    bad('signature mismatch');
  const pae = dsse.preAuthEncoding(envelope.payloadType, envelope.payload);
  const digest = createHash('sha256').update(pae).digest();
  // HashAlgorithm SHA2_256 is 1 in sigstore's protobuf-specs
  if (
    logged.data === undefined ||
    Number(logged.data.algorithm) !== 1 ||
    !logged.data.digest.equals(digest)
  ) {
    bad('digest of the dsse pre-authentication encoding mismatch');
  }
  const verifier = logged.signature?.verifier?.verifier;
  if (verifier?.$case === 'x509Certificate' && entity.key.$case === 'certificate') {
    if (!verifier.x509Certificate.rawBytes.equals(certificateDer(entity.key.certificate))) {
      bad('the entry names another certificate');
    }
  }
}

function certificateDer(certificate: X509Certificate): Buffer {
  return certificate.root.toDER();
}

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

/**
 * Verifies a certificate-signed in-toto provenance: the bundle as `verifyBundleSignature` does,
 * which must hold a DSSE envelope with a certificate; then the statement is decoded (strictly).
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
  if (bundle.verificationMaterial.content.$case === 'publicKey') {
    throw new VerificationError(
      'VERIFY_CERTIFICATE_INVALID',
      'sigstore bundle is signed with a public key, expected a fulcio certificate',
    );
  }
  const verified = verifyBundleSignature(raw, trust);
  if (verified.content.kind !== 'dsse') {
    throw new SlsaLedgerError('INPUT_PROVENANCE_MALFORMED', 'expected a dsse envelope');
  }
  const statement = parseStatement(verified.content.payloadType, verified.content.payload);
  return { statement, signer: verified.signer };
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
  let certificate: X509Certificate;
  try {
    certificate = X509Certificate.parse(pem);
  } catch (cause) {
    throw new VerificationError(
      'VERIFY_CERTIFICATE_INVALID',
      `certificate cannot be parsed: ${messageOf(cause)}`,
      {
        cause,
      },
    );
  }
  checkDerCertificate(certificateDer(certificate), 'signing certificate');
  return certificate;
}

/**
 * Decodes a verified DSSE payload as an in-toto statement, strictly (duplicate and case-variant
 * keys refused at every level: the `signed` limits profile).
 */
export function parseStatement(payloadType: string, payload: Buffer): InTotoStatement {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new VerificationError(
      'VERIFY_PAYLOAD_TYPE_INVALID',
      `dsse payload type is ${payloadType}, expected ${IN_TOTO_PAYLOAD_TYPE}`,
      { details: { expected: IN_TOTO_PAYLOAD_TYPE, actual: payloadType } },
    );
  }
  const parsed = parseJson(payload, 'signed', 'in-toto statement (dsse payload)');
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
  // the subject shapes every reader of a statement checks: callers index the subjects and their
  // digest sets (a keyless VSA with a `[null]` subject was an internal error, exit 70)
  checkSubjectShapes(st.subject, 'dsse payload');
  return st as InTotoStatement;
}

/**
 * Reads the signer identity from a Fulcio certificate: SAN, issuer and the GitHub workflow
 * extensions. A deprecated and a current extension that disagree make the certificate invalid.
 * A certificate without an issuer extension (GitHub's release attester) has issuer `''`.
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
  const optional = {
    buildSignerUri: utf8Extension(certificate, OID.buildSignerUri),
    buildSignerDigest: utf8Extension(certificate, OID.buildSignerDigest),
    runnerEnvironment: utf8Extension(certificate, OID.runnerEnvironment),
    sourceRepositoryOwnerUri: utf8Extension(certificate, OID.sourceRepositoryOwnerUri),
    runInvocationUri: utf8Extension(certificate, OID.runInvocationUri),
    buildConfigUri: utf8Extension(certificate, OID.buildConfigUri),
    sourceRepositoryUri,
    sourceRepositoryRef,
    sourceRepositoryDigest,
  };
  return {
    kind: 'certificate',
    issuer: issuer ?? '',
    subjectAlternativeName: san,
    ...(Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >),
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
  // a key-signed bundle's key is unknown, or was not valid when the log entry was made
  PUBLIC_KEY_ERROR: 'VERIFY_SIGNATURE_INVALID',
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

/** the messages of an error's causes below it, a repeated one once, at most four */
function causeMessages(cause: unknown): string[] {
  const out: string[] = [];
  let at = (cause as { cause?: unknown } | null)?.cause;
  for (let depth = 0; at !== undefined && at !== null && depth < 4; depth++) {
    const message = messageOf(at);
    if (out.at(-1) !== message) out.push(message);
    at = (at as { cause?: unknown }).cause;
  }
  return out;
}

function describeSigstoreFailure(code: string, cause: unknown): string {
  const detail = messageOf(cause);
  // the whole chain of causes: a chain failure says which step failed (no issuer, an expired
  // certificate, a CA outside its validity), not only that the chain did not verify
  const suffix = causeMessages(cause)
    .filter((m, i) => i > 0 || m !== detail)
    .map((m) => `: ${m}`)
    .join('');
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

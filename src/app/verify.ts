import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { envelopePayload, parseStatement } from '../core/provenance/dsse.js';
import type { Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { checkProvenance } from '../core/verify/policy.js';
import { verifyKeySigned, type TrustedPublicKey } from '../core/verify/signature-key.js';
import type {
  SigstoreTrust,
  verifyCertificateSigned as VerifyCertificateSigned,
} from '../core/verify/signature-sigstore.js';
import type {
  InTotoStatement,
  ProvenanceFacts,
  SignerIdentity,
  VerificationPolicy,
  VerifiedProvenance,
} from '../core/verify/types.js';
import {
  isSlsaLedgerError,
  SlsaLedgerError,
  UsageError,
  VerificationError,
  type ErrorCode,
} from '../errors.js';
import { hashFiles } from '../io/hash.js';
import { loadPublicKey } from '../io/keys.js';
import {
  expandProvenancePaths,
  readProvenanceFile,
  type ProvenanceDocument,
} from '../io/provenance-reader.js';

export interface VerifyOptions {
  /** artifact paths */
  readonly artifacts: readonly string[];
  /** provenance files or directories of them; more than one file, or a directory, is batch mode */
  readonly provenance: readonly string[];
  readonly policy: VerificationPolicy;
  /** PEM public key for key-signed provenance */
  readonly key?: string;
  /** Sigstore trusted_root.json for certificate-signed provenance */
  readonly trustedRoot?: string;
  /** never fetch trust material */
  readonly offline?: boolean;
  /** relative paths are resolved against it (default: the process's working directory) */
  /** the environment, for the Sigstore TUF cache directory (HOME, XDG_CACHE_HOME) */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  readonly logger?: Logger;
}

/** The verdict for one artifact. */
export interface ArtifactVerdict {
  readonly artifact: string;
  readonly sha256: string;
  readonly ok: boolean;
  /** the provenance document that verified it (or the one that failed it) */
  readonly provenance?: string;
  readonly subject?: string;
  readonly builderId?: string;
  readonly code?: ErrorCode;
  readonly message?: string;
}

export interface VerifyResult {
  readonly ok: boolean;
  /** batch mode: several provenance files or a directory; failures are verdicts, not errors */
  readonly batch: boolean;
  readonly verdicts: readonly ArtifactVerdict[];
  /** what the verified provenance says, per provenance document that verified something */
  readonly provenance: readonly {
    readonly source: string;
    readonly facts: ProvenanceFacts;
    readonly signer: SignerIdentity;
    /** sha256 of the statement bytes */
    readonly statementDigest: string;
  }[];
  /** the verified statements (for --print-provenance), in the order of `provenance` */
  readonly statements: readonly InTotoStatement[];
}

export interface TrustOptions {
  readonly trustedRoot?: string;
  readonly offline?: boolean;
  /** for the TUF cache directory (HOME, XDG_CACHE_HOME) */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
}

/**
 * Loads Sigstore trust material for certificate-signed provenance (src/io/trust.ts): the given
 * trusted_root.json, else Sigstore public-good through TUF with a local cache; `--offline` never
 * fetches.
 */
export async function loadVerifyTrust(options: TrustOptions): Promise<SigstoreTrust> {
  // loaded only for certificate-signed provenance: the TUF client costs start-up time
  const { loadSigstoreTrust } = await import('../io/trust.js');
  return loadSigstoreTrust({
    ...(options.trustedRoot === undefined ? {} : { trustedRootPath: options.trustedRoot }),
    ...(options.offline === undefined ? {} : { offline: options.offline }),
    ...(options.env === undefined ? {} : { env: options.env }),
    logger: options.logger,
  });
}

/** A provenance document with its (not yet trusted) statement decoded, for matching by subject. */
interface Candidate {
  readonly doc: ProvenanceDocument;
  readonly subjectDigests: ReadonlySet<string>;
  verified?: { statement: InTotoStatement; signer: SignerIdentity } | { error: unknown };
}

/**
 * Verifies artifacts against provenance and a policy. With one provenance file, the first failed
 * check throws (VerificationError with its DESIGN.md §3 code); in batch mode (several files or a
 * directory) every artifact gets a verdict: it passes when a provenance document naming its digest
 * verifies (signature, then policy), and the result says which failed and why.
 */
export async function verifyArtifacts(options: VerifyOptions): Promise<VerifyResult> {
  const logger = options.logger ?? silentLogger;
  if (options.artifacts.length === 0) {
    throw new UsageError('USAGE_MISSING_ARGUMENT', 'verify needs at least one artifact');
  }
  if (options.provenance.length === 0) {
    throw new UsageError('USAGE_MISSING_FLAG', 'verify needs --provenance FILE', {
      details: { flag: 'provenance' },
    });
  }
  const cwd = options.cwd ?? process.cwd();
  const at = (p: string): string => resolve(cwd, p);
  const { files, hadDirectory } = await expandProvenancePaths(options.provenance.map(at));
  const batch = hadDirectory || files.length > 1;
  const docs = (await Promise.all(files.map((f) => readProvenanceFile(f)))).flat();
  const candidates: Candidate[] = docs.map((doc) => ({
    doc,
    subjectDigests: new Set(
      parseStatement(envelopePayload(doc.envelope), doc.source).subject.map((s) =>
        (s.digest.sha256 ?? '').toLowerCase(),
      ),
    ),
  }));

  const needsKey = docs.some((d) => d.kind === 'key-signed');
  const needsTrust = docs.some((d) => d.kind === 'certificate-signed');
  let key: TrustedPublicKey | undefined;
  if (needsKey) {
    if (options.key === undefined) {
      const first = docs.find((d) => d.kind === 'key-signed');
      throw new UsageError(
        'USAGE_MISSING_FLAG',
        `${first?.source ?? ''} is key-signed: pass --key PUBLIC_KEY.pem`,
        {
          details: { flag: 'key' },
        },
      );
    }
    key = await loadPublicKey(at(options.key));
  }
  let trust: SigstoreTrust | undefined;
  let verifyCertificateSigned: typeof VerifyCertificateSigned = () => {
    throw new SlsaLedgerError('INTERNAL', 'certificate verification was not loaded');
  };
  if (needsTrust) {
    // loaded only when needed: sigstore's verifier is heavy to import
    ({ verifyCertificateSigned } = await import('../core/verify/signature-sigstore.js'));
    trust = await loadVerifyTrust({
      ...(options.trustedRoot === undefined ? {} : { trustedRoot: at(options.trustedRoot) }),
      ...(options.offline === undefined ? {} : { offline: options.offline }),
      ...(options.env === undefined ? {} : { env: options.env }),
      logger,
    });
  }

  logger.debug(`hashing ${options.artifacts.length} artifact(s)`);
  const digests = (await hashFiles(options.artifacts.map(at), { logger })).map((d, i) => ({
    ...d,
    path: options.artifacts[i] ?? d.path,
  }));

  const verifySignature = (c: Candidate): { statement: InTotoStatement; signer: SignerIdentity } => {
    if (c.verified === undefined) {
      try {
        c.verified =
          c.doc.kind === 'key-signed'
            ? verifyKeySigned(c.doc.envelope, key as TrustedPublicKey, c.doc.source)
            : verifyCertificateSigned(c.doc.provenance, trust as SigstoreTrust);
      } catch (error) {
        c.verified = { error };
      }
    }
    if ('error' in c.verified) throw c.verified.error;
    return c.verified;
  };

  const verdicts: ArtifactVerdict[] = [];
  const passed = new Map<Candidate, VerifiedProvenance>();
  for (const digest of digests) {
    const artifact = { name: digest.path, sha256: digest.sha256 };
    let matching = candidates.filter((c) => c.subjectDigests.has(digest.sha256));
    // one provenance document: check it in slsa-verifier's order (signature before digest)
    if (matching.length === 0 && candidates.length === 1) matching = candidates;
    let verdict: ArtifactVerdict | undefined;
    let error: unknown = new VerificationError(
      'VERIFY_SUBJECT_DIGEST_MISMATCH',
      `artifact ${digest.path} (sha256 ${digest.sha256}) is not a subject of any provenance given`,
      { details: { artifact: digest.path, sha256: digest.sha256 } },
    );
    let errorSource: string | undefined;
    for (const c of matching) {
      try {
        const signed = verifySignature(c);
        const verified = checkProvenance({ ...signed, artifacts: [artifact], policy: options.policy });
        passed.set(c, verified);
        verdict = {
          artifact: digest.path,
          sha256: digest.sha256,
          ok: true,
          provenance: c.doc.source,
          subject: verified.artifacts[0]?.subject ?? '',
          builderId: verified.builderId,
        };
        break;
      } catch (e) {
        if (errorSource === undefined) {
          error = e;
          errorSource = c.doc.source;
        }
      }
    }
    if (verdict === undefined) {
      // Single mode: the first failed check is the answer. In batch mode a failed check is a
      // verdict; bad input (exit 3) and unexpected errors still stop the run.
      if (!batch || !isSlsaLedgerError(error) || error.category !== 'verification') throw error;
      verdict = {
        artifact: digest.path,
        sha256: digest.sha256,
        ok: false,
        ...(errorSource === undefined ? {} : { provenance: errorSource }),
        code: error.code,
        message: error.message,
      };
    }
    verdicts.push(verdict);
    logger.debug(`${verdict.ok ? 'PASSED' : 'FAILED'} ${digest.path}`);
  }

  const verified = [...passed.entries()];
  return {
    ok: verdicts.every((v) => v.ok),
    batch,
    verdicts,
    provenance: verified.map(([c, v]) => ({
      source: c.doc.source,
      facts: v.facts,
      signer: v.signer,
      statementDigest: createHash('sha256').update(envelopePayload(c.doc.envelope)).digest('hex'),
    })),
    statements: verified.map(([, v]) => v.statement),
  };
}

export interface VerifySigstoreBundleOptions {
  /** the bundle file (`*.sigstore.json`) */
  readonly bundle: string;
  /** the signed artifact (message signature) or a subject of the statement (DSSE) */
  readonly artifact: string;
  readonly trustedRoot?: string;
  /** public keys for a key-signed bundle (`--key`, repeatable) */
  readonly keys?: readonly string[];
  /** the certificate's subject alternative name must be exactly this */
  readonly certificateIdentity?: string;
  /** the certificate's OIDC issuer must be exactly this */
  readonly certificateOidcIssuer?: string;
  readonly offline?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  readonly logger?: Logger;
}

export interface VerifySigstoreBundleResult {
  readonly signer: SignerIdentity;
  readonly content: 'dsse' | 'message';
  readonly timestamps: readonly { readonly kind: 'tlog' | 'tsa'; readonly time: string }[];
}

/**
 * Verifies one Sigstore bundle over an artifact, as sigstore-conformance's `verify-bundle` does:
 * the bundle is read strictly, the Sigstore layer verifies it (certificate or key, logs,
 * timestamps, thresholds), a message signature's digest must be the artifact's, a DSSE statement
 * must name the artifact's SHA-256 among its subjects, and the certificate identity and issuer
 * must be the ones given. The first failed check throws its coded error.
 */
export async function verifySigstoreBundle(
  options: VerifySigstoreBundleOptions,
): Promise<VerifySigstoreBundleResult> {
  const cwd = options.cwd ?? process.cwd();
  const at = (p: string): string => resolve(cwd, p);
  const { readInputFile, readJsonFile } = await import('../io/files.js');
  const raw = await readJsonFile(at(options.bundle), 'sigstore bundle', 'signed');
  const artifact = await readInputFile(at(options.artifact), 'artifact');
  const { verifyBundleSignature, parseStatement } = await import('../core/verify/signature-sigstore.js');
  const keys = await Promise.all((options.keys ?? []).map((k) => loadPublicKey(at(k))));
  const isKeySigned =
    typeof raw === 'object' &&
    raw !== null &&
    'verificationMaterial' in raw &&
    typeof (raw as { verificationMaterial?: { publicKey?: unknown } }).verificationMaterial?.publicKey ===
      'object';
  const trust =
    isKeySigned && options.trustedRoot === undefined
      ? {}
      : await loadVerifyTrust({
          ...(options.trustedRoot === undefined ? {} : { trustedRoot: at(options.trustedRoot) }),
          ...(options.offline === undefined ? {} : { offline: options.offline }),
          ...(options.env === undefined ? {} : { env: options.env }),
          logger: options.logger ?? silentLogger,
        });
  if (isKeySigned && keys.length === 0) {
    throw new UsageError('USAGE_MISSING_FLAG', `${options.bundle} is key-signed: pass --key PUBLIC_KEY.pem`, {
      details: { flag: 'key' },
    });
  }
  const verified = verifyBundleSignature(raw, trust, { artifact, publicKeys: keys });
  const sha256 = createHash('sha256').update(artifact).digest();
  if (verified.content.kind === 'message') {
    if (!verified.content.digest.equals(sha256)) {
      throw new VerificationError(
        'VERIFY_SUBJECT_DIGEST_MISMATCH',
        `the bundle signs another digest than the artifact's (${sha256.toString('hex')})`,
        { details: { artifact: options.artifact } },
      );
    }
  } else {
    const statement = parseStatement(verified.content.payloadType, verified.content.payload);
    const hex = sha256.toString('hex');
    if (!statement.subject.some((s) => s.digest?.sha256?.toLowerCase() === hex)) {
      throw new VerificationError(
        'VERIFY_SUBJECT_DIGEST_MISMATCH',
        `artifact ${options.artifact} (sha256 ${hex}) is not a subject of the statement`,
        { details: { artifact: options.artifact, sha256: hex } },
      );
    }
  }
  const signer = verified.signer;
  if (signer.kind === 'certificate') {
    if (
      options.certificateIdentity !== undefined &&
      signer.subjectAlternativeName !== options.certificateIdentity
    ) {
      throw new VerificationError(
        'VERIFY_IDENTITY_MISMATCH',
        `certificate identity is ${signer.subjectAlternativeName}, expected ${options.certificateIdentity}`,
        { details: { expected: options.certificateIdentity, actual: signer.subjectAlternativeName } },
      );
    }
    if (options.certificateOidcIssuer !== undefined && signer.issuer !== options.certificateOidcIssuer) {
      throw new VerificationError(
        'VERIFY_OIDC_ISSUER_MISMATCH',
        `certificate issuer is ${signer.issuer}, expected ${options.certificateOidcIssuer}`,
        { details: { expected: options.certificateOidcIssuer, actual: signer.issuer } },
      );
    }
  }
  return {
    signer,
    content: verified.content.kind,
    timestamps: verified.timestamps.map((t) => ({ kind: t.kind, time: t.time.toISOString() })),
  };
}

import { BUNDLE_V01_MEDIA_TYPE } from '@sigstore/bundle';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { envelopePayload, parseStatement } from '../core/provenance/dsse.js';
import type { Logger } from '../core/ports.js';
import type { VsaPredicate } from '../core/vsa/vsa.js';
import { silentLogger } from '../core/ports.js';
import { artifactDigests, checkProvenance, matchingSubject } from '../core/verify/policy.js';
import {
  checkCertificateIdentity,
  checkGithubAttestation,
  checkGithubPolicyFlags,
  checkGithubSigner,
  identityFlagsOf,
  DEFAULT_GITHUB_PREDICATE_TYPE,
  type CertificateIdentityPolicy,
  type GithubPolicy,
} from '../core/verify/github-policy.js';
import {
  checkNpmPackagePolicy,
  checkNpmPublish,
  isNpmPublishStatement,
  npmAttestationKeys,
  npmProvenancePackage,
} from '../core/verify/npm-publish.js';
import { verifyKeySigned, type TrustedPublicKey } from '../core/verify/signature-key.js';
import type {
  SigstoreTrust,
  verifyCertificateSigned as VerifyCertificateSigned,
  verifyBundleSignature as VerifyBundleSignature,
  parseStatement as ParseSignedStatement,
} from '../core/verify/signature-sigstore.js';
import type {
  ArtifactDigest,
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
import { digestFile, hashableAlgorithms } from '../io/hash-digests.js';
import { loadPublicKey } from '../io/keys.js';
import {
  expandProvenancePaths,
  readProvenanceFile,
  type ProvenanceDocument,
} from '../io/provenance-reader.js';

export interface VerifyOptions {
  /** artifact paths (may be empty when `digests` names the artifacts) */
  readonly artifacts: readonly string[];
  /** artifacts given by digest, `ALG:HEX` (`sha256:…`, `sha512:…`, `gitCommit:…`), no file needed */
  readonly digests?: readonly string[];
  /** provenance files or directories of them; more than one file, or a directory, is batch mode */
  readonly provenance: readonly string[];
  readonly policy: VerificationPolicy;
  /** PEM public key for key-signed provenance */
  readonly key?: string;
  /** more public keys (`--key` repeated): a document verifies with the one its key id names, or any */
  readonly keys?: readonly string[];
  /** Sigstore trusted_root.json (or `gh attestation trusted-root` JSONL) for certificate-signed provenance */
  readonly trustedRoot?: string;
  /** never fetch trust material */
  readonly offline?: boolean;
  /** where the trusted roots are fetched from through TUF, without `trustedRoot` */
  readonly tuf?: TufSourceOptions;
  /** the environment, for the Sigstore TUF cache directory (HOME, XDG_CACHE_HOME) */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** relative paths are resolved against it (default: the process's working directory) */
  readonly cwd?: string;
  readonly logger?: Logger;
  /** provenance documents already read (e.g. fetched from GitHub's attestations API) */
  readonly documents?: readonly ProvenanceDocument[];
  /** `gh attestation verify`'s policy instead of slsa-verifier's (`--repo`/`--owner` mode) */
  readonly githubPolicy?: GithubPolicy;
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
  /** every document naming the artifact that verified (one pass is a pass) */
  readonly matched?: readonly string[];
}

export interface VerifyResult {
  readonly ok: boolean;
  /** batch mode: several provenance files or a directory; failures are verdicts, not errors */
  readonly batch: boolean;
  readonly verdicts: readonly ArtifactVerdict[];
  /** batch mode: provenance files that could not be read, each with its verdict */
  readonly unreadable: readonly {
    readonly provenance: string;
    readonly code: ErrorCode;
    readonly message: string;
  }[];
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

/**
 * The TUF repositories of the trusted roots (`--tuf-mirror`, `--tuf-root`, `--github-tuf-mirror`,
 * `--github-tuf-root`, `--tuf-cache`); paths are resolved against the working directory.
 */
export interface TufSourceOptions {
  readonly mirrorUrl?: string;
  readonly rootPath?: string;
  readonly githubMirrorUrl?: string;
  readonly githubRootPath?: string;
  readonly cacheDir?: string;
}

export interface TrustOptions {
  readonly trustedRoot?: string;
  readonly offline?: boolean;
  readonly tuf?: TufSourceOptions;
  /** resolves the tuf paths (default: the process's working directory) */
  readonly cwd?: string;
  /** for the TUF cache directory (HOME, XDG_CACHE_HOME) */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  /** also the npm registry's keys from public good's TUF repository (npm's publish attestations) */
  readonly npmRegistryKeys?: boolean;
}

/**
 * Loads Sigstore trust material for certificate-signed provenance (src/io/trust.ts): the given
 * trusted_root.json, else the trusted roots of Sigstore public good and GitHub's instance through
 * TUF with a local cache; `--offline` never fetches.
 */
export async function loadVerifyTrust(options: TrustOptions): Promise<SigstoreTrust> {
  // loaded only for certificate-signed provenance: the TUF client costs start-up time
  const { loadSigstoreTrust } = await import('../io/trust.js');
  const at = (p: string): string => resolve(options.cwd ?? process.cwd(), p);
  const tuf = options.tuf ?? {};
  return loadSigstoreTrust({
    ...(options.trustedRoot === undefined ? {} : { trustedRootPath: options.trustedRoot }),
    ...(options.offline === undefined ? {} : { offline: options.offline }),
    ...(tuf.mirrorUrl === undefined ? {} : { tufMirrorUrl: tuf.mirrorUrl }),
    ...(tuf.rootPath === undefined ? {} : { tufRootPath: at(tuf.rootPath) }),
    ...(tuf.githubMirrorUrl === undefined ? {} : { githubTufMirrorUrl: tuf.githubMirrorUrl }),
    ...(tuf.githubRootPath === undefined ? {} : { githubTufRootPath: at(tuf.githubRootPath) }),
    ...(tuf.cacheDir === undefined ? {} : { cacheDir: at(tuf.cacheDir) }),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.npmRegistryKeys === true ? { npmRegistryKeys: true } : {}),
    logger: options.logger,
  });
}

/** The predicate types verified when `--predicate-type` is not given: SLSA provenance. */
export const DEFAULT_PREDICATE_TYPES: readonly string[] = [
  'https://slsa.dev/provenance/v1',
  'https://slsa.dev/provenance/v0.2',
];

/** A provenance document with its (not yet trusted) statement decoded, for matching by subject. */
interface Candidate {
  readonly doc: ProvenanceDocument;
  readonly statement: InTotoStatement;
  verified?: { statement: InTotoStatement; signer: SignerIdentity } | { error: unknown };
}

const DIGEST_ARGUMENT = /^([A-Za-z0-9_-]{2,32}):([0-9A-Fa-f]{8,256})$/;

// the in-toto digest set's algorithm names (in-toto attestation spec, digest_set.md)
const IN_TOTO_ALGORITHMS = new Map(
  [
    'sha224',
    'sha256',
    'sha384',
    'sha512',
    'sha512_224',
    'sha512_256',
    'sha3_224',
    'sha3_256',
    'sha3_384',
    'sha3_512',
    'shake128',
    'shake256',
    'blake2b',
    'blake2s',
    'ripemd160',
    'sm3',
    'gost',
    'sha1',
    'md5',
    'dirHash',
    'gitCommit',
    'gitTree',
    'gitBlob',
    'gitTag',
  ].map((a) => [a.toLowerCase(), a]),
);

/**
 * The in-toto name of an algorithm as a user writes it (`SHA512` as PowerShell's Get-FileHash
 * prints it, `sha-256`, `SHA3-256`, `gitcommit`); any other name is kept as given (a VSA's
 * `gce_image_id`). Subjects name algorithms by their in-toto names: `SHA512:…` matched nothing.
 */
export function inTotoAlgorithmName(alg: string): string {
  const lower = alg.toLowerCase();
  return (
    IN_TOTO_ALGORITHMS.get(lower) ??
    IN_TOTO_ALGORITHMS.get(lower.replaceAll('-', '_')) ??
    IN_TOTO_ALGORITHMS.get(lower.replaceAll('-', '')) ??
    alg
  );
}

/** `ALG:HEX` of `--digest`, as an artifact named by it. */
export function parseDigestArgument(value: string): ArtifactDigest {
  const m = DIGEST_ARGUMENT.exec(value);
  if (m === null) {
    throw new UsageError(
      'USAGE_INVALID_FLAG',
      `--digest takes ALG:HEX (sha256:…, sha512:…), got '${value}'`,
      {
        details: { flag: 'digest', value },
      },
    );
  }
  const alg = inTotoAlgorithmName(m[1] as string);
  const hex = (m[2] as string).toLowerCase();
  return { name: `${alg}:${hex}`, sha256: alg === 'sha256' ? hex : '', digests: { [alg]: hex } };
}

/**
 * Verifies artifacts against provenance and a policy. With one provenance file, the first failed
 * check throws (VerificationError with its DESIGN.md §3 code); in batch mode (several files or a
 * directory) every artifact gets a verdict: it passes when a provenance document naming its digest
 * verifies (signature, then policy), and the result says which failed and why. A `.jsonl` with
 * several bundles is searched for the ones whose subjects name the artifact; one pass is a pass.
 * Documents of another predicate type than the one asked for (SLSA provenance by default) are
 * left aside, as `gh attestation verify` filters them.
 */
export async function verifyArtifacts(options: VerifyOptions): Promise<VerifyResult> {
  const logger = options.logger ?? silentLogger;
  const digestArtifacts = (options.digests ?? []).map(parseDigestArgument);
  if (options.artifacts.length === 0 && digestArtifacts.length === 0) {
    throw new UsageError(
      'USAGE_MISSING_ARGUMENT',
      'verify needs at least one artifact (a file or --digest ALG:HEX)',
    );
  }
  if (options.provenance.length === 0 && options.documents === undefined) {
    throw new UsageError(
      'USAGE_MISSING_FLAG',
      'verify needs --provenance FILE (or --repo/--owner to fetch)',
      {
        details: { flag: 'provenance' },
      },
    );
  }
  const cwd = options.cwd ?? process.cwd();
  const at = (p: string): string => resolve(cwd, p);
  const { files, hadDirectory } =
    options.provenance.length === 0
      ? { files: [] as string[], hadDirectory: false }
      : await expandProvenancePaths(options.provenance.map(at));
  const batch = hadDirectory || files.length > 1;
  const unreadable: { provenance: string; code: ErrorCode; message: string }[] = [];
  const docs: ProvenanceDocument[] = [...(options.documents ?? [])];
  for (const f of files) {
    try {
      docs.push(...(await readProvenanceFile(f)));
    } catch (error) {
      // batch: a file that cannot be read is that file's verdict, not the end of the batch
      if (!batch || !isSlsaLedgerError(error) || error.category !== 'invalid-input') throw error;
      unreadable.push({ provenance: f, code: error.code, message: error.message });
      logger.warn(`${f}: ${error.code}: ${error.message}`);
    }
  }
  const wantedTypes =
    options.githubPolicy !== undefined
      ? [options.githubPolicy.predicateType ?? DEFAULT_GITHUB_PREDICATE_TYPE]
      : options.policy.predicateType === undefined
        ? DEFAULT_PREDICATE_TYPES
        : [options.policy.predicateType];
  const candidates: Candidate[] = [];
  for (const doc of docs) {
    try {
      const statement = parseStatement(envelopePayload(doc.envelope), doc.source);
      candidates.push({ doc, statement });
    } catch (error) {
      if (!batch || !isSlsaLedgerError(error) || error.category !== 'invalid-input') throw error;
      unreadable.push({ provenance: doc.source, code: error.code, message: error.message });
    }
  }
  // one document given: it is checked as given (slsa-verifier's order: signature first, then the
  // predicate type); several, or gh's policy (`gh attestation verify` filters by predicate type
  // first, whatever the count, and then has "no attestations"): those of another predicate type
  // are not what was asked for
  // npm's publish attestations, by the attestations document they came in: each is checked beside
  // the provenance of its set that verifies an artifact (signed with the registry's key, logged),
  // never as provenance itself (alone, or asked for with --predicate-type, it ended in exit 70)
  const npmPublish = candidates.filter((c) => c.doc.set !== undefined && isNpmPublishStatement(c.statement));
  const relevant = (
    candidates.length <= 1 && options.githubPolicy === undefined
      ? candidates
      : candidates.filter((c) => wantedTypes.includes(c.statement.predicateType))
  ).filter((c) => !npmPublish.includes(c));
  const publishBeside = (c: Candidate): Candidate[] =>
    c.doc.set === undefined ? [] : npmPublish.filter((p) => p !== c && p.doc.set === c.doc.set);

  const needsKey = relevant.some((c) => c.doc.kind === 'key-signed' && !npmPublish.includes(c));
  const needsTrust =
    relevant.some((c) => c.doc.kind === 'certificate-signed') ||
    relevant.some((c) => publishBeside(c).length > 0);
  const keyPaths = [...(options.key === undefined ? [] : [options.key]), ...(options.keys ?? [])];
  let keys: TrustedPublicKey[] = [];
  if (needsKey) {
    if (keyPaths.length === 0) {
      const first = relevant.find((c) => c.doc.kind === 'key-signed' && !npmPublish.includes(c));
      throw new UsageError(
        'USAGE_MISSING_FLAG',
        `${first?.doc.source ?? ''} is key-signed: pass --key PUBLIC_KEY.pem`,
        {
          details: { flag: 'key' },
        },
      );
    }
    keys = await Promise.all(keyPaths.map((k) => loadPublicKey(at(k))));
  }
  let trust: SigstoreTrust | undefined;
  const notLoaded = (): never => {
    throw new SlsaLedgerError('INTERNAL', 'certificate verification was not loaded');
  };
  let verifyCertificateSigned: typeof VerifyCertificateSigned = notLoaded;
  let verifyBundleSignature: typeof VerifyBundleSignature = notLoaded;
  let parseSignedStatement: typeof ParseSignedStatement = notLoaded;
  if (needsTrust) {
    // loaded only when needed: sigstore's verifier is heavy to import
    ({
      verifyCertificateSigned,
      verifyBundleSignature,
      parseStatement: parseSignedStatement,
    } = await import('../core/verify/signature-sigstore.js'));
    trust = await loadVerifyTrust({
      ...(options.trustedRoot === undefined ? {} : { trustedRoot: at(options.trustedRoot) }),
      ...(options.offline === undefined ? {} : { offline: options.offline }),
      ...(options.tuf === undefined ? {} : { tuf: options.tuf }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(npmPublish.length > 0 ? { npmRegistryKeys: true } : {}),
      logger,
    });
  }

  // the digests the statements name the artifacts by, beyond sha256 (npm's sha512, in-toto v1.1)
  const hashable = new Set(hashableAlgorithms());
  const extraAlgorithms = [
    ...new Set(
      [...relevant, ...npmPublish].flatMap((c) => c.statement.subject.flatMap((s) => Object.keys(s.digest))),
    ),
  ].filter((a) => a !== 'sha256' && hashable.has(a));
  logger.debug(`hashing ${options.artifacts.length} artifact(s)`);
  const fileDigests = await hashFiles(options.artifacts.map(at), { logger });
  const fileArtifacts: ArtifactDigest[] = await Promise.all(
    fileDigests.map(async (d, i) => ({
      name: options.artifacts[i] ?? d.path,
      sha256: d.sha256,
      ...(extraAlgorithms.length === 0 ? {} : { digests: await digestFile(d.path, extraAlgorithms) }),
    })),
  );
  const artifacts = [...fileArtifacts, ...digestArtifacts];

  // one verdict per distinct certificate-signed document: a file of many copies of one bundle (a
  // 31 MB document of 8,000 took ~22 s) verifies it once; its errors never name the document
  const byContent = new Map<string, NonNullable<Candidate['verified']>>();
  const verifySignature = (c: Candidate): { statement: InTotoStatement; signer: SignerIdentity } => {
    if (c.verified === undefined && options.githubPolicy !== undefined) {
      try {
        refuseOldBundleForGh(c.doc);
      } catch (error) {
        c.verified = { error };
      }
    }
    if (c.verified === undefined) {
      const key = c.doc.kind === 'certificate-signed' ? JSON.stringify(c.doc.provenance) : undefined;
      const known = key === undefined ? undefined : byContent.get(key);
      if (known !== undefined) {
        c.verified = known;
      } else {
        try {
          c.verified =
            c.doc.kind === 'key-signed'
              ? verifyWithKeys(c.doc, keys)
              : verifyCertificateSigned(c.doc.provenance, trust as SigstoreTrust);
        } catch (error) {
          c.verified = { error };
        }
        if (key !== undefined) byContent.set(key, c.verified);
      }
    }
    if ('error' in c.verified) throw c.verified.error;
    return c.verified;
  };

  // npm's publish attestation: a Sigstore bundle signed with one of the registry's attestation keys
  // (the key its hint names, valid when the log entry was made), its log entry verified
  let npmKeys: TrustedPublicKey[] | undefined;
  const verifyNpmPublishSignature = (p: Candidate): { statement: InTotoStatement; payloadType: string } => {
    const doc = p.doc;
    if (doc.kind !== 'key-signed' || doc.bundle === undefined) {
      throw new VerificationError(
        'VERIFY_SIGNATURE_INVALID',
        `${doc.source}: npm's publish attestation must be a sigstore bundle signed with the npm registry's key`,
        { details: { source: doc.source } },
      );
    }
    npmKeys ??=
      trust?.npmRegistryKeys === undefined
        ? npmAttestationKeys()
        : npmAttestationKeys(trust.npmRegistryKeys, "sigstore public good's registry.npmjs.org/keys.json");
    const key = npmKeys.find((k) => k.keyId === doc.keyHint);
    if (key === undefined) {
      throw new VerificationError(
        'VERIFY_SIGNATURE_INVALID',
        `${doc.source}: npm's publish attestation names key ${JSON.stringify(doc.keyHint ?? null)}, not one of the npm registry's attestation keys`,
        { details: { source: doc.source, keyHint: doc.keyHint ?? null } },
      );
    }
    const bundle = verifyBundleSignature(doc.bundle, trust as SigstoreTrust, { publicKeys: [key] });
    if (bundle.content.kind !== 'dsse') {
      throw new VerificationError(
        'VERIFY_PAYLOAD_TYPE_INVALID',
        `${doc.source}: npm's publish attestation holds no dsse envelope`,
      );
    }
    return {
      statement: parseSignedStatement(bundle.content.payloadType, bundle.content.payload),
      payloadType: bundle.content.payloadType,
    };
  };
  const npmVerified = new Map<Candidate, ReturnType<typeof verifyNpmPublishSignature> | { error: unknown }>();
  const checkNpm = (c: Candidate, statement: InTotoStatement, artifact: ArtifactDigest): void => {
    const publish = publishBeside(c);
    const policy = options.policy;
    const asked = policy.packageName !== undefined || policy.packageVersion !== undefined;
    if (publish.length === 0 && !asked) return;
    const pkg = npmProvenancePackage(statement, c.doc.source);
    if (publish.length === 0) {
      throw new VerificationError(
        'VERIFY_NO_ATTESTATION',
        `${c.doc.source}: --package-name and --package-version need npm's publish attestation beside the provenance (the registry's attestations document)`,
        { details: { source: c.doc.source } },
      );
    }
    for (const p of publish) {
      let signed = npmVerified.get(p);
      if (signed === undefined) {
        try {
          signed = verifyNpmPublishSignature(p);
        } catch (error) {
          signed = { error };
        }
        npmVerified.set(p, signed);
      }
      if ('error' in signed) throw signed.error;
      checkNpmPublish({
        payloadType: signed.payloadType,
        publish: signed.statement,
        source: p.doc.source,
        provenancePackage: pkg,
        artifact,
      });
    }
    checkNpmPackagePolicy(pkg, policy, c.doc.source);
    logger.debug(`${c.doc.source}: npm's publish attestation verified (${pkg.name}@${pkg.version})`);
  };

  const verdicts: ArtifactVerdict[] = [];
  const passed = new Map<Candidate, VerifiedProvenance>();
  for (const artifact of artifacts) {
    let matching = relevant.filter((c) => matchingSubject(c.statement, artifact) !== undefined);
    // one provenance document: check it in slsa-verifier's order (signature before digest)
    if (matching.length === 0 && relevant.length === 1) matching = relevant;
    let verdict: ArtifactVerdict | undefined;
    const known = artifactDigests(artifact);
    let error: unknown =
      candidates.length > 0 && relevant.length === 0
        ? new VerificationError(
            'VERIFY_NO_ATTESTATION',
            `no attestation of predicate type ${wantedTypes.join(' or ')} was given${
              npmPublish.length > 0
                ? " (npm's publish attestation is not provenance: it is checked beside the provenance of its attestations document)"
                : ''
            }`,
            { details: { predicateTypes: wantedTypes } },
          )
        : new VerificationError(
            'VERIFY_SUBJECT_DIGEST_MISMATCH',
            `artifact ${artifact.name} (${Object.entries(known)
              .map(([a, h]) => `${a} ${h}`)
              .join(', ')}) is not a subject of any provenance given`,
            { details: { artifact: artifact.name, ...known } },
          );
    let errorSource: string | undefined;
    const matched: string[] = [];
    for (const c of matching) {
      try {
        const signed = verifySignature(c);
        const verified =
          options.githubPolicy === undefined
            ? checkProvenance({ ...signed, artifacts: [artifact], policy: options.policy })
            : checkGithubAttestation({ ...signed, artifacts: [artifact], policy: options.githubPolicy });
        checkNpm(c, verified.statement, artifact);
        passed.set(c, verified);
        matched.push(c.doc.source);
        verdict ??= {
          artifact: artifact.name,
          sha256: artifact.sha256,
          ok: true,
          provenance: c.doc.source,
          subject: verified.artifacts[0]?.subject ?? '',
          builderId: verified.builderId,
        };
      } catch (e) {
        if (errorSource === undefined) {
          error = e;
          errorSource = c.doc.source;
        }
      }
    }
    if (verdict !== undefined) verdict = { ...verdict, matched };
    if (verdict === undefined) {
      // Single mode: the first failed check is the answer. In batch mode a failed check is a
      // verdict; bad input (exit 3) and unexpected errors still stop the run.
      if (!batch || !isSlsaLedgerError(error) || error.category !== 'verification') throw error;
      verdict = {
        artifact: artifact.name,
        sha256: artifact.sha256,
        ok: false,
        ...(errorSource === undefined ? {} : { provenance: errorSource }),
        code: error.code,
        message: error.message,
      };
    }
    verdicts.push(verdict);
    logger.debug(`${verdict.ok ? 'PASSED' : 'FAILED'} ${artifact.name}`);
  }

  const verified = [...passed.entries()];
  return {
    ok: verdicts.every((v) => v.ok) && unreadable.length === 0,
    batch,
    verdicts,
    unreadable,
    provenance: verified.map(([c, v]) => ({
      source: c.doc.source,
      facts: v.facts,
      signer: v.signer,
      statementDigest: createHash('sha256').update(envelopePayload(c.doc.envelope)).digest('hex'),
    })),
    statements: verified.map(([, v]) => v.statement),
  };
}

/**
 * A key-signed document with the keys given: the key its id names (`publicKey.hint`, or a DSSE
 * signature's `keyid`) first, then the others (rotation: any trusted key may have signed).
 */
function verifyWithKeys(
  doc: ProvenanceDocument & { kind: 'key-signed' },
  keys: readonly TrustedPublicKey[],
): { statement: InTotoStatement; signer: SignerIdentity } {
  const named = new Set(
    [doc.keyHint, ...doc.envelope.signatures.map((s) => s.keyid)].filter((k) => k !== undefined),
  );
  if (keys.length === 0) {
    throw new UsageError('USAGE_MISSING_FLAG', `${doc.source} is key-signed: pass --key PUBLIC_KEY.pem`, {
      details: { flag: 'key' },
    });
  }
  const ordered = [...keys.filter((k) => named.has(k.keyId)), ...keys.filter((k) => !named.has(k.keyId))];
  let first: unknown;
  for (const key of ordered) {
    try {
      return verifyKeySigned(doc.envelope, key, doc.source);
    } catch (error) {
      first ??= error;
    }
  }
  throw first;
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
  readonly tuf?: TufSourceOptions;
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
          ...(options.tuf === undefined ? {} : { tuf: options.tuf }),
          ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
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

export interface VerifyWithGithubOptions extends Omit<
  VerifyOptions,
  'githubPolicy' | 'policy' | 'documents'
> {
  readonly githubPolicy: GithubPolicy;
  /** attestations to fetch at most (1..1000, default 30) */
  readonly limit?: number;
  /** the digest a file is looked up by in the attestations api (gh's --digest-alg; default sha256) */
  readonly digestAlgorithm?: 'sha256' | 'sha512';
  /** GITHUB_API_URL (default https://api.github.com) */
  readonly apiUrl?: string;
  /** GITHUB_TOKEN */
  readonly token?: string;
  readonly fetch?: typeof fetch;
}

/**
 * `gh attestation verify` parity: with `--provenance` the bundles given are checked; without, the
 * attestations for each artifact's digest are fetched from GitHub's attestations API (repository
 * or organisation scope), then each is verified under gh's policy and the verdict says which
 * matched. One pass per artifact is a pass.
 */
export async function verifyWithGithub(options: VerifyWithGithubOptions): Promise<VerifyResult> {
  checkGithubPolicyFlags(options.githubPolicy);
  // gh checks --limit whether or not it fetches (1..1000)
  if (
    options.limit !== undefined &&
    !(Number.isInteger(options.limit) && options.limit >= 1 && options.limit <= 1000)
  ) {
    throw new UsageError('USAGE_INVALID_FLAG', `--limit ${options.limit} is not allowed: 1..1000`, {
      details: { flag: 'limit' },
    });
  }
  const base = { ...options, policy: { sourceUri: '' } };
  if (options.provenance.length > 0) return verifyArtifacts(base);
  const cwd = options.cwd ?? process.cwd();
  const { fetchAttestations } = await import('../io/github-attestations.js');
  const { classifyProvenance } = await import('../io/provenance-reader.js');
  const fileDigests = await hashFiles(
    options.artifacts.map((a) => resolve(cwd, a)),
    options.logger === undefined ? {} : { logger: options.logger },
  );
  const algorithm = options.digestAlgorithm ?? 'sha256';
  const subjects = [
    ...(await Promise.all(
      fileDigests.map(async (d) =>
        algorithm === 'sha256'
          ? `sha256:${d.sha256}`
          : `${algorithm}:${(await digestFile(d.path, [algorithm]))[algorithm] ?? ''}`,
      ),
    )),
    ...(options.digests ?? []).map((d) => {
      const a = parseDigestArgument(d);
      const [alg, hex] = Object.entries(a.digests ?? {})[0] ?? ['', ''];
      return `${alg}:${hex}`;
    }),
  ];
  const documents: ProvenanceDocument[] = [];
  for (const digest of subjects) {
    const fetched = await fetchAttestations({
      apiUrl: options.apiUrl ?? 'https://api.github.com',
      digest,
      ...(options.githubPolicy.repo === undefined
        ? { owner: options.githubPolicy.owner }
        : { repo: options.githubPolicy.repo }),
      // as gh: the server filters by predicate type, so --limit counts only those verified
      predicateType: options.githubPolicy.predicateType ?? DEFAULT_GITHUB_PREDICATE_TYPE,
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.limit === undefined ? {} : { limit: options.limit }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    });
    (options.logger ?? silentLogger).info(
      `loaded ${fetched.length} attestation(s) for ${digest} from the github api`,
    );
    documents.push(...fetched.map((f) => classifyProvenance(f.bundle, `${f.source} (${digest})`)));
  }
  return verifyArtifacts({ ...base, documents });
}

export interface VerifyVsaOptions {
  /** the VSA: a DSSE envelope (JSON or JSON lines) or a Sigstore bundle, key-signed or keyless */
  readonly vsa: string;
  /** public keys (`--key`, repeatable) for a key-signed VSA */
  readonly keys: readonly string[];
  /** the DSSE `keyid` the verifying signature must carry (slsa-verifier's --public-key-id) */
  readonly publicKeyId?: string;
  /** keyless, gh's policy: `--repo`/`--owner` with the identity and certificate flags */
  readonly githubPolicy?: GithubPolicy;
  /** keyless, the certificate identity alone: `--cert-identity[-regex]`/`--signer-workflow`/`--signer-repo` */
  readonly identity?: CertificateIdentityPolicy;
  readonly trustedRoot?: string;
  readonly offline?: boolean;
  readonly tuf?: TufSourceOptions;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  /** the artifacts, hashed (sha256) to subject digests */
  readonly artifacts?: readonly string[];
  /** subject digests as given, `ALG:VALUE` (slsa-verifier's --subject-digest) */
  readonly subjectDigests?: readonly string[];
  readonly verifierId: string;
  readonly resourceUri: string;
  readonly verifiedLevels?: readonly string[];
  readonly cwd?: string;
}

/**
 * Checks a Verification Summary Attestation as slsa-verifier's `verify-vsa` does, then
 * src/core/vsa's checks. Key-signed: a signature by one of the keys (naming `publicKeyId` when
 * given). Keyless (what `validate --record` writes in GitHub Actions): the Sigstore layer under the
 * trusted roots (certificate chain, transparency log or timestamps), then the signer, under gh's
 * policy (`githubPolicy`) or by its certificate identity and issuer (`identity`); a keyless VSA
 * whose signer is not named is refused, since anyone can get a certificate. Returns the verified
 * predicate and who signed it.
 */
export async function verifyVsa(
  options: VerifyVsaOptions,
): Promise<{ statement: InTotoStatement; predicate: VsaPredicate; signer: SignerIdentity }> {
  const cwd = options.cwd ?? process.cwd();
  const docs = await readProvenanceFile(resolve(cwd, options.vsa));
  const doc = docs[0];
  if (docs.length !== 1 || doc === undefined) {
    throw new SlsaLedgerError(
      'INPUT_PROVENANCE_MALFORMED',
      `${options.vsa}: expected one signed vsa (a dsse envelope or a sigstore bundle), found ${docs.length}`,
    );
  }
  const { statement, signer } =
    doc.kind === 'key-signed'
      ? await verifyKeySignedVsa(options, doc, cwd)
      : await verifyKeylessVsa(options, doc, cwd);
  const fileDigests =
    options.artifacts === undefined || options.artifacts.length === 0
      ? []
      : (await hashFiles(options.artifacts.map((a) => resolve(cwd, a)))).map((d) => `sha256:${d.sha256}`);
  const { checkVsa } = await import('../core/vsa/vsa.js');
  const predicate = checkVsa(statement, {
    subjectDigests: [...fileDigests, ...(options.subjectDigests ?? [])],
    verifierId: options.verifierId,
    resourceUri: options.resourceUri,
    ...(options.verifiedLevels === undefined ? {} : { verifiedLevels: options.verifiedLevels }),
  });
  return { statement, predicate, signer };
}

async function verifyKeySignedVsa(
  options: VerifyVsaOptions,
  doc: ProvenanceDocument & { kind: 'key-signed' },
  cwd: string,
): Promise<{ statement: InTotoStatement; signer: SignerIdentity }> {
  if (options.keys.length === 0) {
    throw new UsageError('USAGE_MISSING_FLAG', `${options.vsa} is key-signed: pass --key PUBLIC_KEY.pem`, {
      details: { flag: 'key' },
    });
  }
  const keys = await Promise.all(options.keys.map((k) => loadPublicKey(resolve(cwd, k))));
  const envelope =
    options.publicKeyId === undefined
      ? doc.envelope
      : {
          ...doc.envelope,
          signatures: doc.envelope.signatures.filter((s) => (s.keyid ?? doc.keyHint) === options.publicKeyId),
        };
  if (envelope.signatures.length === 0) {
    throw new VerificationError(
      'VERIFY_SIGNATURE_INVALID',
      `no signature of the vsa names key id ${options.publicKeyId ?? ''}`,
      {
        details: { keyId: options.publicKeyId ?? null },
      },
    );
  }
  return verifyWithKeys({ ...doc, envelope }, keys);
}

async function verifyKeylessVsa(
  options: VerifyVsaOptions,
  doc: ProvenanceDocument & { kind: 'certificate-signed' },
  cwd: string,
): Promise<{ statement: InTotoStatement; signer: SignerIdentity }> {
  if (options.publicKeyId !== undefined) {
    throw new UsageError(
      'USAGE_INVALID_FLAG',
      `${options.vsa} is keyless (certificate-signed): --public-key-id is for key-signed vsas`,
      { details: { flag: 'public-key-id' } },
    );
  }
  if (options.githubPolicy !== undefined) checkGithubPolicyFlags(options.githubPolicy);
  else if (options.identity === undefined || identityFlagsOf(options.identity).length === 0) {
    throw new UsageError(
      'USAGE_MISSING_FLAG',
      `${options.vsa} is keyless (certificate-signed): name its signer with --repo OWNER/REPO or --owner ORG ` +
        '(gh attestation verify semantics, with --signer-workflow for the validate workflow), or with ' +
        '--cert-identity, --cert-identity-regex, --signer-workflow or --signer-repo',
      { details: { flag: 'signer-workflow' } },
    );
  }
  const { verifyCertificateSigned } = await import('../core/verify/signature-sigstore.js');
  const trust = await loadVerifyTrust({
    ...(options.trustedRoot === undefined ? {} : { trustedRoot: resolve(cwd, options.trustedRoot) }),
    ...(options.offline === undefined ? {} : { offline: options.offline }),
    ...(options.tuf === undefined ? {} : { tuf: options.tuf }),
    ...(options.env === undefined ? {} : { env: options.env }),
    cwd,
    logger: options.logger ?? silentLogger,
  });
  const verified = verifyCertificateSigned(doc.provenance, trust);
  if (options.githubPolicy !== undefined) checkGithubSigner(verified.signer, options.githubPolicy);
  else checkCertificateIdentity(verified.signer, options.identity ?? {});
  return verified;
}

/**
 * `gh attestation verify` takes Sigstore bundles from v0.2 on: a v0.1 bundle (no inclusion proof
 * required, the log's promise alone) is "unsupported bundle version" there (cli/cli
 * pkg/cmd/attestation/verification/sigstore.go `chooseVerifier`), so under gh's policy it is too.
 */
function refuseOldBundleForGh(doc: ProvenanceDocument): void {
  if (doc.kind !== 'certificate-signed' || doc.provenance.kind !== 'bundle') return;
  const mediaType = (doc.provenance.bundle as { mediaType?: unknown } | null)?.mediaType;
  if (mediaType !== BUNDLE_V01_MEDIA_TYPE) return;
  throw new VerificationError(
    'VERIFY_BUNDLE_VERSION_UNSUPPORTED',
    `${doc.source}: a Sigstore bundle v0.1, which gh attestation verify does not take (unsupported bundle version: v0.2 or later)`,
    { details: { source: doc.source, mediaType } },
  );
}

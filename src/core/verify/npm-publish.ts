import { createPublicKey, type KeyObject } from 'node:crypto';
import { SlsaLedgerError, VerificationError } from '../../errors.js';
import { parseJson } from '../input/strict-json.js';
import { NPM_REGISTRY_KEYS_JSON } from './npm-registry-keys.js';
import type { TrustedPublicKey } from './signature-key.js';
import type { ArtifactDigest, InTotoStatement } from './types.js';

/**
 * npm's publish attestation (https://github.com/npm/attestation/tree/main/specs/publish/v0.1): the
 * registry's own statement, signed with its key, that it published NAME@VERSION with this digest.
 * The npm registry's attestations document (`/-/npm/v1/attestations/NAME@VERSION`) carries it beside
 * the SLSA provenance; slsa-verifier's `verify-npm-package` checks both, and so does `verify`.
 */
export const NPM_PUBLISH_PREDICATE_PREFIX = 'https://github.com/npm/attestation/tree/main/specs/publish/';

const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const STATEMENT_TYPES = new Set(['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1']);

export function isNpmPublishStatement(statement: InTotoStatement): boolean {
  return (
    typeof statement.predicateType === 'string' &&
    statement.predicateType.startsWith(NPM_PUBLISH_PREDICATE_PREFIX)
  );
}

const MAX_NPM_KEYS_BYTES = 64 * 1024;
const MAX_NPM_KEYS = 64;

/**
 * The npm registry's attestation keys (`npm:attestations`, ECDSA P-256), each with the time it was
 * valid for, from a `registry.npmjs.org/keys.json` document (default: the copy slsa-ledger ships).
 * Throws INPUT_TRUSTED_ROOT_INVALID for a document that is not such a list (bounded).
 */
export function npmAttestationKeys(
  keysJson: string = NPM_REGISTRY_KEYS_JSON,
  source = 'registry.npmjs.org/keys.json',
): TrustedPublicKey[] {
  const invalid = (problem: string): SlsaLedgerError =>
    new SlsaLedgerError('INPUT_TRUSTED_ROOT_INVALID', `${source}: ${problem}`, { details: { source } });
  if (keysJson.length > MAX_NPM_KEYS_BYTES) throw invalid(`larger than ${MAX_NPM_KEYS_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = parseJson(keysJson, 'signed', source);
  } catch {
    throw invalid('not json');
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length > MAX_NPM_KEYS) throw invalid(`expected {"keys": [...]}`);
  const result: TrustedPublicKey[] = [];
  for (const k of keys as NpmKeyEntry[]) {
    if (k?.keyUsage !== 'npm:attestations') continue;
    const pk = k.publicKey;
    if (typeof k.keyId !== 'string' || k.keyId === '' || typeof pk?.rawBytes !== 'string') {
      throw invalid('an attestation key without keyId or publicKey.rawBytes');
    }
    if (pk.keyDetails !== 'PKIX_ECDSA_P256_SHA_256') continue;
    const start = dateOf(pk.validFor?.start ?? '1970-01-01T00:00:00Z');
    const end = pk.validFor?.end === undefined ? undefined : dateOf(pk.validFor.end);
    if (start === null || end === null) throw invalid(`key ${k.keyId}: validFor is not a time range`);
    let keyObject: KeyObject;
    try {
      keyObject = createPublicKey({ key: Buffer.from(pk.rawBytes, 'base64'), format: 'der', type: 'spki' });
    } catch {
      throw invalid(`key ${k.keyId} is not a public key`);
    }
    if (keyObject.asymmetricKeyType !== 'ec') throw invalid(`key ${k.keyId} is not an ecdsa key`);
    result.push({ keyObject, keyId: k.keyId, validFor: { start, ...(end === undefined ? {} : { end }) } });
  }
  return result;
}

interface NpmKeyEntry {
  readonly keyId?: unknown;
  readonly keyUsage?: unknown;
  readonly publicKey?: {
    readonly rawBytes?: unknown;
    readonly keyDetails?: unknown;
    readonly validFor?: { readonly start?: string; readonly end?: string };
  };
}

function dateOf(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Checks a `registry.npmjs.org/keys.json` document (npmAttestationKeys' errors). */
export function checkNpmRegistryKeys(keysJson: string, source: string): void {
  npmAttestationKeys(keysJson, source);
}

/** NAME and VERSION of a package URL `pkg:npm/NAME@VERSION` (NAME percent-encoded, `@scope/name`). */
export function npmPackageOf(purl: string): { name: string; version: string } | undefined {
  const prefix = 'pkg:npm/';
  if (!purl.startsWith(prefix)) return undefined;
  let rest: string;
  try {
    rest = decodeURIComponent(purl.slice(prefix.length));
  } catch {
    return undefined;
  }
  const scoped = rest.startsWith('@');
  const parts = (scoped ? rest.slice(1) : rest).split('@');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return undefined;
  return { name: `${scoped ? '@' : ''}${parts[0] as string}`, version: parts[1] as string };
}

function mismatch(message: string, details: Record<string, unknown>): VerificationError {
  return new VerificationError('VERIFY_PACKAGE_MISMATCH', message, { details });
}

export interface NpmPackagePolicy {
  /** `--package-name`: the package the attestations must name */
  readonly packageName?: string;
  /** `--package-version` */
  readonly packageVersion?: string;
}

/**
 * The package a verified npm provenance names: its one subject `pkg:npm/NAME@VERSION`
 * (VERIFY_PACKAGE_MISMATCH when it names none, or several subjects).
 */
export function npmProvenancePackage(
  provenance: InTotoStatement,
  source: string,
): { name: string; version: string } {
  const subject = provenance.subject.length === 1 ? provenance.subject[0] : undefined;
  const pkg = subject === undefined ? undefined : npmPackageOf(subject.name ?? '');
  if (pkg === undefined) {
    throw mismatch(
      `${source}: the provenance does not name one npm package (a single subject pkg:npm/NAME@VERSION)`,
      { source, subjects: provenance.subject.map((s) => s.name).slice(0, 8) },
    );
  }
  return pkg;
}

/**
 * Checks npm's publish attestation (its signature already verified with the registry's key) against
 * the verified provenance beside it and the artifact, as slsa-verifier's `verify-npm-package` does:
 * an in-toto statement of the publish predicate, a subject with the artifact's digest, and the
 * package (subject and predicate `name`, `version`) the provenance's subject names; then the
 * package and version asked for. Throws VERIFY_PAYLOAD_TYPE_INVALID, VERIFY_STATEMENT_TYPE_INVALID,
 * VERIFY_PREDICATE_TYPE_INVALID, VERIFY_SUBJECT_DIGEST_MISMATCH or VERIFY_PACKAGE_MISMATCH.
 */
export function checkNpmPublish(input: {
  readonly payloadType: string;
  readonly publish: InTotoStatement;
  readonly source: string;
  /** the package the verified provenance names (npmProvenancePackage) */
  readonly provenancePackage: { readonly name: string; readonly version: string };
  readonly artifact: ArtifactDigest;
}): void {
  const { publish, source } = input;
  if (input.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new VerificationError(
      'VERIFY_PAYLOAD_TYPE_INVALID',
      `${source}: npm's publish attestation has payload type '${input.payloadType}', expected '${IN_TOTO_PAYLOAD_TYPE}'`,
      { details: { source, payloadType: input.payloadType } },
    );
  }
  if (!STATEMENT_TYPES.has(publish._type)) {
    throw new VerificationError(
      'VERIFY_STATEMENT_TYPE_INVALID',
      `${source}: npm's publish attestation is not an in-toto statement (_type '${publish._type}')`,
      { details: { source, type: publish._type } },
    );
  }
  if (!isNpmPublishStatement(publish)) {
    throw new VerificationError(
      'VERIFY_PREDICATE_TYPE_INVALID',
      `${source}: expected npm's publish predicate, got '${publish.predicateType}'`,
      { details: { source, predicateType: publish.predicateType } },
    );
  }
  const known: Record<string, string> = { ...(input.artifact.digests ?? {}) };
  if (input.artifact.sha256 !== '') known.sha256 = input.artifact.sha256;
  const named = publish.subject.some((s) =>
    Object.entries(s.digest).some(
      ([alg, hex]) =>
        ['sha256', 'sha384', 'sha512'].includes(alg) &&
        known[alg] !== undefined &&
        typeof hex === 'string' &&
        hex.toLowerCase() === known[alg],
    ),
  );
  if (!named) {
    throw new VerificationError(
      'VERIFY_SUBJECT_DIGEST_MISMATCH',
      `${source}: npm's publish attestation does not name artifact ${input.artifact.name}'s digest`,
      { details: { source, artifact: input.artifact.name } },
    );
  }
  const expected = input.provenancePackage;
  const predicate = (publish.predicate ?? {}) as { name?: unknown; version?: unknown };
  const subjects = publish.subject.map((s) => npmPackageOf(s.name ?? ''));
  const samePackage =
    predicate.name === expected.name &&
    predicate.version === expected.version &&
    subjects.length > 0 &&
    subjects.every((p) => p?.name === expected.name && p.version === expected.version);
  if (!samePackage) {
    throw mismatch(
      `${source}: npm's publish attestation names another package than the provenance (${expected.name}@${expected.version})`,
      {
        source,
        provenance: `${expected.name}@${expected.version}`,
        publish: `${String(predicate.name)}@${String(predicate.version)}`,
      },
    );
  }
}

/** `--package-name` / `--package-version` against the package the attestations name. */
export function checkNpmPackagePolicy(
  pkg: { readonly name: string; readonly version: string },
  policy: NpmPackagePolicy,
  source: string,
): void {
  if (policy.packageName !== undefined && policy.packageName !== pkg.name) {
    throw mismatch(`${source}: package is ${pkg.name}, expected ${policy.packageName}`, {
      source,
      packageName: pkg.name,
      expected: policy.packageName,
    });
  }
  if (policy.packageVersion !== undefined && policy.packageVersion !== pkg.version) {
    throw mismatch(`${source}: package version is ${pkg.version}, expected ${policy.packageVersion}`, {
      source,
      packageVersion: pkg.version,
      expected: policy.packageVersion,
    });
  }
}

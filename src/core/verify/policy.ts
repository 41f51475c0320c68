import { SlsaLedgerError, UsageError, VerificationError } from '../../errors.js';
import { checkBuilderTrust } from './builder-trust.js';
import { extractFacts, normalizeRepositoryUri, SUPPORTED_PREDICATE_TYPES } from './facts.js';
import type {
  ArtifactDigest,
  InTotoStatement,
  ProvenanceFacts,
  SignerIdentity,
  VerificationPolicy,
  VerifiedProvenance,
} from './types.js';

export const SUPPORTED_STATEMENT_TYPES: readonly string[] = [
  'https://in-toto.io/Statement/v1',
  'https://in-toto.io/Statement/v0.1',
];

export interface CheckProvenanceInput {
  /** the statement whose signature has already been verified */
  readonly statement: InTotoStatement;
  /** who signed it, as the signature / certificate verification established */
  readonly signer: SignerIdentity;
  /** every artifact must be among the subjects */
  readonly artifacts: readonly ArtifactDigest[];
  readonly policy: VerificationPolicy;
}

function fail(
  code: ConstructorParameters<typeof VerificationError>[0],
  message: string,
  details: Record<string, unknown>,
): never {
  throw new VerificationError(code, message, { details });
}

/**
 * Decides whether a signed statement satisfies the policy (slsa-verifier semantics). Pure and
 * synchronous; stops at the first failed check, in slsa-verifier's order: statement and predicate
 * type, builder, source, subject digests, workflow inputs, branch, tag, versioned tag, then
 * `--commit`. Throws VerificationError with the DESIGN.md §3 code of the failed check.
 */
export function checkProvenance(input: CheckProvenanceInput): VerifiedProvenance {
  const { statement, signer, artifacts, policy } = input;
  if (!SUPPORTED_STATEMENT_TYPES.includes(statement._type)) {
    fail('VERIFY_STATEMENT_TYPE_INVALID', `statement type ${statement._type} is not an in-toto statement`, {
      expected: SUPPORTED_STATEMENT_TYPES,
      actual: statement._type,
    });
  }
  const wanted = policy.predicateType;
  if (wanted !== undefined && statement.predicateType !== wanted) {
    fail('VERIFY_PREDICATE_TYPE_INVALID', `predicate type ${statement.predicateType} is not ${wanted}`, {
      expected: wanted,
      actual: statement.predicateType,
    });
  }
  if (RELEASE_PREDICATE_TYPES.includes(statement.predicateType)) {
    if (wanted === undefined) {
      fail(
        'VERIFY_PREDICATE_TYPE_INVALID',
        `${statement.predicateType} is a release attestation: choose it with --predicate-type`,
        { expected: SUPPORTED_PREDICATE_TYPES, actual: statement.predicateType },
      );
    }
    return checkReleaseAttestation({ statement, signer, artifacts, policy });
  }
  if (!SUPPORTED_PREDICATE_TYPES.includes(statement.predicateType)) {
    fail(
      'VERIFY_PREDICATE_TYPE_INVALID',
      `predicate type ${statement.predicateType} is not slsa provenance v1 or v0.2`,
      { expected: SUPPORTED_PREDICATE_TYPES, actual: statement.predicateType },
    );
  }
  const facts = extractFacts(statement);
  const builderId = checkBuilderTrust(facts, signer, policy);
  checkSource(facts, policy.sourceUri);
  const matched = checkSubjects(statement, artifacts);
  if (policy.buildWorkflowInputs !== undefined) checkWorkflowInputs(facts, policy.buildWorkflowInputs);
  if (policy.sourceBranch !== undefined) checkBranch(facts, policy.sourceBranch);
  if (policy.sourceTag !== undefined) checkTag(facts, policy.sourceTag);
  if (policy.sourceVersionedTag !== undefined) checkVersionedTag(facts, policy.sourceVersionedTag);
  if (policy.commit !== undefined) checkCommit(facts, policy.commit);
  return { statement, facts, signer, artifacts: matched, builderId };
}

export function checkSource(facts: ProvenanceFacts, sourceUri: string): void {
  const expected = normalizeRepositoryUri(sourceUri);
  if (facts.sourceRepository !== expected) {
    fail(
      'VERIFY_SOURCE_MISMATCH',
      `source mismatch: expected ${expected}, found ${facts.sourceRepository ?? '(none)'}`,
      { expected, actual: facts.sourceRepository ?? null },
    );
  }
}

/** The digests an artifact is known by (`sha256` and `digests`), lower-case. */
export function artifactDigests(artifact: ArtifactDigest): Record<string, string> {
  const all: Record<string, string> = {};
  for (const [alg, hex] of Object.entries(artifact.digests ?? {})) all[alg] = hex.toLowerCase();
  if (artifact.sha256 !== '') all.sha256 = artifact.sha256.toLowerCase();
  return all;
}

/** The subject an artifact matches: one digest algorithm in common, with the same value. */
export function matchingSubject(
  statement: InTotoStatement,
  artifact: ArtifactDigest,
): InTotoStatement['subject'][number] | undefined {
  const known = Object.entries(artifactDigests(artifact));
  return statement.subject.find((s) =>
    known.some(([alg, hex]) => typeof s.digest[alg] === 'string' && s.digest[alg].toLowerCase() === hex),
  );
}

/** The name a subject goes by: its `name`, else its `uri` (in-toto v1.1). */
export function subjectLabel(subject: InTotoStatement['subject'][number]): string {
  return subject.name ?? subject.uri ?? '';
}

/**
 * Every artifact must be a subject: a digest algorithm both know (sha256, sha512, … as the
 * statement's in-toto v1.1 digest sets name them), with the same value.
 */
export function checkSubjects(
  statement: InTotoStatement,
  artifacts: readonly ArtifactDigest[],
): (ArtifactDigest & { subject: string })[] {
  return artifacts.map((artifact) => {
    const subject = matchingSubject(statement, artifact);
    if (subject === undefined) {
      const digests = artifactDigests(artifact);
      fail(
        'VERIFY_SUBJECT_DIGEST_MISMATCH',
        `artifact ${artifact.name} (${Object.entries(digests)
          .map(([a, h]) => `${a} ${h}`)
          .join(', ')}) is not a subject of the provenance`,
        { artifact: artifact.name, ...digests, subjects: statement.subject.map(subjectLabel) },
      );
    }
    return { ...artifact, sha256: artifact.sha256.toLowerCase(), subject: subjectLabel(subject) };
  });
}

/** GitHub's release attestations (immutable releases), signed by GitHub itself. */
export const RELEASE_PREDICATE_TYPES: readonly string[] = [
  'https://in-toto.io/attestation/release/v0.1',
  'https://in-toto.io/attestation/release/v0.2',
];

/** The identity GitHub signs release attestations with (gh release verify's policy). */
export const GITHUB_RELEASE_SIGNER = 'https://dotcom.releases.github.com';

/**
 * A GitHub release attestation (`--predicate-type https://in-toto.io/attestation/release/v0.1`):
 * signed by GitHub's release attester (certificate SAN `https://dotcom.releases.github.com`, as
 * `gh release verify` requires; its statement is then GitHub's word), for the repository
 * `--source-uri` names (`predicate.repository`), at `--source-tag` (`predicate.tag`), at `--commit`
 * (the `pkg:github/OWNER/REPO@TAG` subject's `sha1`); the artifacts must be subjects.
 */
export function checkReleaseAttestation(input: CheckProvenanceInput): VerifiedProvenance {
  const { statement, signer, artifacts, policy } = input;
  if (signer.kind !== 'certificate' || signer.subjectAlternativeName !== GITHUB_RELEASE_SIGNER) {
    fail(
      'VERIFY_UNTRUSTED_BUILDER',
      `a release attestation must be signed by ${GITHUB_RELEASE_SIGNER}, found ${signer.kind === 'certificate' ? signer.subjectAlternativeName : `key ${signer.keyId}`}`,
      { expected: GITHUB_RELEASE_SIGNER },
    );
  }
  const predicate = (statement.predicate ?? {}) as Record<string, unknown>;
  const str = (k: string): string | undefined =>
    typeof predicate[k] === 'string' ? predicate[k] : undefined;
  const repository = str('repository');
  const tag = str('tag');
  if (repository === undefined || tag === undefined) {
    throw new SlsaLedgerError(
      'INPUT_PROVENANCE_MALFORMED',
      'release attestation needs predicate.repository and predicate.tag',
    );
  }
  const release = statement.subject.find((s) => s.uri?.startsWith('pkg:github/') === true);
  const facts: ProvenanceFacts = {
    predicateType: statement.predicateType,
    buildType: statement.predicateType,
    builderId: GITHUB_RELEASE_SIGNER,
    sourceRepository: `github.com/${repository}`.toLowerCase(),
    sourceRef: `refs/tags/${tag}`,
    sourceCommit: release?.digest.sha1 ?? release?.digest.gitCommit,
    workflowInputs: undefined,
    workflowPath: undefined,
  };
  const expected = normalizeRepositoryUri(policy.sourceUri).toLowerCase();
  if (facts.sourceRepository !== expected) {
    fail('VERIFY_SOURCE_MISMATCH', `source mismatch: expected ${expected}, the release is of ${repository}`, {
      expected,
      actual: repository,
    });
  }
  const matched = checkSubjects(statement, artifacts);
  if (policy.sourceTag !== undefined) checkTag(facts, policy.sourceTag);
  if (policy.sourceVersionedTag !== undefined) checkVersionedTag(facts, policy.sourceVersionedTag);
  if (policy.sourceBranch !== undefined) checkBranch(facts, policy.sourceBranch);
  if (policy.commit !== undefined) checkCommit(facts, policy.commit);
  return { statement, facts, signer, artifacts: matched, builderId: GITHUB_RELEASE_SIGNER };
}

export function checkWorkflowInputs(
  facts: ProvenanceFacts,
  expected: Readonly<Record<string, string>>,
): void {
  for (const [key, value] of Object.entries(expected)) {
    const actual = facts.workflowInputs?.[key];
    if (actual !== value) {
      fail(
        'VERIFY_WORKFLOW_INPUTS_MISMATCH',
        `workflow input ${key}: expected ${value}, found ${actual ?? '(absent)'}`,
        { input: key, expected: value, actual: actual ?? null },
      );
    }
  }
}

function refName(facts: ProvenanceFacts, prefix: 'refs/heads/' | 'refs/tags/', flag: string): string {
  const ref = facts.sourceRef;
  if (ref === undefined || !ref.startsWith(prefix)) {
    fail(
      'VERIFY_INVALID_REF',
      `${flag} needs a ${prefix === 'refs/tags/' ? 'tag' : 'branch'} ref, the provenance has ${ref ?? '(none)'}`,
      { expected: `${prefix}*`, actual: ref ?? null, flag },
    );
  }
  return ref.slice(prefix.length);
}

export function checkBranch(facts: ProvenanceFacts, branch: string): void {
  const actual = refName(facts, 'refs/heads/', '--source-branch');
  const expected = branch.replace(/^refs\/heads\//, '');
  if (actual !== expected) {
    fail('VERIFY_BRANCH_MISMATCH', `branch mismatch: expected ${expected}, found ${actual}`, {
      expected,
      actual,
    });
  }
}

export function checkTag(facts: ProvenanceFacts, tag: string): void {
  const actual = refName(facts, 'refs/tags/', '--source-tag');
  const expected = tag.replace(/^refs\/tags\//, '');
  if (actual !== expected) {
    fail('VERIFY_TAG_MISMATCH', `tag mismatch: expected ${expected}, found ${actual}`, { expected, actual });
  }
}

/** A Go-semver version (`vMAJOR[.MINOR[.PATCH[-PRE][+BUILD]]]`), as slsa-verifier parses tags. */
export interface SemVer {
  readonly major: string;
  readonly minor: string | undefined;
  readonly patch: string | undefined;
  readonly prerelease: string | undefined;
  readonly build: string | undefined;
}

const NUM = '(0|[1-9][0-9]*)';
const IDENT = '[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*';
const SEMVER = new RegExp(`^v${NUM}(?:\\.${NUM}(?:\\.${NUM}(?:-(${IDENT}))?(?:\\+(${IDENT}))?)?)?$`);

export function parseSemVer(text: string): SemVer | undefined {
  const m = SEMVER.exec(text);
  if (m === null) return undefined;
  return { major: m[1] ?? '0', minor: m[2], patch: m[3], prerelease: m[4], build: m[5] };
}

/**
 * slsa-verifier's versioned tag: the major must match; minor and patch only when the expected tag
 * gives them (the provenance tag is canonicalised, so `v14` is `v14.0.0`); pre-release and build
 * metadata likewise only when given.
 */
export function checkVersionedTag(facts: ProvenanceFacts, expectedTag: string): void {
  const expected = parseSemVer(expectedTag);
  if (expected === undefined) {
    throw new UsageError(
      'USAGE_INVALID_FLAG',
      `--source-versioned-tag takes a semantic version like v1, v1.2 or v1.2.3, got '${expectedTag}'`,
      { details: { flag: 'source-versioned-tag', value: expectedTag } },
    );
  }
  const tag = refName(facts, 'refs/tags/', '--source-versioned-tag');
  const actual = parseSemVer(tag);
  const mismatch = (): never =>
    fail('VERIFY_VERSIONED_TAG_MISMATCH', `versioned tag mismatch: expected ${expectedTag}, found ${tag}`, {
      expected: expectedTag,
      actual: tag,
    });
  if (actual === undefined) return mismatch();
  const canonical = { ...actual, minor: actual.minor ?? '0', patch: actual.patch ?? '0' };
  if (canonical.major !== expected.major) mismatch();
  if (expected.minor !== undefined && canonical.minor !== expected.minor) mismatch();
  if (expected.patch !== undefined && canonical.patch !== expected.patch) mismatch();
  if (expected.prerelease !== undefined && canonical.prerelease !== expected.prerelease) mismatch();
  if (expected.build !== undefined && canonical.build !== expected.build) mismatch();
}

export function checkCommit(facts: ProvenanceFacts, commit: string): void {
  const expected = commit.toLowerCase();
  const actual = facts.sourceCommit?.toLowerCase();
  if (actual !== expected) {
    fail('VERIFY_COMMIT_MISMATCH', `commit mismatch: expected ${expected}, found ${actual ?? '(none)'}`, {
      expected,
      actual: actual ?? null,
    });
  }
}

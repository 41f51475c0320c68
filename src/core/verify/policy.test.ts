import { describe, expect, it } from 'vitest';
import { checkProvenance, checkVersionedTag, GITHUB_RELEASE_SIGNER, parseSemVer } from './policy.js';
import {
  ARTIFACT_SHA,
  COMMIT,
  makePolicy,
  makeStatement,
} from '../../../test/support/provenance-factories.js';
import type {
  ArtifactDigest,
  InTotoStatement,
  ProvenanceFacts,
  SignerIdentity,
  VerificationPolicy,
} from './types.js';

const signer = { kind: 'key', keyId: 'k' } as const;
const artifacts = [{ name: 'app.tar.gz', sha256: ARTIFACT_SHA }];

function check(policy: VerificationPolicy, statement: InTotoStatement = makeStatement(), arts = artifacts) {
  return checkProvenance({ statement, signer, artifacts: arts, policy });
}

function withInputs(inputs: Record<string, unknown>): InTotoStatement {
  const s = makeStatement();
  const p = structuredClone(s.predicate) as {
    buildDefinition: { externalParameters: Record<string, unknown> };
  };
  p.buildDefinition.externalParameters.inputs = inputs;
  return { ...s, predicate: p };
}

describe('checkProvenance', () => {
  it('passes a matching statement and reports what it trusted', () => {
    const verified = check(
      makePolicy({
        sourceTag: 'v1.2.3',
        sourceVersionedTag: 'v1.2',
        builderId: 'https://github.com/o/r/.github/workflows/release.yml',
        commit: COMMIT.toUpperCase(),
      }),
    );
    expect(verified.builderId).toBe('https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.2.3');
    expect(verified.artifacts).toStrictEqual([
      { name: 'app.tar.gz', sha256: ARTIFACT_SHA, subject: 'app.tar.gz' },
    ]);
    expect(verified.facts).toMatchObject({
      sourceRepository: 'github.com/o/r',
      sourceRef: 'refs/tags/v1.2.3',
      sourceCommit: COMMIT,
      workflowPath: '.github/workflows/release.yml',
    });
  });

  it('accepts https:// and .git in --source-uri', () => {
    expect(() => check(makePolicy({ sourceUri: 'https://github.com/o/r.git' }))).not.toThrow();
  });

  it('passes a branch build with --source-branch and workflow inputs', () => {
    const statement = withInputs({ level: 'high', count: 3 });
    const branch = makeStatement({ ref: 'refs/heads/main', workflowRef: 'refs/heads/main' });
    expect(() =>
      check(makePolicy({ buildWorkflowInputs: { level: 'high', count: '3' } }), statement),
    ).not.toThrow();
    expect(() => check(makePolicy({ sourceBranch: 'main' }), branch)).not.toThrow();
  });

  // one negative case per code this check owns; the first failed check is the answer
  it.each<[string, VerificationPolicy, (InTotoStatement | undefined)?, typeof artifacts?]>([
    [
      'VERIFY_STATEMENT_TYPE_INVALID',
      makePolicy(),
      { ...makeStatement(), _type: 'https://in-toto.io/Statement/v2' },
    ],
    [
      'VERIFY_PREDICATE_TYPE_INVALID',
      makePolicy(),
      { ...makeStatement(), predicateType: 'https://slsa.dev/provenance/v9' },
    ],
    [
      'VERIFY_PREDICATE_TYPE_INVALID',
      makePolicy(),
      { ...makeStatement(), predicate: { buildDefinition: { buildType: 'https://example.com/unknown' } } },
    ],
    [
      'INPUT_PROVENANCE_MALFORMED',
      makePolicy(),
      {
        ...makeStatement(),
        predicate: { buildDefinition: { buildType: 'https://actions.github.io/buildtypes/workflow/v1' } },
      },
    ],
    [
      'VERIFY_BUILDER_MISMATCH',
      makePolicy({ builderId: 'https://github.com/o/r/.github/workflows/other.yml' }),
    ],
    [
      'VERIFY_BUILDER_MISMATCH',
      makePolicy({ builderId: 'https://github.com/o/r/.github/workflows/release.yml@refs/tags/v9' }),
    ],
    ['VERIFY_SOURCE_MISMATCH', makePolicy({ sourceUri: 'github.com/o/other' })],
    [
      'VERIFY_SUBJECT_DIGEST_MISMATCH',
      makePolicy(),
      undefined,
      [...artifacts, { name: 'x', sha256: 'f'.repeat(64) }],
    ],
    [
      'VERIFY_WORKFLOW_INPUTS_MISMATCH',
      makePolicy({ buildWorkflowInputs: { level: 'low' } }),
      withInputs({ level: 'high' }),
    ],
    ['VERIFY_WORKFLOW_INPUTS_MISMATCH', makePolicy({ buildWorkflowInputs: { level: 'high' } })],
    ['VERIFY_INVALID_REF', makePolicy({ sourceBranch: 'main' })],
    [
      'VERIFY_BRANCH_MISMATCH',
      makePolicy({ sourceBranch: 'main' }),
      makeStatement({ ref: 'refs/heads/dev' }),
    ],
    ['VERIFY_INVALID_REF', makePolicy({ sourceTag: 'v1.2.3' }), makeStatement({ ref: 'refs/heads/main' })],
    ['VERIFY_TAG_MISMATCH', makePolicy({ sourceTag: 'v1.2' })],
    [
      'VERIFY_INVALID_REF',
      makePolicy({ sourceVersionedTag: 'v1' }),
      makeStatement({ ref: 'refs/heads/main' }),
    ],
    ['VERIFY_VERSIONED_TAG_MISMATCH', makePolicy({ sourceVersionedTag: 'v2' })],
    [
      'VERIFY_VERSIONED_TAG_MISMATCH',
      makePolicy({ sourceVersionedTag: 'v1' }),
      makeStatement({ ref: 'refs/tags/release-1' }),
    ],
    ['USAGE_INVALID_FLAG', makePolicy({ sourceVersionedTag: '1.2' })],
    ['VERIFY_COMMIT_MISMATCH', makePolicy({ commit: 'f'.repeat(40) })],
  ])('fails with %s', (code, policy, statement, arts) => {
    expect(() => check(policy, statement ?? makeStatement(), arts ?? artifacts)).toThrowCode(code);
  });

  it('checks the builder before the source, and the source before the digests', () => {
    const policy = makePolicy({ sourceUri: 'github.com/x/y', builderId: 'https://example.com/b' });
    expect(() => check(policy, makeStatement(), [{ name: 'x', sha256: '0'.repeat(64) }])).toThrowCode(
      'VERIFY_BUILDER_MISMATCH',
    );
    expect(() =>
      check(makePolicy({ sourceUri: 'github.com/x/y' }), makeStatement(), [
        { name: 'x', sha256: '0'.repeat(64) },
      ]),
    ).toThrowCode('VERIFY_SOURCE_MISMATCH');
  });

  it('does not mutate its inputs', () => {
    const statement = makeStatement();
    const frozen = JSON.stringify(statement);
    check(makePolicy({ sourceTag: 'v1.2.3' }), statement);
    expect(JSON.stringify(statement)).toBe(frozen);
  });
});

describe('versioned tags (slsa-verifier semantics and its test cases)', () => {
  const facts = (tag: string): ProvenanceFacts => ({
    predicateType: 'p',
    buildType: 'b',
    builderId: 'x',
    sourceRepository: 'github.com/o/r',
    sourceRef: `refs/tags/${tag}`,
    sourceCommit: undefined,
    workflowInputs: undefined,
    workflowPath: undefined,
  });
  it.each([
    ['v13.0.30', 'v13.0', true],
    ['v13.0.30', 'v13', true],
    ['v13.0.30', 'v13.0.31', false],
    ['v14', 'v14.0', true],
    ['v14', 'v15', false],
    ['v14.2', 'v14', true],
    ['v14.2', 'v14.2.1', false],
    ['v13.0.30', 'v13.1', false],
    ['v1.2.3-rc.1', 'v1.2.3-rc.1', true],
    ['v1.2.3-rc.1', 'v1.2.3-rc.2', false],
    ['v1.2.3+build.5', 'v1.2.3+build.6', false],
    ['v1.2.3-rc.1', 'v1.2', true],
    ['not-semver', 'v1', false],
  ])('provenance tag %s, expected %s → %s', (tag, expected, ok) => {
    if (ok) expect(() => checkVersionedTag(facts(tag), expected)).not.toThrow();
    else expect(() => checkVersionedTag(facts(tag), expected)).toThrowCode('VERIFY_VERSIONED_TAG_MISMATCH');
  });
  it('parses go semver, shorthand included', () => {
    expect(parseSemVer('v1')).toMatchObject({ major: '1', minor: undefined });
    expect(parseSemVer('v1.2.3-alpha.1+meta')).toMatchObject({
      patch: '3',
      prerelease: 'alpha.1',
      build: 'meta',
    });
    expect(parseSemVer('v01')).toBeUndefined();
    expect(parseSemVer('v1.2-rc')).toBeUndefined();
    expect(parseSemVer('1.2.3')).toBeUndefined();
  });
});

// Mutation audit of the verify policy (nineteenth session): each case below failed to be caught
// by a mutant of policy.ts before (see docs/status.md, issue 16).
describe('checkProvenance: the rules a mutant broke unseen', () => {
  const withSubjects = (subject: InTotoStatement['subject']): InTotoStatement => ({
    ...makeStatement(),
    subject,
  });
  const SHA512 = 'ab'.repeat(64);

  it('enforces --predicate-type among the provenance types', () => {
    expect(() => check(makePolicy({ predicateType: 'https://slsa.dev/provenance/v1' }))).not.toThrow();
    expect(() => check(makePolicy({ predicateType: 'https://slsa.dev/provenance/v0.2' }))).toThrowCode(
      'VERIFY_PREDICATE_TYPE_INVALID',
    );
  });

  it('refuses a provenance that names no source (nothing to compare is a mismatch)', () => {
    const s = makeStatement();
    const p = structuredClone(s.predicate) as { buildDefinition: Record<string, unknown> };
    delete p.buildDefinition.resolvedDependencies;
    expect(() => check(makePolicy(), { ...s, predicate: p })).toThrowCode('VERIFY_SOURCE_MISMATCH');
  });

  it('matches the source exactly, not as a prefix', () => {
    expect(() => check(makePolicy(), makeStatement({ repository: 'o/rr' }))).toThrowCode(
      'VERIFY_SOURCE_MISMATCH',
    );
  });

  it('compares digests in any letter case, on one algorithm in common', () => {
    const upper = withSubjects([{ name: 'app.tar.gz', digest: { sha256: ARTIFACT_SHA.toUpperCase() } }]);
    expect(check(makePolicy(), upper).artifacts[0]?.subject).toBe('app.tar.gz');
    const bySha512 = withSubjects([{ name: 'app.tgz', digest: { sha512: SHA512 } }]);
    const given = [{ name: 'a', sha256: '', digests: { sha512: SHA512.toUpperCase() } }];
    expect(check(makePolicy(), bySha512, given).artifacts[0]?.subject).toBe('app.tgz');
    // the artifact is known by sha256 and sha512, the subject by sha256 only: one is enough
    const both = [{ name: 'a', sha256: ARTIFACT_SHA, digests: { sha512: SHA512 } }];
    expect(check(makePolicy(), makeStatement(), both).artifacts[0]?.subject).toBe('app.tar.gz');
  });

  it('never matches a truncated or empty subject digest', () => {
    const truncated = withSubjects([{ name: 'app.tar.gz', digest: { sha256: ARTIFACT_SHA.slice(0, 8) } }]);
    expect(() => check(makePolicy(), truncated)).toThrowCode('VERIFY_SUBJECT_DIGEST_MISMATCH');
    // an artifact known by sha512 alone has no sha256 to match a subject's empty one
    const empty = withSubjects([{ name: 'evil', digest: { sha256: '' } }]);
    const bySha512 = [{ name: 'a', sha256: '', digests: { sha512: SHA512 } }];
    expect(() => check(makePolicy(), empty, bySha512)).toThrowCode('VERIFY_SUBJECT_DIGEST_MISMATCH');
  });

  it('checks every workflow input, not the first only', () => {
    expect(() =>
      check(
        makePolicy({ buildWorkflowInputs: { level: 'high', count: '4' } }),
        withInputs({ level: 'high', count: 3 }),
      ),
    ).toThrowCode('VERIFY_WORKFLOW_INPUTS_MISMATCH');
  });

  it('takes refs/heads/ and refs/tags/ in --source-branch and --source-tag', () => {
    const branch = makeStatement({ ref: 'refs/heads/main', workflowRef: 'refs/heads/main' });
    expect(() => check(makePolicy({ sourceBranch: 'refs/heads/main' }), branch)).not.toThrow();
    expect(() => check(makePolicy({ sourceTag: 'refs/tags/v1.2.3' }))).not.toThrow();
  });

  it('matches a branch exactly, not as a prefix', () => {
    const branch = makeStatement({ ref: 'refs/heads/main-evil', workflowRef: 'refs/heads/main-evil' });
    expect(() => check(makePolicy({ sourceBranch: 'main' }), branch)).toThrowCode('VERIFY_BRANCH_MISMATCH');
  });

  it('matches --commit in full, never a short sha', () => {
    expect(() => check(makePolicy({ commit: COMMIT.slice(0, 7) }))).toThrowCode('VERIFY_COMMIT_MISMATCH');
  });
});

describe('release attestations (gh release verify)', () => {
  const RELEASE_TYPE = 'https://in-toto.io/attestation/release/v0.2';
  const releaseSigner = {
    kind: 'certificate',
    issuer: 'https://token.actions.githubusercontent.com',
    subjectAlternativeName: GITHUB_RELEASE_SIGNER,
  } as const;
  const releaseSubject = { uri: 'pkg:github/acme/app@v1.2.3', digest: { sha1: COMMIT } };
  const assetSubject = { name: 'app.tar.gz', digest: { sha256: ARTIFACT_SHA } };
  function release(
    predicate: Record<string, unknown> = {},
    subject: InTotoStatement['subject'] = [releaseSubject, assetSubject],
  ): InTotoStatement {
    return {
      _type: 'https://in-toto.io/Statement/v1',
      subject,
      predicateType: RELEASE_TYPE,
      predicate: { ownerId: '1', repository: 'acme/app', repositoryId: '2', tag: 'v1.2.3', ...predicate },
    };
  }
  const releasePolicy = (overrides: Partial<VerificationPolicy> = {}): VerificationPolicy => ({
    sourceUri: 'github.com/acme/app',
    predicateType: RELEASE_TYPE,
    ...overrides,
  });
  const verifyRelease = (
    policy: VerificationPolicy,
    statement = release(),
    who: SignerIdentity = releaseSigner,
  ) => checkProvenance({ statement, signer: who, artifacts, policy });

  it('passes the release of the repository at its tag and commit', () => {
    const verified = verifyRelease(
      releasePolicy({ sourceTag: 'v1.2.3', sourceVersionedTag: 'v1.2', commit: COMMIT.toUpperCase() }),
    );
    expect(verified.builderId).toBe(GITHUB_RELEASE_SIGNER);
    expect(verified.facts).toMatchObject({
      sourceRepository: 'github.com/acme/app',
      sourceRef: 'refs/tags/v1.2.3',
      sourceCommit: COMMIT,
    });
    expect(verified.artifacts).toStrictEqual([
      { name: 'app.tar.gz', sha256: ARTIFACT_SHA, subject: 'app.tar.gz' },
    ]);
  });

  it('is not provenance without --predicate-type', () => {
    expect(() => verifyRelease({ sourceUri: 'github.com/acme/app' })).toThrowCode(
      'VERIFY_PREDICATE_TYPE_INVALID',
    );
  });

  it.each<[string, SignerIdentity]>([
    [
      'a workflow certificate',
      {
        ...releaseSigner,
        subjectAlternativeName: 'https://github.com/acme/app/.github/workflows/r.yml@refs/tags/v1.2.3',
      },
    ],
    [
      'a SAN that only starts with the release signer',
      { ...releaseSigner, subjectAlternativeName: `${GITHUB_RELEASE_SIGNER}.evil.example` },
    ],
    ['a key', { kind: 'key', keyId: 'k' }],
  ])('needs GitHub release attester, refuses %s', (_, who) => {
    expect(() => verifyRelease(releasePolicy(), release(), who)).toThrowCode('VERIFY_UNTRUSTED_BUILDER');
  });

  it('needs predicate.repository and predicate.tag', () => {
    expect(() => verifyRelease(releasePolicy(), release({ tag: undefined }))).toThrowCode(
      'INPUT_PROVENANCE_MALFORMED',
    );
    expect(() => verifyRelease(releasePolicy(), release({ repository: 7 }))).toThrowCode(
      'INPUT_PROVENANCE_MALFORMED',
    );
  });

  it('names the repository in any letter case', () => {
    expect(() => verifyRelease(releasePolicy({ sourceUri: 'https://github.com/Acme/App' }))).not.toThrow();
  });

  it('reads the commit from the pkg:github subject wherever it is, as sha1 or gitCommit', () => {
    const reordered = release({}, [assetSubject, releaseSubject]);
    expect(verifyRelease(releasePolicy({ commit: COMMIT }), reordered).facts.sourceCommit).toBe(COMMIT);
    const gitCommit = release({}, [{ ...releaseSubject, digest: { gitCommit: COMMIT } }, assetSubject]);
    expect(() => verifyRelease(releasePolicy({ commit: COMMIT }), gitCommit)).not.toThrow();
  });

  it.each<[string, VerificationPolicy, (InTotoStatement | undefined)?, ArtifactDigest[]?]>([
    ['VERIFY_SOURCE_MISMATCH', releasePolicy({ sourceUri: 'github.com/acme/other' })],
    ['VERIFY_SOURCE_MISMATCH', releasePolicy(), release({ repository: 'acme/app-evil' })],
    ['VERIFY_SUBJECT_DIGEST_MISMATCH', releasePolicy(), undefined, [{ name: 'x', sha256: 'f'.repeat(64) }]],
    ['VERIFY_TAG_MISMATCH', releasePolicy({ sourceTag: 'v1.2.4' })],
    ['VERIFY_VERSIONED_TAG_MISMATCH', releasePolicy({ sourceVersionedTag: 'v2' })],
    ['VERIFY_INVALID_REF', releasePolicy({ sourceBranch: 'main' })],
    ['VERIFY_COMMIT_MISMATCH', releasePolicy({ commit: 'f'.repeat(40) })],
  ])('fails with %s', (code, policy, statement, arts) => {
    expect(() =>
      checkProvenance({
        statement: statement ?? release(),
        signer: releaseSigner,
        artifacts: arts ?? artifacts,
        policy,
      }),
    ).toThrowCode(code);
  });
});

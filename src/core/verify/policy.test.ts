import { describe, expect, it } from 'vitest';
import { checkProvenance, checkVersionedTag, parseSemVer } from './policy.js';
import {
  ARTIFACT_SHA,
  COMMIT,
  makePolicy,
  makeStatement,
} from '../../../test/support/provenance-factories.js';
import type { InTotoStatement, ProvenanceFacts, VerificationPolicy } from './types.js';

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

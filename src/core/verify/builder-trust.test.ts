import { describe, expect, it } from 'vitest';
import {
  builderIdMatchesLoose,
  checkBuilderTrust,
  GITHUB_ACTIONS_ISSUER,
  isPinnedReleaseRef,
} from './builder-trust.js';
import type { ProvenanceFacts, SignerIdentity, VerificationPolicy } from './types.js';

const GEN = 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows';
const GENERIC = `${GEN}/generator_generic_slsa3.yml`;
const DELEGATOR = `${GEN}/delegator_generic_slsa3.yml`;
const TRW = 'https://github.com/slsa-framework/example-trw/.github/workflows/builder_high-perms_slsa3.yml';
const OWN = 'https://github.com/acme/widget/.github/workflows/release.yml';
const PUBLISH = 'https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml';
const SHA = '4d329c75e7ec1725f7c9ce917a8799d408d06be3';

type CertificateSigner = SignerIdentity & { kind: 'certificate' };

function makeSigner(overrides: Partial<CertificateSigner> = {}): CertificateSigner {
  return {
    kind: 'certificate',
    issuer: GITHUB_ACTIONS_ISSUER,
    subjectAlternativeName: `${GENERIC}@refs/tags/v2.1.0`,
    sourceRepositoryUri: 'https://github.com/acme/widget',
    sourceRepositoryRef: 'refs/tags/v1.0.0',
    sourceRepositoryDigest: SHA,
    ...overrides,
  };
}

function makeFacts(overrides: Partial<ProvenanceFacts> = {}): ProvenanceFacts {
  return {
    predicateType: 'https://slsa.dev/provenance/v0.2',
    buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
    builderId: `${GENERIC}@refs/tags/v2.1.0`,
    sourceRepository: 'github.com/acme/widget',
    sourceRef: 'refs/tags/v1.0.0',
    sourceCommit: SHA,
    workflowInputs: undefined,
    workflowPath: '.github/workflows/release.yml',
    ...overrides,
  };
}

function withoutSource(signer: CertificateSigner): CertificateSigner {
  const { sourceRepositoryUri: _dropped, ...rest } = signer;
  return rest;
}

const policy = (overrides: Partial<VerificationPolicy> = {}): VerificationPolicy => ({
  sourceUri: 'github.com/acme/widget',
  ...overrides,
});

const byob = {
  buildType: 'https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0',
  builderId: `${TRW}@refs/tags/v2.1.0`,
};
const attestation = { buildType: 'https://actions.github.io/buildtypes/workflow/v1' };

describe('checkBuilderTrust: certificate-signed, accepted', () => {
  it.each([
    ['default trusted generator', makeFacts(), makeSigner(), policy(), `${GENERIC}@refs/tags/v2.1.0`],
    [
      '--builder-id by name',
      makeFacts(),
      makeSigner(),
      policy({ builderId: GENERIC }),
      `${GENERIC}@refs/tags/v2.1.0`,
    ],
    [
      '--builder-id with short version',
      makeFacts(),
      makeSigner(),
      policy({ builderId: `${GENERIC}@v2.1.0` }),
      `${GENERIC}@refs/tags/v2.1.0`,
    ],
    [
      '--builder-id with full ref',
      makeFacts(),
      makeSigner(),
      policy({ builderId: `${GENERIC}@refs/tags/v2.1.0` }),
      `${GENERIC}@refs/tags/v2.1.0`,
    ],
    [
      'a non-default builder named by --builder-id',
      makeFacts({ builderId: `${OWN.replace('release', 'builder')}@refs/tags/v1.2.3` }),
      makeSigner({ subjectAlternativeName: `${OWN.replace('release', 'builder')}@refs/tags/v1.2.3` }),
      policy({ builderId: OWN.replace('release', 'builder') }),
      `${OWN.replace('release', 'builder')}@refs/tags/v1.2.3`,
    ],
    [
      'byob: --builder-id names the tool workflow',
      makeFacts(byob),
      makeSigner({ subjectAlternativeName: `${DELEGATOR}@refs/tags/v2.1.0` }),
      policy({ builderId: TRW }),
      `${TRW}@refs/tags/v2.1.0`,
    ],
    [
      'byob: tool workflow with version',
      makeFacts(byob),
      makeSigner({ subjectAlternativeName: `${DELEGATOR}@refs/tags/v2.1.0` }),
      policy({ builderId: `${TRW}@v2.1.0` }),
      `${TRW}@refs/tags/v2.1.0`,
    ],
    [
      'github attestation by a pinned publishing workflow',
      makeFacts({ ...attestation, builderId: `${PUBLISH}@refs/tags/v0.0.1`, sourceRef: 'refs/heads/main' }),
      makeSigner({
        subjectAlternativeName: `${PUBLISH}@refs/tags/v0.0.1`,
        sourceRepositoryRef: 'refs/heads/main',
      }),
      policy({ builderId: PUBLISH }),
      `${PUBLISH}@refs/tags/v0.0.1`,
    ],
    [
      "github attestation by the repository's own workflow at the release ref",
      makeFacts({
        ...attestation,
        builderId: `${OWN}@refs/tags/v2025.11.12`,
        sourceRef: 'refs/tags/v2025.11.12',
      }),
      makeSigner({
        subjectAlternativeName: `${OWN}@refs/tags/v2025.11.12`,
        sourceRepositoryRef: 'refs/tags/v2025.11.12',
      }),
      policy({ builderId: OWN }),
      `${OWN}@refs/tags/v2025.11.12`,
    ],
    [
      'the certificate build config is the predicate workflow',
      makeFacts(),
      makeSigner({
        buildConfigUri: 'https://github.com/acme/widget/.github/workflows/release.yml@refs/tags/v1.0.0',
      }),
      policy(),
      `${GENERIC}@refs/tags/v2.1.0`,
    ],
    [
      'facts without source fields (nothing to contradict)',
      makeFacts({ sourceRepository: undefined, sourceRef: undefined, sourceCommit: undefined }),
      makeSigner(),
      policy(),
      `${GENERIC}@refs/tags/v2.1.0`,
    ],
  ] as const)('%s', (_name, facts, signer, p, trusted) => {
    expect(checkBuilderTrust(facts, signer, p)).toBe(trusted);
  });
});

describe('checkBuilderTrust: certificate-signed, rejected with the slsa-verifier code', () => {
  it.each([
    [
      'another oidc issuer',
      makeFacts(),
      makeSigner({ issuer: 'https://accounts.google.com' }),
      policy(),
      'VERIFY_OIDC_ISSUER_MISMATCH',
    ],
    [
      'a san that is not a workflow',
      makeFacts(),
      makeSigner({ subjectAlternativeName: 'mailto:someone@example.com' }),
      policy(),
      'VERIFY_CERTIFICATE_INVALID',
    ],
    [
      'a san without ref',
      makeFacts(),
      makeSigner({ subjectAlternativeName: GENERIC }),
      policy(),
      'VERIFY_CERTIFICATE_INVALID',
    ],
    [
      'a fork of the generator without --builder-id',
      makeFacts(),
      makeSigner({
        subjectAlternativeName: `${GENERIC.replace('slsa-framework', 'asraa')}@refs/tags/v1.4.0`,
      }),
      policy(),
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    [
      '--builder-id not matching the san',
      makeFacts(),
      makeSigner(),
      policy({ builderId: `${GEN}/not-trusted.yml` }),
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    [
      '--builder-id with another version',
      makeFacts(),
      makeSigner(),
      policy({ builderId: `${GENERIC}@v2.0.0` }),
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    [
      '--builder-id malformed (two @)',
      makeFacts(),
      makeSigner(),
      policy({ builderId: `${GENERIC}@v2.1.0@x` }),
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    [
      'a delegator without --builder-id',
      makeFacts(byob),
      makeSigner({ subjectAlternativeName: `${DELEGATOR}@refs/tags/v2.1.0` }),
      policy(),
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    [
      'byob: --builder-id not the tool workflow',
      makeFacts(byob),
      makeSigner({ subjectAlternativeName: `${DELEGATOR}@refs/tags/v2.1.0` }),
      policy({ builderId: `${GEN}/not-trusted.yml` }),
      'VERIFY_BUILDER_MISMATCH',
    ],
    [
      'a builder on a branch',
      makeFacts({ builderId: `${GENERIC}@refs/heads/main` }),
      makeSigner({ subjectAlternativeName: `${GENERIC}@refs/heads/main` }),
      policy(),
      'VERIFY_INVALID_REF',
    ],
    [
      'a builder at a pre-release',
      makeFacts({ builderId: `${GENERIC}@refs/tags/v2.1.0-rc.1` }),
      makeSigner({ subjectAlternativeName: `${GENERIC}@refs/tags/v2.1.0-rc.1` }),
      policy(),
      'VERIFY_INVALID_REF',
    ],
    [
      'a builder at vX.Y',
      makeFacts({ builderId: `${GENERIC}@refs/tags/v2.1` }),
      makeSigner({ subjectAlternativeName: `${GENERIC}@refs/tags/v2.1` }),
      policy(),
      'VERIFY_INVALID_REF',
    ],
    [
      'a workflow whose path only starts with the trusted one',
      makeFacts({ builderId: `${GENERIC}.evil@refs/tags/v2.1.0` }),
      makeSigner({ subjectAlternativeName: `${GENERIC}.evil@refs/tags/v2.1.0` }),
      policy(),
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    [
      'a builder at a tag that only starts with vX.Y.Z',
      makeFacts({ builderId: `${GENERIC}@refs/tags/v2.1.0.evil` }),
      makeSigner({ subjectAlternativeName: `${GENERIC}@refs/tags/v2.1.0.evil` }),
      policy(),
      'VERIFY_INVALID_REF',
    ],
    [
      'a predicate naming another builder than the san',
      makeFacts({ builderId: `${GENERIC}@refs/tags/v2.0.0` }),
      makeSigner(),
      policy(),
      'VERIFY_BUILDER_MISMATCH',
    ],
    [
      'github attestation without --builder-id',
      makeFacts({ ...attestation, builderId: `${PUBLISH}@refs/tags/v0.0.1` }),
      makeSigner({ subjectAlternativeName: `${PUBLISH}@refs/tags/v0.0.1` }),
      policy(),
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    [
      'github attestation signed by another workflow',
      makeFacts({ ...attestation, builderId: `${PUBLISH}@refs/tags/v0.0.1` }),
      makeSigner({
        subjectAlternativeName: 'https://github.com/mallory/x/.github/workflows/evil.yaml@refs/heads/main',
      }),
      policy({ builderId: PUBLISH }),
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    [
      'github attestation by a foreign workflow on a branch',
      makeFacts({ ...attestation, builderId: `${PUBLISH}@refs/heads/main` }),
      makeSigner({ subjectAlternativeName: `${PUBLISH}@refs/heads/main` }),
      policy({ builderId: PUBLISH }),
      'VERIFY_INVALID_REF',
    ],
    [
      'github attestation by the own workflow at another ref',
      makeFacts({ ...attestation, builderId: `${OWN}@refs/heads/dev` }),
      makeSigner({ subjectAlternativeName: `${OWN}@refs/heads/dev` }),
      policy({ builderId: OWN }),
      'VERIFY_INVALID_REF',
    ],
    [
      'github attestation whose predicate names another builder',
      makeFacts({ ...attestation, builderId: `${PUBLISH}@refs/tags/v0.0.2` }),
      makeSigner({ subjectAlternativeName: `${PUBLISH}@refs/tags/v0.0.1` }),
      policy({ builderId: PUBLISH }),
      'VERIFY_BUILDER_MISMATCH',
    ],
    [
      'a certificate of another repository than --source-uri',
      makeFacts(),
      makeSigner(),
      policy({ sourceUri: 'github.com/acme/widgetA' }),
      'VERIFY_SOURCE_MISMATCH',
    ],
    [
      'a certificate without source repository',
      makeFacts(),
      withoutSource(makeSigner()),
      policy(),
      'VERIFY_CERTIFICATE_INVALID',
    ],
    [
      'a predicate naming another source than the certificate',
      makeFacts({ sourceRepository: 'github.com/mallory/widget' }),
      makeSigner(),
      policy(),
      'VERIFY_SOURCE_MISMATCH',
    ],
    [
      'a predicate naming another ref than the certificate',
      makeFacts({ sourceRef: 'refs/tags/v9.9.9' }),
      makeSigner(),
      policy(),
      'VERIFY_INVALID_REF',
    ],
    [
      'a predicate naming another workflow than the certificate',
      makeFacts({ workflowPath: '.github/workflows/other.yml' }),
      makeSigner({
        buildConfigUri: 'https://github.com/acme/widget/.github/workflows/release.yml@refs/tags/v1.0.0',
      }),
      policy(),
      'VERIFY_WORKFLOW_MISMATCH',
    ],
    [
      'a predicate naming another commit than the certificate',
      makeFacts({ sourceCommit: 'f'.repeat(40) }),
      makeSigner(),
      policy(),
      'VERIFY_COMMIT_MISMATCH',
    ],
  ] as const)('%s -> %s', (_name, facts, signer, p, code) => {
    expect(() => checkBuilderTrust(facts, signer as SignerIdentity, p)).toThrowCode(code);
  });
});

describe('checkBuilderTrust: key-signed', () => {
  const key: SignerIdentity = { kind: 'key', keyId: 'k' };
  it('trusts the predicate builder, loosely matched against --builder-id', () => {
    expect(checkBuilderTrust(makeFacts(), key, policy())).toBe(`${GENERIC}@refs/tags/v2.1.0`);
    expect(checkBuilderTrust(makeFacts(), key, policy({ builderId: GENERIC }))).toBe(
      `${GENERIC}@refs/tags/v2.1.0`,
    );
  });
  it('rejects another builder -> VERIFY_BUILDER_MISMATCH', () => {
    expect(() => checkBuilderTrust(makeFacts(), key, policy({ builderId: OWN }))).toThrowCode(
      'VERIFY_BUILDER_MISMATCH',
    );
  });
});

describe('builder id helpers', () => {
  it.each([
    [GENERIC, `${GENERIC}@refs/tags/v2.1.0`, true, true],
    [`${GENERIC}@v2.1.0`, `${GENERIC}@refs/tags/v2.1.0`, true, true],
    [`${GENERIC}@v2.1.0`, `${GENERIC}@refs/tags/v2.1.0`, false, false],
    [`${GENERIC}@refs/tags/v2.1.0`, `${GENERIC}@refs/tags/v2.1.0`, false, true],
    [`${GENERIC}@v2.1.1`, `${GENERIC}@refs/tags/v2.1.0`, true, false],
    [`${GENERIC}@`, `${GENERIC}@refs/tags/v2.1.0`, true, false],
    [OWN, `${GENERIC}@refs/tags/v2.1.0`, true, false],
  ] as const)('builderIdMatchesLoose(%s, %s, allowRef=%s) = %s', (expected, actual, allowRef, result) => {
    expect(builderIdMatchesLoose(expected, actual, allowRef)).toBe(result);
  });

  it.each([
    ['refs/tags/v1.2.3', true],
    ['refs/tags/v10.0.20', true],
    ['refs/tags/v1.2', false],
    ['refs/tags/1.2.3', false],
    ['refs/tags/v1.2.3-rc.1', false],
    ['refs/tags/v1.2.3+build', false],
    ['refs/tags/v01.2.3', false],
    ['refs/heads/v1.2.3', false],
  ] as const)('isPinnedReleaseRef(%s) = %s', (ref, result) => {
    expect(isPinnedReleaseRef(ref)).toBe(result);
  });
});

// Mutation audit of the verify policy (nineteenth session): each case below was missed by a mutant
// of builder-trust.ts before (docs/status.md, issue 16).
describe('checkBuilderTrust: the rules a mutant broke unseen', () => {
  const RUNNER = 'https://github.com/actions/runner/github-hosted';
  const npm = (overrides: Partial<ProvenanceFacts> = {}): ProvenanceFacts =>
    makeFacts({ ...attestation, builderId: RUNNER, ...overrides });
  const ownSigner = (overrides: Partial<CertificateSigner> = {}): CertificateSigner =>
    makeSigner({ subjectAlternativeName: `${OWN}@refs/tags/v1.0.0`, ...overrides });
  const key: SignerIdentity = { kind: 'key', keyId: 'k' };

  it.each([
    [
      'an issuer that only starts with GitHub Actions (an enterprise issuer)',
      makeFacts(),
      makeSigner({ issuer: `${GITHUB_ACTIONS_ISSUER}/acme` }),
      policy(),
      'VERIFY_OIDC_ISSUER_MISMATCH',
    ],
    [
      'the issuer in another letter case (compared exactly, as slsa-verifier)',
      makeFacts(),
      makeSigner({ issuer: GITHUB_ACTIONS_ISSUER.toUpperCase() }),
      policy(),
      'VERIFY_OIDC_ISSUER_MISMATCH',
    ],
    [
      'a predicate naming the runner, without --builder-id',
      npm(),
      ownSigner(),
      policy(),
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    [
      'a predicate naming the runner, --builder-id naming another workflow than the signer',
      npm(),
      ownSigner(),
      policy({ builderId: PUBLISH }),
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    [
      'a san with a second @',
      makeFacts(),
      makeSigner({ subjectAlternativeName: `${GENERIC}@refs/tags/v2.1.0@refs/heads/evil` }),
      policy(),
      'VERIFY_INVALID_REF',
    ],
    [
      'a san naming a repository but no workflow',
      makeFacts(),
      makeSigner({ subjectAlternativeName: 'https://github.com/acme/widget@refs/tags/v1.0.0' }),
      policy({ builderId: 'https://github.com/acme/widget' }),
      'VERIFY_CERTIFICATE_INVALID',
    ],
    [
      'a san with an empty path part',
      makeFacts(),
      makeSigner({
        subjectAlternativeName:
          'https://github.com/slsa-framework//.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0',
      }),
      policy(),
      'VERIFY_CERTIFICATE_INVALID',
    ],
    [
      'a san on another host that ends like a github workflow',
      makeFacts(),
      makeSigner({
        subjectAlternativeName: `https://evil.example/github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0`,
      }),
      policy(),
      'VERIFY_CERTIFICATE_INVALID',
    ],
    [
      "a repository's own workflow named like a delegator",
      makeFacts({ ...byob }),
      makeSigner({
        subjectAlternativeName:
          'https://github.com/acme/widget/.github/workflows/delegator_generic_slsa3.yml@refs/tags/v1.0.0',
      }),
      policy({ builderId: TRW }),
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    [
      "another repository's workflow, unpinned, at a ref equal to the source ref",
      makeFacts({ ...attestation, builderId: `${PUBLISH}@refs/heads/main`, sourceRef: 'refs/heads/main' }),
      makeSigner({
        subjectAlternativeName: `${PUBLISH}@refs/heads/main`,
        sourceRepositoryRef: 'refs/heads/main',
      }),
      policy({ builderId: PUBLISH }),
      'VERIFY_INVALID_REF',
    ],
    [
      'a predicate naming the github-hosted runner, the certificate a self-hosted one',
      npm(),
      ownSigner({ runnerEnvironment: 'self-hosted' }),
      policy({ builderId: OWN }),
      'VERIFY_BUILDER_MISMATCH',
    ],
    [
      'npm trust (--builder-id the runner) on a self-hosted runner',
      npm(),
      ownSigner({ runnerEnvironment: 'self-hosted' }),
      policy({ builderId: RUNNER }),
      'VERIFY_BUILDER_MISMATCH',
    ],
    [
      'npm trust (--builder-id the runner), the predicate naming a workflow',
      npm({ builderId: `${OWN}@refs/tags/v1.0.0` }),
      ownSigner({ runnerEnvironment: 'github-hosted' }),
      policy({ builderId: RUNNER }),
      'VERIFY_BUILDER_MISMATCH',
    ],
    [
      'a certificate of a repository whose name only starts with --source-uri',
      makeFacts({ sourceRepository: 'github.com/acme/widget-evil' }),
      makeSigner({ sourceRepositoryUri: 'https://github.com/acme/widget-evil' }),
      policy(),
      'VERIFY_SOURCE_MISMATCH',
    ],
    [
      'a certificate and predicate naming the source in another letter case (exact, as slsa-verifier)',
      makeFacts({ sourceRepository: 'github.com/Acme/Widget' }),
      makeSigner({ sourceRepositoryUri: 'https://github.com/Acme/Widget' }),
      policy(),
      'VERIFY_SOURCE_MISMATCH',
    ],
    [
      'a predicate workflow that is only the end of the certificate build config',
      makeFacts({ workflowPath: 'workflows/release.yml' }),
      makeSigner({
        buildConfigUri: 'https://github.com/acme/widget/.github/workflows/release.yml@refs/tags/v1.0.0',
      }),
      policy(),
      'VERIFY_WORKFLOW_MISMATCH',
    ],
    [
      'a certificate build config in another repository',
      makeFacts(),
      makeSigner({
        buildConfigUri: 'https://github.com/mallory/x/.github/workflows/release.yml@refs/tags/v1.0.0',
      }),
      policy(),
      'VERIFY_WORKFLOW_MISMATCH',
    ],
    [
      'a predicate naming the builder without its version',
      makeFacts({ builderId: GENERIC }),
      makeSigner(),
      policy(),
      'VERIFY_BUILDER_MISMATCH',
    ],
  ] as const)('refuses %s -> %s', (_name, facts, signer, p, code) => {
    expect(() => checkBuilderTrust(facts, signer as SignerIdentity, p)).toThrowCode(code);
  });

  it.each([
    [
      'a certificate without runner environment (before Fulcio 1.11) and a predicate naming the runner',
      npm({ sourceRef: 'refs/tags/v1.0.0' }),
      ownSigner(),
      policy({ builderId: OWN }),
      `${OWN}@refs/tags/v1.0.0`,
    ],
    ['npm trust with such a certificate', npm(), ownSigner(), policy({ builderId: RUNNER }), RUNNER],
    [
      'a predicate workflow path with a leading /',
      makeFacts({ workflowPath: '/.github/workflows/release.yml' }),
      makeSigner({
        buildConfigUri: 'https://github.com/acme/widget/.github/workflows/release.yml@refs/tags/v1.0.0',
      }),
      policy(),
      `${GENERIC}@refs/tags/v2.1.0`,
    ],
    [
      'the certificate commit in upper case',
      makeFacts(),
      makeSigner({ sourceRepositoryDigest: SHA.toUpperCase() }),
      policy(),
      `${GENERIC}@refs/tags/v2.1.0`,
    ],
    [
      'a predicate naming the builder at v2.1.0 for refs/tags/v2.1.0',
      makeFacts({ builderId: `${GENERIC}@v2.1.0` }),
      makeSigner(),
      policy(),
      `${GENERIC}@refs/tags/v2.1.0`,
    ],
    [
      'the container-based builder (its buildType is not the generator repository) without --builder-id',
      makeFacts({
        buildType: 'https://slsa.dev/container-based-build/v0.1?draft',
        builderId: `${GEN}/builder_container-based_slsa3.yml@refs/tags/v2.1.0`,
      }),
      makeSigner({ subjectAlternativeName: `${GEN}/builder_container-based_slsa3.yml@refs/tags/v2.1.0` }),
      policy(),
      `${GEN}/builder_container-based_slsa3.yml@refs/tags/v2.1.0`,
    ],
    [
      'an empty --builder-id as none',
      makeFacts(),
      makeSigner(),
      policy({ builderId: '' }),
      `${GENERIC}@refs/tags/v2.1.0`,
    ],
  ] as const)('accepts %s', (_name, facts, signer, p, trusted) => {
    expect(checkBuilderTrust(facts, signer as SignerIdentity, p)).toBe(trusted);
  });

  it('key-signed: --builder-id @v1.2.3 is not refs/tags/v1.2.3 (MatchesLoose without allowRef)', () => {
    expect(() => checkBuilderTrust(makeFacts(), key, policy({ builderId: `${GENERIC}@v2.1.0` }))).toThrowCode(
      'VERIFY_BUILDER_MISMATCH',
    );
    expect(checkBuilderTrust(makeFacts(), key, policy({ builderId: '' }))).toBe(
      `${GENERIC}@refs/tags/v2.1.0`,
    );
  });

  it.each([
    [GENERIC, `${GENERIC}.evil@refs/tags/v2.1.0`, true, false],
    [GENERIC, `${GENERIC.toUpperCase()}@refs/tags/v2.1.0`, true, false],
    [`${GENERIC}@v2.1`, `${GENERIC}@v2.1.0`, true, false],
    [`${GENERIC}@v2.1.0`, `${GENERIC}@refs/heads/v2.1.0`, true, false],
    [GENERIC, `${GENERIC}@`, true, false],
  ] as const)('builderIdMatchesLoose(%s, %s, allowRef=%s) = %s', (expected, actual, allowRef, result) => {
    expect(builderIdMatchesLoose(expected, actual, allowRef)).toBe(result);
  });

  it('isPinnedReleaseRef needs refs/tags/ itself, not any ten characters before the version', () => {
    expect(isPinnedReleaseRef('refs/pull/v1.2.3')).toBe(false);
  });
});

describe("checkBuilderTrust: slsa-github-generator's own delegated builders (BYOB), as slsa-verifier", () => {
  const LOWPERMS = `${GEN}/delegator_lowperms-generic_slsa3.yml`;
  const MAVEN = `${GEN}/builder_maven_slsa3.yml`;
  const NODEJS = `${GEN}/builder_nodejs_slsa3.yml`;
  const JRELEASER = 'https://github.com/jreleaser/release-action/.github/workflows/builder_slsa3.yml';
  const delegated = (builderId: string, more: Partial<ProvenanceFacts> = {}): ProvenanceFacts =>
    makeFacts({ ...byob, builderId, ...more });
  const signedBy = (delegator: string, ref = 'refs/tags/v2.1.0'): CertificateSigner =>
    makeSigner({ subjectAlternativeName: `${delegator}@${ref}` });

  it.each([
    [
      'the Maven builder, no --builder-id',
      delegated(`${MAVEN}@refs/tags/v2.1.0`),
      signedBy(LOWPERMS),
      policy(),
    ],
    [
      'the Node.js builder, no --builder-id',
      delegated(`${NODEJS}@refs/tags/v1.6.0`),
      signedBy(LOWPERMS),
      policy(),
    ],
    ['through the generic delegator', delegated(`${MAVEN}@refs/tags/v2.1.0`), signedBy(DELEGATOR), policy()],
    [
      'the low-permissions buildType',
      delegated(`${MAVEN}@refs/tags/v2.1.0`, {
        buildType: 'https://github.com/slsa-framework/slsa-github-generator/delegator-lowperms-generic@v0',
      }),
      signedBy(LOWPERMS),
      policy(),
    ],
    [
      '--builder-id by name',
      delegated(`${MAVEN}@refs/tags/v2.1.0`),
      signedBy(LOWPERMS),
      policy({ builderId: MAVEN }),
    ],
    [
      '--builder-id with short version',
      delegated(`${MAVEN}@refs/tags/v2.1.0`),
      signedBy(LOWPERMS),
      policy({ builderId: `${MAVEN}@v2.1.0` }),
    ],
    [
      "JReleaser's vX.Y.Z-java, named by --builder-id",
      delegated(`${JRELEASER}@refs/tags/v1.2.3-java`),
      signedBy(DELEGATOR),
      policy({ builderId: JRELEASER }),
    ],
  ] as const)('trusted: %s', (_name, facts, signer, p) => {
    expect(checkBuilderTrust(facts, signer, p)).toBe(facts.builderId);
  });

  it.each([
    [
      'a tool workflow of another repository, no --builder-id',
      delegated(`${TRW}@refs/tags/v2.1.0`),
      signedBy(DELEGATOR),
      policy(),
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    [
      "a fork's Maven builder, no --builder-id",
      delegated(`${MAVEN.replace('slsa-framework', 'asraa')}@refs/tags/v2.1.0`),
      signedBy(LOWPERMS),
      policy(),
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    [
      'a repository whose name only starts with the generator',
      delegated(`${MAVEN.replace('slsa-github-generator/', 'slsa-github-generator-evil/')}@refs/tags/v2.1.0`),
      signedBy(LOWPERMS),
      policy(),
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    [
      'a workflow below a folder of .github/workflows',
      delegated(`${GEN}/x/builder_maven_slsa3.yml@refs/tags/v2.1.0`),
      signedBy(LOWPERMS),
      policy(),
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    [
      'the generator workflows folder itself',
      delegated(`${GEN}/@refs/tags/v2.1.0`),
      signedBy(LOWPERMS),
      policy(),
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    [
      'another builder than --builder-id',
      delegated(`${MAVEN}@refs/tags/v2.1.0`),
      signedBy(LOWPERMS),
      policy({ builderId: `${GEN}/builder_gradle_slsa3.yml` }),
      'VERIFY_BUILDER_MISMATCH',
    ],
    [
      'another version than --builder-id',
      delegated(`${MAVEN}@refs/tags/v2.1.0`),
      signedBy(LOWPERMS),
      policy({ builderId: `${MAVEN}@v2.0.0` }),
      'VERIFY_BUILDER_MISMATCH',
    ],
    [
      'the tool workflow on a branch',
      delegated(`${MAVEN}@refs/heads/main`),
      signedBy(LOWPERMS),
      policy(),
      'VERIFY_INVALID_REF',
    ],
    [
      'the tool workflow on a branch, named by --builder-id',
      delegated(`${TRW}@refs/heads/main`),
      signedBy(DELEGATOR),
      policy({ builderId: TRW }),
      'VERIFY_INVALID_REF',
    ],
    [
      'the tool workflow at a pre-release',
      delegated(`${MAVEN}@refs/tags/v2.1.0-rc.1`),
      signedBy(LOWPERMS),
      policy(),
      'VERIFY_INVALID_REF',
    ],
    ['the tool workflow without a ref', delegated(MAVEN), signedBy(LOWPERMS), policy(), 'VERIFY_INVALID_REF'],
    [
      'a -java tag on another tool than JReleaser',
      delegated(`${TRW}@refs/tags/v1.2.3-java`),
      signedBy(DELEGATOR),
      policy({ builderId: TRW }),
      'VERIFY_INVALID_REF',
    ],
    [
      'JReleaser at a plain vX.Y.Z',
      delegated(`${JRELEASER}@refs/tags/v1.2.3`),
      signedBy(DELEGATOR),
      policy({ builderId: JRELEASER }),
      'VERIFY_INVALID_REF',
    ],
    [
      'the delegator on a branch',
      delegated(`${MAVEN}@refs/tags/v2.1.0`),
      signedBy(LOWPERMS, 'refs/heads/main'),
      policy(),
      'VERIFY_INVALID_REF',
    ],
    [
      'a build type the delegator does not write',
      delegated(`${MAVEN}@refs/tags/v2.1.0`, {
        buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
      }),
      signedBy(LOWPERMS),
      policy(),
      'VERIFY_PREDICATE_TYPE_INVALID',
    ],
    [
      'a predicate naming another commit than the certificate',
      delegated(`${MAVEN}@refs/tags/v2.1.0`, { sourceCommit: 'f'.repeat(40) }),
      signedBy(LOWPERMS),
      policy(),
      'VERIFY_COMMIT_MISMATCH',
    ],
    [
      'a certificate of another source',
      delegated(`${MAVEN}@refs/tags/v2.1.0`),
      signedBy(LOWPERMS),
      policy({ sourceUri: 'github.com/acme/other' }),
      'VERIFY_SOURCE_MISMATCH',
    ],
  ] as const)('%s -> %s', (_name, facts, signer, p, code) => {
    expect(() => checkBuilderTrust(facts, signer, p)).toThrowCode(code);
  });
});

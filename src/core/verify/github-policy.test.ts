// gh attestation verify's policy (cli/cli pkg/cmd/attestation/verify/policy.go) as pure checks.
// Written for the mutation audit of the verify policy (nineteenth session, docs/status.md issue
// 16): before it, this module was exercised only through test/integration/verify/gh-parity.test.ts.
import { describe, expect, it } from 'vitest';
import {
  checkCertificateIdentity,
  checkGithubAttestation,
  checkGithubPolicyFlags,
  checkGithubSigner,
  GITHUB_OIDC_ISSUER,
  type GithubPolicy,
} from './github-policy.js';
import { ARTIFACT_SHA, makeStatement } from '../../../test/support/provenance-factories.js';
import type { SignerIdentity } from './types.js';

type CertificateSigner = SignerIdentity & { kind: 'certificate' };

const WORKFLOW = 'https://github.com/acme/app/.github/workflows/release.yml';

/** A GitHub Actions certificate; an override `undefined` removes the extension. */
function makeSigner(
  overrides: { [K in keyof CertificateSigner]?: CertificateSigner[K] | undefined } = {},
): CertificateSigner {
  const signer: Record<string, unknown> = {
    kind: 'certificate',
    issuer: GITHUB_OIDC_ISSUER,
    subjectAlternativeName: `${WORKFLOW}@refs/heads/main`,
    sourceRepositoryUri: 'https://github.com/acme/app',
    sourceRepositoryOwnerUri: 'https://github.com/acme',
    sourceRepositoryRef: 'refs/heads/main',
    sourceRepositoryDigest: 'a'.repeat(40),
    buildSignerDigest: 'b'.repeat(40),
    runnerEnvironment: 'github-hosted',
    ...overrides,
  };
  for (const [k, v] of Object.entries(signer)) if (v === undefined) delete signer[k];
  return signer as CertificateSigner;
}

const policy = (overrides: Partial<GithubPolicy> = {}): GithubPolicy => ({ owner: 'acme', ...overrides });

describe('checkGithubSigner: the SAN', () => {
  it.each<[string, Partial<GithubPolicy>, string]>([
    ['--owner: any workflow of the owner', {}, `${WORKFLOW}@refs/heads/main`],
    ['--repo: a workflow of the repository', { repo: 'acme/app' }, `${WORKFLOW}@refs/heads/main`],
    ['--signer-repo in another letter case', { signerRepo: 'Acme/App' }, `${WORKFLOW}@refs/heads/main`],
    [
      '--signer-workflow without a ref',
      { signerWorkflow: 'acme/app/.github/workflows/release.yml' },
      `${WORKFLOW}@refs/heads/main`,
    ],
    [
      '--signer-workflow without a ref, a sha',
      { signerWorkflow: 'acme/app/.github/workflows/release.yml' },
      `${WORKFLOW}@${'c'.repeat(40)}`,
    ],
    [
      '--signer-workflow naming its host',
      { signerWorkflow: 'github.com/acme/app/.github/workflows/release.yml' },
      `${WORKFLOW}@refs/heads/main`,
    ],
    [
      '--signer-workflow on another host',
      { signerWorkflow: 'ghe.example.com/acme/app/.github/workflows/release.yml' },
      'https://ghe.example.com/acme/app/.github/workflows/release.yml@refs/heads/main',
    ],
    [
      '--signer-workflow pinning the ref',
      { signerWorkflow: 'acme/app/.github/workflows/release.yml@refs/heads/main' },
      `${WORKFLOW}@refs/heads/main`,
    ],
    [
      '--cert-identity-regex with (?i)',
      { certIdentityRegex: '(?i)^https://github\\.com/ACME/' },
      `${WORKFLOW}@refs/heads/main`,
    ],
  ])('accepts %s', (_name, overrides, san) => {
    expect(() =>
      checkGithubSigner(makeSigner({ subjectAlternativeName: san }), policy(overrides)),
    ).not.toThrow();
  });

  it.each<[string, Partial<GithubPolicy>, string]>([
    [
      '--owner: a host that only looks like github.com (the dot is escaped)',
      {},
      'https://githubxcom/acme/app/.github/workflows/release.yml@refs/heads/main',
    ],
    [
      '--owner: an owner whose name starts with it',
      {},
      'https://github.com/acme-evil/tools/.github/workflows/sign.yml@refs/heads/main',
    ],
    [
      '--repo: another repository of the owner (a reusable workflow)',
      { repo: 'acme/app' },
      'https://github.com/acme/other/.github/workflows/sign.yml@refs/tags/v1.0.0',
    ],
    [
      '--signer-repo: a repository whose name starts with it',
      { signerRepo: 'acme/app' },
      'https://github.com/acme/app-evil/.github/workflows/release.yml@refs/heads/main',
    ],
    [
      '--signer-repo: found inside another URI',
      { signerRepo: 'acme/app' },
      'https://evil.example/https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main',
    ],
    [
      '--signer-workflow: a workflow whose name starts with it',
      { signerWorkflow: 'acme/app/.github/workflows/release.yml' },
      `${WORKFLOW}.evil@refs/heads/main`,
    ],
    [
      '--signer-workflow: a suffix that is not a ref',
      { signerWorkflow: 'acme/app/.github/workflows/release.yml' },
      `${WORKFLOW}@evil`,
    ],
    [
      '--signer-workflow pinning a ref: anything after it',
      { signerWorkflow: 'acme/app/.github/workflows/release.yml@refs/heads/main' },
      `${WORKFLOW}@refs/heads/main@${'c'.repeat(40)}`,
    ],
    [
      '--cert-identity: a SAN that only starts with it',
      { certIdentity: WORKFLOW },
      `${WORKFLOW}@refs/heads/main`,
    ],
    [
      '--cert-identity: another letter case',
      { certIdentity: `${WORKFLOW}@refs/heads/main`.toUpperCase() },
      `${WORKFLOW}@refs/heads/main`,
    ],
    [
      '--cert-identity-regex without (?i): another letter case',
      { certIdentityRegex: '^https://github\\.com/ACME/' },
      `${WORKFLOW}@refs/heads/main`,
    ],
  ])('refuses %s -> VERIFY_IDENTITY_MISMATCH', (_name, overrides, san) => {
    expect(() =>
      checkGithubSigner(makeSigner({ subjectAlternativeName: san }), policy(overrides)),
    ).toThrowCode('VERIFY_IDENTITY_MISMATCH');
  });

  it('takes (?i) as a prefix only: elsewhere it is not a JavaScript regular expression', () => {
    expect(() =>
      checkGithubSigner(makeSigner(), policy({ certIdentityRegex: '^https://github\\.com/(?i)acme/' })),
    ).toThrowCode('USAGE_INVALID_FLAG');
  });

  it('needs a certificate', () => {
    expect(() => checkGithubSigner({ kind: 'key', keyId: 'k' }, policy())).toThrowCode(
      'VERIFY_CERTIFICATE_INVALID',
    );
  });
});

describe('checkGithubSigner: the certificate extensions', () => {
  it('compares them case-insensitively', () => {
    expect(() =>
      checkGithubSigner(
        makeSigner({
          sourceRepositoryOwnerUri: 'https://github.com/ACME',
          sourceRepositoryUri: 'https://github.com/Acme/App',
        }),
        policy({
          repo: 'acme/app',
          sourceRef: 'REFS/heads/main',
          sourceDigest: 'A'.repeat(40),
          signerDigest: 'B'.repeat(40),
          denySelfHostedRunners: true,
        }),
      ),
    ).not.toThrow();
  });

  it.each<[string, Parameters<typeof makeSigner>[0], Partial<GithubPolicy>, string]>([
    [
      'another owner',
      { sourceRepositoryOwnerUri: 'https://github.com/mallory' },
      {},
      'VERIFY_SOURCE_MISMATCH',
    ],
    ['no owner extension', { sourceRepositoryOwnerUri: undefined }, {}, 'VERIFY_SOURCE_MISMATCH'],
    [
      'another repository with --repo',
      { sourceRepositoryUri: 'https://github.com/acme/other' },
      { repo: 'acme/app' },
      'VERIFY_SOURCE_MISMATCH',
    ],
    ['another issuer', { issuer: 'https://accounts.google.com' }, {}, 'VERIFY_OIDC_ISSUER_MISMATCH'],
    [
      'an issuer that only starts with the expected one',
      { issuer: `${GITHUB_OIDC_ISSUER}/acme` },
      {},
      'VERIFY_OIDC_ISSUER_MISMATCH',
    ],
    [
      'a self-hosted runner',
      { runnerEnvironment: 'self-hosted' },
      { denySelfHostedRunners: true },
      'VERIFY_CERTIFICATE_POLICY_MISMATCH',
    ],
    [
      'no runner extension',
      { runnerEnvironment: undefined },
      { denySelfHostedRunners: true },
      'VERIFY_CERTIFICATE_POLICY_MISMATCH',
    ],
    ['another signer digest', {}, { signerDigest: 'f'.repeat(40) }, 'VERIFY_CERTIFICATE_POLICY_MISMATCH'],
    ['another source digest', {}, { sourceDigest: 'f'.repeat(40) }, 'VERIFY_CERTIFICATE_POLICY_MISMATCH'],
    ['another source ref', {}, { sourceRef: 'refs/heads/dev' }, 'VERIFY_CERTIFICATE_POLICY_MISMATCH'],
    [
      'no source ref extension',
      { sourceRepositoryRef: undefined },
      { sourceRef: 'refs/heads/main' },
      'VERIFY_CERTIFICATE_POLICY_MISMATCH',
    ],
  ])('refuses %s -> %s', (_name, signerOverrides, overrides, code) => {
    expect(() => checkGithubSigner(makeSigner(signerOverrides), policy(overrides))).toThrowCode(code);
  });
});

describe('checkGithubPolicyFlags (gh AreFlagsValid)', () => {
  it.each<[string, GithubPolicy]>([
    ['--repo without a slash', { owner: 'acme', repo: 'acme' }],
    ['--signer-repo without a slash', { owner: 'acme', signerRepo: 'acme' }],
    ['--owner with a slash', { owner: 'acme/app' }],
    ['two identity flags', { owner: 'acme', signerRepo: 'acme/app', certIdentity: WORKFLOW }],
  ])('refuses %s', (_name, p) => {
    expect(() => checkGithubPolicyFlags(p)).toThrowCode('USAGE_INVALID_FLAG');
  });
  it('passes one identity flag and OWNER/REPO', () => {
    expect(() =>
      checkGithubPolicyFlags({ owner: 'acme', repo: 'acme/app', signerRepo: 'acme/app' }),
    ).not.toThrow();
  });
});

describe('checkCertificateIdentity (cosign --certificate-identity)', () => {
  it('passes one identity and the issuer', () => {
    expect(() => checkCertificateIdentity(makeSigner(), { signerRepo: 'acme/app' })).not.toThrow();
  });
  it.each<[string, Parameters<typeof checkCertificateIdentity>[1], string]>([
    ['no identity', {}, 'USAGE_INVALID_FLAG'],
    [
      'two identities',
      { signerRepo: 'acme/app', certIdentity: `${WORKFLOW}@refs/heads/main` },
      'USAGE_INVALID_FLAG',
    ],
    [
      'another issuer',
      { signerRepo: 'acme/app', certOidcIssuer: 'https://accounts.google.com' },
      'VERIFY_OIDC_ISSUER_MISMATCH',
    ],
    ['another identity', { signerRepo: 'acme/other' }, 'VERIFY_IDENTITY_MISMATCH'],
  ])('refuses %s -> %s', (_name, p, code) => {
    expect(() => checkCertificateIdentity(makeSigner(), p)).toThrowCode(code);
  });
});

describe('checkGithubAttestation', () => {
  const artifacts = [{ name: 'app.tar.gz', sha256: ARTIFACT_SHA }];
  const statement = makeStatement({ repository: 'acme/app', ref: 'refs/heads/main' });
  it('passes: the SAN is the trusted builder', () => {
    const verified = checkGithubAttestation({ statement, signer: makeSigner(), artifacts, policy: policy() });
    expect(verified.builderId).toBe(`${WORKFLOW}@refs/heads/main`);
    expect(verified.artifacts[0]?.subject).toBe('app.tar.gz');
  });
  it.each<[string, Parameters<typeof checkGithubAttestation>[0], string]>([
    [
      'another predicate type than the default',
      {
        statement: { ...statement, predicateType: 'https://slsa.dev/provenance/v0.2' },
        signer: makeSigner(),
        artifacts,
        policy: policy(),
      },
      'VERIFY_PREDICATE_TYPE_INVALID',
    ],
    [
      'an artifact that is no subject',
      {
        statement,
        signer: makeSigner(),
        artifacts: [{ name: 'x', sha256: 'f'.repeat(64) }],
        policy: policy(),
      },
      'VERIFY_SUBJECT_DIGEST_MISMATCH',
    ],
    [
      'a signer outside the policy',
      {
        statement,
        signer: makeSigner({ sourceRepositoryOwnerUri: 'https://github.com/mallory' }),
        artifacts,
        policy: policy(),
      },
      'VERIFY_SOURCE_MISMATCH',
    ],
  ])('refuses %s -> %s', (_name, input, code) => {
    expect(() => checkGithubAttestation(input)).toThrowCode(code);
  });
});

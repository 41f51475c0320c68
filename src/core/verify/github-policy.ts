import { SlsaLedgerError, VerificationError, type ErrorCode } from '../../errors.js';
import { extractFacts } from './facts.js';
import { checkSubjects } from './policy.js';
import type {
  ArtifactDigest,
  InTotoStatement,
  ProvenanceFacts,
  SignerIdentity,
  VerifiedProvenance,
} from './types.js';

// `gh attestation verify`'s policy (cli/cli pkg/cmd/attestation/verify/policy.go,
// verification/extensions.go), as plain data and pure checks. What it enforces:
// - the predicate type (default https://slsa.dev/provenance/v1);
// - the certificate's SAN: `--cert-identity` exactly, or `--cert-identity-regex`, or
//   `--signer-repo` (`(?i)^https://github.com/OWNER/REPO/`), or `--signer-workflow` (anchored at
//   both ends; a ref is optional unless the value pins one), else `--repo`/`--owner` as a prefix;
// - Fulcio extensions, compared case-insensitively: source repository owner (1.16) is `--owner`
//   (or `--repo`'s owner), source repository (1.12) is `--repo`, issuer is `--cert-oidc-issuer`,
//   runner environment (1.11) `github-hosted` with `--deny-self-hosted-runners`, signer digest
//   (1.10) `--signer-digest`, source digest (1.13) `--source-digest`, source ref (1.14) `--source-ref`.

export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';
export const DEFAULT_GITHUB_PREDICATE_TYPE = 'https://slsa.dev/provenance/v1';

export interface GithubPolicy {
  /** `--owner`, or the owner of `--repo` */
  readonly owner: string;
  /** `--repo OWNER/REPO` */
  readonly repo?: string;
  readonly certIdentity?: string;
  readonly certIdentityRegex?: string;
  readonly signerRepo?: string;
  readonly signerWorkflow?: string;
  /** default https://token.actions.githubusercontent.com */
  readonly certOidcIssuer?: string;
  readonly denySelfHostedRunners?: boolean;
  readonly signerDigest?: string;
  readonly sourceDigest?: string;
  readonly sourceRef?: string;
  /** default https://slsa.dev/provenance/v1 */
  readonly predicateType?: string;
  /** default github.com */
  readonly hostname?: string;
}

const OWNER_OR_REPO = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)?$/;

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The SAN matcher gh builds from the flags: an exact value or a regular expression. */
export function githubSanMatcher(policy: GithubPolicy): { exact?: string; regex?: RegExp; describe: string } {
  const host = policy.hostname ?? 'github.com';
  if (policy.certIdentity !== undefined) return { exact: policy.certIdentity, describe: policy.certIdentity };
  if (policy.certIdentityRegex !== undefined) {
    // gh takes Go (RE2) syntax; its `(?i)` prefix is JavaScript's `i` flag
    const source = policy.certIdentityRegex.replace(/^\(\?i\)/, '');
    try {
      return {
        regex: new RegExp(source, source === policy.certIdentityRegex ? 'u' : 'iu'),
        describe: policy.certIdentityRegex,
      };
    } catch (cause) {
      throw new SlsaLedgerError(
        'USAGE_INVALID_FLAG',
        `--cert-identity-regex is not a regular expression: ${(cause as Error).message}`,
        {
          details: { flag: 'cert-identity-regex' },
        },
      );
    }
  }
  if (policy.signerRepo !== undefined) {
    return {
      regex: new RegExp(`^${escape(`https://${host}/${policy.signerRepo}/`)}`, 'i'),
      describe: `(?i)^https://${host}/${policy.signerRepo}/`,
    };
  }
  if (policy.signerWorkflow !== undefined) {
    const withHost = /^[a-zA-Z0-9-]+\.[a-zA-Z0-9-]+.*$/.test(policy.signerWorkflow)
      ? `https://${policy.signerWorkflow}`
      : `https://${host}/${policy.signerWorkflow}`;
    // a value that pins a ref must match to the end; else any ref may follow (gh 2.x)
    const pinsRef = /@(refs\/.*|[0-9a-fA-F]+)$/.test(withHost);
    const pattern = `^${escape(withHost)}${pinsRef ? '' : '(@(refs/.*|[0-9a-fA-F]+))?'}$`;
    return { regex: new RegExp(pattern), describe: pattern };
  }
  const scope = policy.repo ?? policy.owner;
  return {
    regex: new RegExp(`^${escape(`https://${host}/${scope}/`)}`, 'i'),
    describe: `(?i)^https://${host}/${scope}/`,
  };
}

/** Checks the flags' shapes (gh's AreFlagsValid). */
export function checkGithubPolicyFlags(policy: GithubPolicy): void {
  const bad = (flag: string, message: string): never => {
    throw new SlsaLedgerError('USAGE_INVALID_FLAG', message, { details: { flag } });
  };
  if (policy.repo !== undefined && (!OWNER_OR_REPO.test(policy.repo) || !policy.repo.includes('/'))) {
    bad('repo', `--repo takes OWNER/REPO, got '${policy.repo}'`);
  }
  if (
    policy.signerRepo !== undefined &&
    (!OWNER_OR_REPO.test(policy.signerRepo) || !policy.signerRepo.includes('/'))
  ) {
    bad('signer-repo', `--signer-repo takes OWNER/REPO, got '${policy.signerRepo}'`);
  }
  if (!OWNER_OR_REPO.test(policy.owner) || policy.owner.includes('/'))
    bad('owner', `--owner takes an organisation name, got '${policy.owner}'`);
  const identities = [
    policy.certIdentity,
    policy.certIdentityRegex,
    policy.signerRepo,
    policy.signerWorkflow,
  ].filter((v) => v !== undefined);
  if (identities.length > 1) {
    bad(
      'cert-identity',
      '--cert-identity, --cert-identity-regex, --signer-repo and --signer-workflow exclude each other',
    );
  }
}

const equalFold = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

function fail(code: ErrorCode, message: string, details: Record<string, unknown>): never {
  throw new VerificationError(code, message, { details });
}

function checkSan(actual: string, san: ReturnType<typeof githubSanMatcher>): void {
  const ok = san.exact !== undefined ? actual === san.exact : san.regex?.test(actual) === true;
  if (!ok) {
    fail('VERIFY_IDENTITY_MISMATCH', `certificate identity ${actual} does not match ${san.describe}`, {
      expected: san.describe,
      actual,
    });
  }
}

/** The certificate half of gh's policy. */
export function checkGithubSigner(signer: SignerIdentity, policy: GithubPolicy): void {
  if (signer.kind !== 'certificate') {
    fail('VERIFY_CERTIFICATE_INVALID', 'gh attestation policies need a certificate-signed attestation', {});
  }
  const host = policy.hostname ?? 'github.com';
  checkSan(signer.subjectAlternativeName, githubSanMatcher(policy));
  const ownerUri = `https://${host}/${policy.owner}`;
  if (!equalFold(ownerUri, signer.sourceRepositoryOwnerUri)) {
    fail(
      'VERIFY_SOURCE_MISMATCH',
      `expected source repository owner ${ownerUri}, got ${signer.sourceRepositoryOwnerUri ?? '(none)'}`,
      {
        expected: ownerUri,
        actual: signer.sourceRepositoryOwnerUri ?? null,
      },
    );
  }
  if (policy.repo !== undefined && !equalFold(`https://${host}/${policy.repo}`, signer.sourceRepositoryUri)) {
    fail(
      'VERIFY_SOURCE_MISMATCH',
      `expected source repository https://${host}/${policy.repo}, got ${signer.sourceRepositoryUri ?? '(none)'}`,
      {
        expected: `https://${host}/${policy.repo}`,
        actual: signer.sourceRepositoryUri ?? null,
      },
    );
  }
  const issuer = policy.certOidcIssuer ?? GITHUB_OIDC_ISSUER;
  if (!equalFold(issuer, signer.issuer)) {
    const hint = signer.issuer.startsWith(`${issuer}/`)
      ? ' (a custom issuer of your enterprise: pass --cert-oidc-issuer)'
      : '';
    fail('VERIFY_OIDC_ISSUER_MISMATCH', `expected issuer ${issuer}, got ${signer.issuer}${hint}`, {
      expected: issuer,
      actual: signer.issuer,
    });
  }
  const extension = (flag: string, expected: string | undefined, actual: string | undefined): void => {
    if (expected !== undefined && !equalFold(expected, actual)) {
      fail(
        'VERIFY_CERTIFICATE_POLICY_MISMATCH',
        `${flag}: expected ${expected}, the certificate says ${actual ?? '(nothing)'}`,
        {
          flag,
          expected,
          actual: actual ?? null,
        },
      );
    }
  };
  extension(
    '--deny-self-hosted-runners',
    policy.denySelfHostedRunners === true ? 'github-hosted' : undefined,
    signer.runnerEnvironment,
  );
  extension('--signer-digest', policy.signerDigest, signer.buildSignerDigest);
  extension('--source-digest', policy.sourceDigest, signer.sourceRepositoryDigest);
  extension('--source-ref', policy.sourceRef, signer.sourceRepositoryRef);
}

/**
 * The certificate identity without gh's repository scope (cosign's `--certificate-identity`,
 * `--certificate-identity-regexp`, `--certificate-oidc-issuer`): for a keyless signature whose
 * signer is named by its workflow alone, such as a VSA (`verify --vsa`). One of the identity
 * fields must be set.
 */
export type CertificateIdentityPolicy = Pick<
  GithubPolicy,
  'certIdentity' | 'certIdentityRegex' | 'signerRepo' | 'signerWorkflow' | 'certOidcIssuer' | 'hostname'
>;

/** The identity fields a CertificateIdentityPolicy sets (none: it names no signer). */
export function identityFlagsOf(policy: CertificateIdentityPolicy): readonly string[] {
  return [
    policy.certIdentity === undefined ? undefined : 'cert-identity',
    policy.certIdentityRegex === undefined ? undefined : 'cert-identity-regex',
    policy.signerRepo === undefined ? undefined : 'signer-repo',
    policy.signerWorkflow === undefined ? undefined : 'signer-workflow',
  ].filter((f): f is string => f !== undefined);
}

/** The SAN and issuer of a certificate-signed signature under a CertificateIdentityPolicy. */
export function checkCertificateIdentity(signer: SignerIdentity, policy: CertificateIdentityPolicy): void {
  if (signer.kind !== 'certificate') {
    fail('VERIFY_CERTIFICATE_INVALID', 'a certificate identity needs a certificate-signed signature', {});
  }
  const flags = identityFlagsOf(policy);
  if (flags.length !== 1) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      'name the signer with exactly one of --cert-identity, --cert-identity-regex, --signer-repo, --signer-workflow',
      { details: { flag: 'cert-identity' } },
    );
  }
  checkSan(signer.subjectAlternativeName, githubSanMatcher({ owner: '', ...policy }));
  const issuer = policy.certOidcIssuer ?? GITHUB_OIDC_ISSUER;
  if (!equalFold(issuer, signer.issuer)) {
    fail('VERIFY_OIDC_ISSUER_MISMATCH', `expected issuer ${issuer}, got ${signer.issuer}`, {
      expected: issuer,
      actual: signer.issuer,
    });
  }
}

/**
 * gh's verdict for one attestation: the predicate type, the artifact among the subjects, the
 * signer under the policy. The facts are read when the predicate is SLSA provenance of a known
 * buildType, else left empty (gh does not read the predicate).
 */
export function checkGithubAttestation(input: {
  readonly statement: InTotoStatement;
  readonly signer: SignerIdentity;
  readonly artifacts: readonly ArtifactDigest[];
  readonly policy: GithubPolicy;
}): VerifiedProvenance {
  const { statement, signer, artifacts, policy } = input;
  const predicateType = policy.predicateType ?? DEFAULT_GITHUB_PREDICATE_TYPE;
  if (statement.predicateType !== predicateType) {
    fail(
      'VERIFY_PREDICATE_TYPE_INVALID',
      `predicate type ${statement.predicateType} is not ${predicateType}`,
      {
        expected: predicateType,
        actual: statement.predicateType,
      },
    );
  }
  const matched = checkSubjects(statement, artifacts);
  checkGithubSigner(signer, policy);
  let facts: ProvenanceFacts;
  try {
    facts = extractFacts(statement);
  } catch {
    facts = {
      predicateType: statement.predicateType,
      buildType: '',
      builderId: signer.kind === 'certificate' ? signer.subjectAlternativeName : '',
      sourceRepository: undefined,
      sourceRef: undefined,
      sourceCommit: undefined,
      workflowInputs: undefined,
      workflowPath: undefined,
    };
  }
  return {
    statement,
    facts,
    signer,
    artifacts: matched,
    builderId: signer.kind === 'certificate' ? signer.subjectAlternativeName : facts.builderId,
  };
}

import { VerificationError, type ErrorCode } from '../../errors.js';
import { normalizeRepositoryUri } from './facts/uri.js';
import type { ProvenanceFacts, SignerIdentity, VerificationPolicy } from './types.js';

// Builder trust as slsa-verifier decides it (verifiers/internal/gha/builder.go and
// verifiers/utils/builder.go), plus the checks it leaves out: the certificate's source, ref and
// commit must agree with what the predicate claims.

/** The OIDC issuer of GitHub Actions; only its certificates name a GitHub workflow. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

const GITHUB = 'https://github.com/';
const GENERATOR = `${GITHUB}slsa-framework/slsa-github-generator/.github/workflows/`;

/**
 * Reusable workflows of slsa-github-generator trusted without `--builder-id` for artifacts
 * (slsa-verifier's defaultArtifactTrustedReusableWorkflows; the container generator is trusted
 * only for images there, so here it needs `--builder-id`).
 */
export const TRUSTED_GENERATOR_BUILDERS: readonly string[] = [
  `${GENERATOR}generator_generic_slsa3.yml`,
  `${GENERATOR}builder_go_slsa3.yml`,
  `${GENERATOR}builder_container-based_slsa3.yml`,
];

/**
 * The BYOB delegators: they sign on behalf of a tool's reusable workflow (TRW), whose id the
 * predicate's builder.id carries; `--builder-id` then names the TRW, not the signer. Without it,
 * a TRW of slsa-github-generator's own `.github/workflows/` is trusted (trustDelegatedBuilder).
 */
export const TRUSTED_DELEGATOR_BUILDERS: readonly string[] = [
  `${GENERATOR}delegator_generic_slsa3.yml`,
  `${GENERATOR}delegator_lowperms-generic_slsa3.yml`,
];

/** buildTypes of GitHub artifact attestations (`actions/attest-build-provenance`), current and older. */
export const GITHUB_ATTESTATION_BUILD_TYPES: readonly string[] = [
  'https://actions.github.io/buildtypes/workflow/v1',
  // actions/attest-build-provenance before @actions/attest 1.3.0, and the npm CLI's SLSA v1
  'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
  'https://github.com/Attestations/GitHubActionsWorkflow@v1',
  // the npm CLI's SLSA v0.2 (`npm publish --provenance`)
  'https://github.com/npm/cli/gha/v2',
  'https://github.com/npm/cli/gha@v1',
];

/**
 * The builder ids of a workflow that ran on GitHub's runners with no trusted builder in between
 * (npm CLI provenance, `actions/attest` before 1.3.0): the predicate names the runner, the
 * certificate the repository's own workflow. `--builder-id` with one of them is slsa-verifier's
 * `verify-npm-package` trust: the runner environment of the certificate must be GitHub-hosted,
 * and the provenance must say what the certificate says (source, ref, workflow, commit).
 */
export const GITHUB_RUNNER_BUILDER_IDS: readonly string[] = [
  'https://github.com/actions/runner/github-hosted',
  'https://github.com/actions/runner',
];

/**
 * Decides which builder id is trusted for this provenance (slsa-verifier semantics) and returns it.
 *
 * Key-signed: the predicate's builder id, loosely matched against `--builder-id` when given.
 * Certificate-signed (in this order, each failure with its DESIGN.md §3 code):
 * 1. issuer must be GitHub Actions (VERIFY_OIDC_ISSUER_MISMATCH);
 * 2. the signing workflow (certificate SAN) must be trusted: without `--builder-id` one of the
 *    slsa-github-generator builders; with it, a loose match (name, and version if given, `v1.2.3`
 *    standing for `refs/tags/v1.2.3`) (VERIFY_UNTRUSTED_BUILDER). A BYOB delegator signs for a tool
 *    workflow, pinned to `vX.Y.Z` (VERIFY_INVALID_REF): without `--builder-id` one of
 *    slsa-github-generator's own (VERIFY_UNTRUSTED_BUILDER), with it matched against `--builder-id`
 *    (VERIFY_BUILDER_MISMATCH). GitHub attestations have no default builders: `--builder-id` names
 *    the publishing (or the repository's own) workflow;
 * 3. a reusable builder must be pinned to a `vX.Y.Z` tag; a GitHub attestation signed by the
 *    repository's own workflow must be at the source ref (VERIFY_INVALID_REF);
 * 4. the predicate's builder id must be the certificate's (VERIFY_BUILDER_MISMATCH);
 * 5. the certificate's source repository must be `--source-uri` (VERIFY_SOURCE_MISMATCH), and its
 *    source, ref, top-level workflow and commit must agree with the predicate
 *    (VERIFY_SOURCE_MISMATCH, VERIFY_INVALID_REF, VERIFY_WORKFLOW_MISMATCH, VERIFY_COMMIT_MISMATCH).
 */
export function checkBuilderTrust(
  facts: ProvenanceFacts,
  signer: SignerIdentity,
  policy: VerificationPolicy,
): string {
  if (signer.kind === 'key') {
    if (isGiven(policy.builderId) && !builderIdMatches(policy.builderId, facts.builderId)) {
      builderMismatch(policy.builderId, facts.builderId);
    }
    return facts.builderId;
  }

  if (signer.issuer !== GITHUB_ACTIONS_ISSUER) {
    fail(
      'VERIFY_OIDC_ISSUER_MISMATCH',
      `certificate issuer is ${signer.issuer}, expected ${GITHUB_ACTIONS_ISSUER}`,
      {
        expected: GITHUB_ACTIONS_ISSUER,
        actual: signer.issuer,
      },
    );
  }
  const workflow = parseSigningWorkflow(signer.subjectAlternativeName);
  const isGithubAttestation = GITHUB_ATTESTATION_BUILD_TYPES.includes(facts.buildType);
  const trusted = !isGithubAttestation
    ? trustGeneratorBuilder(facts, workflow, policy)
    : isGiven(policy.builderId) && GITHUB_RUNNER_BUILDER_IDS.includes(policy.builderId)
      ? trustGithubRunner(facts, signer, policy.builderId)
      : trustGithubAttestation(facts, signer, workflow, policy);
  checkCertificateSource(facts, signer, policy);
  return trusted;
}

interface SigningWorkflow {
  /** `https://github.com/o/r/.github/workflows/x.yml` */
  readonly name: string;
  /** `refs/tags/v1.2.3` */
  readonly ref: string;
  /** `o/r` */
  readonly repository: string;
}

function parseSigningWorkflow(san: string): SigningWorkflow {
  const at = san.indexOf('@');
  const name = at === -1 ? san : san.slice(0, at);
  const ref = at === -1 ? '' : san.slice(at + 1);
  const path = name.startsWith(GITHUB) ? name.slice(GITHUB.length).split('/') : [];
  if (ref === '' || path.length < 3 || path.some((part) => part === '')) {
    fail('VERIFY_CERTIFICATE_INVALID', `certificate identity ${san} is not a github workflow uri`, {
      actual: san,
    });
  }
  return { name, ref, repository: `${path[0]}/${path[1]}` };
}

function trustGeneratorBuilder(
  facts: ProvenanceFacts,
  workflow: SigningWorkflow,
  policy: VerificationPolicy,
): string {
  if (TRUSTED_DELEGATOR_BUILDERS.includes(workflow.name))
    return trustDelegatedBuilder(facts, workflow, policy);
  const certificateBuilder = `${workflow.name}@${workflow.ref}`;
  if (!isGiven(policy.builderId)) {
    if (!TRUSTED_GENERATOR_BUILDERS.includes(workflow.name)) {
      fail(
        'VERIFY_UNTRUSTED_BUILDER',
        `signing workflow ${workflow.name} is not a trusted slsa-github-generator builder; pass --builder-id to trust it`,
        { actual: certificateBuilder, trusted: TRUSTED_GENERATOR_BUILDERS },
      );
    }
  } else if (!builderIdMatchesLoose(policy.builderId, certificateBuilder, true)) {
    fail(
      'VERIFY_UNTRUSTED_BUILDER',
      `signing workflow ${certificateBuilder} does not match --builder-id ${policy.builderId}`,
      { expected: policy.builderId, actual: certificateBuilder },
    );
  }
  checkPinnedBuilder(workflow);
  if (!builderIdMatchesFull(facts.builderId, certificateBuilder)) {
    notTheSigner(facts.builderId, certificateBuilder);
  }
  return certificateBuilder;
}

/** The buildTypes a BYOB delegator writes (slsa-verifier reads only the first; see facts/). */
export const DELEGATOR_BUILD_TYPES: readonly string[] = [
  'https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0',
  'https://github.com/slsa-framework/slsa-github-generator/delegator-lowperms-generic@v0',
];

/** JReleaser's tool workflows are released as `vX.Y.Z-java` (slsa-verifier's exception). */
const JRELEASER = `${GITHUB}jreleaser/release-action`;

/**
 * BYOB (slsa-verifier's VerifyProvenance with `byob`): the delegator signs for the tool's reusable
 * workflow (TRW) the predicate names, and that is the builder trusted. The delegator must be
 * pinned to `vX.Y.Z` and have written its own buildType; the TRW must be named with a ref, a
 * `vX.Y.Z` tag (JReleaser's `vX.Y.Z-java`). Without `--builder-id` the TRW must be one of
 * slsa-github-generator's own (a workflow of its `.github/workflows/`: the Maven, Gradle and
 * Node.js builders), else VERIFY_UNTRUSTED_BUILDER; with it, `--builder-id` must loosely match the
 * TRW (VERIFY_BUILDER_MISMATCH).
 */
function trustDelegatedBuilder(
  facts: ProvenanceFacts,
  workflow: SigningWorkflow,
  policy: VerificationPolicy,
): string {
  checkPinnedBuilder(workflow);
  if (!DELEGATOR_BUILD_TYPES.includes(facts.buildType)) {
    fail(
      'VERIFY_PREDICATE_TYPE_INVALID',
      `the delegator ${workflow.name} signed provenance of build type ${facts.buildType}, which it does not write`,
      { expected: DELEGATOR_BUILD_TYPES, actual: facts.buildType },
    );
  }
  const tool = splitBuilderId(facts.builderId);
  if (tool?.version === undefined) {
    fail(
      'VERIFY_INVALID_REF',
      `the tool's builder ${facts.builderId} must be named with a vX.Y.Z tag (name@refs/tags/vX.Y.Z)`,
      { expected: 'name@refs/tags/vX.Y.Z', actual: facts.builderId },
    );
  }
  const pinned = tool.name.startsWith(JRELEASER)
    ? isPinnedJreleaserRef(tool.version)
    : isPinnedReleaseRef(tool.version);
  if (!pinned) {
    fail(
      'VERIFY_INVALID_REF',
      `the tool's builder ${tool.name} must be pinned to a vX.Y.Z tag, found ${tool.version}`,
      { expected: 'refs/tags/vX.Y.Z', actual: tool.version },
    );
  }
  if (!isGiven(policy.builderId)) {
    // GitHub runs reusable workflows only from .github/workflows itself: one file name, no folder.
    const file = tool.name.startsWith(GENERATOR) ? tool.name.slice(GENERATOR.length) : '';
    if (file === '' || file.includes('/')) {
      fail(
        'VERIFY_UNTRUSTED_BUILDER',
        `provenance was signed by the delegator ${workflow.name} for ${tool.name}, which is not a slsa-github-generator builder: pass --builder-id naming the tool's builder`,
        { actual: facts.builderId, trusted: `${GENERATOR}*` },
      );
    }
  } else if (!builderIdMatchesLoose(policy.builderId, facts.builderId, true)) {
    builderMismatch(policy.builderId, facts.builderId);
  }
  return facts.builderId;
}

/** A reusable builder must be pinned to a `vX.Y.Z` tag (slsa-verifier's verifyTrustedBuilderRef). */
function checkPinnedBuilder(workflow: SigningWorkflow): void {
  if (!isPinnedReleaseRef(workflow.ref)) {
    fail(
      'VERIFY_INVALID_REF',
      `builder ${workflow.name} must be pinned to a vX.Y.Z tag, found ${workflow.ref}`,
      {
        expected: 'refs/tags/vX.Y.Z',
        actual: workflow.ref,
      },
    );
  }
}

function trustGithubAttestation(
  facts: ProvenanceFacts,
  signer: SignerIdentity & { kind: 'certificate' },
  workflow: SigningWorkflow,
  policy: VerificationPolicy,
): string {
  const certificateBuilder = `${workflow.name}@${workflow.ref}`;
  if (!isGiven(policy.builderId)) {
    fail(
      'VERIFY_UNTRUSTED_BUILDER',
      `github attestations have no default trusted builders: pass --builder-id naming the signing workflow (${workflow.name})`,
      { actual: certificateBuilder },
    );
  }
  if (!builderIdMatchesLoose(policy.builderId, certificateBuilder, true)) {
    fail(
      'VERIFY_UNTRUSTED_BUILDER',
      `signing workflow ${certificateBuilder} does not match --builder-id ${policy.builderId}`,
      { expected: policy.builderId, actual: certificateBuilder },
    );
  }
  // A reusable publishing workflow of another repository must be a release; the repository's own
  // workflow must have run at the ref being released (the certificate's source ref).
  const ownWorkflow =
    signer.sourceRepositoryUri !== undefined &&
    normalizeRepositoryUri(signer.sourceRepositoryUri) === `github.com/${workflow.repository}` &&
    signer.sourceRepositoryRef === workflow.ref;
  if (!ownWorkflow && !isPinnedReleaseRef(workflow.ref)) {
    fail(
      'VERIFY_INVALID_REF',
      `signing workflow ${workflow.name} must be pinned to a vX.Y.Z tag or be the repository's own workflow at the source ref, found ${workflow.ref}`,
      { expected: 'refs/tags/vX.Y.Z', actual: workflow.ref },
    );
  }
  // the first GitHub workflow buildType names the runner, not the workflow, as the builder
  const namesRunner =
    GITHUB_RUNNER_BUILDER_IDS.includes(facts.builderId) && runnerMatches(facts.builderId, signer);
  if (!namesRunner && !builderIdMatchesFull(facts.builderId, certificateBuilder)) {
    notTheSigner(facts.builderId, certificateBuilder);
  }
  return certificateBuilder;
}

/** The runner the predicate names must be the one the certificate certifies (Fulcio 1.11). */
function runnerMatches(builderId: string, signer: SignerIdentity & { kind: 'certificate' }): boolean {
  // certificates before the runner-environment extension name no runner: github-hosted is all a
  // GitHub workflow certificate then certified (slsa-verifier treats the short id so)
  const env = signer.runnerEnvironment ?? 'github-hosted';
  return env === 'github-hosted' && GITHUB_RUNNER_BUILDER_IDS.includes(builderId);
}

/**
 * slsa-verifier's npm trust (`verify-npm-package --builder-id https://github.com/actions/runner/github-hosted`):
 * the repository's own workflow signed, on a GitHub-hosted runner, and the provenance names that
 * runner (with or without `/github-hosted`, as older provenance does).
 */
function trustGithubRunner(
  facts: ProvenanceFacts,
  signer: SignerIdentity & { kind: 'certificate' },
  builderId: string,
): string {
  if (signer.runnerEnvironment !== undefined && signer.runnerEnvironment !== 'github-hosted') {
    fail(
      'VERIFY_BUILDER_MISMATCH',
      `--builder-id ${builderId} needs a github-hosted runner, the certificate says ${signer.runnerEnvironment}`,
      { expected: 'github-hosted', actual: signer.runnerEnvironment },
    );
  }
  if (!GITHUB_RUNNER_BUILDER_IDS.includes(facts.builderId)) {
    builderMismatch(builderId, facts.builderId);
  }
  return builderId;
}

/** The source is taken from the certificate, and the predicate must say the same (DESIGN.md §3). */
function checkCertificateSource(
  facts: ProvenanceFacts,
  signer: SignerIdentity & { kind: 'certificate' },
  policy: VerificationPolicy,
): void {
  if (signer.sourceRepositoryUri === undefined) {
    fail('VERIFY_CERTIFICATE_INVALID', 'certificate names no source repository', {});
  }
  const certificateSource = normalizeRepositoryUri(signer.sourceRepositoryUri);
  const expected = normalizeRepositoryUri(policy.sourceUri);
  if (certificateSource !== expected) {
    fail(
      'VERIFY_SOURCE_MISMATCH',
      `source mismatch: expected ${expected}, the certificate names ${certificateSource}`,
      {
        expected,
        actual: certificateSource,
      },
    );
  }
  if (facts.sourceRepository !== undefined && facts.sourceRepository !== certificateSource) {
    fail(
      'VERIFY_SOURCE_MISMATCH',
      `provenance names source ${facts.sourceRepository}, but the certificate names ${certificateSource}`,
      { expected: certificateSource, actual: facts.sourceRepository },
    );
  }
  if (
    signer.sourceRepositoryRef !== undefined &&
    facts.sourceRef !== undefined &&
    signer.sourceRepositoryRef !== facts.sourceRef
  ) {
    fail(
      'VERIFY_INVALID_REF',
      `provenance names ref ${facts.sourceRef}, but the certificate names ${signer.sourceRepositoryRef}`,
      { expected: signer.sourceRepositoryRef, actual: facts.sourceRef },
    );
  }
  if (signer.buildConfigUri !== undefined && facts.workflowPath !== undefined) {
    // 1.18 is `https://github.com/o/r/<path>@<ref>`; the predicate names the path in the repository.
    const prefix = `https://${certificateSource}/`;
    const [configName] = signer.buildConfigUri.split('@');
    const certificatePath = configName?.startsWith(prefix) ? configName.slice(prefix.length) : configName;
    if (certificatePath !== facts.workflowPath.replace(/^\/+/, '')) {
      fail(
        'VERIFY_WORKFLOW_MISMATCH',
        `provenance names workflow ${facts.workflowPath}, but the certificate names ${signer.buildConfigUri}`,
        { expected: signer.buildConfigUri, actual: facts.workflowPath },
      );
    }
  }
  if (
    signer.sourceRepositoryDigest !== undefined &&
    facts.sourceCommit !== undefined &&
    signer.sourceRepositoryDigest.toLowerCase() !== facts.sourceCommit.toLowerCase()
  ) {
    fail(
      'VERIFY_COMMIT_MISMATCH',
      `provenance names commit ${facts.sourceCommit}, but the certificate names ${signer.sourceRepositoryDigest}`,
      { expected: signer.sourceRepositoryDigest, actual: facts.sourceCommit },
    );
  }
}

/** `refs/tags/vX.Y.Z` with no pre-release or build metadata (slsa-verifier's IsValidBuilderTag). */
export function isPinnedReleaseRef(ref: string): boolean {
  if (!ref.startsWith('refs/tags/')) return false;
  return /^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/.test(ref.slice('refs/tags/'.length));
}

/** `refs/tags/vX.Y.Z-java` (slsa-verifier's IsValidJreleaserBuilderTag: the language is the pre-release). */
export function isPinnedJreleaserRef(ref: string): boolean {
  if (!ref.startsWith('refs/tags/')) return false;
  return /^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)-java$/.test(ref.slice('refs/tags/'.length));
}

/** `expected` without `@version` matches any version of the same builder; with one, exactly. */
export function builderIdMatches(expected: string, actual: string): boolean {
  return builderIdMatchesLoose(expected, actual, false);
}

/**
 * slsa-verifier's MatchesLoose: the names must be equal; a version, when `expected` gives one, must
 * equal the actual one, or (with `allowRef`) `v1.2.3` matches an actual `refs/tags/v1.2.3`.
 */
export function builderIdMatchesLoose(expected: string, actual: string, allowRef: boolean): boolean {
  const e = splitBuilderId(expected);
  const a = splitBuilderId(actual);
  if (e === undefined || a === undefined || e.name !== a.name) return false;
  if (e.version === undefined || e.version === a.version) return true;
  return allowRef && `refs/tags/${e.version}` === a.version;
}

/** Names and versions both equal; `v1.2.3` stands for `refs/tags/v1.2.3`. */
function builderIdMatchesFull(expected: string, actual: string): boolean {
  const e = splitBuilderId(expected);
  const a = splitBuilderId(actual);
  if (e === undefined || a === undefined || e.name !== a.name) return false;
  return e.version === a.version || `refs/tags/${e.version ?? ''}` === a.version;
}

/** `name@version` (one `@` at most, non-empty version), as slsa-verifier's ParseBuilderID. */
function splitBuilderId(id: string): { name: string; version: string | undefined } | undefined {
  const parts = id.split('@');
  if (parts.length === 1) return { name: id, version: undefined };
  if (parts.length !== 2 || parts[1] === '') return undefined;
  return { name: parts[0] ?? '', version: parts[1] };
}

function isGiven(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

/** `--builder-id` names another builder than the provenance's */
function builderMismatch(expected: string, actual: string): never {
  return fail('VERIFY_BUILDER_MISMATCH', `builder id mismatch: expected ${expected}, found ${actual}`, {
    expected,
    actual,
  });
}

/** the provenance names another builder than the workflow that signed it */
function notTheSigner(named: string, certificateBuilder: string): never {
  return fail(
    'VERIFY_BUILDER_MISMATCH',
    `provenance names builder ${named}, but ${certificateBuilder} signed it`,
    { expected: certificateBuilder, actual: named },
  );
}

function fail(code: ErrorCode, message: string, details: Record<string, unknown>): never {
  throw new VerificationError(code, message, { details });
}

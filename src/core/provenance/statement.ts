import type { InTotoStatement } from '../verify/types.js';

export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const IN_TOTO_STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
export const SLSA_PROVENANCE_V02 = 'https://slsa.dev/provenance/v0.2';
export const GITHUB_WORKFLOW_BUILD_TYPE = 'https://actions.github.io/buildtypes/workflow/v1';

/**
 * Where and how the build ran: the GitHub Actions context `actions/attest-build-provenance` reads
 * from its OIDC claims. All strings; ids stay strings as in the claims.
 */
export interface BuildContext {
  /** e.g. `https://github.com` */
  readonly serverUrl: string;
  /** `OWNER/REPO` */
  readonly repository: string;
  /** full git ref the build ran on, e.g. `refs/tags/v1.2.3` */
  readonly ref: string;
  /** commit SHA */
  readonly sha: string;
  /** path of the top-level workflow, e.g. `.github/workflows/release.yml` */
  readonly workflowPath: string;
  /** ref of the top-level workflow (the part after `@` of GITHUB_WORKFLOW_REF) */
  readonly workflowRef: string;
  readonly runId: string;
  readonly runAttempt: string;
  readonly eventName: string;
  /** `runDetails.builder.id`: `<server>/<job_workflow_ref>` */
  readonly builderId: string;
  readonly repositoryId?: string;
  readonly repositoryOwnerId?: string;
  /** `github-hosted` | `self-hosted` */
  readonly runnerEnvironment?: string;
}

export interface Subject {
  readonly name: string;
  /** lower-case hex SHA-256 */
  readonly sha256: string;
}

/**
 * Builds the SLSA Provenance v1 predicate exactly as `actions/attest-build-provenance` does
 * (actions/toolkit packages/attest/src/provenance.ts, buildType workflow/v1): the same keys in the
 * same order, so statements from both tools compare byte for byte for the same inputs.
 */
export function buildSlsaPredicate(context: BuildContext): Record<string, unknown> {
  const server = context.serverUrl.replace(/\/+$/, '');
  return {
    buildDefinition: {
      buildType: GITHUB_WORKFLOW_BUILD_TYPE,
      externalParameters: {
        workflow: {
          ref: context.workflowRef,
          repository: `${server}/${context.repository}`,
          path: context.workflowPath,
        },
      },
      internalParameters: {
        github: {
          event_name: context.eventName,
          repository_id: context.repositoryId,
          repository_owner_id: context.repositoryOwnerId,
          runner_environment: context.runnerEnvironment,
        },
      },
      resolvedDependencies: [
        {
          uri: `git+${server}/${context.repository}@${context.ref}`,
          digest: { gitCommit: context.sha },
        },
      ],
    },
    runDetails: {
      builder: { id: context.builderId },
      metadata: {
        invocationId: `${server}/${context.repository}/actions/runs/${context.runId}/attempts/${context.runAttempt}`,
      },
    },
  };
}

/**
 * The in-toto Statement v1 over the subjects with the SLSA v1 predicate (key order as
 * actions/toolkit's `buildIntotoStatement`: `_type`, `subject`, `predicateType`, `predicate`).
 * Subjects keep the order given; a name given twice is kept once (the first).
 */
export function buildProvenanceStatement(
  subjects: readonly Subject[],
  context: BuildContext,
): InTotoStatement {
  const seen = new Set<string>();
  const unique = subjects.filter((s) => (seen.has(s.name) ? false : (seen.add(s.name), true)));
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: unique.map((s) => ({ name: s.name, digest: { sha256: s.sha256 } })),
    predicateType: SLSA_PROVENANCE_V1,
    predicate: buildSlsaPredicate(context),
  };
}

/** The statement's canonical payload bytes: compact JSON, `undefined` fields dropped. */
export function serializeStatement(statement: InTotoStatement): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(statement));
}

// The role matrix of DESIGN.md §6 as data: what each role's jobs may hold, at most.
// The first four rows are DESIGN.md §6; `notifier` and `ingester` are our additions for the two
// jobs the matrix does not name (notify-on-failure and the Supabase ingest), each with the
// narrowest permissions that job needs (docs/governance/role-matrix.md says why).
import type { PermissionLevel } from './model.js';

export type RoleId =
  | 'release-operator'
  | 'provenance-writer'
  | 'provenance-validator'
  | 'governance-auditor'
  | 'notifier'
  | 'ingester';

export interface Role {
  readonly id: RoleId;
  readonly title: string;
  /** the most each scope may hold; an absent scope may not be granted at all */
  readonly permissions: Readonly<Record<string, Exclude<PermissionLevel, 'none'>>>;
  /** secrets the role's jobs may reference */
  readonly secrets: readonly string[];
  readonly source: 'DESIGN.md §6' | 'slsa-ledger extension';
}

export const roleMatrix: Readonly<Record<RoleId, Role>> = {
  'release-operator': {
    id: 'release-operator',
    title: 'Release Operator (release + dispatch)',
    permissions: { contents: 'write', actions: 'read', 'pull-requests': 'write' },
    secrets: ['GITHUB_TOKEN', 'PROVENANCE_DISPATCH_TOKEN'],
    source: 'DESIGN.md §6',
  },
  'provenance-writer': {
    id: 'provenance-writer',
    title: 'Provenance writer (slsa-provenance, ledger writes)',
    permissions: {
      contents: 'write',
      'id-token': 'write',
      attestations: 'write',
      'artifact-metadata': 'write',
      actions: 'read',
    },
    secrets: ['GITHUB_TOKEN'],
    source: 'DESIGN.md §6',
  },
  'provenance-validator': {
    id: 'provenance-validator',
    title: 'Provenance Validator (security CI)',
    permissions: { contents: 'read', attestations: 'read', 'id-token': 'write', issues: 'write' },
    secrets: [],
    source: 'DESIGN.md §6',
  },
  'governance-auditor': {
    id: 'governance-auditor',
    title: 'Governance Auditor',
    permissions: { contents: 'read', checks: 'read' },
    secrets: [],
    source: 'DESIGN.md §6',
  },
  notifier: {
    id: 'notifier',
    title: 'Notifier (notify-on-failure)',
    permissions: { contents: 'read', actions: 'read', issues: 'write' },
    secrets: ['GITHUB_TOKEN', 'SLACK_WEBHOOK_URL'],
    source: 'slsa-ledger extension',
  },
  ingester: {
    id: 'ingester',
    title: 'Ledger ingester (manifest-ingest)',
    permissions: { contents: 'read' },
    secrets: ['SLSA_MANIFEST_SERVICE_KEY'],
    source: 'slsa-ledger extension',
  },
};

/** The extra grant of DESIGN.md §6: `actions: write` on the dispatch job when GITHUB_TOKEN dispatches. */
export const dispatchWithGithubTokenGrant = { actions: 'write' } as const;

/** Every scope GitHub's `permissions:` key knows. */
export const knownScopes: readonly string[] = [
  'actions',
  'artifact-metadata',
  'attestations',
  'checks',
  'contents',
  'deployments',
  'discussions',
  'id-token',
  'issues',
  'models',
  'packages',
  'pages',
  'pull-requests',
  'repository-projects',
  'security-events',
  'statuses',
];

/**
 * A provenance writer that attests a container image (`actions/attest*` with `push-to-registry`,
 * or a registry push) may also hold `packages: write`: the attestation is pushed to the registry.
 */
export const containerAttestationGrant = { packages: 'write' } as const;

/** The reusable workflows of slsa-github-generator: its docs require a `@vX.Y.Z` tag, never a SHA. */
export const tagPinnedReusableWorkflows =
  /^slsa-framework\/slsa-github-generator\/\.github\/workflows\/[^@]+$/;

/** The concurrency group every ledger-writing job must share. */
export const ledgerConcurrencyGroup = 'provenance-manifest';

/** The secret only the dispatch step may see. */
export const dispatchTokenName = 'PROVENANCE_DISPATCH_TOKEN';

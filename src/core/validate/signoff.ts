import { SlsaLedgerError, VerificationError } from '../../errors.js';

export const defaultSignoffLabel = 'release-approved';

/** The fields of a Jira issue the sign-off reads (`GET /rest/api/3/issue/{key}?fields=status,labels`). */
export interface JiraIssueFields {
  readonly key: string;
  readonly status: { readonly name: string; readonly categoryKey: string } | undefined;
  readonly labels: readonly string[];
}

/** A Jira issue key: PROJECT-123. */
export function parseJiraKey(value: string): string {
  if (/^[A-Z][A-Z0-9_]{0,99}-[1-9]\d{0,17}$/.test(value)) return value;
  throw new SlsaLedgerError(
    'USAGE_INVALID_FLAG',
    `--require-signoff takes a Jira issue key such as REL-123, got '${value}'`,
    {
      details: { flag: 'require-signoff', value },
    },
  );
}

/** Reads the fields from the API's JSON, refusing anything without a `fields` object. */
export function parseJiraIssue(key: string, value: unknown): JiraIssueFields {
  const fields = (value as { fields?: unknown } | null)?.fields;
  if (typeof fields !== 'object' || fields === null) {
    throw new SlsaLedgerError('JIRA_UNAVAILABLE', `jira answered for ${key} without fields`, {
      details: { key },
    });
  }
  const f = fields as { status?: { name?: unknown; statusCategory?: { key?: unknown } }; labels?: unknown };
  const status =
    typeof f.status?.name === 'string'
      ? {
          name: f.status.name,
          categoryKey: typeof f.status.statusCategory?.key === 'string' ? f.status.statusCategory.key : '',
        }
      : undefined;
  const labels = Array.isArray(f.labels) ? f.labels.filter((l): l is string => typeof l === 'string') : [];
  return { key, status, labels };
}

/** Signed off: the status category is `done`, or the issue carries the approval label. */
export function decideSignoff(
  issue: JiraIssueFields,
  label: string,
): { readonly approvedBy: 'status' | 'label' } {
  if (issue.status?.categoryKey === 'done') return { approvedBy: 'status' };
  if (issue.labels.includes(label)) return { approvedBy: 'label' };
  throw new VerificationError(
    'VALIDATE_SIGNOFF_MISSING',
    `release sign-off missing: jira ${issue.key} is '${issue.status?.name ?? 'unknown'}' (not done) and has no '${label}' label`,
    {
      details: {
        key: issue.key,
        status: issue.status?.name ?? null,
        category: issue.status?.categoryKey ?? null,
        labels: issue.labels,
        label,
      },
    },
  );
}

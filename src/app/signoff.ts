// `signoff`: the Release Operator's ops sign-off, checked before a release is published (the Jira
// mode of the shipped slsa-provenance workflow; the other mode is a GitHub environment with
// required reviewers, which GitHub enforces itself).
import { decideSignoff, defaultSignoffLabel, parseJiraKey } from '../core/validate/signoff.js';
import type { Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { VerificationError } from '../errors.js';
import { fetchJiraIssue, type JiraCredentials } from '../io/jira.js';

export interface SignoffOptions {
  /** the Jira issue key (REL-123) */
  readonly key: string;
  /** the approval label (default `release-approved`) */
  readonly label?: string;
  readonly credentials: JiraCredentials;
  readonly logger?: Logger;
}

export interface SignoffResult {
  readonly key: string;
  readonly approved_by: 'status' | 'label';
}

/**
 * Passes when the Jira issue is done or carries the approval label.
 * @throws VALIDATE_SIGNOFF_MISSING (exit 1), USAGE_INVALID_FLAG, JIRA_CREDENTIALS_MISSING,
 *   JIRA_REJECTED, JIRA_UNAVAILABLE
 */
export async function checkSignoff(options: SignoffOptions): Promise<SignoffResult> {
  const logger = options.logger ?? silentLogger;
  const key = parseJiraKey(options.key);
  const issue = await fetchJiraIssue(options.credentials, key);
  if (issue === undefined) {
    throw new VerificationError(
      'VALIDATE_SIGNOFF_MISSING',
      `release sign-off missing: jira ${key} does not exist or is not visible`,
      { details: { key, status: 404 } },
    );
  }
  const { approvedBy } = decideSignoff(issue, options.label ?? defaultSignoffLabel);
  logger.info(`sign-off: ${key} approved by ${approvedBy}`);
  return { key, approved_by: approvedBy };
}

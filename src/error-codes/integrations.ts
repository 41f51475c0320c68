import type { Category } from './category.js';

// GitHub, Slack, Jira and validation codes. Owned by the orchestration work.
export const integrationCodes = {
  DISPATCH_TOKEN_EXPIRED: 'invalid-input',
  DISPATCH_TOKEN_MISSING: 'usage',
  DISPATCH_FAILED: 'unavailable',
  DISPATCH_RUN_NOT_FOUND: 'unavailable',
  GITHUB_UNAVAILABLE: 'unavailable',
  GITHUB_REJECTED: 'invalid-input',
  /** a GitHub answer that is not the documented shape (a list that is not one, an id past 2^53, an HTML page) */
  GITHUB_ANSWER_INVALID: 'invalid-input',
  NOTIFY_FAILED: 'unavailable',
  NOTIFY_REJECTED: 'invalid-input',
  NOTIFY_WEBHOOK_MISSING: 'usage',
  ARTIFACT_UNAVAILABLE: 'unavailable',
  /** a downloaded archive is malformed or hostile (zip-slip name, over a size or ratio limit, encrypted) */
  ARTIFACT_ARCHIVE_INVALID: 'invalid-input',
  VALIDATE_STATUS_NOT_SUCCESS: 'verification',
  VALIDATE_SIGNOFF_MISSING: 'verification',
  JIRA_UNAVAILABLE: 'unavailable',
  JIRA_REJECTED: 'invalid-input',
  JIRA_CREDENTIALS_MISSING: 'usage',
  VALIDATE_PROVENANCE_DIGEST_MISMATCH: 'verification',
  /** the ledger holds more than one entry for the tag and run to validate (a hand push; `check` reports it) */
  VALIDATE_ENTRY_AMBIGUOUS: 'invalid-input',
  /** the verified provenance names another workflow run (or repository) than the entry's run (or --provenance-run) */
  VALIDATE_RUN_MISMATCH: 'verification',
  /** --require-run-binding: the verified provenance names no workflow run at all */
  VALIDATE_RUN_UNBOUND: 'verification',
  MANIFEST_URL_UNAVAILABLE: 'unavailable',
} as const satisfies Record<string, Category>;

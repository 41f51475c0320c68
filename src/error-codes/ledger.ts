import type { Category } from './category.js';

// Ledger codes (DESIGN.md §4). Owned by the ledger work.
export const ledgerCodes = {
  LEDGER_ENTRY_INVALID: 'invalid-input',
  /**
   * `record` / `validate --record`: the entry's `artifact_url` or `release_url` carries a credential
   * (user or password before `@`, a query or fragment parameter named like one: `X-Amz-Signature`,
   * `sig`, `token`, …); nothing written or queued
   */
  LEDGER_URL_CREDENTIAL: 'invalid-input',
  LEDGER_MANIFEST_INVALID: 'invalid-input',
  LEDGER_CONFLICT: 'conflict',
  LEDGER_PUSH_REFUSED: 'queued',
  LEDGER_QUEUED: 'queued',
  LEDGER_REMOTE_UNAVAILABLE: 'unavailable',
  LEDGER_GIT_FAILED: 'unavailable',
  LEDGER_LOCK_TIMEOUT: 'unavailable',
  LEDGER_ENTRY_NOT_FOUND: 'invalid-input',
  CHECK_FINDINGS: 'verification',
  LEDGER_QUEUE_INVALID: 'invalid-input',
  LEDGER_REPO_INVALID: 'usage',
  /** a read command was given a path that is not a git clone, or a ref with no ledger at all */
  LEDGER_NOT_FOUND: 'invalid-input',
  /** the remote has no default branch and none was configured: pass --branch */
  LEDGER_BRANCH_UNKNOWN: 'usage',
  /** the remote head does not descend from the last head this clone saw (issue 14 item 5) */
  LEDGER_HISTORY_REWRITTEN: 'queued',
} as const satisfies Record<string, Category>;

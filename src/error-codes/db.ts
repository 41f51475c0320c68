import type { Category } from './category.js';

// Database codes (DESIGN.md §5). Owned by the database work.
export const dbCodes = {
  DB_UNAVAILABLE: 'unavailable',
  DB_MIGRATION_FAILED: 'unavailable',
  DB_INGEST_FAILED: 'unavailable',
  DB_QUERY_FAILED: 'unavailable',
  /** a statement ran past the session's `statement_timeout` and the server cancelled it (SQLSTATE 57014) */
  DB_QUERY_TIMEOUT: 'unavailable',
  DB_PERMISSION_DENIED: 'usage',
  SUPABASE_UNAVAILABLE: 'unavailable',
  SUPABASE_REJECTED: 'invalid-input',
  /** the database refused the data (a constraint or a bad value in an entry) */
  DB_INPUT_REJECTED: 'invalid-input',
  /** an applied migration's file changed since it was applied */
  DB_MIGRATION_CHANGED: 'conflict',
  /** the database is not migrated yet (or is older than this version) */
  DB_NOT_MIGRATED: 'usage',
  /** the embedded database directory is in use by another process */
  DB_LOCKED: 'unavailable',
  /** `--since` / `--until` are not dates, or since is not before until */
  KPI_WINDOW_INVALID: 'usage',
  /**
   * `kpi` / `serve`: the embedded database directory does not exist or holds no database; any
   * command: `--data-dir` is not a directory, or a directory of other files (no `PG_VERSION`)
   */
  DB_NOT_FOUND: 'invalid-input',
  /** `ingest`: the repository name of a ledger is not `owner/name`, or cannot be found */
  INGEST_REPOSITORY_INVALID: 'usage',
  /** `ingest`: one or more ledgers failed (each is reported by name; the others landed) */
  INGEST_LEDGERS_FAILED: 'unavailable',
  /** `ingest`: entries the database refused (recorded as failed; the others landed) */
  INGEST_ENTRIES_REFUSED: 'invalid-input',
  /**
   * `ingest`: a refused entry's code (`refused[].code`, under `INGEST_ENTRIES_REFUSED`): its
   * `timestamp` or `validation.validated_at` is more than 300 s ahead of the database clock
   */
  INGEST_TIMESTAMP_FUTURE: 'invalid-input',
  /** `ingest`: the ledger's history was rewritten (the watermark is not on the head's first-parent history) */
  INGEST_HISTORY_REWRITTEN: 'conflict',
  /**
   * `ingest --accept-rewrite`: the value is not a commit id, names no commit (or several) of the
   * ledger clone, or is given with more than one ledger; nothing was read or written
   */
  INGEST_ACCEPT_REWRITE_INVALID: 'usage',
  /**
   * `ingest`: the ledger is a repository the database already holds under another name (its
   * watermark is on the ledger's history, or the same runs): a renamed or moved repository
   */
  INGEST_REPOSITORY_RENAMED: 'conflict',
  /** `ingest --rename-repository`: the new name already has runs, or an ingest of either is running */
  INGEST_RENAME_REFUSED: 'conflict',
  /** `serve --host` is not a loopback address and `--allow-remote` was not given */
  DASHBOARD_REMOTE_REFUSED: 'usage',
} as const satisfies Record<string, Category>;

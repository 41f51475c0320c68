// The database layer every command shares (ingest, kpi, migrate, serve): one small client interface
// over embedded PGlite and over any Postgres URL (`pg`). Stable API: the dashboard builds on it.
import { resolve } from 'node:path';
import type { Logger } from '../core/ports.js';
import { redact } from '../core/redact/redact.js';
import { SlsaLedgerError, UnavailableError } from '../errors.js';

export type DbEngine = 'pglite' | 'postgres';

/**
 * Who the session acts as. `owner`: the connecting user (migrations). `ingest`: `SET ROLE
 * slsa_manifest_ingest` (EXECUTE on the ingest function only). `reader`: `SET ROLE slsa_kpi_reader`
 * (SELECT on the views only). PGlite's session is a superuser that can `SET ROLE` too.
 */
export type DbRole = 'owner' | 'ingest' | 'reader';

export const INGEST_ROLE = 'slsa_manifest_ingest';
export const READER_ROLE = 'slsa_kpi_reader';
/** The one function the ingest role may call. */
export const INGEST_FUNCTION = 'slsa_ingest_batch';

/** Views the reader role sees (DESIGN.md §5). `runs` has every run field and the entry jsonb. */
export const readerViews = {
  runs: 'provenance_runs',
  kpi: 'provenance_kpi',
  daily: 'provenance_kpi_daily',
  lag: 'provenance_ingest_lag',
  ingestRuns: 'provenance_ingest_runs',
  manifests: 'provenance_manifests',
  audit: 'provenance_audit',
  dayManifests: 'provenance_kpi_day_manifests',
  dayFlags: 'provenance_kpi_day_flags',
  dayBuckets: 'provenance_kpi_day_buckets',
  orgBuckets: 'provenance_kpi_org_buckets',
  orgMonthBuckets: 'provenance_kpi_org_month_buckets',
  orgFineDays: 'provenance_kpi_org_fine_days',
  orgFineMonths: 'provenance_kpi_org_fine_months',
  orgDaily: 'provenance_kpi_org_daily',
  orgMonthly: 'provenance_kpi_org_monthly',
  orgDayFlags: 'provenance_kpi_org_day_flags',
  orgMonthFlags: 'provenance_kpi_org_month_flags',
  repoMonthly: 'provenance_kpi_repo_monthly',
  hours: 'provenance_kpi_hours',
  hourFlags: 'provenance_kpi_hour_flags',
  orgHourBuckets: 'provenance_kpi_org_hour_buckets',
  repositories: 'provenance_repositories',
  ingestFailures: 'provenance_ingest_failures',
} as const;

/** Starts a read-only transaction whose statements all read one snapshot (a report that adds up). */
export const READ_ONLY_SNAPSHOT = 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY';

/** Default embedded database directory, relative to the working directory. */
export const DEFAULT_DATA_DIR = '.slsa-ledger/db';

export interface QueryResult<T> {
  readonly rows: T[];
  /** rows returned or affected */
  readonly rowCount: number;
}

/**
 * What a query or transaction body gets. Values come back as: bigint/integer -> number,
 * double precision -> number, numeric -> string, timestamptz -> Date, jsonb -> parsed JSON.
 * Pass jsonb parameters as `JSON.stringify(value)` with a `$n::jsonb` cast.
 */
export interface DbQueryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** Runs one or more statements without parameters (e.g. a migration file). */
  exec(sql: string): Promise<void>;
  /**
   * In a server's transaction that began with READ_ONLY_SNAPSHOT: a transaction on another
   * connection that reads the same snapshot (`pg_export_snapshot()` here, `SET TRANSACTION SNAPSHOT`
   * there), so that a report's independent statements run side by side with the same answers as one
   * after the other (docs/database.md "Two connections, one snapshot"). The same one on every call;
   * it ends with this transaction. Undefined when there is none to give: the embedded database (one
   * connection), any other transaction, a pool with no free connection (never waited for: two
   * transactions each waiting for a second connection would wait for ever), or a refusal (the
   * transaction goes on alone).
   */
  readonly beside?: () => Promise<DbQueryable | undefined>;
}

export interface DbClient extends DbQueryable {
  readonly engine: DbEngine;
  readonly role: DbRole;
  /** where it points, for messages: `postgres://user@host:5432/db` (never a password) or the data dir */
  readonly target: string;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: DbQueryable) => Promise<T>): Promise<T>;
  /**
   * Another client on the same connection acting as `role` in each of its statements
   * (`SET LOCAL ROLE`), for one process that both reads and ingests an embedded database (`serve
   * --ingest-every`); its `close()` leaves the connection open. Only the owner client of an embedded
   * database has it.
   */
  readonly withRole?: (role: DbRole) => DbClient;
  /**
   * A server only: listens on `channel` on a connection of its own (not the pool's), calling
   * `onNotify` for each notification and reconnecting with backoff when the connection drops
   * (`serve` reads ahead after other processes' commits). Resolves once the first `LISTEN` has
   * answered or failed; a failure is reported through `onError`, never thrown.
   */
  readonly listen?: (channel: string, handlers: ListenHandlers) => Promise<Listening>;
  close(): Promise<void>;
}

export interface ListenHandlers {
  readonly onNotify: () => void;
  /** listening (again): `again` after a lost connection, when notifications may have been missed */
  readonly onListening?: (again: boolean) => void;
  /** a lost connection or a refused `LISTEN`; `retryInMs` is undefined when it gives up */
  readonly onError: (error: SlsaLedgerError, retryInMs: number | undefined) => void;
  /**
   * the test notification sent from another connection right after each `LISTEN` did not arrive
   * within `waitedMs`: the server takes the `LISTEN` but does not deliver (a pooler in transaction
   * mode); still listening, and told again if a later connection's test fails too
   */
  readonly onSilent?: (waitedMs: number) => void;
  /** how long the test notification may take before `onSilent` (default 5 s) */
  readonly silentAfterMs?: number;
}

export interface Listening {
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** a `postgres://` URL; when absent the embedded PGlite database is used */
  readonly databaseUrl?: string;
  /** the embedded database's directory (default `.slsa-ledger/db` under `cwd`) */
  readonly dataDir?: string;
  /** base for a relative `dataDir` (default `process.cwd()`) */
  readonly cwd?: string;
  readonly role?: DbRole;
  /** apply pending migrations as the connecting user before switching to `role` (default false) */
  readonly migrate?: boolean;
  /**
   * the embedded database must exist already (`kpi`, `serve`): a missing or empty directory is
   * `DB_NOT_FOUND` (exit 3) instead of a new empty database (default false)
   */
  readonly mustExist?: boolean;
  /** what opens it, written in the lock file so that a second process can say who holds it */
  readonly purpose?: string;
  /** progress of a first creation and of migrations */
  readonly logger?: Logger;
  /** a server's connections this client may hold at once (default 4; at least 4) */
  readonly connections?: number;
  /**
   * a server only, for a long-lived reader (`serve`): open every connection now, run this on each,
   * and keep idle connections open (docs/database.md "A warm reader")
   */
  readonly warm?: (db: DbClient) => Promise<void>;
  /**
   * a server only: every statement of every connection is cancelled by the server past this many
   * milliseconds (`statement_timeout`, set at connection start; `DB_QUERY_TIMEOUT`). Embedded PGlite
   * has no such bound: its single-user backend runs on this process's thread, where no timer fires
   * while a statement runs (docs/dashboard.md "Exposed beyond loopback").
   */
  readonly statementTimeoutMs?: number;
}

/** `--database-url`, else `DATABASE_URL` from the given environment, else undefined (embedded). */
export function resolveDatabaseUrl(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const value = flag ?? env.DATABASE_URL;
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The URL without its password, for messages: `postgres://user@host:5432/db`. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username === '' ? '' : `${decodeURIComponent(u.username)}@`;
    return `${u.protocol}//${user}${u.host}${u.pathname}`;
  } catch {
    return 'the database url';
  }
}

/** Host and port of a database URL (or `host` from its query string), for error messages. */
export function databaseHostOf(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname || u.searchParams.get('host') || 'localhost';
    return `${host}:${u.port || '5432'}`;
  } catch {
    return 'unknown host';
  }
}

/**
 * Opens the database: Postgres when `databaseUrl` is given, else embedded PGlite in `dataDir`.
 * Does not apply migrations (see `applyMigrations`).
 * @throws UnavailableError `DB_UNAVAILABLE` naming the host (never the password)
 * @throws SlsaLedgerError `USAGE_INVALID_FLAG` for a URL that is not `postgres://` or `postgresql://`
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<DbClient> {
  const role = options.role ?? 'owner';
  const migrate = options.migrate === true;
  if (options.databaseUrl !== undefined) {
    checkDatabaseUrl(options.databaseUrl);
    const { openPostgres } = await import('./postgres-store.js');
    if (migrate) {
      const owner = await openPostgres(options.databaseUrl, 'owner');
      try {
        const { applyMigrations } = await import('./migrations.js');
        await applyMigrations(owner, options.logger === undefined ? {} : { logger: options.logger });
      } finally {
        await owner.close();
      }
    }
    return openPostgres(options.databaseUrl, role, {
      connections: options.connections ?? 4,
      ...(options.warm === undefined ? {} : { warm: options.warm }),
      ...(options.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: options.statementTimeoutMs }),
    });
  }
  if (options.dataDir === '') {
    // resolved, an empty folder name is the working directory: never a database built there
    throw new SlsaLedgerError('USAGE_INVALID_FLAG', '--data-dir takes a folder, got an empty value', {
      details: { flag: 'data-dir' },
    });
  }
  const dataDir = resolve(options.cwd ?? process.cwd(), options.dataDir ?? DEFAULT_DATA_DIR);
  const { openPglite } = await import('./pglite-store.js');
  return openPglite(dataDir, role, migrate, {
    ...(options.mustExist === undefined ? {} : { mustExist: options.mustExist }),
    ...(options.purpose === undefined ? {} : { purpose: options.purpose }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}

function checkDatabaseUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      'the database url is not a valid url (expected postgres://user@host:5432/db)',
      { details: { flag: 'database-url' } },
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      `the database url must start with postgres:// or postgresql://, got '${parsed.protocol}//'`,
      { details: { flag: 'database-url' } },
    );
  }
}

/** The SQL that switches a fresh session to a role, or undefined for `owner`. */
export function setRoleSql(role: DbRole): string | undefined {
  switch (role) {
    case 'owner':
      return undefined;
    case 'ingest':
      return `SET ROLE ${INGEST_ROLE}`;
    case 'reader':
      return `SET ROLE ${READER_ROLE}`;
  }
}

// SQLSTATE classes that mean the server or the connection went away: safe to retry.
const UNAVAILABLE_STATES = /^(08|57P0|53300|3D000|28)/;
const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** True for failures of the connection rather than of the statement. */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (NETWORK_ERRNOS.has(code) || UNAVAILABLE_STATES.test(code)) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /connection terminated|connection ended|not queryable|timeout exceeded when trying to connect|client has encountered a connection error|socket hang up/i.test(
    message,
  );
}

/**
 * Wraps a foreign database error once, at the boundary: connection failures -> `DB_UNAVAILABLE`
 * (exit 5), permission -> `DB_PERMISSION_DENIED`, bad data refused by the database ->
 * `DB_INPUT_REJECTED`, anything else -> `DB_QUERY_FAILED`. `where` names the host, never a password.
 */
export function wrapDbError(error: unknown, where: string, doing: string): SlsaLedgerError {
  if (error instanceof SlsaLedgerError) return error;
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const raw = typeof e.message === 'string' && e.message !== '' ? e.message : String(error);
  const message = scrubPasswords(raw).split('\n')[0] ?? raw;
  const details = { target: where, ...(code === undefined ? {} : { sqlstate: code }) };
  if (isConnectionError(error)) {
    return new UnavailableError(
      'DB_UNAVAILABLE',
      `database at ${where} is unavailable (${doing}): ${message}`,
      {
        cause: error,
        details,
      },
    );
  }
  if (code === '57014') {
    // query_canceled: the session's statement_timeout (nothing else cancels a statement of ours)
    return new SlsaLedgerError(
      'DB_QUERY_TIMEOUT',
      `${doing} on ${where} ran past the statement time limit and was cancelled`,
      { cause: error, details },
    );
  }
  if (code === '42883' || code === '42P01' || code === '3F000') {
    return new SlsaLedgerError(
      'DB_NOT_MIGRATED',
      `database at ${where} lacks the slsa-ledger schema (${message}): run 'slsa-ledger migrate' first`,
      { cause: error, details },
    );
  }
  if (code === '42501') {
    return new SlsaLedgerError('DB_PERMISSION_DENIED', `database at ${where} refused ${doing}: ${message}`, {
      cause: error,
      details,
    });
  }
  if (code !== undefined && /^(22|23)/.test(code)) {
    return new SlsaLedgerError('DB_INPUT_REJECTED', `database at ${where} rejected ${doing}: ${message}`, {
      cause: error,
      details,
    });
  }
  return new SlsaLedgerError('DB_QUERY_FAILED', `${doing} failed on ${where}: ${message}`, {
    cause: error,
    details,
  });
}

/** Removes `user:password@` from any URL in a message (the one redaction, src/core/redact). */
export function scrubPasswords(text: string): string {
  return redact(text, []);
}

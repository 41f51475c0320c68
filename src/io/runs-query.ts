import type { RunKey, RunSortKey, RunsQuery, TimeWindow } from '../core/dashboard/query.js';
import type { KpiScope, KpiWindow } from '../core/kpi/kpi.js';
import { SlsaLedgerError } from '../errors.js';
import { isConnectionError, READ_ONLY_SNAPSHOT, readerViews, type DbClient, type DbQueryable } from './db.js';
import { queryDashboardAggregates, resolveScope, type DashboardAggregates } from './kpi-queries.js';

// The dashboard's read queries. Parameterised SQL only: user input only ever travels as bind
// parameters; the ORDER BY column comes from a fixed whitelist. Every read runs in a READ ONLY
// transaction, as the reader role where the database has one (see withReader).

const runsView = `public.${readerViews.runs}`;
const auditView = `public.${readerViews.audit}`;

/**
 * Runs `fn` in a READ ONLY transaction on one snapshot. The client should be opened with `role: 'reader'`
 * (`openDatabase`), so the session has already done `SET ROLE slsa_kpi_reader` and can read only the
 * views; READ ONLY is a second guard.
 */
export async function withReader<T>(db: DbClient, fn: (tx: DbQueryable) => Promise<T>): Promise<T> {
  try {
    return await db.transaction(async (tx) => {
      await tx.query(READ_ONLY_SNAPSHOT);
      return fn(tx);
    });
  } catch (error) {
    if (error instanceof SlsaLedgerError) throw error;
    // never the driver's text: it may name the host, user or database
    throw new SlsaLedgerError(
      isConnectionError(error) ? 'DB_UNAVAILABLE' : 'DB_QUERY_FAILED',
      'database query failed',
      {
        cause: error,
      },
    );
  }
}

export interface RunSummary {
  readonly repository: string;
  readonly tag: string;
  readonly run_id: number;
  readonly sha: string;
  readonly status: string;
  readonly governance_flag: string | null;
  readonly timestamp: string;
  readonly actor: string;
  readonly artifact_url: string | null;
  readonly release_url: string | null;
  readonly failure_reason: string | null;
  readonly validation_status: string | null;
  readonly validated_at: string | null;
  readonly signature_status: string;
  /** when a reconcile found it no longer in the ledger (kept, marked), else null */
  readonly missing_since: string | null;
}

export interface RunsPage {
  readonly runs: readonly RunSummary[];
  readonly page: number;
  readonly per_page: number;
  /** matching runs, counted up to `maxCountedRuns` */
  readonly total: number;
  /** true when more than the cap match (`total` is then the cap) */
  readonly total_capped: boolean;
  readonly total_pages: number;
  readonly sort: RunSortKey;
  readonly order: 'asc' | 'desc';
}

/** `/api/runs` counts matching runs up to this many (GitHub's search API caps its totals alike). */
export const maxCountedRuns = 10_000;

const sortColumns: Readonly<Record<RunSortKey, string>> = {
  timestamp: 'r."timestamp"',
  repository: 'r.repository COLLATE "C"',
  // byte (code point) order: the same on every database and collation
  tag: 'r.tag COLLATE "C"',
  run_id: 'r.run_id',
  status: 'r.status',
  governance_flag: 'r.governance_flag',
  validated_at: 'r.validated_at',
  actor: 'r.actor',
};

const nullableSortKeys: ReadonlySet<RunSortKey> = new Set(['governance_flag', 'validated_at']);

/**
 * The smallest string above every string that starts with `prefix`, in code point order (the last
 * code point plus one), or undefined when there is none to give.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = [...prefix];
  const last = points.pop();
  if (last === undefined) return undefined;
  const next = (last.codePointAt(0) ?? 0) + 1;
  if (next > 0x10ffff || (next >= 0xd800 && next <= 0xdfff)) return undefined;
  return `${points.join('')}${String.fromCodePoint(next)}`;
}

/** `LIKE` pattern for a prefix: the prefix's own `%`, `_` and `\` match literally. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function whereClause(
  q: Partial<RunsQuery> & TimeWindow,
  params: unknown[],
  repositories: readonly string[] | undefined,
): string {
  const conditions: string[] = [];
  const bind = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  // byte order: the (repository COLLATE "C", timestamp) index serves it (equality is the same)
  if (repositories !== undefined)
    conditions.push(`r.repository COLLATE "C" = ANY(${bind(repositories)}::text[])`);
  if (q.tagPrefix !== undefined) {
    // LIKE decides; the byte-order range beside it lets an index on (tag COLLATE "C") find the rows
    conditions.push(`r.tag LIKE ${bind(likePrefix(q.tagPrefix))} ESCAPE '\\'`);
    conditions.push(`r.tag COLLATE "C" >= ${bind(q.tagPrefix)}`);
    const upper = prefixUpperBound(q.tagPrefix);
    if (upper !== undefined) conditions.push(`r.tag COLLATE "C" < ${bind(upper)}`);
  }
  if (q.status !== undefined) conditions.push(`r.status = ${bind(q.status)}`);
  if (q.governanceFlag !== undefined) conditions.push(`r.governance_flag = ${bind(q.governanceFlag)}`);
  if (q.since !== undefined) conditions.push(`r."timestamp" >= ${bind(q.since)}::timestamptz`);
  if (q.until !== undefined) conditions.push(`r."timestamp" < ${bind(q.until)}::timestamptz`);
  return conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
}

// Output names equal to column names would capture ORDER BY: the sort and filters use `r.` names.
const summaryColumns = `r.repository, r.tag, r.run_id, r.sha, r.status, r.governance_flag,
  r.entry->>'timestamp' AS "timestamp", r.actor, r.artifact_url, r.release_url, r.failure_reason,
  r.validation_status, r.entry->'validation'->>'validated_at' AS validated_at, r.signature_status,
  to_char(r.missing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS missing_since`;

type SummaryRow = Omit<RunSummary, 'run_id'> & { run_id: number | string };

function toSummary(row: SummaryRow): RunSummary {
  return { ...row, run_id: Number(row.run_id) };
}

/** One page of runs, filtered and sorted; ties broken by (tag, run_id) so pages never overlap. */
export async function listRuns(
  db: DbClient,
  q: RunsQuery,
  options: { readonly countCap?: number } = {},
): Promise<RunsPage> {
  const cap = options.countCap ?? maxCountedRuns;
  return withReader(db, async (tx) => {
    const params: unknown[] = [];
    const repositories = await resolveScope(tx, q.scope);
    const where = whereClause(q, params, repositories);
    const direction = q.order === 'asc' ? 'ASC' : 'DESC';
    const tie =
      q.sort === 'repository'
        ? `r.tag COLLATE "C" ${direction}, r.run_id ${direction}`
        : q.sort === 'tag'
          ? `r.run_id ${direction}`
          : q.sort === 'run_id'
            ? `r.tag COLLATE "C" ${direction}`
            : `r.tag COLLATE "C" ${direction}, r.run_id ${direction}`;
    // Nullable columns put their nulls last either way. NOT NULL columns get no NULLS clause: a
    // backward index scan yields DESC NULLS FIRST, and any other clause would force a full sort.
    const nulls = nullableSortKeys.has(q.sort) && direction === 'DESC' ? ' NULLS LAST' : '';
    const order = `${sortColumns[q.sort]} ${direction}${nulls}, ${tie}`;
    const offset = (q.page - 1) * q.perPage;
    const [rows, count] = [
      await tx.query<SummaryRow>(
        `SELECT ${summaryColumns} FROM ${runsView} r ${where} ORDER BY ${order} LIMIT ${q.perPage} OFFSET ${offset}`,
        params,
      ),
      // an exact count of a million rows costs a full scan per page view: count up to the cap only
      await tx.query<{ total: string }>(
        `SELECT count(*)::text AS total FROM (SELECT 1 FROM ${runsView} r ${where} LIMIT ${cap + 1}) s`,
        params,
      ),
    ];
    const counted = Number(count.rows[0]?.total ?? 0);
    const total = Math.min(counted, cap);
    return {
      runs: rows.rows.map(toSummary),
      page: q.page,
      per_page: q.perPage,
      total,
      total_capped: counted > cap,
      total_pages: Math.max(1, Math.ceil(total / q.perPage)),
      sort: q.sort,
      order: q.order,
    };
  });
}

export interface AuditRecord {
  readonly action: string;
  readonly changed_at: string;
  readonly manifest_path: string | null;
  readonly git_commit: string | null;
  readonly changed_fields: readonly string[];
}

export interface RunDetail {
  readonly run: Readonly<Record<string, unknown>>;
  /** the run's latest `maxAuditRecords` changes, oldest first */
  readonly audit_log: readonly AuditRecord[];
  /** true when the run has older changes than those listed */
  readonly audit_log_truncated: boolean;
}

/**
 * Changes of one run `/api/runs/:tag/:run_id` lists, the latest. The audit log is append-only and
 * grows by a row each time an ingest finds the run changed: a pusher who rewrites one entry before
 * every scheduled ingest (`serve --ingest-every 10s`: 8,640 a day) made its answer grow without end.
 */
export const maxAuditRecords = 1_000;

/** One run with every field, its governance history, validation, provenance, metrics and audit log. */
export async function getRun(db: DbClient, key: RunKey): Promise<RunDetail> {
  return withReader(db, async (tx) => {
    const found = await tx.query<{
      repository: string;
      signature_status: string;
      missing_since: string | null;
      entry: Record<string, unknown>;
      validation_status: string | null;
      manifest_path: string;
      manifest_hash: string;
      git_commit: string | null;
      ingested_at: string;
      first_ingested_at: string;
    }>(
      `SELECT repository, signature_status, entry, validation_status, manifest_path, manifest_hash, git_commit,
              to_char(ingested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ingested_at,
              to_char(first_ingested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS first_ingested_at,
              to_char(missing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS missing_since
         FROM ${runsView} WHERE tag COLLATE "C" = $1 AND run_id = $2 AND ($3::text IS NULL OR repository = $3::text)
        ORDER BY repository COLLATE "C" LIMIT 2`,
      [key.tag, key.runId, key.repository ?? null],
    );
    if (found.rows.length > 1) {
      throw new SlsaLedgerError(
        'DASHBOARD_PARAM_INVALID',
        `several repositories hold run ${key.runId} of tag ${key.tag.slice(0, 255)}: add ?repository=owner/name`,
        { details: { param: 'repository', repositories: found.rows.map((r) => r.repository) } },
      );
    }
    const row = found.rows[0];
    if (row === undefined) {
      throw new SlsaLedgerError(
        'DASHBOARD_RUN_NOT_FOUND',
        `no run ${key.runId} for tag ${key.tag.slice(0, 255)}`,
        {
          details: { tag: key.tag, run_id: key.runId },
        },
      );
    }
    // the latest changes (one more, to tell whether there are older ones), then oldest first
    const audit = await tx.query<AuditRecord>(
      `SELECT action, to_char(changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS changed_at,
              manifest_path, git_commit, changed_fields
         FROM (SELECT action, changed_at, id, manifest_path, git_commit,
                      coalesce(metadata->'changed_fields', '[]'::jsonb) AS changed_fields
                 FROM ${auditView} WHERE repository = $3 AND tag = $1 AND run_id = $2
                ORDER BY changed_at DESC, id DESC LIMIT $4) latest
        ORDER BY latest.changed_at, latest.id`,
      [key.tag, key.runId, row.repository, maxAuditRecords + 1],
    );
    const truncated = audit.rows.length > maxAuditRecords;
    const entry = row.entry;
    const validation = entry.validation as { validated_at?: string } | undefined;
    return {
      run: {
        repository: row.repository,
        ...entry,
        signature_status: row.signature_status,
        missing_since: row.missing_since,
        validation_status: row.validation_status,
        validated_at: validation?.validated_at ?? null,
        manifest_path: row.manifest_path,
        manifest_hash: row.manifest_hash,
        git_commit: row.git_commit,
        ingested_at: row.ingested_at,
        first_ingested_at: row.first_ingested_at,
      },
      audit_log: truncated ? audit.rows.slice(1) : audit.rows,
      audit_log_truncated: truncated,
    };
  });
}

export type { DashboardAggregates } from './kpi-queries.js';

/**
 * Per-day counts, lag p95 and the status / flag breakdown of a window, in one snapshot: whole UTC days
 * from the per-(repository, day) rollup (provenance_kpi_daily, provenance_kpi_day_flags; the
 * organisation's own by days and months), the partial days at the window's edges from the runs, as
 * `kpi` reads them (queryDashboardAggregates in src/io/kpi-queries.ts). The counts add up over the
 * repositories; the day's lag p95 is the repository's own with one repository, the worst
 * repository's (the largest of their p95s) with several. `/api/kpi` reads the same charts in the
 * report's transaction instead (loadKpiReportWithCharts).
 */
export async function loadDashboardAggregates(
  db: DbClient,
  window: KpiWindow,
  scope?: KpiScope,
): Promise<DashboardAggregates> {
  return withReader(db, (tx) => queryDashboardAggregates(tx, window, scope));
}

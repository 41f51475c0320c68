// The KPI aggregates in SQL, over the reader views only (so `slsa_kpi_reader` can run them). They
// must agree with the pure reference `aggregateRuns` in src/core/kpi: the integration tests compare
// the two on the same ledger, on PGlite and on Postgres.
import type { KpiAggregates, KpiWindow, Percentiles } from '../core/kpi/kpi.js';
import type { DbQueryable } from './db.js';
import { readerViews } from './db.js';

const runs = `public.${readerViews.runs}`;
const manifests = `public.${readerViews.manifests}`;
const ingestRuns = `public.${readerViews.ingestRuns}`;
const daily = `public.${readerViews.daily}`;
const dayManifests = `public.${readerViews.dayManifests}`;

// Parameters: $1 since, $2 until (the window); $3 and $4, the whole UTC days inside it, [$3, $4)
// (empty when $3 = $4; see wholeUtcDays). Whole days are read from the per-day rollup that the
// triggers of migration …150800 keep exact; the two partial days at the edges, [$1, $3) and [$4, $2),
// from the runs. The dashboard's charts (src/io/runs-query.ts) read the same way.

/** The runs of a window's two partial days, as one relation with the given columns ($1–$4). */
export const edgeRuns = (columns: string): string => `
  SELECT ${columns} FROM ${runs} WHERE "timestamp" >= $1::timestamptz AND "timestamp" < $3::timestamptz
  UNION ALL
  SELECT ${columns} FROM ${runs} WHERE "timestamp" >= $4::timestamptz AND "timestamp" < $2::timestamptz`;
/** The rollup rows of a window's whole days ($3, $4), on a `day` column. */
export const wholeDays = `day >= ($3::timestamptz AT TIME ZONE 'UTC')::date AND day < ($4::timestamptz AT TIME ZONE 'UTC')::date`;

// A percentile pair needs every value of the window: one scan of slsa_runs_kpi_percentile_idx (the
// timestamp and the three columns) per column, as a statement of its own. Measured over 82,000 runs,
// three such statements take ~35 ms; the same three sorts in one statement ~55 ms (as three ordered
// aggregates over one scan, or three subqueries), whatever the work_mem.
const percentilesSql = (column: string): string => `
SELECT percentile_cont(ARRAY[0.5, 0.95]::double precision[]) WITHIN GROUP (ORDER BY ${column}) AS p
  FROM ${runs}
 WHERE "timestamp" >= $1::timestamptz AND "timestamp" < $2::timestamptz`;
const lockSql = percentilesSql('lock_wait_s');
const uploadSql = percentilesSql('artifact_upload_latency_s');
const lagSql = percentilesSql('lag_s');

// Counts, sums and maxima: the rollup's whole days plus the edge runs.
const totalsSql = `
SELECT coalesce(sum(p.entries), 0)::integer AS entries,
       coalesce(sum(p.failures), 0)::integer AS failures,
       coalesce(sum(p.missing_artifacts), 0)::integer AS missing_artifacts,
       coalesce(sum(p.validated), 0)::integer AS validated,
       coalesce(sum(p.notify_attempts), 0)::double precision AS notify_attempts,
       coalesce(sum(p.notify_delivered), 0)::double precision AS notify_delivered,
       max(p.lag_max) AS lag_max,
       to_char(max(p.rotated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS rotated_at,
       to_char(max(p.expires_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS expires_at
  FROM (SELECT entries, failures, missing_artifacts, validated, notify_attempts, notify_delivered,
               manifest_to_db_lag_s_max AS lag_max, dispatch_token_rotated_at AS rotated_at,
               dispatch_token_expires_at AS expires_at
          FROM ${daily} WHERE ${wholeDays}
        UNION ALL
        SELECT count(*), count(*) FILTER (WHERE status = 'failure'),
               count(*) FILTER (WHERE artifact_url IS NULL OR governance_flag = 'artifact-missing'),
               count(*) FILTER (WHERE validation_status = 'passed'), sum(notify_attempts), sum(notify_delivered),
               max(lag_s), max(dispatch_token_rotated_at), max(dispatch_token_expires_at)
          FROM (${edgeRuns(
            `status, artifact_url, governance_flag, validation_status, notify_attempts, notify_delivered, lag_s,
             dispatch_token_rotated_at, dispatch_token_expires_at`,
          )}) e) p`;

// Entries per UTC day: the rollup's count for whole days, the edge runs counted by day.
const perDaySql = `
SELECT to_char(d.day, 'YYYY-MM-DD') AS day, d.n
  FROM (SELECT day, entries AS n FROM ${daily} WHERE ${wholeDays}
        UNION ALL
        SELECT (e."timestamp" AT TIME ZONE 'UTC')::date, count(*)::integer
          FROM (${edgeRuns('"timestamp"')}) e
         GROUP BY 1) d
 ORDER BY d.day`;

// The smallest hash per file among the window's runs (rollup for whole days, runs at the edges), then
// the latest hash of each file where it is known.
const manifestsSql = `
SELECT g.path, coalesce(m.manifest_hash, g.hash) AS hash
  FROM (SELECT x.path, min(x.hash) AS hash
          FROM (SELECT manifest_path AS path, manifest_hash AS hash FROM ${dayManifests} WHERE ${wholeDays}
                UNION ALL
                ${edgeRuns('manifest_path, manifest_hash')}) x
         GROUP BY x.path) g
  LEFT JOIN ${manifests} m ON m.path = g.path
 ORDER BY 1`;

const ingestFailuresSql = `
SELECT count(*)::integer AS n
  FROM ${ingestRuns}
 WHERE status = 'failed' AND started_at >= $1::timestamptz AND started_at < $2::timestamptz`;

interface TotalsRow {
  entries: number;
  failures: number;
  missing_artifacts: number;
  validated: number;
  notify_attempts: number;
  notify_delivered: number;
  lag_max: number | null;
  rotated_at: string | null;
  expires_at: string | null;
}

// [p50, p95] from one sort per column; null when the column has no value in the window
function pct(values: (number | null)[] | null): Percentiles {
  const at = (i: number): number | null => {
    const v = values?.[i];
    return v === null || v === undefined ? null : Number(v);
  };
  return { p50: at(0), p95: at(1) };
}

const DAY_MS = 86_400_000;

/**
 * The whole UTC days inside a window, as [from, to): from is the first midnight at or after since,
 * to the last midnight at or before until; both are until when no whole day fits, so the window
 * splits into [since, from), [from, to) and [to, until) with every part possibly empty.
 */
export function wholeUtcDays(window: KpiWindow): { from: string; to: string } {
  const since = Date.parse(window.since);
  const until = Date.parse(window.until);
  const from = Math.min(Math.ceil(since / DAY_MS) * DAY_MS, until);
  const to = Math.max(Math.floor(until / DAY_MS) * DAY_MS, from);
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

/** $1–$4 of the statements that read whole days from the rollup and the edges from the runs. */
export function splitWindowParams(window: KpiWindow): string[] {
  const days = wholeUtcDays(window);
  return [window.since, window.until, days.from, days.to];
}

/** The KPI aggregates of the runs whose entry timestamp lies in the window (call it in a transaction). */
export async function queryKpiAggregates(db: DbQueryable, window: KpiWindow): Promise<KpiAggregates> {
  const params = [window.since, window.until];
  const split = splitWindowParams(window);
  const totals = (await db.query<TotalsRow>(totalsSql, split)).rows[0]!;
  const pair = async (sql: string): Promise<Percentiles> =>
    pct((await db.query<{ p: (number | null)[] | null }>(sql, params)).rows[0]?.p ?? null);
  const lock = await pair(lockSql);
  const upload = await pair(uploadSql);
  const lag = await pair(lagSql);
  const perDayRows = await db.query<{ day: string; n: number }>(perDaySql, split);
  const files = await db.query<{ path: string; hash: string }>(manifestsSql, split);
  const failures = await db.query<{ n: number }>(ingestFailuresSql, params);
  const perDay: Record<string, number> = {};
  for (const d of perDayRows.rows) perDay[d.day] = Number(d.n);
  const hashes: Record<string, string> = {};
  for (const f of files.rows) hashes[f.path] = f.hash;
  return {
    entries: Number(totals.entries),
    failures: Number(totals.failures),
    missing_artifacts: Number(totals.missing_artifacts),
    validated: Number(totals.validated),
    per_day: perDay,
    notify_attempts: Number(totals.notify_attempts),
    notify_delivered: Number(totals.notify_delivered),
    lock_wait_s: lock,
    artifact_upload_latency_s: upload,
    manifest_to_db_lag_s: {
      ...lag,
      max: totals.lag_max === null ? null : Number(totals.lag_max),
    },
    dispatch_token_rotated_at: totals.rotated_at,
    dispatch_token_expires_at: totals.expires_at,
    manifest_hash: hashes,
    ingest_failures: Number(failures.rows[0]?.n ?? 0),
  };
}

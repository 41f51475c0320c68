// The KPI aggregates in SQL, over the reader views only (so `slsa_kpi_reader` can run them). They
// must agree with the pure reference `aggregateRuns` in src/core/kpi: the integration tests compare
// the two on the same ledger, on PGlite and on Postgres.
import type { KpiAggregates, KpiWindow, Percentiles } from '../core/kpi/kpi.js';
import type { DbQueryable } from './db.js';
import { readerViews } from './db.js';

const runs = `public.${readerViews.runs}`;
const manifests = `public.${readerViews.manifests}`;
const ingestRuns = `public.${readerViews.ingestRuns}`;

// Lag at millisecond resolution, as the reference computes it from ISO times: the two times truncated
// to the millisecond, as whole milliseconds since the epoch (round() recovers them exactly: a
// float8 epoch is off by far less than half a millisecond before the year 100,000), subtracted
// exactly and divided by 1000 once. IEEE division is correctly rounded, so this is the same double as
// the numeric `extract(epoch FROM a - b)::double precision`, at a third of the cost (no numeric).
const LAG = `(round(date_part('epoch', date_trunc('milliseconds', ingested_at)) * 1000)
  - round(date_part('epoch', date_trunc('milliseconds', "timestamp")) * 1000)) / 1000`;

// One index-only scan of the window (slsa_runs_kpi_idx holds every column read); the lag is
// computed once per run, for its percentiles and its maximum.
const totalsSql = `
SELECT count(*)::integer AS entries,
       count(*) FILTER (WHERE status = 'failure')::integer AS failures,
       count(*) FILTER (WHERE artifact_url IS NULL OR governance_flag = 'artifact-missing')::integer AS missing_artifacts,
       count(*) FILTER (WHERE validation_status = 'passed')::integer AS validated,
       coalesce(sum(notify_attempts), 0)::double precision AS notify_attempts,
       coalesce(sum(notify_delivered), 0)::double precision AS notify_delivered,
       percentile_cont(ARRAY[0.5, 0.95]::double precision[]) WITHIN GROUP (ORDER BY lock_wait_s) AS lock_p,
       percentile_cont(ARRAY[0.5, 0.95]::double precision[]) WITHIN GROUP (ORDER BY artifact_upload_latency_s) AS upload_p,
       percentile_cont(ARRAY[0.5, 0.95]::double precision[]) WITHIN GROUP (ORDER BY lag_s) AS lag_p,
       max(lag_s) AS lag_max,
       to_char(max(dispatch_token_rotated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS rotated_at,
       to_char(max(dispatch_token_expires_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS expires_at
  FROM (SELECT status, artifact_url, governance_flag, validation_status, notify_attempts, notify_delivered,
               lock_wait_s, artifact_upload_latency_s, dispatch_token_rotated_at, dispatch_token_expires_at,
               ${LAG} AS lag_s
          FROM ${runs}
         WHERE "timestamp" >= $1::timestamptz AND "timestamp" < $2::timestamptz
        OFFSET 0) w`;

// Grouped by date first, formatted once per day (not once per run).
const perDaySql = `
SELECT to_char(d.day, 'YYYY-MM-DD') AS day, d.n
  FROM (SELECT ("timestamp" AT TIME ZONE 'UTC')::date AS day, count(*)::integer AS n
          FROM ${runs}
         WHERE "timestamp" >= $1::timestamptz AND "timestamp" < $2::timestamptz
         GROUP BY 1) d
 ORDER BY d.day`;

// Grouped by path first, then joined to the latest hash of each path (one lookup per file, not per run).
const manifestsSql = `
SELECT g.path, coalesce(m.manifest_hash, g.hash) AS hash
  FROM (SELECT r.manifest_path AS path, min(r.manifest_hash) AS hash
          FROM ${runs} r
         WHERE r."timestamp" >= $1::timestamptz AND r."timestamp" < $2::timestamptz
         GROUP BY r.manifest_path) g
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
  // [p50, p95] from one sort per column; null when the column has no value in the window
  lock_p: (number | null)[] | null;
  upload_p: (number | null)[] | null;
  lag_p: (number | null)[] | null;
  lag_max: number | null;
  rotated_at: string | null;
  expires_at: string | null;
}

function pct(values: (number | null)[] | null): Percentiles {
  const at = (i: number): number | null => {
    const v = values?.[i];
    return v === null || v === undefined ? null : Number(v);
  };
  return { p50: at(0), p95: at(1) };
}

/** The KPI aggregates of the runs whose entry timestamp lies in the window. */
export async function queryKpiAggregates(db: DbQueryable, window: KpiWindow): Promise<KpiAggregates> {
  const params = [window.since, window.until];
  const totals = (await db.query<TotalsRow>(totalsSql, params)).rows[0]!;
  const days = await db.query<{ day: string; n: number }>(perDaySql, params);
  const files = await db.query<{ path: string; hash: string }>(manifestsSql, params);
  const failures = await db.query<{ n: number }>(ingestFailuresSql, params);
  const perDay: Record<string, number> = {};
  for (const d of days.rows) perDay[d.day] = Number(d.n);
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
    lock_wait_s: pct(totals.lock_p),
    artifact_upload_latency_s: pct(totals.upload_p),
    manifest_to_db_lag_s: {
      ...pct(totals.lag_p),
      max: totals.lag_max === null ? null : Number(totals.lag_max),
    },
    dispatch_token_rotated_at: totals.rotated_at,
    dispatch_token_expires_at: totals.expires_at,
    manifest_hash: hashes,
    ingest_failures: Number(failures.rows[0]?.n ?? 0),
  };
}

// The KPI aggregates in SQL, over the reader views only (so `slsa_kpi_reader` can run them). They
// must agree with the pure reference `aggregateRuns` in src/core/kpi: the integration tests compare
// the two on the same ledger, on PGlite and on Postgres.
import type { KpiAggregates, KpiWindow, Percentiles } from '../core/kpi/kpi.js';
import { planRankReads, rankValue, type RankRead } from '../core/kpi/rank-reads.js';
import type { DbQueryable } from './db.js';
import { readerViews } from './db.js';

const runs = `public.${readerViews.runs}`;
const manifests = `public.${readerViews.manifests}`;
const ingestRuns = `public.${readerViews.ingestRuns}`;
const daily = `public.${readerViews.daily}`;
const dayManifests = `public.${readerViews.dayManifests}`;
const dayBuckets = `public.${readerViews.dayBuckets}`;

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

// Exact percentiles without sorting the window (migration …150800, "percentile histogram"): the
// window's runs counted per bucket of value (whole days from the rollup, the edge runs bucketed here),
// then each wanted rank read from the metric's (bucket, value) index, from its bucket up or down.
const metricColumns = ['lock_wait_s', 'artifact_upload_latency_s', 'lag_s'] as const;
type MetricColumn = (typeof metricColumns)[number];

const histogramSql = `
SELECT h.metric, h.bucket, sum(h.runs)::double precision AS runs, min(h.min_value) AS min_value,
       max(h.max_value) AS max_value
  FROM (SELECT metric, bucket, runs, min_value, max_value FROM ${dayBuckets} WHERE ${wholeDays}
        UNION ALL
        SELECT x.metric, width_bucket(x.v, public.slsa_kpi_thresholds()), count(*)::integer, min(x.v), max(x.v)
          FROM (${edgeRuns('lock_wait_s, artifact_upload_latency_s, lag_s')}) e
         CROSS JOIN LATERAL (VALUES (1::smallint, e.lock_wait_s), (2::smallint, e.artifact_upload_latency_s),
                                    (3::smallint, e.lag_s)) AS x(metric, v)
         WHERE x.v IS NOT NULL
         GROUP BY 1, 2) h
 GROUP BY h.metric, h.bucket`;

interface BucketRow {
  metric: number;
  bucket: number;
  runs: number;
  min_value: number;
  max_value: number;
}

// One subquery per read: the window's values of the column from the bucket up (or down), skipping
// `offset`, two of them. Ordered by (bucket, value), the order of the (bucket, value) index of
// migration …150800 and, the bucket growing with the value, the value order.
function rankReadsSql(reads: readonly (RankRead & { readonly column: MetricColumn })[]): {
  sql: string;
  params: unknown[];
} {
  const params: unknown[] = [];
  const parts = reads.map((r, i) => {
    params.push(r.bucket, r.offset);
    const bucket = `width_bucket(${r.column}, public.slsa_kpi_thresholds())`;
    const dir = r.descending ? 'DESC' : 'ASC';
    return `(SELECT ${i} AS read, ${r.column} AS v FROM ${runs}
              WHERE "timestamp" >= $1::timestamptz AND "timestamp" < $2::timestamptz
                AND ${bucket} ${r.descending ? '<=' : '>='} $${params.length + 1}::integer
              ORDER BY ${bucket} ${dir}, ${r.column} ${dir} OFFSET $${params.length + 2}::integer LIMIT 2)`;
  });
  return { sql: parts.join('\nUNION ALL\n'), params };
}

/**
 * p50 and p95 of each metric over the window, exactly as percentile_cont: the values at ranks
 * floor(p(n-1)) and ceil(p(n-1)), interpolated, read as planRankReads says (src/core/kpi/rank-reads.ts).
 */
async function queryPercentiles(
  db: DbQueryable,
  split: readonly string[],
): Promise<Record<MetricColumn, Percentiles>> {
  // sorted here: a hash aggregate of a year's bucket rows costs a quarter of sorting them
  const rows = (await db.query<BucketRow>(histogramSql, [...split])).rows
    .map((r) => ({
      metric: Number(r.metric),
      bucket: Number(r.bucket),
      runs: Number(r.runs),
      min: Number(r.min_value),
      max: Number(r.max_value),
    }))
    .sort((x, y) => x.metric - y.metric || x.bucket - y.bucket);
  const plans = metricColumns.map((column, i) => {
    const buckets = rows.filter((r) => r.metric === i + 1);
    const n = buckets.reduce((sum, r) => sum + r.runs, 0);
    const ranks = [0.5, 0.95].map((p) => {
      const pos = p * (n - 1);
      return { pos, lo: Math.floor(pos), hi: Math.ceil(pos) };
    });
    return { column, n, ranks, plan: n === 0 ? undefined : planRankReads(buckets, ranks) };
  });
  // every metric's reads in one statement
  const reads = plans.flatMap((m) => (m.plan?.reads ?? []).map((r) => ({ ...r, column: m.column })));
  const returned: number[][] = reads.map(() => []);
  if (reads.length > 0) {
    const { sql, params } = rankReadsSql(reads);
    for (const r of (await db.query<{ read: number; v: number }>(sql, [split[0], split[1], ...params]))
      .rows) {
      returned[Number(r.read)]!.push(Number(r.v));
    }
  }
  const result = {} as Record<MetricColumn, Percentiles>;
  let first = 0;
  for (const m of plans) {
    const count = m.plan?.reads.length ?? 0;
    const mine = returned.slice(first, first + count);
    first += count;
    const value = (i: number): number | null => {
      if (m.plan === undefined) return null;
      const { pos, lo, hi } = m.ranks[i]!;
      const a = rankValue(m.plan, mine, lo);
      if (hi === lo) return a;
      const b = rankValue(m.plan, mine, hi);
      // percentile_cont's interpolation, as the reference computes it
      return a + (b - a) * (pos - lo);
    };
    result[m.column] = { p50: value(0), p95: value(1) };
  }
  return result;
}

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
  const percentiles = await queryPercentiles(db, split);
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
    lock_wait_s: percentiles.lock_wait_s,
    artifact_upload_latency_s: percentiles.artifact_upload_latency_s,
    manifest_to_db_lag_s: {
      ...percentiles.lag_s,
      max: totals.lag_max === null ? null : Number(totals.lag_max),
    },
    dispatch_token_rotated_at: totals.rotated_at,
    dispatch_token_expires_at: totals.expires_at,
    manifest_hash: hashes,
    ingest_failures: Number(failures.rows[0]?.n ?? 0),
  };
}

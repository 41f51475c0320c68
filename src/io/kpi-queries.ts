// The KPI aggregates in SQL, over the reader views only (so `slsa_kpi_reader` can run them). They
// must agree with the pure reference `aggregateRuns` in src/core/kpi: the integration tests compare
// the two on the same ledger, on PGlite and on Postgres.
import {
  isWholeOrganisation,
  type KpiAggregates,
  type KpiScope,
  type KpiWindow,
  type Percentiles,
  type RepositoryKpis,
  type SignatureCounts,
} from '../core/kpi/kpi.js';
import {
  planRankReads,
  rankValue,
  readBucketRange,
  unionRank,
  wholeSlice,
  type BucketRange,
  type RankRead,
} from '../core/kpi/rank-reads.js';
import type { DailyCounts, LabelCount } from '../core/dashboard/view-model.js';
import type { DbQueryable } from './db.js';
import { readerViews } from './db.js';

const runs = `public.${readerViews.runs}`;
const manifests = `public.${readerViews.manifests}`;
const ingestRuns = `public.${readerViews.ingestRuns}`;
const daily = `public.${readerViews.daily}`;
const dayManifests = `public.${readerViews.dayManifests}`;
const dayBuckets = `public.${readerViews.dayBuckets}`;
const dayFlags = `public.${readerViews.dayFlags}`;
const orgBuckets = `public.${readerViews.orgBuckets}`;
const orgMonthBuckets = `public.${readerViews.orgMonthBuckets}`;
const orgFineDays = `public.${readerViews.orgFineDays}`;
const orgFineMonths = `public.${readerViews.orgFineMonths}`;
const orgDaily = `public.${readerViews.orgDaily}`;
const orgMonthly = `public.${readerViews.orgMonthly}`;
const repoMonthly = `public.${readerViews.repoMonthly}`;
const orgDayFlags = `public.${readerViews.orgDayFlags}`;
const orgMonthFlags = `public.${readerViews.orgMonthFlags}`;
const hours = `public.${readerViews.hours}`;
const hourFlags = `public.${readerViews.hourFlags}`;
const orgHourBuckets = `public.${readerViews.orgHourBuckets}`;

/**
 * The organisation's rollup rows of a window's whole days (migration …070300): whole UTC months
 * ($5, $6 as wholeUtcMonths gives them) from the month table, the other whole days from the day one,
 * with the given columns (the month table's key is \`month\`, given here as \`day\`).
 */
export const orgWholeDays = (dayTable: string, monthTable: string, columns: string): string => `
  SELECT ${columns} FROM ${dayTable} WHERE ${wholeDays} AND NOT (day >= $5::date AND day < $6::date)
  UNION ALL
  SELECT ${columns.replace(/\bday\b/g, 'month AS day')} FROM ${monthTable} WHERE month >= $5::date AND month < $6::date`;

/** $1–$6 of an organisation's report: the window, its whole days, its whole months. */
export function orgWindowParams(window: KpiWindow, edges?: SettledEdges): string[] {
  const split = splitWindowParams(window, edges);
  const months = wholeUtcMonths({ from: split[2]!, to: split[3]! });
  return [...split, months.first, months.end];
}
const repositoriesView = `public.${readerViews.repositories}`;
const refusalsView = `public.${readerViews.ingestFailures}`;

// Parameters: $1 since, $2 until (the window); $3 and $4, the whole UTC days inside it, [$3, $4)
// (empty when $3 = $4; see wholeUtcDays). Whole days are read from the per-day rollup that the
// triggers of migration …150800 keep exact; the two partial days at the edges, [$1, $3) and [$4, $2),
// from the runs. The dashboard's charts (src/io/runs-query.ts) read the same way.

// $5, when present, is the scope: an array of repositories (a report of some repositories). Without
// it, the statements read every repository (the organisation).

/** `AND repository = ANY($5)` for a scoped report, nothing for the organisation's. */
export const scopeFilter = (scoped: boolean, column = 'repository'): string =>
  scoped ? ` AND ${column} = ANY($5::text[])` : '';

/**
 * The runs of the scope's repositories: in byte order, the collation of the runs' (repository
 * COLLATE "C", timestamp) index (migration …070000), so a repository's time range is one index range.
 * Equality is the same in any deterministic collation.
 */
export const runsScopeFilter = (scoped: boolean, column = 'repository'): string =>
  scopeFilter(scoped, `${column} COLLATE "C"`);

/** The runs of a window's two partial days, as one relation with the given columns ($1–$4, $5). */
export const edgeRuns = (columns: string, scoped = false): string => `
  SELECT ${columns} FROM ${runs} WHERE "timestamp" >= $1::timestamptz AND "timestamp" < $3::timestamptz${runsScopeFilter(scoped)}
  UNION ALL
  SELECT ${columns} FROM ${runs} WHERE "timestamp" >= $4::timestamptz AND "timestamp" < $2::timestamptz${runsScopeFilter(scoped)}`;

// A window's edge runs, grouped once (docs/database.md "Tenth session: the window's edge day"). A
// window that starts inside a day with runs before `since` (any `since=30d` or `365d` of an
// organisation) reads that day's part run by run: ~16,600 runs at 10M, which six statements (the
// per-repository table, totals, histogram, per-day counts, the charts' days and cross-tab) each
// grouped, ~75 ms of a 135 ms report. One statement (edgeSummarySql) now groups them every way those
// statements need; each then reads only its rollup rows, and the two parts are added here
// (addEdge…): counts and sums add, maxima take the larger, histogram rows add per (metric, bucket).

/** What a report (`report`) or the dashboard's charts (`charts`) read of a window's edge runs. */
export interface EdgeParts {
  readonly report: boolean;
  readonly charts: boolean;
}

/** One (repository, UTC day) group of a window's edge runs, with the columns its parts asked for. */
export interface EdgeDayRow {
  readonly repository: string;
  readonly day: string;
  readonly n: number;
  readonly failures: number;
  readonly missing: number;
  readonly validated: number;
  // the report's
  readonly notify_attempts?: number | null;
  readonly notify_delivered?: number | null;
  readonly lag_max?: number | null;
  readonly rotated_at?: string | null;
  readonly expires_at?: string | null;
  readonly validation_failures?: number;
  readonly notified_runs?: number;
  readonly notified_runs_delivered?: number;
  readonly sig_verified?: number;
  readonly sig_unsigned?: number;
  readonly sig_invalid?: number;
  readonly sig_untrusted?: number;
  readonly sig_unverified?: number;
  readonly missing_from_ledger?: number;
  // the charts'
  readonly success?: number;
  readonly lag_p95_s?: number | null;
}

/** A window's edge runs grouped every way a report and the charts read them. */
export interface EdgeSummary {
  readonly days: readonly EdgeDayRow[];
  /** the (status, governance flag) cross-tab (charts) */
  readonly flags: readonly { status: string; governance_flag: string | null; n: number }[];
  /** the histogram's rows (report) */
  readonly buckets: readonly BucketRow[];
}

const noEdgeRuns: EdgeSummary = { days: [], flags: [], buckets: [] };

const formatTime = (column: string): string =>
  `to_char(max(${column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

// $1–$4 the split window, $5 the scope. Each part reads the edge runs from the KPI index (its INCLUDE
// list carries every column here; a read of ~16,600 runs costs ~4 ms): materialising them once for
// all parts cost more than reading them again (~10 ms at that size, for copying wide rows). The
// cost is the aggregates' work per run, so each part does only its own: one grouping per
// (repository, day) serves the per-repository table, the totals and the per-day rows alike, and the
// histogram is one pass of grouping sets (one per metric) rather than four rows per run (a lateral
// VALUES list cost ~1.5 times as much). Each part is a JSON array of its rows. Groups by repository
// compare it in byte order (COLLATE "C": the same groups, a sort ~2x cheaper than the locale's).
// The organisation's report by the hour (migration …200000): its edge parts [since, first whole day)
// and [last whole day, until) split at whole UTC hours; the whole hours come from the per-(repository,
// hour) rollup and the organisation's hourly histogram, the partial hours ($1–$5, $6–$3, $4–$7,
// $8–$2) run by run. An edge is then at most two partial hours of runs (~1,100 each at 10M) instead
// of most of a day (~16,600). The charts' (status, flag) breakdown comes from the per-(repository,
// hour) flag rows; their per-day lag p95 of each repository does not add up from hours, so it is read
// over the whole edge (lag_days: the lag values alone, ~6 ms at 10M). A scope's edge (one repository
// has ~170 runs a day at 10M) is read run by run as before.
/** The runs of the partial hours of an organisation's edges, as one relation ($1–$8). */
const edgeRunsByHour = (columns: string): string =>
  [
    ['$1', '$5'],
    ['$6', '$3'],
    ['$4', '$7'],
    ['$8', '$2'],
  ]
    .map(
      ([from, to]) =>
        `SELECT ${columns} FROM ${runs} WHERE "timestamp" >= ${from}::timestamptz AND "timestamp" < ${to}::timestamptz`,
    )
    .join('\n  UNION ALL\n  ');

/** The rows of an hour rollup in the whole hours of the two edges ([$5, $6) and [$7, $8)). */
const edgeHours = (table: string, columns: string): string => `
  SELECT ${columns} FROM ${table} WHERE hour >= $5::timestamptz AND hour < $6::timestamptz
  UNION ALL
  SELECT ${columns} FROM ${table} WHERE hour >= $7::timestamptz AND hour < $8::timestamptz`;

const HOUR_MS = 3_600_000;

/**
 * The whole UTC hours [h0, h1) inside a part [a, b) of a window's edge (both b when none fits), so
 * that the part splits into [a, h0), [h0, h1) and [h1, b).
 */
export function wholeUtcHours(a: string, b: string): [string, string] {
  const h0 = Math.ceil(Date.parse(a) / HOUR_MS) * HOUR_MS;
  const h1 = Math.floor(Date.parse(b) / HOUR_MS) * HOUR_MS;
  return h0 < h1 ? [new Date(h0).toISOString(), new Date(h1).toISOString()] : [b, b];
}

const edgeSummarySql = (scoped: boolean, parts: EdgeParts): string => {
  // the organisation's edges by the hour, a scope's run by run
  const hourly = !scoped;
  const edge = (columns: string): string => (hourly ? edgeRunsByHour(columns) : edgeRuns(columns, scoped));
  const reportColumns = parts.report
    ? `, sum(notify_attempts) AS notify_attempts, sum(notify_delivered) AS notify_delivered,
         max(lag_s) AS lag_max, ${formatTime('dispatch_token_rotated_at')} AS rotated_at,
         ${formatTime('dispatch_token_expires_at')} AS expires_at,
         count(*) FILTER (WHERE validation_status = 'failed') AS validation_failures,
         count(*) FILTER (WHERE notify_attempts > 0) AS notified_runs,
         count(*) FILTER (WHERE notify_attempts > 0 AND notify_delivered >= notify_attempts) AS notified_runs_delivered,
         count(*) FILTER (WHERE signature_status = 'verified') AS sig_verified,
         count(*) FILTER (WHERE signature_status = 'unsigned') AS sig_unsigned,
         count(*) FILTER (WHERE signature_status = 'invalid') AS sig_invalid,
         count(*) FILTER (WHERE signature_status = 'untrusted') AS sig_untrusted,
         count(*) FILTER (WHERE signature_status = 'unverified') AS sig_unverified,
         count(*) FILTER (WHERE missing_since IS NOT NULL) AS missing_from_ledger`
    : '';
  // by the hour, the charts' lag p95 per (repository, day) is read apart (lag_days), over the whole edge
  const chartColumns = parts.charts
    ? `, count(*) FILTER (WHERE status = 'success') AS success${
        hourly ? '' : ', percentile_cont(0.95) WITHIN GROUP (ORDER BY lag_s) AS lag_p95_s'
      }`
    : '';
  const dayColumns = `repository, ("timestamp" AT TIME ZONE 'UTC')::date AS day, status, artifact_url, governance_flag,
     validation_status${
       parts.report
         ? `, notify_attempts, notify_delivered, lag_s, dispatch_token_rotated_at, dispatch_token_expires_at,
     signature_status, missing_since`
         : parts.charts
           ? ', lag_s'
           : ''
     }`;
  // the metric of a grouping set's row, and its aggregate of that metric
  const perSet = (f: (v: string) => string): string =>
    `CASE WHEN GROUPING(b1) = 0 THEN ${f('v1')} WHEN GROUPING(b2) = 0 THEN ${f('v2')}
          WHEN GROUPING(b3) = 0 THEN ${f('v3')} ELSE ${f('v4')} END`;
  return `
SELECT (SELECT json_agg(d) FROM (
          SELECT repository COLLATE "C" AS repository, to_char(day, 'YYYY-MM-DD') AS day, count(*) AS n,
                 count(*) FILTER (WHERE status = 'failure') AS failures,
                 count(*) FILTER (WHERE artifact_url IS NULL OR governance_flag = 'artifact-missing') AS missing,
                 count(*) FILTER (WHERE validation_status = 'passed') AS validated${reportColumns}${chartColumns}
            FROM (${edge(dayColumns)}) e
           GROUP BY e.repository COLLATE "C", e.day) d) AS days,
       ${
         parts.charts
           ? `(SELECT json_agg(f) FROM (
          SELECT status, governance_flag, ${hourly ? 'sum(n)' : 'count(*)'} AS n
            FROM (${
              hourly
                ? `SELECT status, governance_flag, 1 AS n FROM (${edge('status, governance_flag')}) e
                   UNION ALL
                   SELECT status, governance_flag, runs FROM (${edgeHours(hourFlags, 'status, governance_flag, runs')}) h`
                : edge('status, governance_flag')
            }) e
           GROUP BY 1, 2) f)`
           : 'NULL::json'
       } AS flags,
       ${
         parts.report
           ? `(SELECT json_agg(h) FROM (
          SELECT ${perSet((v) => `${v.replace('v', '')}`)} AS metric, coalesce(b1, b2, b3, b4) AS bucket,
                 ${perSet((v) => `count(${v})`)} AS runs, ${perSet((v) => `min(${v})`)} AS min_value,
                 ${perSet((v) => `max(${v})`)} AS max_value
            FROM (SELECT lock_wait_s AS v1, artifact_upload_latency_s AS v2, lag_s AS v3, notify_latency_s AS v4,
                         width_bucket(lock_wait_s, public.slsa_kpi_thresholds()) AS b1,
                         width_bucket(artifact_upload_latency_s, public.slsa_kpi_thresholds()) AS b2,
                         width_bucket(lag_s, public.slsa_kpi_thresholds()) AS b3,
                         width_bucket(notify_latency_s, public.slsa_kpi_thresholds()) AS b4
                    FROM (${edge('lock_wait_s, artifact_upload_latency_s, lag_s, notify_latency_s')}) e) w
           GROUP BY GROUPING SETS ((b1), (b2), (b3), (b4))) h
         WHERE h.runs > 0)`
           : 'NULL::json'
       } AS buckets,
       ${
         hourly
           ? `(SELECT json_agg(d) FROM (
          SELECT repository, to_char((hour AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, sum(entries) AS n,
                 sum(failures) AS failures, sum(missing_artifacts) AS missing, sum(validated) AS validated${
                   parts.report
                     ? `, sum(notify_attempts) AS notify_attempts, sum(notify_delivered) AS notify_delivered,
                 max(manifest_to_db_lag_s_max) AS lag_max, ${formatTime('dispatch_token_rotated_at')} AS rotated_at,
                 ${formatTime('dispatch_token_expires_at')} AS expires_at,
                 sum(validation_failures) AS validation_failures, sum(notified_runs) AS notified_runs,
                 sum(notified_runs_delivered) AS notified_runs_delivered, sum(signatures_verified) AS sig_verified,
                 sum(signatures_unsigned) AS sig_unsigned, sum(signatures_invalid) AS sig_invalid,
                 sum(signatures_untrusted) AS sig_untrusted, sum(signatures_unverified) AS sig_unverified,
                 sum(missing_from_ledger) AS missing_from_ledger`
                     : ''
                 }${parts.charts ? ', sum(success) AS success' : ''}
            FROM (${edgeHours(hours, '*')}) h
           GROUP BY 1, 2) d)`
           : 'NULL::json'
       } AS hour_days,
       ${
         hourly && parts.charts
           ? `(SELECT json_agg(l) FROM (
          SELECT repository, to_char(day, 'YYYY-MM-DD') AS day, 0 AS n, 0 AS failures, 0 AS missing, 0 AS validated,
                 0 AS success, lag_p95_s
            FROM (SELECT repository COLLATE "C" AS repository, day,
                         percentile_cont(0.95) WITHIN GROUP (ORDER BY lag_s) AS lag_p95_s
                    FROM (${edgeRuns(`repository, ("timestamp" AT TIME ZONE 'UTC')::date AS day, lag_s`)}) e
                   GROUP BY 1, 2) g) l)`
           : 'NULL::json'
       } AS lag_days,
       ${
         hourly && parts.report
           ? `(SELECT json_agg(b) FROM (
          SELECT metric, bucket, sum(runs) AS runs, min(min_value) AS min_value, max(max_value) AS max_value
            FROM (${edgeHours(orgHourBuckets, 'metric, bucket, runs, min_value, max_value')}) h
           GROUP BY 1, 2
          HAVING sum(runs) > 0) b)`
           : 'NULL::json'
       } AS hour_buckets`;
};

/** Whether a split window (splitWindowParams) has an edge part, i.e. runs it reads one by one. */
const hasEdgeRuns = (split: readonly unknown[]): boolean =>
  Date.parse(String(split[0])) < Date.parse(String(split[2])) ||
  Date.parse(String(split[3])) < Date.parse(String(split[1]));

/**
 * The window's edge runs grouped as `parts` asks (call it in the report's transaction, with the
 * edges it probed): one statement, none when the window has no edge part.
 */
export async function readEdgeSummary(
  db: DbQueryable,
  split: readonly unknown[],
  repos: readonly string[] | undefined,
  parts: EdgeParts,
): Promise<EdgeSummary> {
  if (!hasEdgeRuns(split)) return noEdgeRuns;
  const scoped = repos !== undefined;
  // a scope's $5; the organisation's edges' whole hours, $5–$8 (edgeSummarySql)
  const params = scoped
    ? [...split, repos]
    : [
        ...split,
        ...wholeUtcHours(String(split[0]), String(split[2])),
        ...wholeUtcHours(String(split[3]), String(split[1])),
      ];
  const row = (
    await db.query<{
      days: EdgeDayRow[] | null;
      flags: EdgeSummary['flags'] | null;
      buckets: BucketRow[] | null;
      hour_days: EdgeDayRow[] | null;
      lag_days: EdgeDayRow[] | null;
      hour_buckets: BucketRow[] | null;
    }>(edgeSummarySql(scoped, parts), params)
  ).rows[0];
  // a (repository, day) or (metric, bucket) may come from both parts: every reader adds them up
  return {
    days: [...(row?.days ?? []), ...(row?.hour_days ?? []), ...(row?.lag_days ?? [])],
    flags: row?.flags ?? [],
    buckets: [...(row?.buckets ?? []), ...(row?.hour_buckets ?? [])],
  };
}

/** The larger of two values where null is none (SQL's max); ISO times compare as strings. */
function maxOf<T extends number | string>(a: T | null | undefined, b: T | null | undefined): T | null {
  if (a === null || a === undefined) return b ?? null;
  if (b === null || b === undefined) return a;
  return a >= b ? a : b;
}

/** The totals of the rollup's whole days plus the edge runs'. */
function addEdgeTotals(whole: TotalsRow, edge: readonly EdgeDayRow[]): TotalsRow {
  const sum = (k: keyof EdgeDayRow): number =>
    edge.reduce((s, d) => s + Number((d[k] as number | null | undefined) ?? 0), 0);
  const t = whole;
  return {
    entries: Number(t.entries) + sum('n'),
    failures: Number(t.failures) + sum('failures'),
    missing_artifacts: Number(t.missing_artifacts) + sum('missing'),
    validated: Number(t.validated) + sum('validated'),
    notify_attempts: Number(t.notify_attempts) + sum('notify_attempts'),
    notify_delivered: Number(t.notify_delivered) + sum('notify_delivered'),
    lag_max: edge.reduce<number | null>(
      (m, d) => maxOf(m, d.lag_max === null || d.lag_max === undefined ? null : Number(d.lag_max)),
      t.lag_max === null ? null : Number(t.lag_max),
    ),
    rotated_at: edge.reduce<string | null>((m, d) => maxOf(m, d.rotated_at), t.rotated_at),
    expires_at: edge.reduce<string | null>((m, d) => maxOf(m, d.expires_at), t.expires_at),
    validation_failures: Number(t.validation_failures) + sum('validation_failures'),
    notified_runs: Number(t.notified_runs) + sum('notified_runs'),
    notified_runs_delivered: Number(t.notified_runs_delivered) + sum('notified_runs_delivered'),
    sig_verified: Number(t.sig_verified) + sum('sig_verified'),
    sig_unsigned: Number(t.sig_unsigned) + sum('sig_unsigned'),
    sig_invalid: Number(t.sig_invalid) + sum('sig_invalid'),
    sig_untrusted: Number(t.sig_untrusted) + sum('sig_untrusted'),
    sig_unverified: Number(t.sig_unverified) + sum('sig_unverified'),
    missing_from_ledger: Number(t.missing_from_ledger) + sum('missing_from_ledger'),
  };
}

/** The per-day rows of the rollup's whole days plus the edge runs' (charts columns too), by day. */
function addEdgeDays(whole: readonly ChartDayRow[], edge: readonly EdgeDayRow[]): ChartDayRow[] {
  const days = new Map<string, ChartDayRow>();
  const add = (r: ChartDayRow): void => {
    const d = days.get(r.day);
    days.set(
      r.day,
      d === undefined
        ? r
        : {
            day: r.day,
            n: Number(d.n) + Number(r.n),
            success: Number(d.success) + Number(r.success),
            failure: Number(d.failure) + Number(r.failure),
            missing: Number(d.missing) + Number(r.missing),
            validated: Number(d.validated) + Number(r.validated),
            lag_p95_s: maxOf(
              d.lag_p95_s === null ? null : Number(d.lag_p95_s),
              r.lag_p95_s === null ? null : Number(r.lag_p95_s),
            ),
          },
    );
  };
  for (const r of whole) add(r);
  for (const e of edge) {
    add({
      day: e.day,
      n: e.n,
      success: e.success ?? 0,
      failure: e.failures,
      missing: e.missing,
      validated: e.validated,
      lag_p95_s: e.lag_p95_s ?? null,
    });
  }
  return [...days.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
}

/** The rows of a histogram's whole days plus the edge runs', per (metric, bucket). */
function addEdgeBuckets(whole: readonly BucketRow[], edge: readonly BucketRow[]): BucketRow[] {
  const rows = new Map<string, BucketRow>();
  for (const r of [...whole, ...edge]) {
    const key = `${r.metric}:${r.bucket}`;
    const x = rows.get(key);
    rows.set(
      key,
      x === undefined
        ? r
        : {
            metric: r.metric,
            bucket: r.bucket,
            runs: Number(x.runs) + Number(r.runs),
            min_value: Math.min(Number(x.min_value), Number(r.min_value)),
            max_value: Math.max(Number(x.max_value), Number(r.max_value)),
          },
    );
  }
  return [...rows.values()];
}

/** The rollup rows of a window's whole days ($3, $4), on a `day` column. */
export const wholeDays = `day >= ($3::timestamptz AT TIME ZONE 'UTC')::date AND day < ($4::timestamptz AT TIME ZONE 'UTC')::date`;
/** The same, for the rows of the scope's repositories ($5) when scoped. */
export const wholeDaysIn = (scoped: boolean): string => `${wholeDays}${scopeFilter(scoped)}`;

// Exact percentiles without sorting the window (migration …150800, "percentile histogram"): the
// window's runs counted per bucket of value (whole days from the rollup, the edge runs bucketed here),
// then each wanted rank read from the metric's (bucket, value) index, from its bucket up or down.
const metricColumns = ['lock_wait_s', 'artifact_upload_latency_s', 'lag_s', 'notify_latency_s'] as const;
type MetricColumn = (typeof metricColumns)[number];

// The organisation's whole days come from its own histograms (kept by deltas): whole UTC months
// from the month one ($5, $6: [first month, end month), empty when equal), the other whole days from
// the day one; a scope's from its repositories' per-day histograms.
const histogramSql = (scoped: boolean): string => `
SELECT h.metric, h.bucket, sum(h.runs)::double precision AS runs, min(h.min_value) AS min_value,
       max(h.max_value) AS max_value
  FROM (${
    scoped
      ? `SELECT metric, bucket, runs, min_value, max_value FROM ${dayBuckets} WHERE ${wholeDaysIn(true)}`
      : `SELECT metric, bucket, runs, min_value, max_value FROM ${orgBuckets}
          WHERE ${wholeDays} AND NOT (day >= $5::date AND day < $6::date)
         UNION ALL
         SELECT metric, bucket, runs, min_value, max_value FROM ${orgMonthBuckets}
          WHERE month >= $5::date AND month < $6::date`
  }) h
 GROUP BY h.metric, h.bucket`;

/**
 * The whole UTC months inside a window's whole days [from, to) (wholeUtcDays), as dates
 * [first, end); both the same when no whole month fits.
 */
export function wholeUtcMonths(days: { from: string; to: string }): { first: string; end: string } {
  const from = new Date(days.from);
  const to = new Date(days.to);
  // setUTCFullYear, not Date.UTC, which reads the years 0 to 99 as 1900 to 1999 (a window from 0001)
  const monthStart = (year: number, month: number): number => new Date(0).setUTCFullYear(year, month, 1);
  const start = monthStart(from.getUTCFullYear(), from.getUTCMonth() + (from.getUTCDate() === 1 ? 0 : 1));
  const end = monthStart(to.getUTCFullYear(), to.getUTCMonth());
  const date = (t: number): string => new Date(t).toISOString().slice(0, 10);
  return start < end ? { first: date(start), end: date(end) } : { first: date(start), end: date(start) };
}

interface BucketRow {
  metric: number;
  bucket: number;
  runs: number;
  min_value: number;
  max_value: number;
}

// The reads of a scope, in one pass over its window (the per-repository time index, which carries
// the four metrics): read i is one aggregate over the values of buckets [from, to] of its column,
// sorted in its direction, of which it keeps positions offset + 1 and offset + 2. The buckets are
// width_bucket's over slsa_kpi_thresholds() (bucket b holds thresholds[b] <= v < thresholds[b + 1],
// bucket 0 everything below thresholds[1]; a subscript outside the array is null, i.e. no bound), so
// the filter is two comparisons; each aggregate sorts only its one or two buckets' values. Eight
// separate reads scanned a repository's year eight times: 177 ms at 100,000 runs against 32–39 ms.
function rankReadsSql(
  reads: readonly (RankRead & { readonly column: MetricColumn; readonly range: BucketRange })[],
): {
  sql: string;
  params: unknown[];
} {
  // $1, $2 the window; $3 the scope; then three per read
  const params: unknown[] = [];
  const aggregates = reads.map((r, i) => {
    params.push(r.range.from, r.range.to + 1, r.offset + 1);
    const [from, to, offset] = [params.length + 1, params.length + 2, params.length + 3];
    const c = r.column;
    return `(array_agg(${c} ORDER BY ${c} ${r.descending ? 'DESC' : 'ASC'})
             FILTER (WHERE ${c} >= coalesce(t.a[$${from}::integer], '-Infinity'::double precision)
                       AND ${c} < coalesce(t.a[$${to}::integer], 'Infinity'::double precision)))
           [$${offset}::integer : $${offset}::integer + 1] AS r${i}`;
  });
  const sql = `WITH t AS (SELECT public.slsa_kpi_thresholds() AS a)
SELECT ${aggregates.join(',\n       ')}
  FROM ${runs}, t
 WHERE "timestamp" >= $1::timestamptz AND "timestamp" < $2::timestamptz AND repository COLLATE "C" = ANY($3::text[])`;
  return { sql, params };
}

/**
 * Up to this many runs in the window (and scope), the percentiles are percentile_cont over the runs
 * themselves, read from the covering time indexes (one index range, a few sorts of at most this many
 * values): cheaper than the histogram and the rank reads, whose walk of a metric's (bucket, value)
 * index skips every run of that bucket outside the window and the scope (a repository's 30 days are
 * ~0.1% of an organisation's runs).
 */
export const directPercentileRuns = 50_000;

const directPercentilesSql = (scoped: boolean): string => `
SELECT ${metricColumns
  .map((c) => `percentile_cont(ARRAY[0.5, 0.95]::double precision[]) WITHIN GROUP (ORDER BY ${c}) AS ${c}`)
  .join(',\n       ')}
  FROM ${runs}
 WHERE "timestamp" >= $1::timestamptz AND "timestamp" < $2::timestamptz${scoped ? ' AND repository COLLATE "C" = ANY($3::text[])' : ''}`;

async function queryDirectPercentiles(
  db: DbQueryable,
  split: readonly unknown[],
  scope: readonly string[] | undefined,
): Promise<Record<MetricColumn, Percentiles>> {
  const params = scope === undefined ? [split[0], split[1]] : [split[0], split[1], scope];
  const row = (
    await db.query<Record<MetricColumn, number[] | null>>(directPercentilesSql(scope !== undefined), params)
  ).rows[0];
  const result = {} as Record<MetricColumn, Percentiles>;
  for (const c of metricColumns) {
    const v = row?.[c] ?? null;
    result[c] = v === null ? { p50: null, p95: null } : { p50: Number(v[0]), p95: Number(v[1]) };
  }
  return result;
}

// The organisation's reads (migration …100000): a bucket's 32 fine buckets (slsa_kpi_fine_bucket:
// the bucket times 64 plus its part, 1-33) counted over the window, the whole days from the
// organisation's fine histograms (whole months, the other whole days) and the edge runs apart; $7,
// $8: the (metric, bucket) pairs wanted. A pair's parts over the days outside the whole months (two
// ranges) and over the months are each one range of a table's key (metric, bucket, day or month,
// sub). Its parameters are the whole days' only (wholeDayQuery), which do not move with a window
// that does (`365d`): `serve` answers it from memory until the next commit.
const wholeFineCountsSql = `
WITH w AS (SELECT w.metric, w.bucket, w.i FROM unnest($7::smallint[], $8::integer[]) WITH ORDINALITY AS w(metric, bucket, i))
SELECT c.i, c.bucket * 64 + c.sub AS fine, sum(c.runs)::double precision AS runs
  FROM (SELECT w.i, w.bucket, d.sub, d.runs FROM w JOIN ${orgFineDays} d ON d.metric = w.metric AND d.bucket = w.bucket
         WHERE d.day >= ($3::timestamptz AT TIME ZONE 'UTC')::date AND d.day < least(($4::timestamptz AT TIME ZONE 'UTC')::date, $5::date)
        UNION ALL
        SELECT w.i, w.bucket, d.sub, d.runs FROM w JOIN ${orgFineDays} d ON d.metric = w.metric AND d.bucket = w.bucket
         WHERE d.day >= greatest(($3::timestamptz AT TIME ZONE 'UTC')::date, $6::date) AND d.day < ($4::timestamptz AT TIME ZONE 'UTC')::date
        UNION ALL
        SELECT w.i, w.bucket, m.sub, m.runs FROM w JOIN ${orgFineMonths} m ON m.metric = w.metric AND m.bucket = w.bucket
         WHERE m.month >= $5::date AND m.month < $6::date) c
 GROUP BY c.i, c.bucket, c.sub
HAVING sum(c.runs) > 0`;

/**
 * The edge runs' fine buckets of the wanted buckets, per metric: the runs of [since, first whole
 * day) and [last whole day, until) in the given fine buckets ($n: their list), counted from the
 * metric's (fine bucket, timestamp) index, one descent per fine bucket and edge.
 */
const edgeFineSql = (metric: number, column: MetricColumn, n: number): string =>
  [
    '"timestamp" >= $1::timestamptz AND "timestamp" < $3::timestamptz',
    '"timestamp" >= $4::timestamptz AND "timestamp" < $2::timestamptz',
  ]
    .map(
      (
        range,
      ) => `SELECT ${metric}::smallint AS metric, public.slsa_kpi_fine_bucket(${column}) AS fine, count(*) AS runs
  FROM ${runs} WHERE public.slsa_kpi_fine_bucket(${column}) = ANY($${n}::integer[]) AND ${range} GROUP BY 2`,
    )
    .join('\nUNION ALL\n');

/**
 * Some fine buckets' values in some time ranges, one row per fine bucket (`read`, its place in the
 * list) with its values ascending, from the metric's (fine bucket, timestamp) index, which carries the
 * value (index-only). `ranges` are conditions on $1… (the time bounds); each read's parameters follow
 * from `first` on: its fine bucket, and with `sliced` the offset and the number of values to keep
 * (the sorted values' slice wholeSlice chose).
 */
const fineValuesSql = (
  reads: readonly { readonly metric: number }[],
  ranges: readonly string[],
  first: number,
  sliced: boolean,
): string =>
  reads
    .map((r, i) => {
      const column = metricColumns[r.metric - 1]!;
      const n = first + i * (sliced ? 3 : 1);
      const runsIn = ranges
        .map(
          (range) => `SELECT ${column} AS v FROM ${runs}
                WHERE public.slsa_kpi_fine_bucket(${column}) = $${n}::integer AND ${range}`,
        )
        .join('\n               UNION ALL\n               ');
      const slice = sliced
        ? `(${runsIn} ORDER BY v OFFSET $${n + 1}::integer LIMIT $${n + 2}::integer)`
        : `(${runsIn})`;
      return `(SELECT ${i} AS read, array_agg(v ORDER BY v) AS v FROM ${slice} s)`;
    })
    .join('\nUNION ALL\n');

/** fineValuesSql's rows: the values of each read, ascending. */
function fineValues(rows: readonly { read: number; v: number[] | null }[], reads: number): number[][] {
  const out: number[][] = Array.from({ length: reads }, () => []);
  for (const row of rows) out[Number(row.read)] = (row.v ?? []).map(Number);
  return out;
}

/** A rank of one metric's window that the fine buckets place: its bucket and its offset in it. */
interface FineRank {
  readonly metric: number;
  readonly bucket: number;
  readonly offset: number;
}

/**
 * The organisation's ranks that the bucket counts do not tell: the window's fine counts of each
 * rank's bucket place it in a fine bucket, then the fine bucket's values are read, the whole days'
 * (the slice of them the rank needs, wholeSlice) and the edge runs' (all) apart, and the rank
 * taken from both (unionRank). The whole days' statements have the whole days' parameters only, so
 * between two commits `serve` sends only the edge's for a window that moves with the clock
 * (docs/database.md "Twenty-ninth session"); a window without edge runs sends no edge statement.
 */
async function readFineRanks(
  db: DbQueryable,
  orgParams: readonly unknown[],
  wanted: readonly FineRank[],
  side: DbQueryable = db,
): Promise<number[]> {
  const pairs = [...new Map(wanted.map((r) => [`${r.metric}:${r.bucket}`, r])).values()];
  const metrics = [...new Set(pairs.map((p) => p.metric))];
  const fines = metrics.map((m) =>
    pairs
      .filter((p) => p.metric === m)
      .flatMap((p) => Array.from({ length: 34 }, (_, sub) => p.bucket * 64 + sub)),
  );
  const edgeParams = orgParams.slice(0, 4);
  // [$1, $3) and [$4, $2): empty when the window's bounds are whole days or settled (splitWindowParams)
  const time = (i: number): number => Date.parse(String(orgParams[i]));
  const withEdges = time(0) < time(2) || time(3) < time(1);
  const counts = new Map<string, { i: number; fine: number; runs: number }>();
  // per `metric:fine`, the whole days' runs (edgeCounts below: the edge runs')
  const wholeCounts = new Map<string, number>();
  const add = (i: number, fine: number, runs: number): void => {
    const c = counts.get(`${i}:${fine}`);
    if (c === undefined) counts.set(`${i}:${fine}`, { i, fine, runs });
    else c.runs += runs;
  };
  // the whole days' fine counts beside (a second connection, or here after), the edge runs' here:
  // what a moving window sends anew at each request stays on the first connection (readKpiAggregates)
  const [wholeRows, edgeRows] = await both(
    side !== db,
    async () =>
      (
        await side.query<{ i: number; fine: number; runs: number }>(
          ...wholeDayQuery(wholeFineCountsSql, [
            ...orgParams,
            pairs.map((p) => p.metric),
            pairs.map((p) => p.bucket),
          ]),
        )
      ).rows,
    async () =>
      withEdges
        ? (
            await db.query<{ metric: number; fine: number; runs: number }>(
              metrics.map((m, k) => edgeFineSql(m, metricColumns[m - 1]!, 5 + k)).join('\nUNION ALL\n'),
              [...edgeParams, ...fines],
            )
          ).rows
        : [],
  );
  for (const r of wholeRows) {
    const [i, fine, runs] = [Number(r.i) - 1, Number(r.fine), Number(r.runs)];
    add(i, fine, runs);
    wholeCounts.set(`${pairs[i]!.metric}:${fine}`, runs);
  }
  const edgeCounts = new Map<string, number>();
  if (withEdges) {
    for (const r of edgeRows) {
      const [metric, fine, runs] = [Number(r.metric), Number(r.fine), Number(r.runs)];
      const i = pairs.findIndex((p) => p.metric === metric && p.bucket === Math.floor(fine / 64));
      add(i, fine, runs);
      edgeCounts.set(`${metric}:${fine}`, (edgeCounts.get(`${metric}:${fine}`) ?? 0) + runs);
    }
  }
  const sorted = [...counts.values()].sort((x, y) => x.i - y.i || x.fine - y.fine);
  const located = wanted.map((r) => {
    const i = pairs.findIndex((p) => p.metric === r.metric && p.bucket === r.bucket);
    let below = 0;
    for (const c of sorted) {
      if (c.i !== i) continue;
      if (r.offset < below + c.runs) return { metric: r.metric, fine: c.fine, offset: r.offset - below };
      below += c.runs;
    }
    throw new RangeError(
      `the fine counts of bucket ${r.bucket} of metric ${r.metric} hold ${below} values, not rank ${r.offset}`,
    );
  });
  const reads = [
    ...new Map(located.map((r) => [`${r.metric}:${r.fine}`, { metric: r.metric, fine: r.fine }])).values(),
  ].map((read) => {
    const key = `${read.metric}:${read.fine}`;
    const offsets = located.filter((r) => `${r.metric}:${r.fine}` === key).map((r) => r.offset);
    const edge = edgeCounts.get(key) ?? 0;
    return {
      ...read,
      key,
      edge,
      size: wholeCounts.get(key) ?? 0,
      slice: wholeSlice(Math.min(...offsets), Math.max(...offsets), edge),
    };
  });
  // the whole days' values, a slice of each fine bucket: [$1, $2) the whole days, then per read its
  // fine bucket, offset and length. With a second connection the reads are shared out between the
  // two by the values each one walks (its fine bucket's whole-day count; largest first, each to the
  // lighter side); the edge runs' values are read here after this side's share, which starts with
  // their weight.
  const apart = side !== db;
  const edgeWeight = reads.reduce((sum, r) => sum + r.edge, 0);
  const groups: { on: DbQueryable; reads: number[]; load: number }[] = apart
    ? [
        { on: db, reads: [], load: edgeWeight },
        { on: side, reads: [], load: 0 },
      ]
    : [{ on: db, reads: [], load: 0 }];
  for (const k of reads.map((_, k) => k).sort((a, b) => reads[b]!.size - reads[a]!.size || a - b)) {
    const lighter = groups.reduce((x, y) => (y.load < x.load ? y : x));
    lighter.reads.push(k);
    lighter.load += reads[k]!.size;
  }
  const whole: number[][] = reads.map(() => []);
  const readWhole = async (group: { on: DbQueryable; reads: number[] }): Promise<void> => {
    if (group.reads.length === 0) return;
    const mine = group.reads.map((k) => reads[k]!);
    const values = fineValues(
      (
        await group.on.query<{ read: number; v: number[] | null }>(
          fineValuesSql(mine, ['"timestamp" >= $1::timestamptz AND "timestamp" < $2::timestamptz'], 3, true),
          [orgParams[2], orgParams[3], ...mine.flatMap((r) => [r.fine, r.slice.offset, r.slice.limit])],
        )
      ).rows,
      mine.length,
    );
    group.reads.forEach((k, j) => (whole[k] = values[j]!));
  };
  // the edge runs' values, all of them, of the fine buckets that hold some
  const edgeReads = reads.filter((r) => r.edge > 0);
  const edge = new Map<string, number[]>();
  const readEdge = async (on: DbQueryable): Promise<void> => {
    if (edgeReads.length === 0) return;
    const values = fineValues(
      (
        await on.query<{ read: number; v: number[] | null }>(
          fineValuesSql(
            edgeReads,
            [
              '"timestamp" >= $1::timestamptz AND "timestamp" < $3::timestamptz',
              '"timestamp" >= $4::timestamptz AND "timestamp" < $2::timestamptz',
            ],
            5,
            false,
          ),
          [...edgeParams, ...edgeReads.map((r) => r.fine)],
        )
      ).rows,
      edgeReads.length,
    );
    edgeReads.forEach((r, k) => {
      if (values[k]!.length !== r.edge)
        throw new RangeError(
          `fine bucket ${r.fine} of metric ${r.metric} holds ${values[k]!.length} edge values, not ${r.edge}`,
        );
      edge.set(r.key, values[k]!);
    });
  };
  if (apart) {
    const [here, beside] = groups as [(typeof groups)[0], (typeof groups)[0]];
    await Promise.all([(async () => (await readWhole(here), await readEdge(db)))(), readWhole(beside)]);
  } else {
    await readWhole(groups[0]!);
    await readEdge(db);
  }
  return located.map((r) => {
    const index = reads.findIndex((x) => x.metric === r.metric && x.fine === r.fine);
    const read = reads[index]!;
    return unionRank(
      { offset: read.slice.offset, values: whole[index]!, size: read.size },
      edge.get(read.key) ?? [],
      r.offset,
    );
  });
}

/**
 * The organisation's p50 and p95 from its histograms: a rank in a bucket of one value is known, any
 * other is read from its fine bucket (readFineRanks).
 */
async function queryOrgPercentiles(
  db: DbQueryable,
  orgParams: readonly unknown[],
  rows: readonly { metric: number; bucket: number; runs: number; min: number; max: number }[],
  side: DbQueryable = db,
): Promise<Record<MetricColumn, Percentiles>> {
  const plans = metricColumns.map((column, i) => {
    const buckets = rows.filter((r) => Number(r.metric) === i + 1);
    const n = buckets.reduce((sum, r) => sum + Number(r.runs), 0);
    const ranks = [0.5, 0.95].map((p) => {
      const pos = p * (n - 1);
      return { pos, lo: Math.floor(pos), hi: Math.ceil(pos) };
    });
    return { metric: i + 1, column, n, buckets, ranks };
  });
  const known = new Map<string, number>();
  const wanted: (FineRank & { key: string })[] = [];
  for (const m of plans) {
    if (m.n === 0) continue;
    for (const rank of new Set(m.ranks.flatMap((r) => [r.lo, r.hi]))) {
      let below = 0;
      const row = m.buckets.find((b) => {
        if (rank < below + Number(b.runs)) return true;
        below += Number(b.runs);
        return false;
      })!;
      const key = `${m.metric}:${rank}`;
      if (row.min === row.max) known.set(key, row.min);
      else wanted.push({ key, metric: m.metric, bucket: Number(row.bucket), offset: rank - below });
    }
  }
  if (wanted.length > 0) {
    const values = await readFineRanks(db, orgParams, wanted, side);
    wanted.forEach((w, i) => known.set(w.key, values[i]!));
  }
  const result = {} as Record<MetricColumn, Percentiles>;
  for (const m of plans) {
    const value = (i: number): number | null => {
      if (m.n === 0) return null;
      const { pos, lo, hi } = m.ranks[i]!;
      const a = known.get(`${m.metric}:${lo}`)!;
      if (hi === lo) return a;
      const b = known.get(`${m.metric}:${hi}`)!;
      // percentile_cont's interpolation, as the reference computes it
      return a + (b - a) * (pos - lo);
    };
    result[m.column] = { p50: value(0), p95: value(1) };
  }
  return result;
}

/**
 * p50 and p95 of each metric over the window, exactly as percentile_cont: for a window of at most
 * directPercentileRuns runs, percentile_cont itself; else the values at ranks floor(p(n-1)) and
 * ceil(p(n-1)), interpolated, read as planRankReads says (src/core/kpi/rank-reads.ts).
 */
async function queryPercentiles(
  db: DbQueryable,
  split: readonly unknown[],
  scope: readonly string[] | undefined,
  direct: boolean,
  edgeBuckets: readonly BucketRow[],
  side: DbQueryable = db,
): Promise<Record<MetricColumn, Percentiles>> {
  if (direct) return queryDirectPercentiles(db, split, scope);
  const scoped = scope !== undefined;
  const months = wholeUtcMonths({ from: String(split[2]), to: String(split[3]) });
  const params = scoped ? [...split, scope] : [...split, months.first, months.end];
  // sorted here: a hash aggregate of a year's bucket rows costs a quarter of sorting them
  const whole = (await db.query<BucketRow>(...wholeDayQuery(histogramSql(scoped), params))).rows;
  const rows = addEdgeBuckets(whole, edgeBuckets)
    .map((r) => ({
      metric: Number(r.metric),
      bucket: Number(r.bucket),
      runs: Number(r.runs),
      min: Number(r.min_value),
      max: Number(r.max_value),
    }))
    .sort((x, y) => x.metric - y.metric || x.bucket - y.bucket);
  if (!scoped) return queryOrgPercentiles(db, params, rows, side);
  const plans = metricColumns.map((column, i) => {
    const buckets = rows.filter((r) => r.metric === i + 1);
    const n = buckets.reduce((sum, r) => sum + r.runs, 0);
    const ranks = [0.5, 0.95].map((p) => {
      const pos = p * (n - 1);
      return { pos, lo: Math.floor(pos), hi: Math.ceil(pos) };
    });
    return { column, n, ranks, buckets, plan: n === 0 ? undefined : planRankReads(buckets, ranks) };
  });
  // every metric's reads in one statement
  const reads = plans.flatMap((m) =>
    (m.plan?.reads ?? []).map((r) => ({ ...r, column: m.column, range: readBucketRange(m.buckets, r) })),
  );
  const returned: number[][] = reads.map(() => []);
  if (reads.length > 0) {
    const { sql, params: readParams } = rankReadsSql(reads);
    const row = (await db.query<Record<string, unknown>>(sql, [split[0], split[1], scope, ...readParams]))
      .rows[0];
    reads.forEach((_, i) => {
      const values = row?.[`r${i}`];
      returned[i] = Array.isArray(values) ? values.map(Number) : [];
    });
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

// The rollup's columns the totals read (the per-(repository, day) rows and the organisation's alike).
const rollupTotalsColumns = `day, entries, failures, missing_artifacts, validated, notify_attempts, notify_delivered,
  manifest_to_db_lag_s_max, dispatch_token_rotated_at, dispatch_token_expires_at, validation_failures, notified_runs,
  notified_runs_delivered, signatures_verified, signatures_unsigned, signatures_invalid, signatures_untrusted,
  signatures_unverified, missing_from_ledger`;

// Counts, sums and maxima of the rollup's whole days (the organisation's: its months and days); the
// edge runs' are added to them (addEdgeTotals).
const totalsSql = (scoped: boolean): string => `
SELECT coalesce(sum(p.entries), 0)::integer AS entries,
       coalesce(sum(p.failures), 0)::integer AS failures,
       coalesce(sum(p.missing_artifacts), 0)::integer AS missing_artifacts,
       coalesce(sum(p.validated), 0)::integer AS validated,
       coalesce(sum(p.notify_attempts), 0)::double precision AS notify_attempts,
       coalesce(sum(p.notify_delivered), 0)::double precision AS notify_delivered,
       max(p.lag_max) AS lag_max,
       to_char(max(p.rotated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS rotated_at,
       to_char(max(p.expires_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS expires_at,
       coalesce(sum(p.validation_failures), 0)::integer AS validation_failures,
       coalesce(sum(p.notified_runs), 0)::integer AS notified_runs,
       coalesce(sum(p.notified_runs_delivered), 0)::integer AS notified_runs_delivered,
       coalesce(sum(p.sig_verified), 0)::integer AS sig_verified,
       coalesce(sum(p.sig_unsigned), 0)::integer AS sig_unsigned,
       coalesce(sum(p.sig_invalid), 0)::integer AS sig_invalid,
       coalesce(sum(p.sig_untrusted), 0)::integer AS sig_untrusted,
       coalesce(sum(p.sig_unverified), 0)::integer AS sig_unverified,
       coalesce(sum(p.missing_from_ledger), 0)::integer AS missing_from_ledger
  FROM (SELECT entries, failures, missing_artifacts, validated, notify_attempts, notify_delivered,
               manifest_to_db_lag_s_max AS lag_max, dispatch_token_rotated_at AS rotated_at,
               dispatch_token_expires_at AS expires_at, validation_failures, notified_runs, notified_runs_delivered,
               signatures_verified AS sig_verified, signatures_unsigned AS sig_unsigned,
               signatures_invalid AS sig_invalid, signatures_untrusted AS sig_untrusted,
               signatures_unverified AS sig_unverified, missing_from_ledger
          FROM (${
            scoped
              ? `SELECT * FROM ${daily} WHERE ${wholeDaysIn(true)}`
              : orgWholeDays(orgDaily, orgMonthly, rollupTotalsColumns)
          }) w) p`;

// Entries per UTC day of the rollup's whole days (the edge runs' are added to them). With `charts`,
// the same rows also carry the dashboard's per-day series (its success, failure, missing artifact and
// validated counts, and the day's lag p95: a repository's own, or with several the worst
// repository's, i.e. the largest of their p95s).
const perDaySql = (scoped: boolean, charts = false): string =>
  charts
    ? `
SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(entries)::integer AS n, sum(entries - failures)::integer AS success,
       sum(failures)::integer AS failure, sum(missing_artifacts)::integer AS missing,
       sum(validated)::integer AS validated, max(${scoped ? 'manifest_to_db_lag_s_p95' : 'worst_lag_s_p95'}) AS lag_p95_s
  FROM ${scoped ? daily : orgDaily} WHERE ${wholeDaysIn(scoped)}
 GROUP BY day
 ORDER BY day`
    : `
SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(entries)::integer AS n
  FROM ${scoped ? daily : orgDaily} WHERE ${wholeDaysIn(scoped)}
 GROUP BY day
 ORDER BY day`;

// The dashboard's (status, governance flag) cross-tab of a window's whole days: the scope's
// per-(repository, day) flag rows, or the organisation's own by months and days (migration …070300);
// the edge runs' are added to it (readEdgeSummary). $3, $4 and $5 the scope, or for the organisation
// $5, $6 its whole months (orgWindowParams); see wholeDayStatement.
const statusFlagSql = (scoped: boolean): string => `
SELECT status, governance_flag, sum(runs)::integer AS n
  FROM (${
    scoped
      ? `SELECT * FROM ${dayFlags} WHERE ${wholeDaysIn(true)}`
      : orgWholeDays(orgDayFlags, orgMonthFlags, 'day, status, governance_flag, runs')
  }) w
 GROUP BY 1, 2`;

// The smallest hash per file among the window's runs (rollup for whole days, runs at the edges), then
// the latest hash of each file where it is known. The smallest in byte order: for the 64 lower-case hex
// digits ingest admits the same as any collation's (and the reference's), without strcoll's cost.
// Paths are per repository: with several, a file is named `owner/name:path`. Unordered: the report
// sorts its keys (a year of an organisation is ~36,500 files; sorting them here by the database's
// collation cost more than the rest of the statement).
const manifestsSql = (scoped: boolean): string => `
SELECT g.repository, g.path, coalesce(m.manifest_hash, g.hash) AS hash
  FROM (SELECT x.repository, x.path, min(x.hash COLLATE "C") AS hash
          FROM (SELECT repository, manifest_path AS path, manifest_hash AS hash FROM ${dayManifests}
                 WHERE ${wholeDaysIn(scoped)}
                UNION ALL
                ${edgeRuns('repository, manifest_path, manifest_hash', scoped)}) x
         GROUP BY x.repository, x.path) g
  LEFT JOIN ${manifests} m ON m.repository = g.repository AND m.path = g.path`;

const ingestFailuresSql = (scoped: boolean): string => `
SELECT count(*)::integer AS n
  FROM ${ingestRuns}
 WHERE status = 'failed' AND started_at >= $1::timestamptz AND started_at < $2::timestamptz${scoped ? ' AND ledger = ANY($3::text[])' : ''}`;

const refusalsSql = (scoped: boolean): string => `
SELECT count(*)::integer AS n
  FROM ${refusalsView}
 WHERE failed_at >= $1::timestamptz AND failed_at < $2::timestamptz${scoped ? ' AND repository = ANY($3::text[])' : ''}`;

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
  validation_failures: number;
  notified_runs: number;
  notified_runs_delivered: number;
  sig_verified: number;
  sig_unsigned: number;
  sig_invalid: number;
  sig_untrusted: number;
  sig_unverified: number;
  missing_from_ledger: number;
}

const DAY_MS = 86_400_000;

/**
 * Whether a window's partial edge days hold runs outside the window (wholeEdges): `lower` true
 * when no run lies on the first day before `since`, `upper` when none lies on the last day at or
 * after `until`. A settled edge day is then read whole from the rollup instead of run by run.
 */
export interface SettledEdges {
  readonly lower: boolean;
  readonly upper: boolean;
}
const unsettled: SettledEdges = { lower: false, upper: false };

/**
 * The whole UTC days a window reads from the rollup, as [from, to): from is the first midnight at or
 * after since, to the last midnight at or before until; both are until when no whole day fits, so the
 * window splits into [since, from), [from, to) and [to, until) with every part possibly empty.
 * With settled edges (wholeEdges), an edge day that holds no run outside the window is one of the
 * whole days: from goes back to the midnight before since, to forward to the one after until. The
 * parts [from, since) and [until, to) then hold no run, so reading [from, to) whole from the rollup
 * counts exactly the window's runs, and the edge parts [since, from) and [to, until) are empty.
 */
export function wholeUtcDays(
  window: KpiWindow,
  edges: SettledEdges = unsettled,
): { from: string; to: string } {
  const since = Date.parse(window.since);
  const until = Date.parse(window.until);
  const iso = (t: number): string => new Date(t).toISOString();
  const first = Math.ceil(since / DAY_MS) * DAY_MS;
  const last = Math.floor(until / DAY_MS) * DAY_MS;
  const lower = edges.lower ? Math.floor(since / DAY_MS) * DAY_MS : first;
  const upper = edges.upper ? Math.ceil(until / DAY_MS) * DAY_MS : last;
  if ((edges.lower || edges.upper) && lower <= upper) return { from: iso(lower), to: iso(upper) };
  const from = Math.min(first, until);
  const to = Math.max(last, from);
  return { from: iso(from), to: iso(to) };
}

/**
 * A statement on a split window's parameters (splitWindowParams, then its own) that reads only the
 * whole days ($3 on): Postgres refuses a parameter it cannot type, so the unused $1, $2 (the window's
 * bounds) are dropped and the others renumbered from $3 = $1. No statement here quotes with `$`.
 */
function wholeDayQuery(sql: string, params: readonly unknown[]): [string, unknown[]] {
  return [sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) - 2}`), params.slice(2)];
}

/**
 * $1–$4 of the statements that read whole days from the rollup and the edges from the runs. A
 * settled edge's bound is its midnight (the `from` or `to` that wholeUtcDays moved past it): no run
 * lies between the two (wholeEdges, same snapshot), so every statement that filters runs by $1, $2
 * counts the same runs, and a window that ends now gives the same parameters all day. `serve` keeps
 * answers by statement and parameters (src/io/snapshot-cache.ts): with the bound that moves with the
 * clock gone, a window from a fixed time to now is answered from memory until the next commit.
 */
export function splitWindowParams(window: KpiWindow, edges: SettledEdges = unsettled): string[] {
  const days = wholeUtcDays(window, edges);
  const since = Date.parse(window.since);
  const until = Date.parse(window.until);
  // wholeUtcDays moved from (to) past since (until) only for a settled edge
  const from = Date.parse(days.from);
  const to = Date.parse(days.to);
  return [
    edges.lower && from < since ? days.from : window.since,
    edges.upper && to > until ? days.to : window.until,
    days.from,
    days.to,
  ];
}

/**
 * Probes the window's two edge days (two index probes; call it in the report's transaction, so
 * every later statement sees the same runs): a window that ends now has no run after its end, so
 * its last day is read from the rollup rather than run by run (at 10M runs a day is ~27,000 runs).
 * Every repository's runs are probed, so the answer holds for any scope.
 */
export async function wholeEdges(db: DbQueryable, window: KpiWindow): Promise<SettledEdges> {
  const since = Date.parse(window.since);
  const until = Date.parse(window.until);
  const iso = (t: number): string => new Date(t).toISOString();
  const row = (
    await db.query<{ lower: boolean; upper: boolean }>(
      `SELECT NOT EXISTS (SELECT 1 FROM ${runs} WHERE "timestamp" >= $1::timestamptz AND "timestamp" < $2::timestamptz) AS lower,
              NOT EXISTS (SELECT 1 FROM ${runs} WHERE "timestamp" >= $3::timestamptz AND "timestamp" < $4::timestamptz) AS upper`,
      [
        iso(Math.floor(since / DAY_MS) * DAY_MS),
        window.since,
        window.until,
        iso(Math.ceil(until / DAY_MS) * DAY_MS),
      ],
    )
  ).rows[0];
  return { lower: row?.lower === true, upper: row?.upper === true };
}

/**
 * The repositories a scope names: its list plus every known repository of its owner (the
 * repositories ingest has begun); undefined for the whole organisation.
 */
export async function resolveScope(
  db: DbQueryable,
  scope: KpiScope | undefined,
): Promise<string[] | undefined> {
  if (isWholeOrganisation(scope)) return undefined;
  const requested = scope!.repositories ?? [];
  const names = new Set(requested);
  if (requested.length > 0) {
    // GitHub's names are case-insensitive (`--owner` is too): `Acme/Widgets` finds `acme/widgets`
    const known = await db.query<{ repository: string }>(
      `SELECT repository FROM ${repositoriesView} WHERE lower(repository) = ANY($1::text[])`,
      [requested.map((r) => r.toLowerCase())],
    );
    for (const r of known.rows) names.add(r.repository);
  }
  if (scope!.owner !== undefined) {
    const owned = await db.query<{ repository: string }>(
      `SELECT repository FROM ${repositoriesView} WHERE lower(left(repository, $2::integer)) = lower($1::text)
       UNION
       SELECT DISTINCT repository FROM ${daily} WHERE lower(left(repository, $2::integer)) = lower($1::text)`,
      [`${scope!.owner}/`, scope!.owner.length + 1],
    );
    for (const r of owned.rows) names.add(r.repository);
  }
  return [...names].sort();
}

/**
 * The dashboard's charts of a window: the per-day series (counts and the day's lag p95) and the
 * status / governance flag breakdown.
 */
export interface DashboardAggregates {
  readonly daily: readonly DailyCounts[];
  readonly statusCounts: readonly LabelCount[];
  readonly flagCounts: readonly LabelCount[];
}

export interface KpiAggregatesOptions {
  readonly directPercentileRuns?: number;
  /** read the manifest list (default); false leaves it out (`manifest_hash` null) */
  readonly listManifests?: boolean;
  /** the window's settled edges when the caller has probed them in this transaction (wholeEdges) */
  readonly edges?: SettledEdges;
  /**
   * the window's edge runs when the caller has read them in this transaction (queryEdgeSummary, with
   * the parts this read needs: `report`, and `charts` for the charts), on the same edges
   */
  readonly edgeRuns?: EdgeSummary;
  /**
   * a transaction on another connection that reads this one's snapshot (besideOf): the whole days'
   * reads that the totals and percentiles do not wait for are sent there, side by side with them
   */
  readonly side?: DbQueryable;
}

/**
 * The window's edge runs grouped as `parts` asks (readEdgeSummary), for a scope, on the edges the
 * caller probed (wholeEdges): read once by a transaction and given to each read of the window.
 */
export async function queryEdgeSummary(
  db: DbQueryable,
  window: KpiWindow,
  scope: KpiScope | undefined,
  edges: SettledEdges,
  parts: EdgeParts,
): Promise<EdgeSummary> {
  return readEdgeSummary(db, splitWindowParams(window, edges), await resolveScope(db, scope), parts);
}

/** The KPI aggregates of the runs whose entry timestamp lies in the window (call it in a transaction). */
export async function queryKpiAggregates(
  db: DbQueryable,
  window: KpiWindow,
  scope?: KpiScope,
  options: KpiAggregatesOptions = {},
): Promise<KpiAggregates> {
  return (await readKpiAggregates(db, window, scope, options, false)).aggregates;
}

/**
 * The KPI aggregates and the dashboard's charts of a window, in the caller's transaction (one
 * snapshot): the charts' per-day series comes from the report's own per-day statement (which then
 * carries the chart columns), the breakdown from one more statement. `/api/kpi` reads both this way.
 */
export async function queryKpiAggregatesWithCharts(
  db: DbQueryable,
  window: KpiWindow,
  scope?: KpiScope,
  options: KpiAggregatesOptions = {},
): Promise<{ aggregates: KpiAggregates; charts: DashboardAggregates }> {
  const read = await readKpiAggregates(db, window, scope, options, true);
  return {
    aggregates: read.aggregates,
    charts: await readCharts(db, window, read.edges, read.repos, read.days, read.edgeRuns),
  };
}

/**
 * The dashboard's charts alone (call it in a transaction): the same statements as
 * queryKpiAggregatesWithCharts reads them with.
 */
export async function queryDashboardAggregates(
  db: DbQueryable,
  window: KpiWindow,
  scope?: KpiScope,
): Promise<DashboardAggregates> {
  const repos = await resolveScope(db, scope);
  const edges = await wholeEdges(db, window);
  const split = splitWindowParams(window, edges);
  const edgeRuns = await readEdgeSummary(db, split, repos, { report: false, charts: true });
  const days = await db.query<ChartDayRow>(
    ...wholeDayQuery(perDaySql(repos !== undefined, true), repos === undefined ? split : [...split, repos]),
  );
  return readCharts(db, window, edges, repos, addEdgeDays(days.rows, edgeRuns.days), edgeRuns);
}

interface ChartDayRow {
  day: string;
  n: number | string;
  success: number | string;
  failure: number | string;
  missing: number | string;
  validated: number | string;
  lag_p95_s: number | null;
}

/** The charts from the per-day rows (whole and edge days) and the window's cross-tab. */
async function readCharts(
  db: DbQueryable,
  window: KpiWindow,
  edges: SettledEdges,
  repos: readonly string[] | undefined,
  days: readonly ChartDayRow[],
  edgeRuns: EdgeSummary,
): Promise<DashboardAggregates> {
  const cross = await db.query<{ status: string; governance_flag: string | null; n: number | string }>(
    ...wholeDayQuery(
      statusFlagSql(repos !== undefined),
      repos === undefined ? orgWindowParams(window, edges) : [...splitWindowParams(window, edges), repos],
    ),
  );
  // the (status, flag) cross-tab, whole days and edge runs, summed both ways
  const byStatus = new Map<string, number>();
  const byFlag = new Map<string | null, number>();
  for (const row of [...cross.rows, ...edgeRuns.flags]) {
    const n = Number(row.n);
    byStatus.set(row.status, (byStatus.get(row.status) ?? 0) + n);
    byFlag.set(row.governance_flag, (byFlag.get(row.governance_flag) ?? 0) + n);
  }
  return {
    daily: days.map((r) => ({
      day: r.day,
      success: Number(r.success),
      failure: Number(r.failure),
      missingArtifact: Number(r.missing),
      validated: Number(r.validated),
      lagP95S: r.lag_p95_s === null ? null : Number(r.lag_p95_s),
    })),
    statusCounts: [...byStatus].map(([label, count]) => ({ label, count })),
    flagCounts: [...byFlag].map(([label, count]) => ({ label, count })),
  };
}

/**
 * `db`'s second connection on the same snapshot when it has one (DbQueryable.beside), else `db`
 * itself: what `side` options take.
 */
export async function besideOf(db: DbQueryable): Promise<DbQueryable> {
  return (await db.beside?.()) ?? db;
}

/**
 * `a` and `b` side by side when they read on two connections, else one after the other: one
 * connection's statements queue anyway, and the embedded database's must not overlap.
 */
export async function both<A, B>(apart: boolean, a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> {
  if (apart) return Promise.all([a(), b()]);
  const x = await a();
  return [x, await b()];
}

/**
 * The manifest list of a window (`manifest_hash`: each file's smallest hash over the window, keyed
 * `repository:path` when several repositories hold files, else by path).
 */
async function readManifestHashes(
  db: DbQueryable,
  split: readonly unknown[],
  repos: readonly string[] | undefined,
): Promise<Record<string, string>> {
  const files = await db.query<{ repository: string; path: string; hash: string }>(
    manifestsSql(repos !== undefined),
    repos === undefined ? split : [...split, repos],
  );
  const hashes: Record<string, string> = {};
  const several = new Set(files.rows.map((f) => f.repository)).size > 1;
  for (const f of files.rows) hashes[several ? `${f.repository}:${f.path}` : f.path] = f.hash;
  return hashes;
}

/** The manifest list of a window (readManifestHashes), on the caller's probed edges. */
export async function queryManifestHashes(
  db: DbQueryable,
  window: KpiWindow,
  scope: KpiScope | undefined,
  edges: SettledEdges,
): Promise<Record<string, string>> {
  return readManifestHashes(db, splitWindowParams(window, edges), await resolveScope(db, scope));
}

async function readKpiAggregates(
  db: DbQueryable,
  window: KpiWindow,
  scope: KpiScope | undefined,
  options: KpiAggregatesOptions,
  charts: boolean,
): Promise<{
  aggregates: KpiAggregates;
  /** the per-day rows (whole and edge days), with the chart columns when `charts` */
  days: ChartDayRow[];
  edges: SettledEdges;
  repos: string[] | undefined;
  edgeRuns: EdgeSummary;
}> {
  const repos = await resolveScope(db, scope);
  const scoped = repos !== undefined;
  const withScope = (p: unknown[]): unknown[] => (scoped ? [...p, repos] : p);
  const params = [window.since, window.until];
  const edges = options.edges ?? (await wholeEdges(db, window));
  const split = splitWindowParams(window, edges);
  const edgeRuns = options.edgeRuns ?? (await readEdgeSummary(db, split, repos, { report: true, charts }));
  // the totals and the percentiles they choose the reads of, here; the per-day counts (and the
  // manifest list) beside them when the transaction has a second connection on its snapshot (the
  // same statements, the same answers). The ingest counts, cheap but on the window as given (never
  // kept by `serve` from one request to the next), stay here: between two commits the statements
  // sent beside are all answered from memory, and `serve` then opens no second transaction.
  const side = options.side ?? db;
  const [[totals, percentiles, failures, refusals], [perDayRows, hashes]] = await both(
    side !== db,
    async () => {
      const totals = addEdgeTotals(
        (
          await db.query<TotalsRow>(
            ...wholeDayQuery(totalsSql(scoped), scoped ? withScope(split) : orgWindowParams(window, edges)),
          )
        ).rows[0]!,
        edgeRuns.days,
      );
      const percentiles = await queryPercentiles(
        db,
        split,
        repos,
        Number(totals.entries) <= (options.directPercentileRuns ?? directPercentileRuns),
        edgeRuns.buckets,
        side,
      );
      const failures = await db.query<{ n: number }>(ingestFailuresSql(scoped), withScope(params));
      const refusals = await db.query<{ n: number }>(refusalsSql(scoped), withScope(params));
      return [totals, percentiles, failures, refusals] as const;
    },
    async () => {
      const perDayRows = addEdgeDays(
        (await side.query<ChartDayRow>(...wholeDayQuery(perDaySql(scoped, charts), withScope(split)))).rows,
        edgeRuns.days,
      );
      const hashes = options.listManifests === false ? null : await readManifestHashes(side, split, repos);
      return [perDayRows, hashes] as const;
    },
  );
  const perDay: Record<string, number> = {};
  for (const d of perDayRows) perDay[d.day] = Number(d.n);
  const signatures: SignatureCounts = {
    verified: Number(totals.sig_verified),
    unsigned: Number(totals.sig_unsigned),
    invalid: Number(totals.sig_invalid),
    untrusted: Number(totals.sig_untrusted),
    unverified: Number(totals.sig_unverified),
  };
  const aggregates: KpiAggregates = {
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
    validation_failures: Number(totals.validation_failures),
    notified_runs: Number(totals.notified_runs),
    notified_runs_delivered: Number(totals.notified_runs_delivered),
    notify_latency_s: percentiles.notify_latency_s,
    signatures,
    missing_from_ledger: Number(totals.missing_from_ledger),
    entries_refused: Number(refusals.rows[0]?.n ?? 0),
  };
  return { aggregates, days: perDayRows, edges, repos, edgeRuns };
}

// Every repository of the per-(repository, day) rollup, one index probe each (a DISTINCT read all of
// its rows: 36,500 for a year of 100 repositories).
const dailyRepositoriesSql = `SELECT repository FROM (
  WITH RECURSIVE r(repository) AS (
    SELECT min(repository) FROM ${daily}
    UNION ALL
    SELECT (SELECT min(d.repository) FROM ${daily} d WHERE d.repository > r.repository) FROM r WHERE r.repository IS NOT NULL
  ) SELECT repository FROM r WHERE repository IS NOT NULL) dr`;

// The per-repository table: each repository's counts over the window (whole months from the
// per-(repository, month) rows of migration …131000, the other whole days from the per-day rollup;
// queryRepositoryKpis adds the edge runs'), its newest entry of any time (one index read each) with its
// manifest file and that file's latest hash (one key probe each: a join read every file), and its
// ledger. The whole months are [$5, $6) for the organisation and [$6, $7) for a scope ($5 its
// repositories); see wholeDayQuery.
const repositoryTableSql = (scoped: boolean): string => {
  const months = scoped ? { first: '$6::date', end: '$7::date' } : { first: '$5::date', end: '$6::date' };
  return `
WITH known AS (
  SELECT n.repository, w.ledger_url, w.watermark,
         to_char(w.rewritten_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS rewritten_at,
         to_char(w.rewrite_accepted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS rewrite_accepted_at
    FROM (SELECT repository FROM ${repositoriesView} WHERE true${scopeFilter(scoped)}
          UNION
          ${scoped ? `SELECT DISTINCT repository FROM ${daily} WHERE true${scopeFilter(true)}` : dailyRepositoriesSql}) n
    LEFT JOIN ${repositoriesView} w ON w.repository = n.repository
),
counts AS (
  SELECT c.repository, sum(c.entries)::integer AS entries, sum(c.failures)::integer AS failures,
         sum(c.validated)::integer AS validated
    FROM (SELECT repository, entries, failures, validated FROM ${daily}
           WHERE ${wholeDaysIn(scoped)} AND NOT (day >= ${months.first} AND day < ${months.end})
          UNION ALL
          SELECT repository, entries, failures, validated FROM ${repoMonthly}
           WHERE month >= ${months.first} AND month < ${months.end}${scopeFilter(scoped)}
          ) c
   GROUP BY 1
)
SELECT k.repository, k.ledger_url, k.watermark, k.rewritten_at, k.rewrite_accepted_at,
       coalesce(c.entries, 0) AS entries, coalesce(c.failures, 0) AS failures, coalesce(c.validated, 0) AS validated,
       l.tag AS latest_tag, l.run_id AS latest_run_id,
       to_char(l."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS latest_timestamp,
       l.manifest_path AS latest_manifest_path,
       coalesce((SELECT m.manifest_hash FROM ${manifests} m WHERE m.repository = k.repository AND m.path = l.manifest_path),
                l.manifest_hash) AS latest_manifest_hash
  FROM known k
  LEFT JOIN counts c ON c.repository = k.repository
  LEFT JOIN LATERAL (
    SELECT r.tag, r.run_id, r."timestamp", r.manifest_path, r.manifest_hash FROM ${runs} r
     WHERE r.repository COLLATE "C" = k.repository
     ORDER BY r."timestamp" DESC, r.tag COLLATE "C" DESC, r.run_id DESC LIMIT 1) l ON true
 ORDER BY k.repository`;
};

interface RepositoryRow {
  repository: string;
  ledger_url: string | null;
  watermark: string | null;
  rewritten_at: string | null;
  rewrite_accepted_at: string | null;
  entries: number;
  failures: number;
  validated: number;
  latest_tag: string | null;
  latest_run_id: number | null;
  latest_timestamp: string | null;
  latest_manifest_path: string | null;
  latest_manifest_hash: string | null;
}

/** The per-repository table of a window (call it in a transaction). */
export async function queryRepositoryKpis(
  db: DbQueryable,
  window: KpiWindow,
  scope?: KpiScope,
  options: { readonly edges?: SettledEdges; readonly edgeRuns?: EdgeSummary } = {},
): Promise<RepositoryKpis[]> {
  const repos = await resolveScope(db, scope);
  const scoped = repos !== undefined;
  const split = splitWindowParams(window, options.edges ?? (await wholeEdges(db, window)));
  const edgeRuns =
    options.edgeRuns ?? (await readEdgeSummary(db, split, repos, { report: false, charts: false }));
  const months = wholeUtcMonths({ from: split[2]!, to: split[3]! });
  const rows = await db.query<RepositoryRow>(
    ...wholeDayQuery(
      repositoryTableSql(scoped),
      scoped ? [...split, repos, months.first, months.end] : [...split, months.first, months.end],
    ),
  );
  // each repository's edge runs added to its whole days
  const edge = new Map<string, { entries: number; failures: number; validated: number }>();
  for (const d of edgeRuns.days) {
    const e = edge.get(d.repository) ?? { entries: 0, failures: 0, validated: 0 };
    edge.set(d.repository, {
      entries: e.entries + Number(d.n),
      failures: e.failures + Number(d.failures),
      validated: e.validated + Number(d.validated),
    });
  }
  const rate = (n: number, d: number): number | null => (d === 0 ? null : Math.round((n / d) * 1e6) / 1e6);
  return rows.rows.map((r) => {
    const e = edge.get(r.repository);
    const entries = Number(r.entries) + (e?.entries ?? 0);
    return {
      repository: r.repository,
      ledger_url: r.ledger_url,
      entries,
      failure_rate: rate(Number(r.failures) + (e?.failures ?? 0), entries),
      validated_rate: rate(Number(r.validated) + (e?.validated ?? 0), entries),
      latest_entry:
        r.latest_tag === null || r.latest_timestamp === null
          ? null
          : { tag: r.latest_tag, run_id: Number(r.latest_run_id), timestamp: r.latest_timestamp },
      latest_manifest:
        r.latest_manifest_path === null || r.latest_manifest_hash === null
          ? null
          : { path: r.latest_manifest_path, hash: r.latest_manifest_hash },
      watermark: r.watermark,
      history_rewritten_at: r.rewritten_at,
      history_rewrite_accepted_at: r.rewrite_accepted_at,
    };
  });
}

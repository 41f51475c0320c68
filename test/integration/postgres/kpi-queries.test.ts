// The KPI SQL (src/io/kpi-queries.ts) against the pure reference on awkward times, on both engines:
// sub-millisecond timestamps, times before 1970 and far in the future, negative lags, runs on the
// window's edges, runs whose status, validation and times change after they were first written.
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKpiReport, loadKpiReportWithCharts } from '../../../src/app/kpi.js';
import {
  aggregateRuns,
  computeKpis,
  isMissingArtifact,
  percentileCont,
  type KpiRun,
  type KpiScope,
  type KpiWindow,
} from '../../../src/core/kpi/kpi.js';
import type { LedgerEntry } from '../../../src/core/ledger/entry.js';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { openDatabase, READ_ONLY_SNAPSHOT, type DbClient } from '../../../src/io/db.js';
import {
  besideOf,
  queryKpiAggregates,
  splitWindowParams,
  wholeUtcDays,
  wholeUtcHours,
} from '../../../src/io/kpi-queries.js';
import { listManifestFiles } from '../../../src/io/manifests-query.js';
import { defaultMigrationsDir } from '../../../src/io/migrations.js';
import { loadDashboardAggregates, type DashboardAggregates } from '../../../src/io/runs-query.js';
import { wrapTransactions } from '../../support/db-wrap.js';
import { loadReferenceInputs } from '../../support/kpi-reference.js';
import { createEngineTarget, testEngines, type EngineTarget } from '../../support/postgres.js';

const engines = await testEngines();

// [timestamp, ingested_at] pairs; the µs digits are below the millisecond both sides truncate to
const times: readonly [string, string][] = [
  ['1969-12-31T23:59:59.999900Z', '1970-01-01T00:00:00.000100Z'],
  ['1965-06-01T12:00:00.123456Z', '2025-11-24T08:00:00.987654Z'],
  ['2025-11-24T00:00:00.000000Z', '2025-11-24T00:00:00.000999Z'],
  ['2025-11-24T10:00:00.000999Z', '2025-11-24T10:00:00.001000Z'],
  ['2025-11-24T23:59:59.999999Z', '2025-11-25T00:00:01.500001Z'],
  ['2025-11-25T06:30:00.250000Z', '2025-11-25T06:29:58.125500Z'],
  ['2025-11-25T12:00:00.000001Z', '2025-11-26T12:00:00.333333Z'],
  ['2025-11-26T00:00:00.000000Z', '2025-11-26T00:00:00.000000Z'],
  ['2099-12-31T23:59:59.999999Z', '2262-04-11T23:47:16.854775Z'],
  ['2240-01-01T00:00:00.000500Z', '2250-06-30T11:11:11.111111Z'],
];

// Whole UTC days come from the per-day rollup (whole months from the month rows), partial days at the
// edges from the runs: windows on midnights, across partial days at either end or both, inside one
// day, ending on a run's own time, and whole months beside the runs' month.
const windows: readonly KpiWindow[] = [
  { since: '2025-11-24T00:00:00.000Z', until: '2025-11-26T00:00:00.000Z' },
  { since: '2025-11-24T10:00:00.000Z', until: '2025-11-25T12:00:00.000Z' },
  { since: '1900-01-01T00:00:00.000Z', until: '2300-01-01T00:00:00.000Z' },
  { since: '2025-11-25T01:00:00.000Z', until: '2025-11-25T13:00:00.000Z' },
  { since: '2025-11-24T10:00:00.001Z', until: '2025-11-26T00:00:00.000Z' },
  { since: '2025-11-24T00:00:00.000Z', until: '2025-11-25T06:30:00.250Z' },
  { since: '1969-12-31T23:59:59.999Z', until: '1970-01-02T00:00:00.000Z' },
  // whole months next to runs: October whole, then November's days up to a partial day (the month
  // rows must stop before November), and a half month before a whole November (they must start at it)
  { since: '2025-10-01T00:00:00.000Z', until: '2025-11-25T12:00:00.000Z' },
  { since: '2025-10-15T00:00:00.000Z', until: '2025-12-01T00:00:00.000Z' },
  // settled edges (wholeEdges): an edge day with no run outside the window is read whole from the
  // rollup; one with a run outside stays run by run. Upper day settled, lower not:
  { since: '2025-11-24T10:00:00.001Z', until: '2025-11-25T13:00:00.000Z' },
  // lower settled (no run on 11-25 before 00:30), upper at a midnight
  { since: '2025-11-25T00:30:00.000Z', until: '2025-11-26T00:00:00.000Z' },
  // both settled, as a window ending "now" is: nothing on 11-20 before 08:00, nothing on 11-26 after 09:00
  { since: '2025-11-20T08:00:00.000Z', until: '2025-11-26T09:00:00.000Z' },
  // lower settled inside one day whose upper part holds a run (12:00:00.000001 on 11-25)
  { since: '2025-11-25T00:30:00.000Z', until: '2025-11-25T07:00:00.000Z' },
];

describe('wholeUtcDays with settled edges', () => {
  const w = (since: string, until: string): KpiWindow => ({ since, until });
  it('reads an edge day whole only when it holds no run outside the window', () => {
    const window = w('2025-11-24T10:00:00.000Z', '2025-11-26T09:00:00.000Z');
    expect(wholeUtcDays(window)).toEqual({
      from: '2025-11-25T00:00:00.000Z',
      to: '2025-11-26T00:00:00.000Z',
    });
    expect(wholeUtcDays(window, { lower: true, upper: false })).toEqual({
      from: '2025-11-24T00:00:00.000Z',
      to: '2025-11-26T00:00:00.000Z',
    });
    expect(wholeUtcDays(window, { lower: false, upper: true })).toEqual({
      from: '2025-11-25T00:00:00.000Z',
      to: '2025-11-27T00:00:00.000Z',
    });
    expect(wholeUtcDays(window, { lower: true, upper: true })).toEqual({
      from: '2025-11-24T00:00:00.000Z',
      to: '2025-11-27T00:00:00.000Z',
    });
  });
  it('inside one day: whole when both parts outside are empty, else the runs between', () => {
    const window = w('2025-11-25T01:00:00.000Z', '2025-11-25T13:00:00.000Z');
    // unsettled: no whole day, the one edge [since, until)
    expect(wholeUtcDays(window)).toEqual({ from: window.until, to: window.until });
    expect(wholeUtcDays(window, { lower: true, upper: true })).toEqual({
      from: '2025-11-25T00:00:00.000Z',
      to: '2025-11-26T00:00:00.000Z',
    });
    // lower settled: no whole day, the upper edge [midnight, until) (the part before since is empty)
    expect(wholeUtcDays(window, { lower: true, upper: false })).toEqual({
      from: '2025-11-25T00:00:00.000Z',
      to: '2025-11-25T00:00:00.000Z',
    });
    // upper settled: the lower edge [since, next midnight) (the part after until is empty)
    expect(wholeUtcDays(window, { lower: false, upper: true })).toEqual({
      from: '2025-11-26T00:00:00.000Z',
      to: '2025-11-26T00:00:00.000Z',
    });
  });
  it('midnights stay as they are', () => {
    const window = w('2025-11-24T00:00:00.000Z', '2025-11-26T00:00:00.000Z');
    for (const edges of [undefined, { lower: true, upper: true }])
      expect(wholeUtcDays(window, edges)).toEqual({ from: window.since, to: window.until });
  });
});

describe('splitWindowParams', () => {
  const w = (since: string, until: string): KpiWindow => ({ since, until });
  // serve keeps answers by statement and parameters (src/io/snapshot-cache.ts): a settled edge's
  // bound is its midnight, so a window from a fixed time to now has the same parameters all day
  it('gives a settled edge its midnight, and keeps an unsettled one', () => {
    const at = (until: string) => w('2025-11-20T13:17:00.000Z', until);
    const upper = { lower: false, upper: true };
    expect(splitWindowParams(at('2025-11-26T09:00:00.000Z'), upper)).toEqual([
      '2025-11-20T13:17:00.000Z',
      '2025-11-27T00:00:00.000Z',
      '2025-11-21T00:00:00.000Z',
      '2025-11-27T00:00:00.000Z',
    ]);
    expect(splitWindowParams(at('2025-11-26T23:59:59.999Z'), upper)).toEqual(
      splitWindowParams(at('2025-11-26T00:00:00.001Z'), upper),
    );
    expect(splitWindowParams(at('2025-11-26T09:00:00.000Z'))).toEqual([
      '2025-11-20T13:17:00.000Z',
      '2025-11-26T09:00:00.000Z',
      '2025-11-21T00:00:00.000Z',
      '2025-11-26T00:00:00.000Z',
    ]);
    expect(splitWindowParams(at('2025-11-26T09:00:00.000Z'), { lower: true, upper: false })).toEqual([
      '2025-11-20T00:00:00.000Z',
      '2025-11-26T09:00:00.000Z',
      '2025-11-20T00:00:00.000Z',
      '2025-11-26T00:00:00.000Z',
    ]);
    // a midnight is its own midnight
    const whole = w('2025-11-24T00:00:00.000Z', '2025-11-26T00:00:00.000Z');
    expect(splitWindowParams(whole, { lower: true, upper: true })).toEqual([
      whole.since,
      whole.until,
      whole.since,
      whole.until,
    ]);
  });
});

describe('wholeUtcHours', () => {
  it('splits an edge part at whole UTC hours, or not at all when none fits', () => {
    expect(wholeUtcHours('2025-11-20T13:17:00.000Z', '2025-11-21T00:00:00.000Z')).toEqual([
      '2025-11-20T14:00:00.000Z',
      '2025-11-21T00:00:00.000Z',
    ]);
    // on an hour: that hour is whole
    expect(wholeUtcHours('2025-11-21T05:00:00.000Z', '2025-11-21T07:59:59.999Z')).toEqual([
      '2025-11-21T05:00:00.000Z',
      '2025-11-21T07:00:00.000Z',
    ]);
    // inside one hour, or an empty part: the whole part run by run
    for (const [a, b] of [
      ['2025-11-21T05:10:00.000Z', '2025-11-21T05:50:00.000Z'],
      ['2025-11-21T05:10:00.000Z', '2025-11-21T06:10:00.000Z'],
      ['2025-11-21T06:00:00.000Z', '2025-11-21T06:00:00.000Z'],
    ] as const)
      expect(wholeUtcHours(a, b)).toEqual([b, b]);
  });
});

function entry(i: number, ts: string, changed: boolean): LedgerEntry {
  const failed = (i + (changed ? 1 : 0)) % 3 === 0;
  return {
    run_id: i + 1,
    tag: `v1.${i}.0`,
    sha: (i + 1).toString(16).padStart(40, '0'),
    artifact_url: failed ? null : `https://example.test/v1.${i}.0/app.tgz`,
    actor: 'release-bot',
    timestamp: `${ts.slice(0, 23)}Z`,
    status: failed ? 'failure' : 'success',
    governance_flag: failed ? 'artifact-missing' : 'provenance-ready',
    release_url: `https://example.test/releases/v1.${i}.0`,
    ...((i + (changed ? 1 : 0)) % 2 === 0
      ? { validation: { status: 'passed', validated_at: `${ts.slice(0, 19)}Z` } }
      : {}),
    metrics: {
      dispatch_token_rotated_at: changed ? '2025-10-02T00:00:00Z' : '2025-10-01T00:00:00Z',
      dispatch_token_expires_at: `202${6 + (i % 3)}-01-01T00:00:00Z`,
      artifact_upload_latency_s: (i * 7.3) % 11,
      lock_wait_s: changed ? i / 7 : i / 3,
      notify: { attempts: 1 + (i % 3), delivered: 1 },
    },
  };
}

/** Writes the runs straight into slsa_runs with their exact µs times (ingest would stamp now()). */
async function write(db: DbClient, changed: boolean, legacy = false): Promise<void> {
  for (const [i, [ts, ingested]] of times.entries()) {
    const e = entry(i, changed && i % 2 === 1 ? ingested : ts, changed);
    const at = changed && i % 2 === 1 ? ts : ingested;
    const m = e.metrics!;
    await db.query(
      `INSERT INTO public.slsa_runs (tag, run_id, sha, artifact_url, actor, "timestamp", status, governance_flag,
         release_url, validation, metrics, validation_status, validated_at, artifact_upload_latency_s, lock_wait_s,
         notify_attempts, notify_delivered, dispatch_token_expires_at, dispatch_token_rotated_at, manifest_path,
         manifest_hash, ingested_at, first_ingested_at, entry${legacy ? '' : ', repository'})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22, $23${legacy ? '' : ', $24'})
       ON CONFLICT (${legacy ? '' : 'repository, '}tag, run_id) DO UPDATE SET "timestamp" = excluded."timestamp", status = excluded.status,
         artifact_url = excluded.artifact_url, governance_flag = excluded.governance_flag,
         validation = excluded.validation, validation_status = excluded.validation_status,
         validated_at = excluded.validated_at, metrics = excluded.metrics, lock_wait_s = excluded.lock_wait_s,
         dispatch_token_rotated_at = excluded.dispatch_token_rotated_at, manifest_path = excluded.manifest_path,
         manifest_hash = excluded.manifest_hash, ingested_at = excluded.ingested_at, entry = excluded.entry`,
      [
        e.tag,
        e.run_id,
        e.sha,
        e.artifact_url,
        e.actor,
        changed && i % 2 === 1 ? ingested : ts,
        e.status,
        e.governance_flag,
        e.release_url,
        e.validation === undefined ? null : JSON.stringify(e.validation),
        JSON.stringify(m),
        e.validation?.status ?? null,
        e.validation?.validated_at ?? null,
        m.artifact_upload_latency_s,
        m.lock_wait_s,
        m.notify?.attempts,
        m.notify?.delivered,
        m.dispatch_token_expires_at,
        m.dispatch_token_rotated_at,
        `docs/reports/${e.timestamp.slice(0, 10)}/manifest.json`,
        `${changed ? 'b' : 'a'}${e.timestamp.slice(0, 10).replace(/-/g, '')}`.padEnd(64, '0'),
        at,
        JSON.stringify(e),
        // two repositories, so the organisation's figures add theirs up
        ...(legacy ? [] : [i % 3 === 0 ? 'acme/gadgets' : 'acme/widgets']),
      ],
    );
  }
}

async function referenceRuns(db: DbClient): Promise<KpiRun[]> {
  const rows = await db.query<{
    repository: string;
    entry: LedgerEntry;
    ingested_at: string;
    manifest_path: string;
    manifest_hash: string;
    signature_status: 'unverified';
  }>(
    `SELECT repository, entry, manifest_path, manifest_hash, signature_status,
            to_char(ingested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ingested_at
       FROM public.provenance_runs`,
  );
  return rows.rows;
}

/** provenance_kpi_daily, read from the rollup, against the reference over each UTC day of the runs. */
async function expectDailyEqualsReference(db: DbClient): Promise<void> {
  const runs = await referenceRuns(db);
  const view = await db.query(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, entries, failures, missing_artifacts, validated, failure_rate,
            missing_artifact_rate, validated_rate, notify_attempts::integer AS notify_attempts,
            notify_delivered::integer AS notify_delivered, lock_wait_s_p50, lock_wait_s_p95,
            artifact_upload_latency_s_p50, artifact_upload_latency_s_p95, manifest_to_db_lag_s_p50,
            manifest_to_db_lag_s_p95, manifest_to_db_lag_s_max,
            to_char(dispatch_token_rotated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS rotated_at,
            to_char(dispatch_token_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS expires_at,
            repository
       FROM public.provenance_kpi_daily ORDER BY repository, day`,
  );
  const pairs = [
    ...new Set(runs.map((r) => `${r.repository ?? 'default'} ${r.entry.timestamp.slice(0, 10)}`)),
  ].sort();
  const expected = pairs.map((pair) => {
    const [repository, day] = pair.split(' ') as [string, string];
    const since = `${day}T00:00:00.000Z`;
    const until = new Date(Date.parse(since) + 86_400_000).toISOString();
    const a = aggregateRuns(runs, { since, until }, { scope: { repositories: [repository] } });
    return {
      day,
      entries: a.entries,
      failures: a.failures,
      missing_artifacts: a.missing_artifacts,
      validated: a.validated,
      failure_rate: a.failures / a.entries,
      missing_artifact_rate: a.missing_artifacts / a.entries,
      validated_rate: a.validated / a.entries,
      notify_attempts: a.notify_attempts,
      notify_delivered: a.notify_delivered,
      lock_wait_s_p50: a.lock_wait_s.p50,
      lock_wait_s_p95: a.lock_wait_s.p95,
      artifact_upload_latency_s_p50: a.artifact_upload_latency_s.p50,
      artifact_upload_latency_s_p95: a.artifact_upload_latency_s.p95,
      manifest_to_db_lag_s_p50: a.manifest_to_db_lag_s.p50,
      manifest_to_db_lag_s_p95: a.manifest_to_db_lag_s.p95,
      manifest_to_db_lag_s_max: a.manifest_to_db_lag_s.max,
      rotated_at: a.dispatch_token_rotated_at,
      expires_at: a.dispatch_token_expires_at,
      repository,
    };
  });
  expect(view.rows.map((r) => ({ ...r }))).toEqual(expected);
}

/** The repositories a scope names among the given ones (case-insensitively, as resolveScope). */
function scopeRepositories(scope: KpiScope | undefined, all: readonly string[]): string[] | undefined {
  if (scope === undefined) return undefined;
  return all.filter(
    (name) =>
      (scope.repositories ?? []).some((r) => r.toLowerCase() === name.toLowerCase()) ||
      (scope.owner !== undefined && name.toLowerCase().startsWith(`${scope.owner.toLowerCase()}/`)),
  );
}

/**
 * The dashboard's per-day series and (status, flag) breakdown of a window (of the given
 * repositories, default every one), from the runs; the breakdown sorted by label.
 */
function dashboardReference(runs: readonly KpiRun[], window: KpiWindow, repositories?: readonly string[]) {
  const inside = runs.filter((r) => {
    const t = Date.parse(r.entry.timestamp);
    return (
      t >= Date.parse(window.since) &&
      t < Date.parse(window.until) &&
      (repositories === undefined || repositories.includes(r.repository ?? 'default'))
    );
  });
  const days = [...new Set(inside.map((r) => r.entry.timestamp.slice(0, 10)))].sort();
  const count = (values: (string | null)[]) => {
    const counts = new Map<string | null, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    return [...counts]
      .map(([label, n]) => ({ label, count: n }))
      .sort((a, b) => String(a.label).localeCompare(String(b.label)));
  };
  return {
    daily: days.map((day) => {
      const of = inside.filter((r) => r.entry.timestamp.startsWith(day));
      // the day's lag p95: the largest of the repositories' own p95s (the worst repository's)
      const p95s = [...new Set(of.map((r) => r.repository))].map((repo) => {
        const lags = of
          .filter((r) => r.repository === repo)
          .map((r) => (Date.parse(r.ingested_at!) - Date.parse(r.entry.timestamp)) / 1000);
        return percentileCont(
          [...lags].sort((a, b) => a - b),
          0.95,
        )!;
      });
      return {
        day,
        success: of.filter((r) => r.entry.status === 'success').length,
        failure: of.filter((r) => r.entry.status === 'failure').length,
        missingArtifact: of.filter((r) => isMissingArtifact(r.entry)).length,
        validated: of.filter((r) => r.entry.validation?.status === 'passed').length,
        lagP95S: Math.max(...p95s),
      };
    }),
    statusCounts: count(inside.map((r) => r.entry.status)),
    flagCounts: count(inside.map((r) => r.entry.governance_flag ?? null)),
  };
}

/**
 * The hour rollup (migration …200000) equals a recount of the runs: the per-(repository, hour) rows
 * exactly, the organisation's hourly histogram in its counts, with bounds around every value.
 */
async function expectHourRollupEqualsRuns(db: DbClient): Promise<void> {
  const hour = `date_trunc('hour', r."timestamp" AT TIME ZONE 'UTC')::text`;
  const kept = await db.query(
    `SELECT repository, (hour AT TIME ZONE 'UTC')::text AS hour, entries, failures, missing_artifacts, validated,
            success, validation_failures, notify_attempts::integer AS notify_attempts,
            notify_delivered::integer AS notify_delivered, notified_runs, notified_runs_delivered,
            signatures_verified, signatures_unsigned, signatures_invalid, signatures_untrusted,
            signatures_unverified, missing_from_ledger, manifest_to_db_lag_s_max,
            (dispatch_token_rotated_at AT TIME ZONE 'UTC')::text AS rotated_at,
            (dispatch_token_expires_at AT TIME ZONE 'UTC')::text AS expires_at
       FROM public.provenance_kpi_hours ORDER BY 1, 2`,
  );
  const recount = await db.query(
    `SELECT r.repository, ${hour} AS hour, count(*)::integer AS entries,
            count(*) FILTER (WHERE r.status = 'failure')::integer AS failures,
            count(*) FILTER (WHERE r.artifact_url IS NULL OR r.governance_flag = 'artifact-missing')::integer AS missing_artifacts,
            count(*) FILTER (WHERE r.validation_status = 'passed')::integer AS validated,
            count(*) FILTER (WHERE r.status = 'success')::integer AS success,
            count(*) FILTER (WHERE r.validation_status = 'failed')::integer AS validation_failures,
            coalesce(sum(r.notify_attempts), 0)::integer AS notify_attempts,
            coalesce(sum(r.notify_delivered), 0)::integer AS notify_delivered,
            count(*) FILTER (WHERE r.notify_attempts > 0)::integer AS notified_runs,
            count(*) FILTER (WHERE r.notify_attempts > 0 AND r.notify_delivered >= r.notify_attempts)::integer AS notified_runs_delivered,
            count(*) FILTER (WHERE r.signature_status = 'verified')::integer AS signatures_verified,
            count(*) FILTER (WHERE r.signature_status = 'unsigned')::integer AS signatures_unsigned,
            count(*) FILTER (WHERE r.signature_status = 'invalid')::integer AS signatures_invalid,
            count(*) FILTER (WHERE r.signature_status = 'untrusted')::integer AS signatures_untrusted,
            count(*) FILTER (WHERE r.signature_status = 'unverified')::integer AS signatures_unverified,
            count(*) FILTER (WHERE r.missing_since IS NOT NULL)::integer AS missing_from_ledger,
            max(r.lag_s) AS manifest_to_db_lag_s_max,
            (max(r.dispatch_token_rotated_at) AT TIME ZONE 'UTC')::text AS rotated_at,
            (max(r.dispatch_token_expires_at) AT TIME ZONE 'UTC')::text AS expires_at
       FROM public.slsa_runs r GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  expect(kept.rows).toEqual(recount.rows);
  const flags = await db.query(
    `SELECT repository, (hour AT TIME ZONE 'UTC')::text AS hour, status, governance_flag, runs
       FROM public.provenance_kpi_hour_flags ORDER BY 1, 2, 3, 4`,
  );
  const reflagged = await db.query(
    `SELECT r.repository, ${hour} AS hour, r.status, r.governance_flag, count(*)::integer AS runs
       FROM public.slsa_runs r GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
  );
  expect(flags.rows).toEqual(reflagged.rows);
  const buckets = await db.query<{
    hour: string;
    metric: number;
    bucket: number;
    runs: number;
    inside: boolean;
  }>(
    `SELECT c.hour, c.metric, c.bucket, c.runs, coalesce(k.min_value <= c.lo AND k.max_value >= c.hi, false) AS inside,
            k.runs::integer AS kept
       FROM (SELECT ${hour} AS hour, x.metric, width_bucket(x.v, public.slsa_kpi_thresholds()) AS bucket,
                    count(*)::integer AS runs, min(x.v) AS lo, max(x.v) AS hi
               FROM public.slsa_runs r
              CROSS JOIN LATERAL (VALUES (1, r.lock_wait_s), (2, r.artifact_upload_latency_s), (3, r.lag_s),
                                         (4, r.notify_latency_s)) AS x(metric, v)
              WHERE x.v IS NOT NULL GROUP BY 1, 2, 3) c
       FULL JOIN (SELECT (hour AT TIME ZONE 'UTC')::text AS hour, metric::integer AS metric, bucket, runs, min_value,
                         max_value
                    FROM public.provenance_kpi_org_hour_buckets) k
         ON k.hour = c.hour AND k.metric = c.metric AND k.bucket = c.bucket
      WHERE c.runs IS DISTINCT FROM k.runs OR NOT coalesce(k.min_value <= c.lo AND k.max_value >= c.hi, false)`,
  );
  expect(buckets.rows).toEqual([]);
}

async function expectReportsEqualReference(db: DbClient): Promise<void> {
  const runs = await referenceRuns(db);
  const now = new Date('2025-11-27T00:00:00Z');
  const sorted = <T extends { label: string | null }>(a: readonly T[]) =>
    [...a].sort((x, y) => String(x.label).localeCompare(String(y.label)));
  const { options } = await loadReferenceInputs(db);
  const repositories = [...new Set(runs.map((r) => r.repository ?? 'default'))].sort();
  const scopes: (KpiScope | undefined)[] = [
    undefined,
    ...repositories.map((r) => ({ repositories: [r] })),
    { owner: 'ACME' },
    { repositories: ['acme/gadgets'], owner: 'nobody' },
  ];
  // the organisation's fine histograms (kept by deltas) equal a recount of the runs
  const recount = `SELECT x.metric, public.slsa_kpi_fine_bucket(x.v) AS fine, %s AS t, count(*)::integer AS runs
      FROM public.slsa_runs r
     CROSS JOIN LATERAL (VALUES (1, r.lock_wait_s), (2, r.artifact_upload_latency_s), (3, r.lag_s),
                                (4, r.notify_latency_s)) AS x(metric, v)
     WHERE x.v IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
  for (const [table, t] of [
    ['slsa_kpi_org_fine_days', 'day'],
    ['slsa_kpi_org_fine_months', 'month'],
  ] as const) {
    const kept = await db.query(
      `SELECT metric::integer AS metric, bucket * 64 + sub AS fine, ${t}::text AS t, runs::integer AS runs
         FROM public.${table} WHERE runs <> 0 ORDER BY 1, 2, 3`,
    );
    const expected = await db.query(
      recount.replace(
        '%s',
        t === 'day'
          ? `(r."timestamp" AT TIME ZONE 'UTC')::date::text`
          : `date_trunc('month', r."timestamp" AT TIME ZONE 'UTC')::date::text`,
      ),
    );
    expect({ table, rows: kept.rows }).toEqual({ table, rows: expected.rows });
  }
  // the per-(repository, month) counts (kept by deltas from the per-day rows) equal a recount
  const months = await db.query(
    `SELECT repository, month::text AS month, entries::integer AS entries, failures::integer AS failures,
            validated::integer AS validated
       FROM public.provenance_kpi_repo_monthly ORDER BY 1, 2`,
  );
  const recounted = await db.query(
    `SELECT repository, date_trunc('month', "timestamp" AT TIME ZONE 'UTC')::date::text AS month,
            count(*)::integer AS entries, count(*) FILTER (WHERE status = 'failure')::integer AS failures,
            count(*) FILTER (WHERE validation_status = 'passed')::integer AS validated
       FROM public.slsa_runs GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  expect(months.rows).toEqual(recounted.rows);
  await expectHourRollupEqualsRuns(db);
  for (const window of windows) {
    for (const scope of scopes) {
      const fromSql = await loadKpiReport(db, window, now, scope);
      const reference = {
        now,
        ...options,
        ...(scope === undefined ? {} : { scope }),
      };
      expect({ scope, report: fromSql }).toEqual({ scope, report: computeKpis(runs, window, reference) });
      // `/api/kpi`'s one read (the charts from the report's per-day statement, one transaction): the
      // same report, and the charts of the dashboard's own read and of the reference
      const withCharts = await loadKpiReportWithCharts(db, window, now, scope);
      expect({ scope, report: withCharts.report }).toEqual({ scope, report: fromSql });
      const charts = await loadDashboardAggregates(db, window, scope);
      const sortedCharts = (c: DashboardAggregates) => ({
        ...c,
        statusCounts: sorted(c.statusCounts),
        flagCounts: sorted(c.flagCounts),
      });
      expect({ scope, window, charts: sortedCharts(withCharts.charts) }).toEqual({
        scope,
        window,
        charts: sortedCharts(charts),
      });
      expect({ scope, window, charts: sortedCharts(charts) }).toEqual({
        scope,
        window,
        charts: dashboardReference(runs, window, scopeRepositories(scope, repositories)),
      });
      // the full list when asked, and the same list a page at a time
      const listed = await loadKpiReport(db, window, now, scope, { manifests: true });
      expect({ scope, report: listed }).toEqual({
        scope,
        report: computeKpis(runs, window, { ...reference, listManifests: true }),
      });
      const paged: Record<string, string> = {};
      const several = new Set<string>();
      let after: { repository: string; path: string } | undefined;
      for (let page = 0; page < 100; page++) {
        const got = await listManifestFiles(db, window, scope, {
          limit: 2,
          ...(after === undefined ? {} : { after }),
        });
        expect(got.files.length).toBeLessThanOrEqual(2);
        for (const f of got.files) {
          paged[`${f.repository}:${f.path}`] = f.hash;
          several.add(f.repository);
        }
        if (got.next === null) break;
        after = got.next;
      }
      const keyed = Object.fromEntries(
        Object.entries(paged).map(([k, v]) => [several.size > 1 ? k : k.slice(k.indexOf(':') + 1), v]),
      );
      expect({ scope, window, files: keyed }).toEqual({ scope, window, files: listed.manifest_hash });
    }
    // the organisation's percentiles through its histograms and fine buckets (a larger window's way)
    const viaFine = await db.transaction((tx) =>
      queryKpiAggregates(tx, window, undefined, { directPercentileRuns: 0 }),
    );
    const reference = aggregateRuns(runs, window, {});
    expect({
      window,
      lock: viaFine.lock_wait_s,
      upload: viaFine.artifact_upload_latency_s,
      lag: viaFine.manifest_to_db_lag_s,
      notify: viaFine.notify_latency_s,
    }).toEqual({
      window,
      lock: reference.lock_wait_s,
      upload: reference.artifact_upload_latency_s,
      lag: reference.manifest_to_db_lag_s,
      notify: reference.notify_latency_s,
    });
    const dashboard = await loadDashboardAggregates(db, window);
    expect({
      ...dashboard,
      statusCounts: sorted(dashboard.statusCounts),
      flagCounts: sorted(dashboard.flagCounts),
    }).toEqual(dashboardReference(runs, window));
  }
}

describe.each(engines)('KPI SQL on %s', (engine) => {
  let target: EngineTarget;

  beforeAll(async () => {
    target = await createEngineTarget(engine, 'kpiq');
    await migrateDatabase(target.options);
  });
  afterAll(async () => {
    await target?.cleanup();
  });

  it.each([
    ['after inserts', false],
    ['after updates of status, validation, times and metrics', true],
  ])('equals the reference on awkward times %s', async (_label, changed) => {
    const db = await openDatabase({ ...target.options, role: 'owner' });
    try {
      if (changed) await write(db, false);
      await write(db, changed);
      const runs = await referenceRuns(db);
      expect(runs).toHaveLength(times.length);
      await expectReportsEqualReference(db);
      await expectDailyEqualsReference(db);
      const all = await loadKpiReport(db, windows[2]!, new Date('2025-11-27T00:00:00Z'));
      expect(all.entries).toBe(times.length);
      expect(all.manifest_to_db_lag_s.max).not.toBeNull();
    } finally {
      await db.close();
    }
  });

  it('keeps the per-day rollup exact through deletes, a day emptied, a run moved to another day and a truncate', async () => {
    const db = await openDatabase({ ...target.options, role: 'owner' });
    try {
      await write(db, false);
      await write(db, true);
      await db.query('DELETE FROM public.slsa_runs WHERE run_id % 3 = 0');
      await expectReportsEqualReference(db);
      await expectDailyEqualsReference(db);
      // move one run to a day of its own and back: the old day loses it, the new one gains it
      await db.query(
        `UPDATE public.slsa_runs SET "timestamp" = '2025-11-20T08:00:00Z',
                entry = jsonb_set(entry, '{timestamp}', '"2025-11-20T08:00:00.000Z"')
          WHERE run_id = 2`,
      );
      await expectReportsEqualReference(db);
      await expectDailyEqualsReference(db);
      await db.query('DELETE FROM public.slsa_runs WHERE run_id = 2');
      await expectDailyEqualsReference(db);
      const emptied = await db.query(
        `SELECT count(*)::integer AS n FROM public.provenance_kpi_daily WHERE day = '2025-11-20'`,
      );
      expect(emptied.rows[0]).toEqual({ n: 0 });
      await db.query('TRUNCATE public.slsa_runs');
      const left = await db.query(
        `SELECT (SELECT count(*) FROM public.provenance_kpi_daily)::integer AS days,
                (SELECT count(*) FROM public.provenance_kpi_day_manifests)::integer AS files`,
      );
      expect(left.rows[0]).toEqual({ days: 0, files: 0 });
      await expectReportsEqualReference(db);
    } finally {
      await db.close();
    }
  });
});

// Two writers of the same day at once, on the server: the second one's trigger waits for the first to
// commit and then rebuilds the day with both runs (without the per-day lock it would fail on the
// rollup's key or count only its own run).
describe.runIf(engines.includes('postgres'))('the per-day rollup under concurrent writers', () => {
  let target: EngineTarget;
  beforeAll(async () => {
    target = await createEngineTarget('postgres', 'kpiconc');
    await migrateDatabase(target.options);
  });
  afterAll(async () => {
    await target?.cleanup();
  });

  const insert = (tag: string, ts: string): string =>
    `INSERT INTO public.slsa_runs (repository, tag, run_id, sha, actor, "timestamp", status, manifest_path, manifest_hash, entry)
     VALUES ('acme/widgets', '${tag}', 1, '${'0'.repeat(40)}', 'bot', '${ts}', 'success', 'docs/reports/${ts.slice(0, 10)}/manifest.json',
             '${'a'.repeat(64)}', '{}')`;

  it.each([
    ['a day the rollup has no row for yet', '2025-12-01'],
    ['a day that already has runs', '2025-12-02'],
  ])('both runs count on %s', async (_label, day) => {
    const a = new pg.Client({ connectionString: target.options.databaseUrl });
    const b = new pg.Client({ connectionString: target.options.databaseUrl });
    await a.connect();
    await b.connect();
    try {
      if (day === '2025-12-02') await a.query(insert(`seed-${day}`, `${day}T01:00:00Z`));
      await a.query('BEGIN');
      await b.query('BEGIN');
      await a.query(insert(`a-${day}`, `${day}T10:00:00Z`));
      const bPid = (await b.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      // in a's hour too: the hour rollup (migration …200000) rebuilds it after the day's lock
      const second = b.query(insert(`b-${day}`, `${day}T10:30:00Z`));
      // b's trigger waits for a's lock on the day
      for (let waited = 0; ; waited += 20) {
        const w = await a.query(`SELECT wait_event FROM pg_stat_activity WHERE pid = $1`, [bPid]);
        // the day's lock, or a row of the organisation's histogram the first writer holds
        if (w.rows[0]?.wait_event === 'advisory' || w.rows[0]?.wait_event === 'transactionid') break;
        if (waited > 5000) throw new Error(`b is not waiting on the day's lock: ${JSON.stringify(w.rows)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await a.query('COMMIT');
      await second;
      await b.query('COMMIT');
      const { rows } = await a.query(
        `SELECT entries, (SELECT count(*)::integer FROM public.slsa_runs
                           WHERE ("timestamp" AT TIME ZONE 'UTC')::date = $1::date) AS runs
           FROM public.provenance_kpi_daily WHERE day = $1::date`,
        [day],
      );
      const runs = day === '2025-12-02' ? 3 : 2;
      expect(rows).toEqual([{ entries: runs, runs }]);
      const hours = await a.query(
        `SELECT (hour AT TIME ZONE 'UTC')::text AS hour, sum(entries)::integer AS entries
           FROM public.provenance_kpi_hours WHERE (hour AT TIME ZONE 'UTC')::date = $1::date GROUP BY 1 ORDER BY 1`,
        [day],
      );
      expect(hours.rows).toEqual([
        ...(day === '2025-12-02' ? [{ hour: `${day} 01:00:00`, entries: 1 }] : []),
        { hour: `${day} 10:00:00`, entries: 2 },
      ]);
    } finally {
      await a.end();
      await b.end();
    }
  });
});

// The percentiles come from per-day bucket counts and reads from the metric indexes, not from a sort:
// hold them to the reference on many runs whose values sit on, between, below and above the bucket
// boundaries (zeros, negatives, exact powers of two, 1e-7, 2e9, duplicates, missing values), over
// windows of whole days, partial days and less than a day. Unrounded aggregates, compared exactly.
const seededRandom = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

function awkwardValue(random: () => number): number | undefined {
  const r = random();
  if (r < 0.05) return undefined;
  if (r < 0.25) return 0;
  if (r < 0.4) return 2 ** (Math.floor(random() * 80 - 20) / 8); // on a boundary (as the literal or 1 ulp off)
  if (r < 0.5) return -Math.round(random() * 5000) / 1000;
  if (r < 0.6) return Math.round(random() * 1e7) / 1e14; // below the lowest boundary
  if (r < 0.7) return 2e9 + Math.round(random() * 1e9); // above the highest
  if (r < 0.8) return [0.5, 1.25, 3.75][Math.floor(random() * 3)]!; // many equal values
  return Math.round(random() * 600_000) / 1000;
}

// Its own database: the runs it writes would be in the other suites' windows.
describe.each(engines)('KPI rank reads on bucket bounds on %s', (engine) => {
  let target: EngineTarget;
  beforeAll(async () => {
    target = await createEngineTarget(engine, 'kpibnd');
    await migrateDatabase(target.options);
  });
  afterAll(async () => {
    await target?.cleanup();
  });

  it("a repository's rank reads take values on a bucket's lower bound and leave those on its upper one", async () => {
    // lock_wait_s 1.0 x6 and 1.05 x4: the median's bucket [1, 2^(1/8)) starts at a value the runs hold
    // (read up from it); upload 1.9 x4, 1.95 x2 and 2.0 x4: the median's bucket [2^(7/8), 2) ends where
    // the next one's values start (read down from it). 1 and 2 are thresholds exactly (2^0, 2^1).
    const lock = [1, 1, 1, 1, 1, 1, 1.05, 1.05, 1.05, 1.05];
    const upload = [1.9, 1.9, 1.9, 1.9, 1.95, 1.95, 2, 2, 2, 2];
    const db = await openDatabase({ ...target.options, role: 'owner' });
    try {
      await db.query(
        `INSERT INTO public.slsa_runs (repository, tag, run_id, sha, artifact_url, actor, "timestamp", status, metrics,
           lock_wait_s, artifact_upload_latency_s, manifest_path, manifest_hash, ingested_at, first_ingested_at, entry)
         SELECT 'acme/edges', 'v1.' || i || '.0', 9000 + i, lpad(to_hex(9000 + i), 40, '0'), 'https://example.test/e', 'bot',
                '2025-11-10T00:00:00Z'::timestamptz + i * interval '1 hour', 'success', '{}'::jsonb,
                ($1::double precision[])[i], ($2::double precision[])[i], 'docs/reports/x/manifest.json', 'h',
                '2025-11-12T00:00:00Z', '2025-11-12T00:00:00Z', '{}'::jsonb
           FROM generate_series(1, 10) AS i`,
        [lock, upload],
      );
      const window = { since: '2025-11-09T00:00:00.000Z', until: '2025-11-12T00:00:00.000Z' };
      const fromSql = await db.transaction((tx) =>
        queryKpiAggregates(tx, window, { repositories: ['acme/edges'] }, { directPercentileRuns: 0 }),
      );
      expect(fromSql.lock_wait_s).toEqual({
        p50: percentileCont(lock, 0.5),
        p95: percentileCont(lock, 0.95),
      });
      expect(fromSql.artifact_upload_latency_s).toEqual({
        p50: percentileCont(upload, 0.5),
        p95: percentileCont(upload, 0.95),
      });
    } finally {
      await db.close();
    }
  });
});

describe.each(engines)('KPI percentiles from bucket counts on %s', (engine) => {
  let target: EngineTarget;
  beforeAll(async () => {
    target = await createEngineTarget(engine, 'kpipct');
    await migrateDatabase(target.options);
  });
  afterAll(async () => {
    await target?.cleanup();
  });

  it('equals the reference exactly on 1,500 runs with awkward values', async () => {
    const random = seededRandom(20261126);
    const rows = Array.from({ length: 1500 }, (_, i) => {
      // every 50th run lands in one hour, ingested two days before its time: most of that hour's lags
      // lie below the lowest boundary, so its median is read from bucket 0 (no lower bound)
      const early = i % 50 === 7;
      const ts = early
        ? Date.parse('2025-11-22T05:00:00Z') + Math.floor(random() * 3_600_000)
        : Date.parse('2025-11-20T00:00:00Z') + Math.floor(random() * 4 * 86_400_000);
      const lagMs = early
        ? -172_800_000 - Math.floor(random() * 1e6)
        : [0, 1, -1500, 250, 86_400_000][i % 5]! + Math.floor(random() * (i % 3 === 0 ? 1000 : 600_000));
      const lock = awkwardValue(random);
      const upload = awkwardValue(random);
      const e = {
        run_id: i + 1,
        tag: `v9.${i}.0`,
        sha: (i + 1).toString(16).padStart(40, '0'),
        artifact_url: `https://example.test/${i}`,
        actor: 'bot',
        timestamp: new Date(ts).toISOString(),
        status: 'success',
        metrics: {
          ...(lock === undefined ? {} : { lock_wait_s: lock }),
          ...(upload === undefined ? {} : { artifact_upload_latency_s: upload }),
        },
      };
      return { e, ingested: new Date(ts + lagMs).toISOString(), lock, upload };
    });
    const db = await openDatabase({ ...target.options, role: 'owner' });
    try {
      await db.query(
        `INSERT INTO public.slsa_runs (repository, tag, run_id, sha, artifact_url, actor, "timestamp", status, metrics,
           lock_wait_s, artifact_upload_latency_s, manifest_path, manifest_hash, ingested_at, first_ingested_at, entry)
         SELECT CASE WHEN (x.e->>'run_id')::integer % 4 = 0 THEN 'acme/b' ELSE 'acme/a' END, x.e->>'tag', (x.e->>'run_id')::bigint, x.e->>'sha', x.e->>'artifact_url', 'bot',
                (x.e->>'timestamp')::timestamptz, 'success', x.e->'metrics', x.lock, x.upload,
                'docs/reports/x/manifest.json', 'h', x.ingested, x.ingested, x.e
           FROM jsonb_to_recordset($1::jsonb) AS x(e jsonb, ingested timestamptz, lock double precision, upload double precision)`,
        [
          JSON.stringify(
            rows.map((r) => ({
              e: r.e,
              ingested: r.ingested,
              lock: r.lock ?? null,
              upload: r.upload ?? null,
            })),
          ),
        ],
      );
      const runs = await referenceRuns(db);
      expect(runs).toHaveLength(1500);
      for (const window of [
        { since: '2025-11-20T00:00:00.000Z', until: '2025-11-24T00:00:00.000Z' },
        { since: '2025-11-20T13:17:00.000Z', until: '2025-11-23T02:00:00.123Z' },
        { since: '2025-11-21T06:00:00.000Z', until: '2025-11-21T06:30:00.000Z' },
        { since: '2025-11-22T00:00:00.000Z', until: '2025-11-23T00:00:00.000Z' },
        { since: '2025-11-19T00:00:00.000Z', until: '2025-11-20T00:00:00.000Z' },
        { since: '2025-11-22T05:00:00.000Z', until: '2025-11-22T06:00:00.000Z' },
        // whole months (the organisation's month histogram) with and without days beside them
        { since: '2025-10-01T00:00:00.000Z', until: '2025-12-01T00:00:00.000Z' },
        { since: '2025-10-15T06:00:00.000Z', until: '2025-12-15T00:00:00.000Z' },
      ]) {
        // the organisation (its own histograms) and one repository (its per-day histograms); both
        // ways to the percentiles: percentile_cont over a small window's runs (the default here), and
        // the histogram with the rank reads (what a window of more than directPercentileRuns takes),
        // on the server also with the reads shared out with a second connection on the snapshot
        // (`beside`: docs/database.md "Two connections, one snapshot")
        for (const [scope, direct] of [undefined, { repositories: ['acme/b'] }].flatMap((scope) =>
          [undefined, 0, ...(engine === 'postgres' ? (['beside'] as const) : [])].map(
            (d) => [scope, d] as const,
          ),
        )) {
          const fromSql = await db.transaction(async (tx) => {
            if (direct !== 'beside')
              return queryKpiAggregates(
                tx,
                window,
                scope,
                direct === undefined ? {} : { directPercentileRuns: direct },
              );
            await tx.query(READ_ONLY_SNAPSHOT);
            const side = await besideOf(tx);
            expect(side).not.toBe(tx);
            return queryKpiAggregates(tx, window, scope, { directPercentileRuns: 0, side });
          });
          const reference = aggregateRuns(runs, window, scope === undefined ? {} : { scope });
          expect({
            window,
            scope,
            direct,
            lock: fromSql.lock_wait_s,
            upload: fromSql.artifact_upload_latency_s,
            lag: fromSql.manifest_to_db_lag_s,
          }).toEqual({
            window,
            scope,
            direct,
            lock: reference.lock_wait_s,
            upload: reference.artifact_upload_latency_s,
            lag: reference.manifest_to_db_lag_s,
          });
        }
      }
    } finally {
      await db.close();
    }
  });
});

// A window's edge days read once (docs/database.md "Tenth session: the window's edge day"): its
// partial first and last days are read run by run by one statement, grouped every way the report and
// the charts need, and added to the rollup's whole days in the client. Hold every figure of the
// report and of the charts to the reference over windows whose edges fall inside days holding runs on
// both sides (several repositories, every status, flag, validation and notify outcome on each edge
// day), and count the statements that read the runs of the edges.
describe.each(engines)("KPI reports read the window's edge runs once on %s", (engine) => {
  let target: EngineTarget;
  beforeAll(async () => {
    target = await createEngineTarget(engine, 'kpiedge');
    await migrateDatabase(target.options);
  });
  afterAll(async () => {
    await target?.cleanup();
  });

  // the statements of a client's transactions that read runs of a window's edge, [since, first
  // whole day) (edgeRuns and the fine counts' edge part both say so)
  const counting = (
    db: DbClient,
  ): { db: DbClient; edgeReads: () => number; hourReads: () => number; reset: () => void } => {
    let n = 0;
    let byHour = 0;
    const wrapped = wrapTransactions(db, (tx) => ({
      exec: (sql) => tx.exec(sql),
      query: (sql, params) => {
        if (sql.includes('"timestamp" < $3::timestamptz')) n++;
        if (sql.includes('provenance_kpi_hours')) byHour++;
        return tx.query(sql, params);
      },
    }));
    return {
      db: wrapped,
      edgeReads: () => n,
      hourReads: () => byHour,
      reset: () => {
        n = 0;
        byHour = 0;
      },
    };
  };

  it('equals the reference on edge days with runs on both sides, reading the edge runs once', async () => {
    const random = seededRandom(20261204);
    const repos = ['acme/a', 'acme/b', 'other/c'];
    // a run every 7 minutes from 11-20 to 11-23 (~820), the repositories in turn, ingested 0-10 minutes
    // later (one in 40 a day early: a negative lag)
    const rows = Array.from({ length: 820 }, (_, i) => {
      const ts = Date.parse('2025-11-20T00:03:00Z') + i * 7 * 60_000 + Math.floor(random() * 60_000);
      const e = entry(i, new Date(ts).toISOString(), i % 5 === 0);
      const lag = i % 40 === 3 ? -86_400_000 : Math.floor(random() * 600_000);
      return {
        repository: repos[i % 3]!,
        e: { ...e, tag: `v2.${i}.0`, run_id: 5000 + i },
        ingested: new Date(ts + lag).toISOString(),
      };
    });
    const owner = await openDatabase({ ...target.options, role: 'owner' });
    try {
      await owner.query(
        `INSERT INTO public.slsa_runs (repository, tag, run_id, sha, artifact_url, actor, "timestamp", status,
           governance_flag, release_url, validation, metrics, validation_status, validated_at,
           artifact_upload_latency_s, lock_wait_s, notify_attempts, notify_delivered, dispatch_token_expires_at,
           dispatch_token_rotated_at, manifest_path, manifest_hash, ingested_at, first_ingested_at, entry)
         SELECT x.repository, x.e->>'tag', (x.e->>'run_id')::bigint, x.e->>'sha', x.e->>'artifact_url', x.e->>'actor',
                (x.e->>'timestamp')::timestamptz, x.e->>'status', x.e->>'governance_flag', x.e->>'release_url',
                x.e->'validation', x.e->'metrics', x.e->'validation'->>'status',
                (x.e->'validation'->>'validated_at')::timestamptz,
                (x.e->'metrics'->>'artifact_upload_latency_s')::double precision,
                (x.e->'metrics'->>'lock_wait_s')::double precision,
                (x.e->'metrics'->'notify'->>'attempts')::integer, (x.e->'metrics'->'notify'->>'delivered')::integer,
                (x.e->'metrics'->>'dispatch_token_expires_at')::timestamptz,
                (x.e->'metrics'->>'dispatch_token_rotated_at')::timestamptz,
                'docs/reports/' || left(x.e->>'timestamp', 10) || '/manifest.json',
                rpad(replace(left(x.e->>'timestamp', 10), '-', ''), 64, '0'), x.ingested, x.ingested, x.e
           FROM jsonb_to_recordset($1::jsonb) AS x(repository text, e jsonb, ingested timestamptz)`,
        [JSON.stringify(rows)],
      );
    } finally {
      await owner.close();
    }
    const base = await openDatabase({ ...target.options, role: 'reader' });
    const { db, edgeReads, hourReads, reset } = counting(base);
    try {
      const runs = await referenceRuns(base);
      expect(runs).toHaveLength(820);
      const { options } = await loadReferenceInputs(base);
      const now = new Date('2025-11-27T00:00:00Z');
      const sorted = <T extends { label: string | null }>(a: readonly T[]) =>
        [...a].sort((x, y) => String(x.label).localeCompare(String(y.label)));
      const windows: KpiWindow[] = [
        // both edges inside days with runs before and after them
        { since: '2025-11-20T13:17:00.000Z', until: '2025-11-22T09:41:00.123Z' },
        // inside one day, runs on both sides of both ends
        { since: '2025-11-21T05:00:00.000Z', until: '2025-11-21T18:00:00.000Z' },
        // the first day in part, the last at a midnight
        { since: '2025-11-20T13:17:00.000Z', until: '2025-11-23T00:00:00.000Z' },
        // as a window ending now: the last day settled (no run after until), the first in part
        { since: '2025-11-21T11:11:11.111Z', until: '2025-11-26T00:00:00.000Z' },
      ];
      for (const window of windows) {
        // every window here has runs on its first day before `since`
        expect(
          runs.some(
            (r) =>
              r.entry.timestamp < window.since &&
              r.entry.timestamp.slice(0, 10) === window.since.slice(0, 10),
          ),
        ).toBe(true);
        for (const scope of [undefined, { repositories: ['acme/b'] }, { owner: 'acme' }] as (
          KpiScope | undefined
        )[]) {
          const reference = { now, ...options, ...(scope === undefined ? {} : { scope }) };
          reset();
          const report = await loadKpiReport(db, window, now, scope);
          expect({ window, scope, report }).toEqual({
            window,
            scope,
            report: computeKpis(runs, window, reference),
          });
          // one statement reads the edge runs (the percentiles here are percentile_cont over the window),
          // and one more the edge's manifest files when the report lists them (one repository's)
          expect({ window, scope, edgeReads: edgeReads() }).toEqual({
            window,
            scope,
            edgeReads: report.manifest_hash === null ? 1 : 2,
          });
          // the organisation's edge days by the hour: its whole hours from the hour rollup
          expect({ window, scope, hourReads: hourReads() }).toEqual({
            window,
            scope,
            hourReads: scope === undefined ? 1 : 0,
          });
          reset();
          const charts = await loadDashboardAggregates(db, window, scope);
          expect({ window, scope, edgeReads: edgeReads(), hourReads: hourReads() }).toEqual({
            window,
            scope,
            edgeReads: 1,
            hourReads: scope === undefined ? 1 : 0,
          });
          const chartsReference = dashboardReference(runs, window, scopeRepositories(scope, repos));
          expect({
            window,
            scope,
            charts: {
              ...charts,
              statusCounts: sorted(charts.statusCounts),
              flagCounts: sorted(charts.flagCounts),
            },
          }).toEqual({
            window,
            scope,
            charts: chartsReference,
          });
          const both = await loadKpiReportWithCharts(db, window, now, scope);
          expect({ window, scope, report: both.report }).toEqual({ window, scope, report });
          expect({
            window,
            scope,
            charts: {
              ...both.charts,
              statusCounts: sorted(both.charts.statusCounts),
              flagCounts: sorted(both.charts.flagCounts),
            },
          }).toEqual({
            window,
            scope,
            charts: chartsReference,
          });
          // the larger window's way to the percentiles: histograms (the edge runs' rows added) and rank
          // or fine reads; every aggregate, not only the percentiles
          const viaBuckets = await base.transaction((tx) =>
            queryKpiAggregates(tx, window, scope, { directPercentileRuns: 0 }),
          );
          expect({ window, scope, aggregates: viaBuckets }).toEqual({
            window,
            scope,
            aggregates: aggregateRuns(runs, window, {
              ...options,
              ...(scope === undefined ? {} : { scope }),
              listManifests: true,
            }),
          });
        }
      }
    } finally {
      await base.close();
    }
  });
});

// A database that already holds runs when migration …150800 arrives: the lag column is computed for
// every run and the rollup is built from them, so the first report after the upgrade is exact.
describe.each(engines)('upgrading a database with runs to the KPI rollup on %s', (engine) => {
  let target: EngineTarget;
  let before: string;
  beforeAll(async () => {
    target = await createEngineTarget(engine, 'kpiupg');
    before = await mkdtemp(join(tmpdir(), 'slsa-migrations-'));
    for (const name of await readdir(defaultMigrationsDir)) {
      if (name < '20261126150800') await copyFile(join(defaultMigrationsDir, name), join(before, name));
    }
  });
  afterAll(async () => {
    await target?.cleanup();
    await rm(before, { recursive: true, force: true });
  });

  it('backfills the stored lag and every per-day table', async () => {
    await migrateDatabase({ ...target.options, migrationsDir: before });
    const db = await openDatabase({ ...target.options, role: 'owner' });
    try {
      await write(db, false, true);
      await db.close();
      const result = await migrateDatabase(target.options);
      expect(result.migrations.filter((m) => m.state === 'applied').map((m) => m.version)).toContain(
        '20261126150800',
      );
      const after = await openDatabase({ ...target.options, role: 'owner' });
      try {
        await expectReportsEqualReference(after);
        await expectDailyEqualsReference(after);
      } finally {
        await after.close();
      }
    } finally {
      await db.close().catch(() => undefined);
    }
  });
});

// A database made by the migrations before the repository dimension, holding runs, their audit rows,
// an ingest and its watermark: the upgrade names every run after the ledger that wrote it and keeps
// every report exact.
describe.each(engines)('upgrading a database with runs to repositories on %s', (engine) => {
  let target: EngineTarget;
  let before: string;
  beforeAll(async () => {
    target = await createEngineTarget(engine, 'repoupg');
    before = await mkdtemp(join(tmpdir(), 'slsa-migrations-'));
    for (const name of await readdir(defaultMigrationsDir)) {
      if (name < '20261202170000') await copyFile(join(defaultMigrationsDir, name), join(before, name));
    }
  });
  afterAll(async () => {
    await target?.cleanup();
    await rm(before, { recursive: true, force: true });
  });

  it('gives existing runs the name the watermark holds and keeps the reports exact', async () => {
    await migrateDatabase({ ...target.options, migrationsDir: before });
    const db = await openDatabase({ ...target.options, role: 'owner' });
    try {
      await write(db, false, true);
      const id = '00000000-0000-4000-8000-000000000001';
      await db.query(
        `INSERT INTO public.ingest_runs (id, status, ledger, to_commit) VALUES ($1, 'succeeded', 'acme/legacy', $2)`,
        [id, 'c'.repeat(40)],
      );
      await db.query(
        `INSERT INTO public.ingest_watermark (ledger, git_commit, ingest_id) VALUES ('acme/legacy', $1, $2)`,
        ['c'.repeat(40), id],
      );
      await db.query(
        `INSERT INTO public.provenance_audit_log (tag, run_id, action, ingest_id, metadata)
         SELECT tag, run_id, 'insert', $1, '{}'::jsonb FROM public.slsa_runs`,
        [id],
      );
    } finally {
      await db.close();
    }
    const result = await migrateDatabase(target.options);
    // the repositories migration first, then any later one
    const applied = result.migrations.filter((m) => m.state === 'applied').map((m) => m.version);
    expect(applied[0]).toBe('20261202170000');
    expect(applied.every((v) => v >= '20261202170000')).toBe(true);
    const after = await openDatabase({ ...target.options, role: 'owner' });
    try {
      const names = await after.query('SELECT DISTINCT repository FROM public.slsa_runs');
      expect(names.rows).toEqual([{ repository: 'acme/legacy' }]);
      const audit = await after.query('SELECT DISTINCT repository FROM public.provenance_audit_log');
      expect(audit.rows).toEqual([{ repository: 'acme/legacy' }]);
      await expectReportsEqualReference(after);
      await expectDailyEqualsReference(after);
    } finally {
      await after.close();
    }
  });
});

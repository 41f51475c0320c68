import { describe, expect, it } from 'vitest';
import {
  kpiFixtureEntries,
  kpiFixtureExpected,
  kpiFixtureNow,
  kpiFixtureWindow,
} from '../../../test/support/kpi-fixture.js';
import {
  aggregateRuns,
  buildKpiReport,
  computeKpis,
  isMissingArtifact,
  manifestListElsewhere,
  percentileCont,
  roundTo,
  shouldListManifests,
  type KpiRun,
} from './kpi.js';

const lagSeconds = [0, 60, 120, 30, 600, 1];
const runs: KpiRun[] = kpiFixtureEntries.map((entry, i) => ({
  entry,
  ingested_at: new Date(Date.parse(entry.timestamp) + lagSeconds[i]! * 1000).toISOString(),
  manifest_path: `docs/reports/${entry.timestamp.slice(0, 10)}/manifest.json`,
  manifest_hash: `old-${i}`,
}));

describe('computeKpis on the hand-computed fixture', () => {
  const report = computeKpis(runs, kpiFixtureWindow, {
    now: kpiFixtureNow,
    manifests: { 'docs/reports/2025-11-24/manifest.json': 'h24' },
    ingestRuns: [
      { started_at: '2025-11-24T01:00:00Z', status: 'failed' },
      { started_at: '2025-11-24T02:00:00Z', status: 'succeeded' },
      { started_at: '2025-11-27T00:00:00Z', status: 'failed' },
    ],
  });

  it.each(Object.entries(kpiFixtureExpected))('%s', (key, expected) => {
    expect((report as unknown as Record<string, unknown>)[key]).toEqual(expected);
  });

  it('lag p50/p95/max over [60,120,30,600,1] s', () => {
    expect(report.manifest_to_db_lag_s).toEqual({ p50: 60, p95: 504, max: 600 });
  });

  it('manifest_hash: the latest hash per file with runs in the window', () => {
    expect(report.manifest_hash).toEqual({
      'docs/reports/2025-11-24/manifest.json': 'h24',
      'docs/reports/2025-11-25/manifest.json': 'old-5',
    });
  });

  it('counts only failed ingests started in the window', () => {
    expect(report.ingest_failures).toBe(1);
  });

  it('keeps the window and now', () => {
    expect(report.window).toEqual(kpiFixtureWindow);
    expect(report.generated_at).toBe(kpiFixtureNow.toISOString());
  });
});

describe('the manifest list of a report of several repositories', () => {
  // the fixture's runs in two repositories; every file's hash known for acme/a only
  const two: KpiRun[] = runs.map((r, i) => ({ ...r, repository: i % 2 === 0 ? 'acme/a' : 'acme/b' }));
  const manifests = { 'acme/a:docs/reports/2025-11-25/manifest.json': 'latest-a' };

  it('lists every file when the report covers at most one repository, else only when asked', () => {
    expect([0, 1, 2, 100].map((n) => shouldListManifests(n))).toEqual([true, true, false, false]);
    expect(shouldListManifests(2, true)).toBe(true);
    expect(shouldListManifests(2, false)).toBe(false);
  });

  it('leaves the list out of the organisation report and says where it is', () => {
    const report = computeKpis(two, kpiFixtureWindow, { now: kpiFixtureNow, manifests });
    expect(report.manifest_hash).toBeNull();
    expect(report.manifests).toEqual({ listed: false, files: null, full_list: manifestListElsewhere });
    expect(report.repositories.map((r) => r.repository)).toEqual(['acme/a', 'acme/b']);
  });

  it('gives the full list with listManifests, keyed owner/name:path', () => {
    const report = computeKpis(two, kpiFixtureWindow, { now: kpiFixtureNow, manifests, listManifests: true });
    expect(report.manifest_hash).toEqual({
      'acme/a:docs/reports/2025-11-24/manifest.json': 'old-2',
      'acme/a:docs/reports/2025-11-25/manifest.json': 'latest-a',
      'acme/b:docs/reports/2025-11-24/manifest.json': 'old-1',
      'acme/b:docs/reports/2025-11-25/manifest.json': 'old-5',
    });
    expect(report.manifests).toEqual({ listed: true, files: 4, full_list: null });
  });

  it("keeps one repository's list as it was, with its size", () => {
    const report = computeKpis(two, kpiFixtureWindow, {
      now: kpiFixtureNow,
      manifests,
      scope: { repositories: ['acme/a'] },
    });
    expect(report.manifest_hash).toEqual({
      'docs/reports/2025-11-24/manifest.json': 'old-2',
      'docs/reports/2025-11-25/manifest.json': 'latest-a',
    });
    expect(report.manifests).toEqual({ listed: true, files: 2, full_list: null });
  });

  it("gives each repository the manifest file of its newest entry with that file's latest hash", () => {
    const report = computeKpis(two, kpiFixtureWindow, { now: kpiFixtureNow, manifests });
    const newest = (repo: string) =>
      two
        .filter((r) => r.repository === repo)
        .reduce((a, b) => (Date.parse(b.entry.timestamp) > Date.parse(a.entry.timestamp) ? b : a));
    const a = newest('acme/a');
    const b = newest('acme/b');
    expect(report.repositories.map((r) => r.latest_manifest)).toEqual([
      {
        path: a.manifest_path,
        hash: manifests[`acme/a:${a.manifest_path!}` as keyof typeof manifests] ?? a.manifest_hash,
      },
      { path: b.manifest_path, hash: b.manifest_hash },
    ]);
    const bare = computeKpis(
      two.map(({ manifest_path: _p, manifest_hash: _h, ...r }) => r),
      kpiFixtureWindow,
      { now: kpiFixtureNow },
    );
    expect(bare.repositories.map((r) => r.latest_manifest)).toEqual([null, null]);
  });
});

describe('empty windows', () => {
  it('gives null rates and percentiles, zero counts', () => {
    const report = computeKpis([], kpiFixtureWindow, { now: kpiFixtureNow });
    expect(report).toMatchObject({
      entries: 0,
      entries_per_day: {},
      failure_rate: null,
      missing_artifact_rate: null,
      validated_rate: null,
      notification_success_ratio: null,
      dispatch_token_age_days: null,
      dispatch_token_days_to_expiry: null,
      lock_wait_s: { p50: null, p95: null },
      manifest_to_db_lag_s: { p50: null, p95: null, max: null },
      ingest_failures: 0,
    });
  });
});

describe('helpers', () => {
  it.each([
    [[], 0.5, null],
    [[7], 0.95, 7],
    [[1, 2, 3, 4], 0.5, 2.5],
    [[1, 2, 3, 4], 0.95, 3.85],
    [[0, 10], 0.25, 2.5],
  ] as const)('percentileCont(%j, %d) = %j', (values, p, expected) => {
    const got = percentileCont(values, p);
    if (expected === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(expected, 10);
  });

  it.each([
    [null, 2, null],
    [Number.NaN, 2, null],
    [1.23456, 2, 1.23],
    [-0.0001, 2, 0],
  ] as const)('roundTo(%j, %d) = %j', (value, digits, expected) => {
    expect(roundTo(value, digits)).toBe(expected);
  });

  it('missing artifact: null url or the artifact-missing flag', () => {
    expect(isMissingArtifact(kpiFixtureEntries[1]!)).toBe(false);
    expect(isMissingArtifact(kpiFixtureEntries[2]!)).toBe(true);
    expect(isMissingArtifact(kpiFixtureEntries[3]!)).toBe(true);
  });

  it('an expired token has negative days to expiry', () => {
    const agg = aggregateRuns(runs, kpiFixtureWindow);
    const late = buildKpiReport(agg, kpiFixtureWindow, new Date('2025-12-22T12:00:00Z'));
    expect(late.dispatch_token_days_to_expiry).toBe(-2.5);
  });

  it('does not mutate its input', () => {
    const copy = structuredClone(runs);
    computeKpis(runs, kpiFixtureWindow, { now: kpiFixtureNow });
    expect(runs).toEqual(copy);
  });
});

import { describe, expect, it } from 'vitest';
import {
  kpiFixtureEntries,
  kpiFixtureExpected,
  kpiFixtureNow,
  kpiFixtureWindow,
} from '../../../test/support/kpi-fixture.js';
import type { LedgerEntry } from '../ledger/entry.js';
import {
  aggregateRuns,
  buildKpiReport,
  computeKpis,
  inScope,
  isMissingArtifact,
  manifestListElsewhere,
  percentileCont,
  roundTo,
  shouldListManifests,
  type KpiRun,
  type KpiScope,
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

// The mutation audit of the nineteenth session (docs/status.md, Issue 17): each case below failed
// a hand mutant of kpi.ts that every earlier unit test let through.
describe('the definitions, case by case (docs/database.md "KPIs")', () => {
  const base = kpiFixtureEntries[4]!; // success, validated, notify 1/1, no token metrics
  const at = (timestamp: string, over: Partial<LedgerEntry> = {}): LedgerEntry => ({
    ...base,
    timestamp,
    ...over,
  });
  const day = { since: '2025-11-24T00:00:00.000Z', until: '2025-11-25T00:00:00.000Z' };
  const noon = '2025-11-24T12:00:00Z';

  it('scope: an exact repository name, or the owner followed by a slash in any letter case', () => {
    const list = { repositories: ['acme/a'] };
    expect(['acme/a', 'acme/ab', 'acme/a-b'].map((r) => inScope(r, list))).toEqual([true, false, false]);
    const owner = { owner: 'acme' };
    expect(['acme/x', 'acme-evil/x', 'acmex/y', 'Acme/X'].map((r) => inScope(r, owner))).toEqual([
      true,
      false,
      false,
      true,
    ]);
    expect(inScope('acme/x', { owner: 'ACME' })).toBe(true);
  });

  it('the window takes its since and leaves its until out', () => {
    const runs = [at('2025-11-24T00:00:00Z'), at('2025-11-25T00:00:00Z'), at('2025-11-23T23:59:59Z')];
    const a = aggregateRuns(
      runs.map((entry) => ({ entry })),
      day,
    );
    expect(a.entries).toBe(1);
    expect(a.per_day).toEqual({ '2025-11-24': 1 });
  });

  it('provenance_kpi_counts and the per-tag notification success on the fixture', () => {
    const report = computeKpis(runs, kpiFixtureWindow, { now: kpiFixtureNow });
    expect(report.provenance_kpi_counts).toEqual({
      runs: 5,
      success: 4,
      failure: 1,
      validated: 2, // 101, 104
      validation_failed: 1, // 103
      not_validated: 2, // 102, 105: no validation is neither passed nor failed
    });
    // 101 (2 of 2), 102 (1 of 3), 104 (1 of 1): a run whose every attempt was delivered counts
    expect(report.notification_success_per_tag).toEqual({
      tags_notified: 3,
      tags_all_delivered: 2,
      ratio: 0.666667,
    });
  });

  it('per tag: a run with no attempt is not notified; the ratio is over runs, not attempts', () => {
    const runs = [
      at(noon, { run_id: 1, metrics: { notify: { attempts: 3, delivered: 2 } } }),
      at(noon, { run_id: 2, metrics: { notify: { attempts: 1, delivered: 1 } } }),
      at(noon, { run_id: 3, metrics: { notify: { attempts: 0, delivered: 0 } } }),
    ].map((entry) => ({ entry }));
    const report = computeKpis(runs, day, { now: kpiFixtureNow });
    expect(report.notification_success_per_tag).toEqual({
      tags_notified: 2,
      tags_all_delivered: 1,
      ratio: 0.5,
    });
    expect(report.notification_success_ratio).toBe(0.75);
  });

  it('latencies and lock waits only from the runs that report them', () => {
    const notify = (latency_s?: number) => ({
      attempts: 1,
      delivered: 1,
      ...(latency_s === undefined ? {} : { latency_s }),
    });
    const runs = [
      at(noon, { run_id: 1, metrics: { notify: notify(2), lock_wait_s: 4 } }),
      at(noon, { run_id: 2, metrics: { notify: notify(4) } }),
      at(noon, { run_id: 3, metrics: { notify: notify() } }),
      at(noon, { run_id: 4 }),
    ].map((entry) => ({ entry }));
    const report = computeKpis(runs, day, { now: kpiFixtureNow });
    expect(report.notification_latency_s).toEqual({ p50: 3, p95: 3.9 });
    expect(report.lock_wait_s).toEqual({ p50: 4, p95: 4 });
  });

  it('percentiles sort by value, not as text', () => {
    const runs = [9, 10, 100].map((lock_wait_s, i) => ({
      entry: at(noon, { run_id: i + 1, metrics: { lock_wait_s } }),
    }));
    expect(computeKpis(runs, day, { now: kpiFixtureNow }).lock_wait_s).toEqual({ p50: 10, p95: 91 });
  });

  it('lag has millisecond resolution and three decimals', () => {
    const runs = [1500, 1, 2].map((ms, i) => {
      const entry = at(noon, { run_id: i + 1 });
      return { entry, ingested_at: new Date(Date.parse(noon) + ms).toISOString() };
    });
    // [0.001, 0.002, 1.5]: p50 0.002, p95 0.002 + 0.9 * 1.498 = 1.3502 -> 1.35
    expect(computeKpis(runs, day, { now: kpiFixtureNow }).manifest_to_db_lag_s).toEqual({
      p50: 0.002,
      p95: 1.35,
      max: 1.5,
    });
    const two = computeKpis(runs.slice(1), day, { now: kpiFixtureNow }).manifest_to_db_lag_s;
    expect(two).toEqual({ p50: 0.002, p95: 0.002, max: 0.002 }); // p95 0.00195, 3 decimals
  });

  it('signatures: a run without a status is unverified; missing only when marked true', () => {
    const runs: KpiRun[] = [
      { entry: at(noon, { run_id: 1 }) },
      { entry: at(noon, { run_id: 2 }), signature_status: 'verified', missing: false },
      { entry: at(noon, { run_id: 3 }), signature_status: 'unsigned', missing: true },
    ];
    const report = computeKpis(runs, day, { now: kpiFixtureNow });
    expect(report.signatures).toEqual({ verified: 1, unsigned: 1, invalid: 0, untrusted: 0, unverified: 1 });
    expect(report.missing_from_ledger).toBe(1);
  });

  it("a repository's own manifest hash beats the same path's bare one", () => {
    const runs: KpiRun[] = [
      { repository: 'acme/a', entry: at(noon), manifest_path: 'm.json', manifest_hash: 'old' },
    ];
    const manifests = { 'm.json': 'bare', 'acme/a:m.json': 'mine' };
    const report = computeKpis(runs, day, { now: kpiFixtureNow, manifests });
    expect(report.manifest_hash).toEqual({ 'm.json': 'mine' });
    expect(report.repositories[0]?.latest_manifest).toEqual({ path: 'm.json', hash: 'mine' });
  });

  it('failed ingests and refusals: only failed ones, in the window and in scope; total is both', () => {
    const report = computeKpis([], day, {
      now: kpiFixtureNow,
      scope: { repositories: ['acme/a'] },
      ingestRuns: [
        { started_at: noon, status: 'failed', repository: 'acme/a' },
        { started_at: noon, status: 'running', repository: 'acme/a' },
        { started_at: noon, status: 'failed', repository: 'acme/b' },
        { started_at: '2025-11-25T00:00:00Z', status: 'failed', repository: 'acme/a' },
      ],
      refusals: [
        { failed_at: noon, repository: 'acme/a' },
        { failed_at: '2025-11-23T12:00:00Z', repository: 'acme/a' },
        { failed_at: noon, repository: 'acme/b' },
      ],
    });
    expect(report.ingest_failures).toBe(1);
    expect(report.provenance_audit_failures).toEqual({ ingests_failed: 1, entries_refused: 1, total: 2 });
  });

  it('the latest entry: newest time, then the greater tag, then the greater run id, whatever the order', () => {
    const newest = (entries: LedgerEntry[]) =>
      computeKpis(
        entries.map((entry) => ({ repository: 'acme/a', entry })),
        day,
        { now: kpiFixtureNow },
      ).repositories[0]?.latest_entry;
    const later = at('2025-11-24T13:00:00Z', { tag: 'v1.0.0', run_id: 1 });
    const tagB = at(noon, { tag: 'v1.0.2', run_id: 2 });
    const tagA = at(noon, { tag: 'v1.0.1', run_id: 3 });
    expect(newest([later, tagB])).toEqual({
      tag: 'v1.0.0',
      run_id: 1,
      timestamp: '2025-11-24T13:00:00.000Z',
    });
    expect(newest([tagB, tagA])?.tag).toBe('v1.0.2');
    expect(newest([tagA, tagB])?.tag).toBe('v1.0.2');
    const run9 = at(noon, { tag: 'v1.0.2', run_id: 9 });
    expect(newest([run9, tagB])?.run_id).toBe(9);
    expect(newest([tagB, run9])?.run_id).toBe(9);
  });

  it("a repository's row carries its ledger url, watermark and rewrite times", () => {
    const report = computeKpis([], day, {
      now: kpiFixtureNow,
      repositoryInfo: {
        'acme/a': {
          ledger_url: 'https://github.com/acme/a',
          watermark: 'abc',
          rewritten_at: '2025-11-24T01:00:00.000Z',
          rewrite_accepted_at: '2025-11-24T02:00:00.000Z',
        },
      },
    });
    expect(report.repositories).toEqual([
      {
        repository: 'acme/a',
        ledger_url: 'https://github.com/acme/a',
        entries: 0,
        failure_rate: null,
        validated_rate: null,
        latest_entry: null,
        latest_manifest: null,
        watermark: 'abc',
        history_rewritten_at: '2025-11-24T01:00:00.000Z',
        history_rewrite_accepted_at: '2025-11-24T02:00:00.000Z',
      },
    ]);
  });

  it('token age and days to expiry keep two decimals', () => {
    const agg = aggregateRuns(runs, kpiFixtureWindow);
    const report = buildKpiReport(agg, kpiFixtureWindow, new Date('2025-11-30T06:00:00Z'));
    expect(report.dispatch_token_age_days).toBe(10.25);
    expect(report.dispatch_token_days_to_expiry).toBe(19.75);
  });

  it("the scope: 'all', an owner's (no list), or the sorted list", () => {
    const scopeOf = (scope?: KpiScope) =>
      computeKpis([], day, { now: kpiFixtureNow, ...(scope === undefined ? {} : { scope }) }).scope;
    expect(scopeOf()).toEqual({ repositories: 'all', owner: null });
    expect(scopeOf({ owner: 'acme' })).toEqual({ repositories: [], owner: 'acme' });
    expect(scopeOf({ repositories: ['acme/b', 'acme/a'] })).toEqual({
      repositories: ['acme/a', 'acme/b'],
      owner: null,
    });
  });
});

import { describe, expect, it } from 'vitest';
import { kpiFixtureEntries, kpiFixtureNow, kpiFixtureWindow } from '../../../test/support/kpi-fixture.js';
import { computeKpis } from './kpi.js';
import {
  csvField,
  describeScope,
  formatHumanDuration,
  renderKpiCsv,
  renderKpiTable,
  renderRepositoryTable,
} from './table.js';
import type { KpiScope, RepositoryKpis } from './kpi.js';

describe('renderRepositoryTable', () => {
  const row = (overrides: Partial<RepositoryKpis>): RepositoryKpis => ({
    repository: 'acme/a',
    ledger_url: null,
    entries: 1,
    failure_rate: 0,
    validated_rate: null,
    latest_entry: null,
    latest_manifest: null,
    watermark: null,
    history_rewritten_at: null,
    history_rewrite_accepted_at: null,
    ...overrides,
  });

  it('marks a refused history rewrite and an accepted one on the ledger column', () => {
    const lines = renderRepositoryTable([
      row({ repository: 'acme/a' }),
      row({ repository: 'acme/b', history_rewritten_at: '2025-11-30T00:00:00.000Z' }),
      row({
        repository: 'acme/c',
        ledger_url: 'https://github.com/acme/c',
        history_rewrite_accepted_at: '2025-11-30T01:00:00.000Z',
      }),
    ]);
    expect(lines.find((l) => l.startsWith('acme/a'))).not.toMatch(/HISTORY|ACCEPTED/);
    expect(lines.find((l) => l.startsWith('acme/b'))).toMatch(/HISTORY REWRITTEN –$/);
    expect(lines.find((l) => l.startsWith('acme/c'))).toMatch(
      /REWRITE ACCEPTED https:\/\/github.com\/acme\/c$/,
    );
  });
});

describe('renderKpiTable', () => {
  it('shows every metric, rates as percentages, per day and per file', () => {
    const runs = kpiFixtureEntries.map((entry) => ({
      entry,
      manifest_path: `docs/reports/${entry.timestamp.slice(0, 10)}/manifest.json`,
      manifest_hash: 'h',
    }));
    const text = renderKpiTable(computeKpis(runs, kpiFixtureWindow, { now: kpiFixtureNow }));
    for (const name of [
      'failure_rate',
      'missing_artifact_rate',
      'validated_rate',
      'notification_success_ratio',
      'dispatch_token_age',
      'dispatch_token_days_to_expiry',
      'lock_wait',
      'artifact_upload_latency',
      'manifest_to_db_lag',
      'ingest_failures',
      'notification_success_per_tag',
      'notification_latency',
      'provenance_kpi_counts',
      'provenance_audit_failures',
      'signatures',
      'missing_from_ledger',
      'entries_per_day',
      'manifest_hash',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/failure_rate\s+20\.0%/);
    // what the two counts are, not '0 of 1 tags notified' (which read as nothing notified)
    expect(text).toMatch(/notification_success_per_tag\s+\S+ \(\d+ of \d+ notified tags fully delivered\)/);
    expect(text).toContain('2025-11-25  3');
    expect(text).toContain('docs/reports/2025-11-24/manifest.json  h');
  });

  it("says where a left-out manifest list is, and each repository's latest manifest", () => {
    const runs = kpiFixtureEntries.map((entry, i) => ({
      repository: i % 2 === 0 ? 'acme/a' : 'acme/b',
      entry,
      manifest_path: `docs/reports/${entry.timestamp.slice(0, 10)}/manifest.json`,
      manifest_hash: 'abcdef0123456789',
    }));
    const text = renderKpiTable(computeKpis(runs, kpiFixtureWindow, { now: kpiFixtureNow }));
    expect(text).toContain(
      'manifest_hash  (left out: the report covers 2 repositories; full list: slsa-ledger kpi --manifests',
    );
    expect(text).toContain('latest manifest');
    expect(text).toContain('docs/reports/2025-11-25/manifest.json abcdef012345');
    const listed = renderKpiTable(
      computeKpis(runs, kpiFixtureWindow, { now: kpiFixtureNow, listManifests: true }),
    );
    expect(listed).toContain('acme/a:docs/reports/2025-11-24/manifest.json  abcdef0123456789');
  });

  it('shows dashes when there is nothing to measure', () => {
    const text = renderKpiTable(computeKpis([], kpiFixtureWindow, { now: kpiFixtureNow }));
    expect(text).toMatch(/failure_rate\s+–/);
    expect(text).toContain('entries_per_day  (none)');
  });
});

describe('formatHumanDuration', () => {
  it.each([
    [null, '–'],
    [0.45, '450 ms'],
    [3.21, '3.2 s'],
    [42.4, '42 s'],
    [725, '12 min 5 s'],
    [7380, '2 h 3 min'],
    [7200, '2 h'],
    [750786.338, '8 d 16 h'],
    [-90, '-1 min 30 s'],
    // at a unit's edge the next unit takes it, rounded as that unit rounds
    [0, '0 ms'],
    [0.0004, '<1 ms'],
    [0.9996, '1 s'],
    [9.97, '10 s'],
    [59.6, '1 min'],
    [3599.6, '1 h'],
  ])('%s s -> %s', (seconds, text) => {
    expect(formatHumanDuration(seconds)).toBe(text);
  });
});

describe('renderKpiCsv', () => {
  it('one row for the scope, one per repository, CRLF, formula text defused', () => {
    const runs = kpiFixtureEntries.map((entry, i) => ({
      repository: i % 2 === 0 ? 'acme/a' : 'acme/b',
      entry,
    }));
    const csv = renderKpiCsv(computeKpis(runs, kpiFixtureWindow, { now: kpiFixtureNow }));
    const lines = csv.split('\r\n');
    expect(lines[0]).toMatch(/^repository,entries,failure_rate,validated_rate,/);
    expect(lines.slice(1, 4).map((l) => l.split(',')[0])).toEqual(['*', 'acme/a', 'acme/b']);
    expect(lines[0]).toMatch(/,latest_manifest_path,latest_manifest_hash$/);
    const withFiles = renderKpiCsv(
      computeKpis(
        runs.map((r) => ({ ...r, manifest_path: 'docs/m.json', manifest_hash: 'h1' })),
        kpiFixtureWindow,
        { now: kpiFixtureNow },
      ),
    ).split('\r\n');
    expect(withFiles[1]).toMatch(/,,$/);
    expect(withFiles[2]).toMatch(/,docs\/m\.json,h1$/);
    expect(lines.at(-1)).toBe('');
    expect(csvField('=cmd()')).toBe("'=cmd()");
    expect(csvField('a,"b"')).toBe('"a,""b"""');
    expect(csvField(null)).toBe('');
  });
});

// mutation audit (nineteenth session): each case failed a mutant the cases above let through
describe('the renderings, field by field', () => {
  const runs = kpiFixtureEntries.map((entry, i) => ({
    repository: i % 2 === 0 ? 'acme/a' : 'acme/b',
    entry,
    manifest_path: 'docs/m.json',
    manifest_hash: '0123456789abcdef',
  }));

  it('describeScope: the owner, the names, and one repository in the singular', () => {
    const report = (scope?: KpiScope) =>
      computeKpis(runs, kpiFixtureWindow, { now: kpiFixtureNow, ...(scope === undefined ? {} : { scope }) });
    expect(describeScope(report())).toBe('all repositories (2)');
    expect(describeScope(report({ repositories: ['acme/a'] }))).toBe('acme/a (1 repository)');
    expect(describeScope(report({ owner: 'acme', repositories: ['other/x'] }))).toBe(
      'owner acme, other/x (2 repositories)',
    );
  });

  it('the repository table right-aligns entries and shortens the manifest hash to 12 characters', () => {
    const lines = renderRepositoryTable(
      computeKpis(runs, kpiFixtureWindow, { now: kpiFixtureNow }).repositories,
    );
    const header = lines[0]!;
    const row = lines[1]!;
    const end = header.indexOf('entries') + 'entries'.length;
    expect(row.slice(0, end)).toMatch(/ 2$/);
    expect(row).toContain('docs/m.json 0123456789ab ');
    expect(row).not.toContain('0123456789abc');
  });

  it('CSV: every column in its place for the scope row and a repository row', () => {
    const csv = renderKpiCsv(computeKpis(runs, kpiFixtureWindow, { now: kpiFixtureNow })).split('\r\n');
    const header = csv[0]!.split(',');
    const cell = (line: string, name: string) => line.split(',')[header.indexOf(name)];
    expect(cell(csv[1]!, 'missing_artifact_rate')).toBe('0.4');
    expect(cell(csv[1]!, 'notification_success_ratio')).toBe('0.666667');
    expect(cell(csv[2]!, 'latest_tag')).toBe('v1.0.3');
    expect(cell(csv[2]!, 'latest_timestamp')).toBe('2025-11-25T18:30:00.000Z');
  });

  it('csvField: every formula lead (= + - @ tab CR) is defused; a CR alone is quoted', () => {
    for (const lead of ['=', '+', '-', '@', '\t', '\r']) expect(csvField(`${lead}1`)).toMatch(/^"?'/);
    expect(csvField('a\rb')).toBe('"a\rb"');
    expect(csvField('a b')).toBe('a b');
  });
});

import { describe, expect, it } from 'vitest';
import { kpiFixtureEntries, kpiFixtureNow, kpiFixtureWindow } from '../../../test/support/kpi-fixture.js';
import { computeKpis } from './kpi.js';
import { renderKpiTable } from './table.js';

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
      'dispatch_token_age_days',
      'dispatch_token_days_to_expiry',
      'lock_wait_s',
      'artifact_upload_latency_s',
      'manifest_to_db_lag_s',
      'ingest_failures',
      'entries_per_day',
      'manifest_hash',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/failure_rate\s+20\.0%/);
    expect(text).toContain('2025-11-25  3');
    expect(text).toContain('docs/reports/2025-11-24/manifest.json  h');
  });

  it('shows dashes when there is nothing to measure', () => {
    const text = renderKpiTable(computeKpis([], kpiFixtureWindow, { now: kpiFixtureNow }));
    expect(text).toMatch(/failure_rate\s+–/);
    expect(text).toContain('entries_per_day  (none)');
  });
});

// The human rendering of a KPI report: one metric per line, rates as percentages.
import type { KpiReport, Percentiles } from './kpi.js';

function pct(value: number | null): string {
  return value === null ? '–' : `${(value * 100).toFixed(1)}%`;
}

function num(value: number | null, unit = ''): string {
  return value === null ? '–' : `${value}${unit}`;
}

function pair(p: Percentiles, unit: string): string {
  return `p50 ${num(p.p50, unit)}  p95 ${num(p.p95, unit)}`;
}

/** A plain-text table of every metric, then entries per day and the manifest hashes. */
export function renderKpiTable(report: KpiReport): string {
  const rows: [string, string][] = [
    ['window', `${report.window.since} .. ${report.window.until}`],
    ['entries', String(report.entries)],
    ['failure_rate', pct(report.failure_rate)],
    ['missing_artifact_rate', pct(report.missing_artifact_rate)],
    ['validated_rate', pct(report.validated_rate)],
    ['notification_success_ratio', pct(report.notification_success_ratio)],
    ['dispatch_token_age_days', num(report.dispatch_token_age_days)],
    ['dispatch_token_days_to_expiry', num(report.dispatch_token_days_to_expiry)],
    ['lock_wait_s', pair(report.lock_wait_s, 's')],
    ['artifact_upload_latency_s', pair(report.artifact_upload_latency_s, 's')],
    [
      'manifest_to_db_lag_s',
      `${pair(report.manifest_to_db_lag_s, 's')}  max ${num(report.manifest_to_db_lag_s.max, 's')}`,
    ],
    ['ingest_failures', String(report.ingest_failures)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}${v}`);
  const days = Object.entries(report.entries_per_day);
  lines.push('', `entries_per_day${days.length === 0 ? '  (none)' : ''}`);
  for (const [day, n] of days) lines.push(`  ${day}  ${n}`);
  const files = Object.entries(report.manifest_hash);
  lines.push('', `manifest_hash${files.length === 0 ? '  (none)' : ''}`);
  for (const [path, hash] of files) lines.push(`  ${path}  ${hash}`);
  return `${lines.join('\n')}\n`;
}

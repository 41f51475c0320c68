// The renderings of a KPI report: the human text (one metric per line, rates as percentages,
// durations in human units, then the per-repository table) and CSV (the per-repository table).
import type { KpiReport, Percentiles, RepositoryKpis } from './kpi.js';

function pct(value: number | null): string {
  return value === null ? '–' : `${(value * 100).toFixed(1)}%`;
}

/**
 * Seconds in human units, two at most: `450 ms`, `12.3 s`, `12 min 5 s`, `2 h 3 min`, `8 d 16 h`
 * (`–` for none; a leading `-` for a negative duration).
 */
export function formatHumanDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  const sign = seconds < 0 ? '-' : '';
  const s = Math.abs(seconds);
  // each unit takes the value as rounded for it: 0.9996 s is '1 s', not '1000 ms'; 59.6 s '1 min'
  if (s > 0 && s < 0.0005) return `${sign}<1 ms`;
  const ms = Math.round(s * 1000);
  if (ms < 1000) return `${sign}${ms} ms`;
  const secs = s < 9.95 ? Math.round(s * 10) / 10 : Math.round(s);
  if (secs < 60) return `${sign}${secs.toString()} s`;
  const whole = Math.round(s);
  const units: [number, string][] = [
    [86_400, 'd'],
    [3600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  const first = units.findIndex(([size]) => whole >= size);
  const [bigSize, bigName] = units[first]!;
  const [smallSize, smallName] = units[first + 1]!;
  const big = Math.floor(whole / bigSize);
  const small = Math.floor((whole - big * bigSize) / smallSize);
  return `${sign}${big} ${bigName}${small === 0 ? '' : ` ${small} ${smallName}`}`;
}

function durations(p: Percentiles): string {
  return `p50 ${formatHumanDuration(p.p50)}  p95 ${formatHumanDuration(p.p95)}`;
}

function days(value: number | null): string {
  return value === null ? '–' : `${value} d`;
}

/** The scope in words: `all repositories`, `acme/a, acme/b`, `owner acme (3)`. */
export function describeScope(report: KpiReport): string {
  const { repositories, owner } = report.scope;
  if (repositories === 'all') return `all repositories (${report.repositories.length})`;
  const parts = [...(owner === null ? [] : [`owner ${owner}`]), ...repositories];
  return `${parts.join(', ')} (${report.repositories.length} repositor${report.repositories.length === 1 ? 'y' : 'ies'})`;
}

/** A plain-text report: every metric, then the per-repository table, days and manifest hashes. */
export function renderKpiTable(report: KpiReport): string {
  const sig = report.signatures;
  const rows: [string, string][] = [
    ['window', `${report.window.since} .. ${report.window.until}`],
    ['repositories', describeScope(report)],
    ['entries', String(report.entries)],
    ['failure_rate', pct(report.failure_rate)],
    ['missing_artifact_rate', pct(report.missing_artifact_rate)],
    ['validated_rate', pct(report.validated_rate)],
    ['notification_success_ratio', pct(report.notification_success_ratio)],
    [
      'notification_success_per_tag',
      `${pct(report.notification_success_per_tag.ratio)} (${report.notification_success_per_tag.tags_all_delivered} of ${report.notification_success_per_tag.tags_notified} notified tags fully delivered)`,
    ],
    ['notification_latency', durations(report.notification_latency_s)],
    ['dispatch_token_age', days(report.dispatch_token_age_days)],
    ['dispatch_token_days_to_expiry', days(report.dispatch_token_days_to_expiry)],
    ['lock_wait', durations(report.lock_wait_s)],
    ['artifact_upload_latency', durations(report.artifact_upload_latency_s)],
    [
      'manifest_to_db_lag',
      `${durations(report.manifest_to_db_lag_s)}  max ${formatHumanDuration(report.manifest_to_db_lag_s.max)}`,
    ],
    [
      'provenance_kpi_counts',
      `${report.provenance_kpi_counts.runs} runs: ${report.provenance_kpi_counts.success} success, ${report.provenance_kpi_counts.failure} failure; ${report.provenance_kpi_counts.validated} validated, ${report.provenance_kpi_counts.validation_failed} validation failed, ${report.provenance_kpi_counts.not_validated} not validated`,
    ],
    [
      'provenance_audit_failures',
      `${report.provenance_audit_failures.total} (${report.provenance_audit_failures.ingests_failed} failed ingests, ${report.provenance_audit_failures.entries_refused} entries refused)`,
    ],
    ['ingest_failures', String(report.ingest_failures)],
    [
      'signatures',
      `${sig.verified} verified, ${sig.unsigned} unsigned, ${sig.invalid} invalid, ${sig.untrusted} untrusted, ${sig.unverified} unverified`,
    ],
    ['missing_from_ledger', String(report.missing_from_ledger)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}${v}`);
  lines.push('', ...renderRepositoryTable(report.repositories));
  const perDay = Object.entries(report.entries_per_day);
  lines.push('', `entries_per_day${perDay.length === 0 ? '  (none)' : ''}`);
  for (const [day, n] of perDay) lines.push(`  ${day}  ${n}`);
  if (report.manifest_hash === null) {
    lines.push(
      '',
      `manifest_hash  (left out: the report covers ${report.repositories.length} repositories; full list: ${report.manifests.full_list ?? ''})`,
    );
  } else {
    const files = Object.entries(report.manifest_hash);
    lines.push('', `manifest_hash${files.length === 0 ? '  (none)' : ''}`);
    for (const [path, hash] of files) lines.push(`  ${path}  ${hash}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The per-repository table as aligned text lines. */
export function renderRepositoryTable(rows: readonly RepositoryKpis[]): string[] {
  if (rows.length === 0) return ['repositories  (none)'];
  const header = [
    'repository',
    'entries',
    'failure',
    'validated',
    'latest entry',
    'latest manifest',
    'ledger',
  ];
  const body = rows.map((r) => [
    r.repository,
    String(r.entries),
    pct(r.failure_rate),
    pct(r.validated_rate),
    r.latest_entry === null
      ? '–'
      : `${r.latest_entry.tag} (run ${r.latest_entry.run_id}, ${r.latest_entry.timestamp.slice(0, 16).replace('T', ' ')})`,
    r.latest_manifest === null ? '–' : `${r.latest_manifest.path} ${r.latest_manifest.hash.slice(0, 12)}`,
    (r.history_rewritten_at === null ? '' : 'HISTORY REWRITTEN ') +
      (r.history_rewrite_accepted_at === null ? '' : 'REWRITE ACCEPTED ') +
      (r.ledger_url ?? '–'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...body.map(line)];
}

/** One CSV field: quoted when needed; text a spreadsheet would run as a formula is prefixed with `'`. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * CSV (RFC 4180, CRLF line ends): a header, one row for the whole scope (`repository` = `*`), then
 * one row per repository. Rates are fractions 0–1.
 */
export function renderKpiCsv(report: KpiReport): string {
  const header = [
    'repository',
    'entries',
    'failure_rate',
    'validated_rate',
    'missing_artifact_rate',
    'notification_success_ratio',
    'latest_tag',
    'latest_run_id',
    'latest_timestamp',
    'ledger_url',
    'watermark',
    'window_since',
    'window_until',
    'latest_manifest_path',
    'latest_manifest_hash',
  ];
  const total = [
    '*',
    report.entries,
    report.failure_rate,
    report.validated_rate,
    report.missing_artifact_rate,
    report.notification_success_ratio,
    null,
    null,
    null,
    null,
    null,
    report.window.since,
    report.window.until,
    null,
    null,
  ];
  const rows = report.repositories.map((r) => [
    r.repository,
    r.entries,
    r.failure_rate,
    r.validated_rate,
    null,
    null,
    r.latest_entry?.tag ?? null,
    r.latest_entry?.run_id ?? null,
    r.latest_entry?.timestamp ?? null,
    r.ledger_url,
    r.watermark,
    report.window.since,
    report.window.until,
    r.latest_manifest?.path ?? null,
    r.latest_manifest?.hash ?? null,
  ]);
  return `${[header, total, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

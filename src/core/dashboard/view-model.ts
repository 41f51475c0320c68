// The dashboard's view model: headline cards, chart series and breakdowns, computed from KPI values.
// Pure: the page only renders what this returns (as text), so formatting and thresholds are tested here.
import type { RepositoryKpis } from '../kpi/kpi.js';

export type Tone = 'good' | 'warn' | 'bad' | 'neutral';

/** The headline metrics of a window (DESIGN.md §5); null where the window has no data for it. */
export interface HeadlineKpis {
  readonly entries: number;
  /** UTC days in the window (at least 1) */
  readonly days: number;
  readonly failureRate: number | null;
  readonly missingArtifactRate: number | null;
  readonly validatedRate: number | null;
  readonly dispatchTokenAgeDays: number | null;
  readonly dispatchTokenDaysToExpiry: number | null;
  readonly manifestToDbLagP95S: number | null;
  readonly notificationSuccessRatio: number | null;
  readonly ingestFailures: number | null;
  /** Slack success per tag: tags whose every notification arrived, over tags notified */
  readonly notificationSuccessPerTag?: number | null;
  readonly notificationLatencyP95S?: number | null;
  /** failed ingests plus entries the database refused */
  readonly auditFailures?: number | null;
  /** runs with signature_status verified, and all runs (the rest: unsigned, invalid, untrusted, unverified) */
  readonly signaturesVerified?: number;
  readonly signaturesBad?: number;
  readonly missingFromLedger?: number;
}

/** One UTC day of entries. */
export interface DailyCounts {
  /** YYYY-MM-DD */
  readonly day: string;
  readonly success: number;
  readonly failure: number;
  readonly missingArtifact: number;
  readonly validated: number;
  readonly lagP95S: number | null;
}

export interface LabelCount {
  /** null: no value (e.g. no governance flag) */
  readonly label: string | null;
  readonly count: number;
}

export interface DashboardInput {
  readonly headline: HeadlineKpis;
  readonly daily: readonly DailyCounts[];
  readonly statusCounts: readonly LabelCount[];
  readonly flagCounts: readonly LabelCount[];
  /** the window shown: the series cover its days (absent: the days with data) */
  readonly window?: { readonly since: string; readonly until: string };
  /** the per-repository table of the KPI report */
  readonly repositories?: readonly RepositoryKpis[];
}

/** One line of the page's repository table, formatted. */
export interface RepositoryRow {
  readonly repository: string;
  readonly entries: string;
  readonly failure_rate: string;
  readonly failure_tone: Tone;
  readonly validated_rate: string;
  readonly validated_tone: Tone;
  readonly latest_tag: string | null;
  readonly latest_run_id: number | null;
  readonly latest_timestamp: string | null;
  /** an https link to the ledger, or null */
  readonly ledger_url: string | null;
  readonly history_rewritten_at: string | null;
  /** a rewrite of its history was accepted (`ingest --accept-rewrite`): shown for good */
  readonly history_rewrite_accepted_at: string | null;
}

/** An alert the page shows above everything else. */
export interface DashboardAlert {
  readonly kind: 'ledger-history-rewritten';
  readonly repository: string;
  readonly since: string;
  readonly message: string;
}

export interface HeadlineCard {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly detail: string;
  readonly tone: Tone;
}

export interface DashboardSeries {
  /** UTC midnight of each day, in seconds (uPlot's x axis) */
  readonly days: readonly number[];
  readonly entries_success: readonly number[];
  readonly entries_failure: readonly number[];
  readonly failure_rate: readonly (number | null)[];
  readonly missing_artifact_rate: readonly (number | null)[];
  readonly validated_rate: readonly (number | null)[];
  readonly lag_p95_s: readonly (number | null)[];
}

export interface BreakdownRow {
  readonly label: string;
  readonly count: number;
  readonly share: number;
  readonly tone: Tone;
}

export interface DashboardView {
  readonly alerts: readonly DashboardAlert[];
  readonly repositories: readonly RepositoryRow[];
  readonly headline: readonly HeadlineCard[];
  readonly series: DashboardSeries;
  readonly breakdown: {
    readonly status: readonly BreakdownRow[];
    readonly governance_flag: readonly BreakdownRow[];
  };
}

/** at most this many days are drawn; a longer range is cut to its latest days */
export const maxSeriesDays = 3660;

export function formatPercent(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '—';
  const pct = ratio * 100;
  if (pct !== 0 && Math.abs(pct) < 0.1) return pct > 0 ? '<0.1%' : '>-0.1%';
  return `${pct.toFixed(pct === 100 || pct === 0 ? 0 : 1)}%`;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.abs(seconds);
  const sign = seconds < 0 ? '-' : '';
  if (Math.round(s * 1000) < 1000) return `${sign}${Math.round(s * 1000)} ms`;
  if (s < 120) return `${sign}${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 7200) return `${sign}${(s / 60).toFixed(0)} min`;
  if (s < 172_800) return `${sign}${(s / 3600).toFixed(1)} h`;
  return `${sign}${(s / 86_400).toFixed(1)} d`;
}

export function formatNumber(value: number | null, digits = 1): string {
  if (value === null || !Number.isFinite(value)) return '—';
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(digits);
}

/** Tone of a value where lower is better: at or below `warn` good, above `bad` bad. */
function lowerIsBetter(value: number | null, warn: number, bad: number): Tone {
  if (value === null) return 'neutral';
  if (value > bad) return 'bad';
  return value > warn ? 'warn' : 'good';
}

function higherIsBetter(value: number | null, warn: number, bad: number): Tone {
  if (value === null) return 'neutral';
  if (value < bad) return 'bad';
  return value < warn ? 'warn' : 'good';
}

/** Headline cards in the order the page shows them. */
export function buildHeadlineCards(k: HeadlineKpis): HeadlineCard[] {
  const perDay = k.entries / Math.max(1, k.days);
  const expiry = k.dispatchTokenDaysToExpiry;
  return [
    {
      id: 'entries_per_day',
      label: 'Entries per day',
      value: formatNumber(Math.round(perDay * 10) / 10),
      detail: `${k.entries.toLocaleString('en-US')} entries over ${k.days} ${k.days === 1 ? 'day' : 'days'}`,
      tone: 'neutral',
    },
    {
      id: 'failure_rate',
      label: 'Failure rate',
      value: formatPercent(k.failureRate),
      detail: 'status failure over all entries',
      tone: lowerIsBetter(k.failureRate, 0.05, 0.2),
    },
    {
      id: 'missing_artifact_rate',
      label: 'Missing-artifact rate',
      value: formatPercent(k.missingArtifactRate),
      detail: 'no artifact_url or flag artifact-missing',
      tone: lowerIsBetter(k.missingArtifactRate, 0, 0.05),
    },
    {
      id: 'validated_rate',
      label: 'Validated rate',
      value: formatPercent(k.validatedRate),
      detail: 'validation passed over all entries',
      tone: higherIsBetter(k.validatedRate, 0.9, 0.5),
    },
    {
      id: 'dispatch_token_age_days',
      label: 'Dispatch token age',
      value: k.dispatchTokenAgeDays === null ? '—' : `${formatNumber(k.dispatchTokenAgeDays)} d`,
      detail: 'since the last rotation',
      tone: lowerIsBetter(k.dispatchTokenAgeDays, 60, 90),
    },
    {
      id: 'dispatch_token_days_to_expiry',
      label: 'Token days to expiry',
      value: expiry === null ? '—' : `${formatNumber(expiry)} d`,
      detail: expiry !== null && expiry <= 0 ? 'expired: rotate it now' : 'of the dispatch token',
      tone: higherIsBetter(expiry, 14, 0.0001),
    },
    {
      id: 'manifest_to_db_lag_p95_s',
      label: 'Manifest → DB lag p95',
      value: formatDuration(k.manifestToDbLagP95S),
      detail: 'entry timestamp to first ingest',
      tone: lowerIsBetter(k.manifestToDbLagP95S, 3600, 86_400),
    },
    {
      id: 'notification_success_ratio',
      label: 'Notification success',
      value: formatPercent(k.notificationSuccessRatio),
      detail: 'delivered over attempts',
      tone: higherIsBetter(k.notificationSuccessRatio, 0.99, 0.9),
    },
    {
      id: 'ingest_failures',
      label: 'Ingest failures',
      value: formatNumber(k.ingestFailures),
      detail: 'failed ingest runs in the window',
      tone: lowerIsBetter(k.ingestFailures, 0, 0),
    },
    {
      id: 'notification_success_per_tag',
      label: 'Slack success per tag',
      value: formatPercent(k.notificationSuccessPerTag ?? null),
      detail: 'tags whose every notification arrived',
      tone: higherIsBetter(k.notificationSuccessPerTag ?? null, 0.99, 0.9),
    },
    {
      id: 'notification_latency_p95_s',
      label: 'Slack latency p95',
      value: formatDuration(k.notificationLatencyP95S ?? null),
      detail: 'from sending to delivery',
      tone: lowerIsBetter(k.notificationLatencyP95S ?? null, 10, 60),
    },
    {
      id: 'provenance_audit_failures',
      label: 'Audit failures',
      value: formatNumber(k.auditFailures ?? null),
      detail: 'failed ingests + entries the database refused',
      tone: lowerIsBetter(k.auditFailures ?? null, 0, 0),
    },
    {
      id: 'signatures',
      label: 'Signatures verified',
      value: k.entries === 0 ? '—' : formatPercent((k.signaturesVerified ?? 0) / k.entries),
      detail:
        (k.signaturesBad ?? 0) > 0
          ? `${k.signaturesBad} invalid or untrusted`
          : `${(k.entries - (k.signaturesVerified ?? 0)).toLocaleString('en-US')} not verified (yet)`,
      tone: (k.signaturesBad ?? 0) > 0 ? 'bad' : 'neutral',
    },
    {
      id: 'missing_from_ledger',
      label: 'Runs gone from git',
      value: formatNumber(k.missingFromLedger ?? 0),
      detail: 'in the database, no longer in the ledger',
      tone: lowerIsBetter(k.missingFromLedger ?? 0, 0, 0),
    },
  ];
}

function dayMs(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/**
 * Daily series with every UTC day of the window (empty days count zero), so the axis spans the
 * window whatever the data; a window longer than `maxSeriesDays` starts at its first day with data
 * (at most `maxSeriesDays` before its end). Without a window, the days from the first to the last
 * with data.
 */
export function buildSeries(
  daily: readonly DailyCounts[],
  window?: { readonly since: string; readonly until: string },
): DashboardSeries {
  const byDay = new Map(daily.map((d) => [d.day, d]));
  const known = [...byDay.keys()].filter((d) => !Number.isNaN(dayMs(d))).sort();
  if (window !== undefined && Date.parse(window.until) > Date.parse(window.since)) {
    const sinceDay = dayMs(window.since.slice(0, 10));
    // the last day with a moment inside the window (until is exclusive)
    const lastDay = dayMs(new Date(Date.parse(window.until) - 1).toISOString().slice(0, 10));
    const firstData = known.length === 0 ? lastDay : dayMs(known[0]!);
    const span = (lastDay - sinceDay) / 86_400_000 + 1;
    const first = span <= maxSeriesDays ? sinceDay : Math.max(sinceDay, Math.min(firstData, lastDay));
    return fillSeries(byDay, Math.max(first, lastDay - (maxSeriesDays - 1) * 86_400_000), lastDay);
  }
  const out = {
    days: [] as number[],
    entries_success: [] as number[],
    entries_failure: [] as number[],
    failure_rate: [] as (number | null)[],
    missing_artifact_rate: [] as (number | null)[],
    validated_rate: [] as (number | null)[],
    lag_p95_s: [] as (number | null)[],
  };
  const first = known[0];
  const last = known[known.length - 1];
  if (first === undefined || last === undefined) return out;
  const end = dayMs(last);
  return fillSeries(byDay, Math.max(dayMs(first), end - (maxSeriesDays - 1) * 86_400_000), end);
}

function fillSeries(byDay: ReadonlyMap<string, DailyCounts>, start: number, end: number): DashboardSeries {
  const out = {
    days: [] as number[],
    entries_success: [] as number[],
    entries_failure: [] as number[],
    failure_rate: [] as (number | null)[],
    missing_artifact_rate: [] as (number | null)[],
    validated_rate: [] as (number | null)[],
    lag_p95_s: [] as (number | null)[],
  };
  for (let t = start; t <= end; t += 86_400_000) {
    const d = byDay.get(new Date(t).toISOString().slice(0, 10));
    const total = d === undefined ? 0 : d.success + d.failure;
    out.days.push(t / 1000);
    out.entries_success.push(d?.success ?? 0);
    out.entries_failure.push(d?.failure ?? 0);
    out.failure_rate.push(total === 0 || d === undefined ? null : d.failure / total);
    out.missing_artifact_rate.push(total === 0 || d === undefined ? null : d.missingArtifact / total);
    out.validated_rate.push(total === 0 || d === undefined ? null : d.validated / total);
    out.lag_p95_s.push(d?.lagP95S ?? null);
  }
  return out;
}

const flagTone: Readonly<Record<string, Tone>> = {
  validated: 'good',
  'provenance-ready': 'good',
  'validation-failed': 'bad',
  'artifact-missing': 'bad',
  'dispatch-token-expired': 'bad',
  'manifest-queued': 'warn',
  'dispatch-token-expiring': 'warn',
  'dispatch-token-rotation-overdue': 'warn',
};

/**
 * Rows a breakdown shows at most; the rest are one `(N others)` row. Governance flags are any
 * kebab-case text a ledger's pusher writes: a ledger of distinct flags made the breakdown one row
 * per run (2 MB of JSON per page load at 20,000 runs, as many bars in the page).
 */
export const maxBreakdownRows = 20;

function breakdown(counts: readonly LabelCount[], tone: (label: string) => Tone): BreakdownRow[] {
  const total = counts.reduce((n, c) => n + c.count, 0);
  const share = (count: number): number => (total === 0 ? 0 : count / total);
  const rows = counts
    .filter((c) => c.count > 0)
    .map((c) => {
      const label = c.label ?? '(none)';
      return { label, count: c.count, share: share(c.count), tone: tone(label) };
    })
    .sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  if (rows.length <= maxBreakdownRows) return rows;
  const rest = rows.slice(maxBreakdownRows - 1);
  const count = rest.reduce((n, r) => n + r.count, 0);
  return [
    ...rows.slice(0, maxBreakdownRows - 1),
    // parentheses: no flag (kebab-case) can take this label
    { label: `(${rest.length} others)`, count, share: share(count), tone: 'neutral' },
  ];
}

/** An https URL as it is, anything else null (the page links only https). */
export function httpsOrNull(url: string | null | undefined): string | null {
  if (typeof url !== 'string' || !/^https:\/\/[^\s]+$/i.test(url)) return null;
  return url;
}

export function buildRepositoryRows(rows: readonly RepositoryKpis[]): RepositoryRow[] {
  return rows.map((r) => ({
    repository: r.repository,
    entries: r.entries.toLocaleString('en-US'),
    failure_rate: formatPercent(r.failure_rate),
    failure_tone: lowerIsBetter(r.failure_rate, 0.05, 0.2),
    validated_rate: formatPercent(r.validated_rate),
    validated_tone: higherIsBetter(r.validated_rate, 0.9, 0.5),
    latest_tag: r.latest_entry?.tag ?? null,
    latest_run_id: r.latest_entry?.run_id ?? null,
    latest_timestamp: r.latest_entry?.timestamp ?? null,
    ledger_url: httpsOrNull(r.ledger_url),
    history_rewritten_at: r.history_rewritten_at,
    history_rewrite_accepted_at: r.history_rewrite_accepted_at,
  }));
}

export function buildAlerts(rows: readonly RepositoryKpis[]): DashboardAlert[] {
  return rows
    .filter((r) => r.history_rewritten_at !== null)
    .map((r) => ({
      kind: 'ledger-history-rewritten' as const,
      repository: r.repository,
      since: r.history_rewritten_at!,
      message: `the history of ${r.repository}'s ledger was rewritten (the last ingested head is no longer an ancestor); ingest keeps the watermark and refuses to move until someone checks it`,
    }));
}

export function buildDashboardView(input: DashboardInput): DashboardView {
  return {
    alerts: buildAlerts(input.repositories ?? []),
    repositories: buildRepositoryRows(input.repositories ?? []),
    headline: buildHeadlineCards(input.headline),
    series: buildSeries(input.daily, input.window),
    breakdown: {
      status: breakdown(input.statusCounts, (l) =>
        l === 'success' ? 'good' : l === 'failure' ? 'bad' : 'neutral',
      ),
      // own keys only: a flag `constructor` is Object.prototype's, not a tone
      governance_flag: breakdown(input.flagCounts, (l) =>
        Object.hasOwn(flagTone, l) ? flagTone[l]! : 'neutral',
      ),
    },
  };
}

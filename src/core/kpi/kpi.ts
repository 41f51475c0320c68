// The audit metrics of DESIGN.md §5: their definitions, and `computeKpis`, the pure reference the
// database's SQL must agree with. Both paths reduce runs to the same `KpiAggregates` and then share
// `buildKpiReport`, so rates, rounding and the dispatch-token arithmetic are defined once.
import type { LedgerEntry } from '../ledger/entry.js';

/** A window of entry timestamps: `since` <= timestamp < `until` (ISO 8601 UTC). */
export interface KpiWindow {
  readonly since: string;
  readonly until: string;
}

/** A run as the database holds it: the entry and when its current content was ingested. */
export interface KpiRun {
  readonly entry: LedgerEntry;
  /** ISO time the current content reached the database (absent: not ingested, no lag) */
  readonly ingested_at?: string;
  readonly manifest_path?: string;
  readonly manifest_hash?: string;
}

export interface KpiIngestRun {
  readonly started_at: string;
  readonly status: 'running' | 'succeeded' | 'failed';
}

export interface Percentiles {
  readonly p50: number | null;
  readonly p95: number | null;
}

/** Sums, counts and order statistics of the runs in a window: what SQL and the reference both produce. */
export interface KpiAggregates {
  readonly entries: number;
  readonly failures: number;
  readonly missing_artifacts: number;
  readonly validated: number;
  /** entries by UTC date of their timestamp, `YYYY-MM-DD` */
  readonly per_day: Readonly<Record<string, number>>;
  readonly notify_attempts: number;
  readonly notify_delivered: number;
  readonly lock_wait_s: Percentiles;
  readonly artifact_upload_latency_s: Percentiles;
  readonly manifest_to_db_lag_s: Percentiles & { readonly max: number | null };
  /** the latest rotation and the latest expiry any entry in the window reports (ISO) */
  readonly dispatch_token_rotated_at: string | null;
  readonly dispatch_token_expires_at: string | null;
  /** latest SHA-256 of each manifest file holding runs of the window */
  readonly manifest_hash: Readonly<Record<string, string>>;
  /** ingests started in the window that failed */
  readonly ingest_failures: number;
}

/** Every metric of DESIGN.md §5 over a window; rates are fractions 0–1, null when undefined (0/0). */
export interface KpiReport {
  readonly window: KpiWindow;
  /** the `now` the ages were computed against */
  readonly generated_at: string;
  readonly entries: number;
  readonly entries_per_day: Readonly<Record<string, number>>;
  /** entries with `artifact_url` null or flag `artifact-missing`, over all entries */
  readonly missing_artifact_rate: number | null;
  /** `status` failure over all entries */
  readonly failure_rate: number | null;
  /** validation passed over all entries */
  readonly validated_rate: number | null;
  /** days since the latest dispatch token rotation reported in the window */
  readonly dispatch_token_age_days: number | null;
  /** days until the latest reported dispatch token expiry (negative: expired) */
  readonly dispatch_token_days_to_expiry: number | null;
  readonly dispatch_token_rotated_at: string | null;
  readonly dispatch_token_expires_at: string | null;
  /** path -> latest SHA-256 of each manifest file with runs in the window */
  readonly manifest_hash: Readonly<Record<string, string>>;
  /** notifications delivered over notification attempts */
  readonly notification_success_ratio: number | null;
  readonly lock_wait_s: Percentiles;
  readonly artifact_upload_latency_s: Percentiles;
  readonly manifest_to_db_lag_s: Percentiles & { readonly max: number | null };
  readonly ingest_failures: number;
}

const DAY_MS = 86_400_000;

/** Rounds to `digits` decimals, so both engines' floating-point noise gives the same figure. */
export function roundTo(value: number | null, digits: number): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const f = 10 ** digits;
  const r = Math.round(value * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

/** Linear-interpolation percentile of sorted values, as SQL's `percentile_cont`. */
export function percentileCont(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : roundTo(numerator / denominator, 6);
}

/** True when an entry counts as missing its artifact. */
export function isMissingArtifact(entry: LedgerEntry): boolean {
  return entry.artifact_url === null || entry.governance_flag === 'artifact-missing';
}

function inWindow(iso: string, window: KpiWindow): boolean {
  const t = Date.parse(iso);
  return t >= Date.parse(window.since) && t < Date.parse(window.until);
}

function latest(a: string | null, b: string | undefined): string | null {
  if (b === undefined) return a;
  if (a === null) return b;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((x, y) => x - y);
  return { p50: percentileCont(sorted, 0.5), p95: percentileCont(sorted, 0.95) };
}

export interface ComputeKpisOptions {
  readonly now: Date;
  /** latest SHA-256 per manifest path (else each run's own `manifest_hash`) */
  readonly manifests?: Readonly<Record<string, string>>;
  readonly ingestRuns?: readonly KpiIngestRun[];
}

/** The aggregates of the runs whose entry timestamp lies in the window. */
export function aggregateRuns(
  runs: readonly KpiRun[],
  window: KpiWindow,
  options: Omit<ComputeKpisOptions, 'now'> = {},
): KpiAggregates {
  let entries = 0;
  let failures = 0;
  let missing = 0;
  let validated = 0;
  let attempts = 0;
  let delivered = 0;
  let rotated: string | null = null;
  let expires: string | null = null;
  const perDay: Record<string, number> = {};
  const lockWaits: number[] = [];
  const uploads: number[] = [];
  const lags: number[] = [];
  const hashes: Record<string, string> = {};
  for (const run of runs) {
    const e = run.entry;
    if (!inWindow(e.timestamp, window)) continue;
    entries += 1;
    if (e.status === 'failure') failures += 1;
    if (isMissingArtifact(e)) missing += 1;
    if (e.validation?.status === 'passed') validated += 1;
    const day = e.timestamp.slice(0, 10);
    perDay[day] = (perDay[day] ?? 0) + 1;
    const m = e.metrics;
    if (m?.notify !== undefined) {
      attempts += m.notify.attempts;
      delivered += m.notify.delivered;
    }
    if (m?.lock_wait_s !== undefined) lockWaits.push(m.lock_wait_s);
    if (m?.artifact_upload_latency_s !== undefined) uploads.push(m.artifact_upload_latency_s);
    rotated = latest(rotated, m?.dispatch_token_rotated_at);
    expires = latest(expires, m?.dispatch_token_expires_at);
    if (run.ingested_at !== undefined)
      lags.push((Date.parse(run.ingested_at) - Date.parse(e.timestamp)) / 1000);
    if (run.manifest_path !== undefined) {
      const hash = options.manifests?.[run.manifest_path] ?? run.manifest_hash;
      if (hash !== undefined) hashes[run.manifest_path] = hash;
    }
  }
  const lag = percentiles(lags);
  const failedIngests = (options.ingestRuns ?? []).filter(
    (r) => r.status === 'failed' && inWindow(r.started_at, window),
  ).length;
  return {
    entries,
    failures,
    missing_artifacts: missing,
    validated,
    per_day: sortKeys(perDay),
    notify_attempts: attempts,
    notify_delivered: delivered,
    lock_wait_s: percentiles(lockWaits),
    artifact_upload_latency_s: percentiles(uploads),
    manifest_to_db_lag_s: { ...lag, max: lags.length === 0 ? null : Math.max(...lags) },
    dispatch_token_rotated_at: rotated === null ? null : new Date(rotated).toISOString(),
    dispatch_token_expires_at: expires === null ? null : new Date(expires).toISOString(),
    manifest_hash: sortKeys(hashes),
    ingest_failures: failedIngests,
  };
}

function sortKeys<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key]!;
  return out;
}

function roundPercentiles(p: Percentiles, digits: number): Percentiles {
  return { p50: roundTo(p.p50, digits), p95: roundTo(p.p95, digits) };
}

/** The report from aggregates: rates, rounding (6 decimals; seconds of lag 3) and token ages at `now`. */
export function buildKpiReport(aggregates: KpiAggregates, window: KpiWindow, now: Date): KpiReport {
  const a = aggregates;
  const nowMs = now.getTime();
  const rotated = a.dispatch_token_rotated_at;
  const expires = a.dispatch_token_expires_at;
  return {
    window,
    generated_at: now.toISOString(),
    entries: a.entries,
    entries_per_day: sortKeys(a.per_day),
    missing_artifact_rate: ratio(a.missing_artifacts, a.entries),
    failure_rate: ratio(a.failures, a.entries),
    validated_rate: ratio(a.validated, a.entries),
    dispatch_token_age_days: rotated === null ? null : roundTo((nowMs - Date.parse(rotated)) / DAY_MS, 2),
    dispatch_token_days_to_expiry:
      expires === null ? null : roundTo((Date.parse(expires) - nowMs) / DAY_MS, 2),
    dispatch_token_rotated_at: rotated,
    dispatch_token_expires_at: expires,
    manifest_hash: sortKeys(a.manifest_hash),
    notification_success_ratio: ratio(a.notify_delivered, a.notify_attempts),
    lock_wait_s: roundPercentiles(a.lock_wait_s, 6),
    artifact_upload_latency_s: roundPercentiles(a.artifact_upload_latency_s, 6),
    manifest_to_db_lag_s: {
      ...roundPercentiles(a.manifest_to_db_lag_s, 3),
      max: roundTo(a.manifest_to_db_lag_s.max, 3),
    },
    ingest_failures: a.ingest_failures,
  };
}

/** Every metric over the runs whose entry timestamp lies in the window: the reference for the SQL. */
export function computeKpis(
  runs: readonly KpiRun[],
  window: KpiWindow,
  options: ComputeKpisOptions,
): KpiReport {
  return buildKpiReport(aggregateRuns(runs, window, options), window, options.now);
}

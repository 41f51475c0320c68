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
  /** `owner/name` (default `default`) */
  readonly repository?: string;
  readonly entry: LedgerEntry;
  /** default `unverified` */
  readonly signature_status?: SignatureStatus;
  /** marked by a reconcile: no longer in the ledger */
  readonly missing?: boolean;
  /** ISO time the current content reached the database (absent: not ingested, no lag) */
  readonly ingested_at?: string;
  readonly manifest_path?: string;
  readonly manifest_hash?: string;
}

export interface KpiIngestRun {
  readonly started_at: string;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly repository?: string;
}

/** An entry the database refused (ingest_entry_failures). */
export interface KpiRefusal {
  readonly failed_at: string;
  readonly repository?: string;
}

export type SignatureStatus = 'verified' | 'unsigned' | 'invalid' | 'untrusted' | 'unverified';
export const signatureStatusKeys: readonly SignatureStatus[] = [
  'verified',
  'unsigned',
  'invalid',
  'untrusted',
  'unverified',
];
export type SignatureCounts = Readonly<Record<SignatureStatus, number>>;

/** Which repositories a report covers: all (no field), a list, an owner's, or both (their union). */
export interface KpiScope {
  readonly repositories?: readonly string[];
  /** every repository `owner/…` */
  readonly owner?: string;
}

/** True when the scope takes every repository. */
export function isWholeOrganisation(scope: KpiScope | undefined): boolean {
  return scope === undefined || (scope.repositories === undefined && scope.owner === undefined);
}

/** Whether a repository is in the scope (owner compared case-insensitively, as GitHub does). */
export function inScope(repository: string, scope: KpiScope | undefined): boolean {
  if (isWholeOrganisation(scope)) return true;
  if (scope!.repositories?.includes(repository) === true) return true;
  const owner = scope!.owner;
  return owner !== undefined && repository.toLowerCase().startsWith(`${owner.toLowerCase()}/`);
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
  /**
   * latest SHA-256 of each manifest file holding runs of the window; null when the list was left
   * out (a report of several repositories, unless asked for: see shouldListManifests)
   */
  readonly manifest_hash: Readonly<Record<string, string>> | null;
  /** ingests started in the window that failed */
  readonly ingest_failures: number;
  readonly validation_failures: number;
  /** runs with at least one notification attempt, and those whose every attempt was delivered */
  readonly notified_runs: number;
  readonly notified_runs_delivered: number;
  readonly notify_latency_s: Percentiles;
  readonly signatures: SignatureCounts;
  /** runs marked as no longer in the ledger */
  readonly missing_from_ledger: number;
  /** entries the database refused in the window (by when) */
  readonly entries_refused: number;
}

/** One repository's line of the per-repository table. */
export interface RepositoryKpis {
  readonly repository: string;
  /** an https page of its ledger, when known */
  readonly ledger_url: string | null;
  readonly entries: number;
  readonly failure_rate: number | null;
  readonly validated_rate: number | null;
  /** its newest entry (any time), or null when it has none */
  readonly latest_entry: { readonly tag: string; readonly run_id: number; readonly timestamp: string } | null;
  /** the manifest file of its newest entry, with that file's latest SHA-256; null when it has none */
  readonly latest_manifest: { readonly path: string; readonly hash: string } | null;
  /** the last head ingested (the watermark), and when a history rewrite was refused */
  readonly watermark: string | null;
  readonly history_rewritten_at: string | null;
  /** when a rewrite of its history was last accepted (`ingest --accept-rewrite`); kept for good */
  readonly history_rewrite_accepted_at: string | null;
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
  /**
   * path -> latest SHA-256 of each manifest file with runs in the window (`owner/name:path` with
   * several repositories); null when left out (`manifests.listed` false)
   */
  readonly manifest_hash: Readonly<Record<string, string>> | null;
  /** whether `manifest_hash` lists the files, how many, and where the full list is when it does not */
  readonly manifests: ManifestSummary;
  /** notifications delivered over notification attempts */
  readonly notification_success_ratio: number | null;
  readonly lock_wait_s: Percentiles;
  readonly artifact_upload_latency_s: Percentiles;
  readonly manifest_to_db_lag_s: Percentiles & { readonly max: number | null };
  readonly ingest_failures: number;
  /** the repositories covered (sorted); `all` when the report is the organisation's */
  readonly scope: { readonly repositories: readonly string[] | 'all'; readonly owner: string | null };
  /**
   * Slack notification success per tag (seed §2.5): each run of a tag with an attempt counts once;
   * `ratio` = runs whose every attempt was delivered over runs with an attempt
   */
  readonly notification_success_per_tag: {
    readonly tags_notified: number;
    readonly tags_all_delivered: number;
    readonly ratio: number | null;
  };
  /** Slack notification latency (§4.4): `metrics.notify.latency_s` p50/p95 */
  readonly notification_latency_s: Percentiles;
  /** `supabase.provenance_kpi_counts` (§5.2): the rows of the provenance_kpi view in the window */
  readonly provenance_kpi_counts: {
    readonly runs: number;
    readonly success: number;
    readonly failure: number;
    readonly validated: number;
    readonly validation_failed: number;
    readonly not_validated: number;
  };
  /** `supabase.provenance_audit_failures` (§5.2): failed ingests and entries the database refused */
  readonly provenance_audit_failures: {
    readonly ingests_failed: number;
    readonly entries_refused: number;
    readonly total: number;
  };
  /** signature_status of the window's runs */
  readonly signatures: SignatureCounts;
  /** runs a reconcile found no longer in the ledger (kept, marked) */
  readonly missing_from_ledger: number;
  /** one line per repository in scope (sorted by name) */
  readonly repositories: readonly RepositoryKpis[];
}

/**
 * The manifest list's summary in a report. A report of one repository lists every file
 * (`listed: true`, `files` their number, `full_list` null); a report of several leaves the list out
 * unless asked (`listed: false`, `files` null: counting the files costs what listing them does), and
 * `full_list` says where it is.
 */
export interface ManifestSummary {
  readonly listed: boolean;
  readonly files: number | null;
  readonly full_list: string | null;
}

/** Where a report that leaves its manifest list out sends its reader (stable text, documented). */
export const manifestListElsewhere = 'slsa-ledger kpi --manifests, or GET /api/manifests (paged)';

/**
 * Whether a report lists its manifest files (DESIGN.md §5 `manifest_hash`, see docs/deviations.md):
 * always when it covers at most one repository, else only when asked (`kpi --manifests`). A year
 * of 100 repositories is ~36,500 files, more than the rest of the report.
 */
export function shouldListManifests(repositories: number, requested?: boolean): boolean {
  return requested === true || repositories <= 1;
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
  readonly refusals?: readonly KpiRefusal[];
  readonly scope?: KpiScope;
  /** per repository: ledger url, watermark, rewrite time (from provenance_repositories) */
  readonly repositoryInfo?: Readonly<
    Record<
      string,
      {
        ledger_url: string | null;
        watermark: string | null;
        rewritten_at: string | null;
        rewrite_accepted_at?: string | null;
      }
    >
  >;
  /** list the manifest files even when the report covers several repositories (`kpi --manifests`) */
  readonly listManifests?: boolean;
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
  let validationFailures = 0;
  let notified = 0;
  let notifiedDelivered = 0;
  let missingFromLedger = 0;
  const notifyLatencies: number[] = [];
  const signatures: Record<SignatureStatus, number> = {
    verified: 0,
    unsigned: 0,
    invalid: 0,
    untrusted: 0,
    unverified: 0,
  };
  const scope = options.scope;
  const perDay: Record<string, number> = {};
  const lockWaits: number[] = [];
  const uploads: number[] = [];
  const lags: number[] = [];
  const hashesByRepo = new Map<string, Record<string, string>>();
  for (const run of runs) {
    const e = run.entry;
    if (!inWindow(e.timestamp, window)) continue;
    if (!inScope(run.repository ?? 'default', scope)) continue;
    entries += 1;
    if (e.validation?.status === 'failed') validationFailures += 1;
    signatures[run.signature_status ?? 'unverified'] += 1;
    if (run.missing === true) missingFromLedger += 1;
    if (e.status === 'failure') failures += 1;
    if (isMissingArtifact(e)) missing += 1;
    if (e.validation?.status === 'passed') validated += 1;
    const day = e.timestamp.slice(0, 10);
    perDay[day] = (perDay[day] ?? 0) + 1;
    const m = e.metrics;
    if (m?.notify !== undefined) {
      attempts += m.notify.attempts;
      delivered += m.notify.delivered;
      if (m.notify.attempts > 0) {
        notified += 1;
        if (m.notify.delivered >= m.notify.attempts) notifiedDelivered += 1;
      }
      const latency = (m.notify as { latency_s?: number }).latency_s;
      if (latency !== undefined) notifyLatencies.push(latency);
    }
    if (m?.lock_wait_s !== undefined) lockWaits.push(m.lock_wait_s);
    if (m?.artifact_upload_latency_s !== undefined) uploads.push(m.artifact_upload_latency_s);
    rotated = latest(rotated, m?.dispatch_token_rotated_at);
    expires = latest(expires, m?.dispatch_token_expires_at);
    if (run.ingested_at !== undefined)
      lags.push((Date.parse(run.ingested_at) - Date.parse(e.timestamp)) / 1000);
    if (run.manifest_path !== undefined) {
      const repo = run.repository ?? 'default';
      const hash =
        options.manifests?.[`${repo}:${run.manifest_path}`] ??
        options.manifests?.[run.manifest_path] ??
        run.manifest_hash;
      if (hash !== undefined) {
        hashesByRepo.set(repo, { ...(hashesByRepo.get(repo) ?? {}), [run.manifest_path]: hash });
      }
    }
  }
  // one repository: paths as they are; several: `owner/name:path` (the paths repeat across ledgers)
  const hashes: Record<string, string> = {};
  for (const [repo, files] of hashesByRepo) {
    for (const [path, hash] of Object.entries(files)) {
      hashes[hashesByRepo.size > 1 ? `${repo}:${path}` : path] = hash;
    }
  }
  const lag = percentiles(lags);
  const failedIngests = (options.ingestRuns ?? []).filter(
    (r) =>
      r.status === 'failed' && inWindow(r.started_at, window) && inScope(r.repository ?? 'default', scope),
  ).length;
  const refused = (options.refusals ?? []).filter(
    (r) => inWindow(r.failed_at, window) && inScope(r.repository ?? 'default', scope),
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
    validation_failures: validationFailures,
    notified_runs: notified,
    notified_runs_delivered: notifiedDelivered,
    notify_latency_s: percentiles(notifyLatencies),
    signatures,
    missing_from_ledger: missingFromLedger,
    entries_refused: refused,
  };
}

/** The per-repository table of the reference: every repository in scope with runs or info. */
export function repositoryRows(
  runs: readonly KpiRun[],
  window: KpiWindow,
  options: Omit<ComputeKpisOptions, 'now'> = {},
): RepositoryKpis[] {
  const names = new Set<string>(Object.keys(options.repositoryInfo ?? {}));
  for (const run of runs) names.add(run.repository ?? 'default');
  const rows: RepositoryKpis[] = [];
  for (const repository of [...names].filter((n) => inScope(n, options.scope)).sort()) {
    const mine = runs.filter((r) => (r.repository ?? 'default') === repository);
    const a = aggregateRuns(mine, window, { scope: { repositories: [repository] } });
    let latest: KpiRun | undefined;
    for (const r of mine) {
      if (latest === undefined) latest = r;
      else {
        const d = Date.parse(r.entry.timestamp) - Date.parse(latest.entry.timestamp);
        // ties: the greater tag (code point order), then run id, as the SQL orders them
        if (
          d > 0 ||
          (d === 0 &&
            (r.entry.tag > latest.entry.tag ||
              (r.entry.tag === latest.entry.tag && r.entry.run_id > latest.entry.run_id)))
        )
          latest = r;
      }
    }
    const info = options.repositoryInfo?.[repository];
    const latestPath = latest?.manifest_path;
    const latestHash =
      latestPath === undefined
        ? undefined
        : (options.manifests?.[`${repository}:${latestPath}`] ??
          options.manifests?.[latestPath] ??
          latest?.manifest_hash);
    rows.push({
      repository,
      ledger_url: info?.ledger_url ?? null,
      entries: a.entries,
      failure_rate: ratio(a.failures, a.entries),
      validated_rate: ratio(a.validated, a.entries),
      latest_entry:
        latest === undefined
          ? null
          : {
              tag: latest.entry.tag,
              run_id: latest.entry.run_id,
              timestamp: new Date(latest.entry.timestamp).toISOString(),
            },
      latest_manifest:
        latestPath === undefined || latestHash === undefined ? null : { path: latestPath, hash: latestHash },
      watermark: info?.watermark ?? null,
      history_rewritten_at: info?.rewritten_at ?? null,
      history_rewrite_accepted_at: info?.rewrite_accepted_at ?? null,
    });
  }
  return rows;
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
export function buildKpiReport(
  aggregates: KpiAggregates,
  window: KpiWindow,
  now: Date,
  extra: { readonly scope?: KpiScope; readonly repositories?: readonly RepositoryKpis[] } = {},
): KpiReport {
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
    manifest_hash: a.manifest_hash === null ? null : sortKeys(a.manifest_hash),
    manifests:
      a.manifest_hash === null
        ? { listed: false, files: null, full_list: manifestListElsewhere }
        : { listed: true, files: Object.keys(a.manifest_hash).length, full_list: null },
    notification_success_ratio: ratio(a.notify_delivered, a.notify_attempts),
    lock_wait_s: roundPercentiles(a.lock_wait_s, 6),
    artifact_upload_latency_s: roundPercentiles(a.artifact_upload_latency_s, 6),
    manifest_to_db_lag_s: {
      ...roundPercentiles(a.manifest_to_db_lag_s, 3),
      max: roundTo(a.manifest_to_db_lag_s.max, 3),
    },
    ingest_failures: a.ingest_failures,
    scope: {
      repositories:
        extra.scope?.repositories === undefined
          ? extra.scope?.owner === undefined
            ? 'all'
            : []
          : [...extra.scope.repositories].sort(),
      owner: extra.scope?.owner ?? null,
    },
    notification_success_per_tag: {
      tags_notified: a.notified_runs,
      tags_all_delivered: a.notified_runs_delivered,
      ratio: ratio(a.notified_runs_delivered, a.notified_runs),
    },
    notification_latency_s: roundPercentiles(a.notify_latency_s, 6),
    provenance_kpi_counts: {
      runs: a.entries,
      success: a.entries - a.failures,
      failure: a.failures,
      validated: a.validated,
      validation_failed: a.validation_failures,
      not_validated: a.entries - a.validated - a.validation_failures,
    },
    provenance_audit_failures: {
      ingests_failed: a.ingest_failures,
      entries_refused: a.entries_refused,
      total: a.ingest_failures + a.entries_refused,
    },
    signatures: a.signatures,
    missing_from_ledger: a.missing_from_ledger,
    repositories: extra.repositories ?? [],
  };
}

/** Every metric over the runs whose entry timestamp lies in the window: the reference for the SQL. */
export function computeKpis(
  runs: readonly KpiRun[],
  window: KpiWindow,
  options: ComputeKpisOptions,
): KpiReport {
  const repositories = repositoryRows(runs, window, options);
  const aggregates = aggregateRuns(runs, window, options);
  return buildKpiReport(
    shouldListManifests(repositories.length, options.listManifests)
      ? aggregates
      : { ...aggregates, manifest_hash: null },
    window,
    options.now,
    {
      ...(options.scope === undefined ? {} : { scope: options.scope }),
      repositories,
    },
  );
}

// `kpi`: the audit metrics of DESIGN.md §5 from the database, over a window of entry timestamps.
import {
  buildKpiReport,
  shouldListManifests,
  type KpiReport,
  type KpiScope,
  type KpiWindow,
} from '../core/kpi/kpi.js';
import { resolveKpiWindow } from '../core/kpi/window.js';
import { parseRepositoryName } from '../core/ingest/repository.js';
import type { Clock, Logger } from '../core/ports.js';
import { SlsaLedgerError } from '../errors.js';
import { openDatabase, READ_ONLY_SNAPSHOT, type DbClient } from '../io/db.js';
import {
  besideOf,
  both,
  queryManifestHashes,
  queryKpiAggregates,
  queryKpiAggregatesWithCharts,
  queryEdgeSummary,
  queryRepositoryKpis,
  wholeEdges,
  type DashboardAggregates,
} from '../io/kpi-queries.js';

export interface KpiOptions {
  /** a date, time or age (`7d`); default 30 days before `until` */
  readonly since?: string;
  /** a date (inclusive), time or age; default now */
  readonly until?: string;
  readonly databaseUrl?: string;
  readonly dataDir?: string;
  readonly cwd?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** repositories to report on (default: every one) */
  readonly repositories?: readonly string[];
  /** every repository of this owner */
  readonly owner?: string;
  /** list every manifest file even when the report covers several repositories (the slow path) */
  readonly manifests?: boolean;
}

/**
 * Every metric over the window, read from an open database through the reader views (the
 * dashboard calls this with its reader-role client). One READ ONLY transaction: one snapshot. A
 * report of several repositories leaves its manifest list out unless `manifests` asks for it
 * (shouldListManifests).
 */
export async function loadKpiReport(
  db: DbClient,
  window: KpiWindow,
  now: Date,
  scope?: KpiScope,
  options: { readonly manifests?: boolean } = {},
): Promise<KpiReport> {
  const { aggregates, repositories } = await db.transaction(async (tx) => {
    await tx.query(READ_ONLY_SNAPSHOT);
    // on a server, a second connection on this snapshot takes the whole days' reads: the repository
    // table and those the percentiles do not wait for (docs/database.md "Two connections, one
    // snapshot"), opened while the edges are read (a failure is still met where it is awaited)
    const besides = besideOf(tx);
    besides.catch(() => undefined);
    const edges = await wholeEdges(tx, window);
    // the window's edge runs read once, for the repository table and the aggregates alike
    const edgeRuns = await queryEdgeSummary(tx, window, scope, edges, { report: true, charts: false });
    const side = await besides;
    const [repositories, aggregates] = await both(
      side !== tx,
      () => queryRepositoryKpis(side, window, scope, { edges, edgeRuns }),
      () => queryKpiAggregates(tx, window, scope, { listManifests: false, edges, edgeRuns, side }),
    );
    // whether to list the manifests depends on how many repositories the table holds
    const manifests = shouldListManifests(repositories.length, options.manifests)
      ? await queryManifestHashes(tx, window, scope, edges)
      : null;
    return { aggregates: { ...aggregates, manifest_hash: manifests }, repositories };
  });
  return buildKpiReport(aggregates, window, now, {
    ...(scope === undefined ? {} : { scope }),
    repositories,
  });
}

/**
 * The report of loadKpiReport (without the manifest list of several repositories) and the
 * dashboard's charts of the same window, in one READ ONLY transaction (one snapshot): the charts'
 * per-day series is read by the report's own per-day statement, so the days are read once. Less
 * work than the two reads, but serial: on two free cores `/api/kpi`'s two transactions side by
 * side were faster (30 days at 10M runs: 104 against 90 ms median), so `serve` keeps those
 * (docs/database.md "Organisation scale", ninth session).
 */
export async function loadKpiReportWithCharts(
  db: DbClient,
  window: KpiWindow,
  now: Date,
  scope?: KpiScope,
): Promise<{ report: KpiReport; charts: DashboardAggregates }> {
  const { aggregates, charts, repositories } = await db.transaction(async (tx) => {
    await tx.query(READ_ONLY_SNAPSHOT);
    const edges = await wholeEdges(tx, window);
    const edgeRuns = await queryEdgeSummary(tx, window, scope, edges, { report: true, charts: true });
    const repositories = await queryRepositoryKpis(tx, window, scope, { edges, edgeRuns });
    const listManifests = shouldListManifests(repositories.length, undefined);
    return {
      ...(await queryKpiAggregatesWithCharts(tx, window, scope, { listManifests, edges, edgeRuns })),
      repositories,
    };
  });
  return {
    report: buildKpiReport(aggregates, window, now, {
      ...(scope === undefined ? {} : { scope }),
      repositories,
    }),
    charts,
  };
}

/**
 * The `warm` of a long-lived reader (`serve`; docs/database.md "A warm reader"): on each of its
 * connections, the organisation's report over 30 days and over a year, and the `also` reads over
 * the same windows (the dashboard's charts), so the catalog caches, the plans of their statements
 * and the buffers they read are in place before the first request. A failure is logged, never
 * fatal: the request that needs the connection reports it.
 */
export function warmKpiReader(
  clock: Clock,
  logger: Logger,
  also: readonly ((db: DbClient, window: KpiWindow) => Promise<unknown>)[] = [],
): (db: DbClient) => Promise<void> {
  return async (db) => {
    const now = clock.now();
    try {
      for (const window of [resolveKpiWindow({}, now), resolveKpiWindow({ since: '366d' }, now)]) {
        await loadKpiReport(db, window, now);
        for (const read of also) await read(db, window);
      }
    } catch (error) {
      logger.warn(`warming a database connection failed: ${(error as Error).message}`);
    }
  };
}

/** The scope of `--repository` / `--owner` (checked: `owner/name`, an owner name). */
export function kpiScopeOf(options: {
  repositories?: readonly string[];
  owner?: string;
}): KpiScope | undefined {
  const repositories =
    options.repositories === undefined || options.repositories.length === 0
      ? undefined
      : options.repositories.map((r) => parseRepositoryName(r, '--repository'));
  let owner: string | undefined;
  if (options.owner !== undefined) {
    owner = options.owner.trim();
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(owner) || owner === '.' || owner === '..') {
      throw new SlsaLedgerError(
        'USAGE_INVALID_FLAG',
        `--owner takes an owner name, got '${owner.slice(0, 100)}'`,
        {
          details: { flag: 'owner' },
        },
      );
    }
  }
  if (repositories === undefined && owner === undefined) return undefined;
  return {
    ...(repositories === undefined ? {} : { repositories }),
    ...(owner === undefined ? {} : { owner }),
  };
}

/**
 * Opens the database as the reader role (the embedded one is created and migrated on first use)
 * and computes the KPIs.
 * @throws `KPI_WINDOW_INVALID`, `DB_UNAVAILABLE`, `DB_NOT_MIGRATED`, `DB_NOT_FOUND` (no embedded database there)
 */
export async function computeDatabaseKpis(options: KpiOptions = {}): Promise<KpiReport> {
  const now = (options.clock ?? { now: () => new Date() }).now();
  const window = resolveKpiWindow(
    {
      ...(options.since === undefined ? {} : { since: options.since }),
      ...(options.until === undefined ? {} : { until: options.until }),
    },
    now,
  );
  const scope = kpiScopeOf({
    ...(options.repositories === undefined ? {} : { repositories: options.repositories }),
    ...(options.owner === undefined ? {} : { owner: options.owner }),
  });
  const db = await openDatabase({
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    role: 'reader',
    // an embedded database must exist (a mistyped --data-dir is an error, never a new empty one);
    // one made by an older version is brought up to date
    migrate: options.databaseUrl === undefined,
    mustExist: true,
    purpose: 'kpi',
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  try {
    options.logger?.debug(`kpi: ${db.engine} database ${db.target}, ${window.since} .. ${window.until}`);
    const report = await loadKpiReport(db, window, now, scope, {
      ...(options.manifests === undefined ? {} : { manifests: options.manifests }),
    });
    // a mistyped name gives an empty report, which reads like a quiet repository: say so
    const known = new Set(report.repositories.map((r) => r.repository.toLowerCase()));
    const unknown = (scope?.repositories ?? []).filter((r) => !known.has(r.toLowerCase()));
    if (unknown.length > 0) {
      options.logger?.warn(
        `kpi: no repository named ${unknown.join(', ')} in the database (ingest has never begun one by that name)`,
      );
    }
    if (scope?.owner !== undefined && report.repositories.length === 0) {
      options.logger?.warn(`kpi: no repository of owner ${scope.owner} in the database`);
    }
    return report;
  } finally {
    await db.close();
  }
}

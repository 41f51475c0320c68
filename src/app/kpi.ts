// `kpi`: the audit metrics of DESIGN.md §5 from the database, over a window of entry timestamps.
import { buildKpiReport, type KpiReport, type KpiWindow } from '../core/kpi/kpi.js';
import { resolveKpiWindow } from '../core/kpi/window.js';
import type { Clock, Logger } from '../core/ports.js';
import { openDatabase, READ_ONLY_SNAPSHOT, type DbClient } from '../io/db.js';
import { queryKpiAggregates } from '../io/kpi-queries.js';

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
}

/**
 * Every metric over the window, read from an open database through the reader views (the
 * dashboard calls this with its reader-role client). One READ ONLY transaction: one snapshot.
 */
export async function loadKpiReport(db: DbClient, window: KpiWindow, now: Date): Promise<KpiReport> {
  const aggregates = await db.transaction(async (tx) => {
    await tx.query(READ_ONLY_SNAPSHOT);
    return queryKpiAggregates(tx, window);
  });
  return buildKpiReport(aggregates, window, now);
}

/**
 * Opens the database as the reader role (the embedded one is created and migrated on first use)
 * and computes the KPIs.
 * @throws `KPI_WINDOW_INVALID`, `DB_UNAVAILABLE`, `DB_NOT_MIGRATED`
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
  const db = await openDatabase({
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    role: 'reader',
    migrate: options.databaseUrl === undefined,
  });
  try {
    options.logger?.debug(`kpi: ${db.engine} database ${db.target}, ${window.since} .. ${window.until}`);
    return await loadKpiReport(db, window, now);
  } finally {
    await db.close();
  }
}

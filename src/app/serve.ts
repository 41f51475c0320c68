import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  parseKpiQuery,
  parseNoQuery,
  parseRunsQuery,
  type RunKey,
  type RunsQuery,
} from '../core/dashboard/query.js';
import {
  httpStatusOf,
  isHostAllowed,
  matchRoute,
  staticAssets,
  type AssetPath,
} from '../core/dashboard/routes.js';
import { buildDashboardView, type HeadlineKpis } from '../core/dashboard/view-model.js';
import type { KpiReport, KpiWindow } from '../core/kpi/kpi.js';
import { DEFAULT_WINDOW_DAYS } from '../core/kpi/window.js';
import type { Clock, Logger } from '../core/ports.js';
import { isSlsaLedgerError, SlsaLedgerError } from '../errors.js';
import { loadKpiReport } from './kpi.js';
import { startHttpServer, type HttpHandler, type HttpResponse } from '../io/http-server.js';
import { openDatabase, type DbClient, type DbEngine } from '../io/db.js';
import {
  getRun,
  listRuns,
  loadDashboardAggregates,
  withReader,
  type DashboardAggregates,
  type RunDetail,
  type RunsPage,
} from '../io/runs-query.js';

// `serve`: the read-only JSON API and the KPI dashboard page over the ledger's database.

/** What the API reads; `serveDashboard` builds it on the database, tests may build it on anything. */
export interface DashboardBackend {
  /** every metric of DESIGN.md §5 for the window, and the headline figures taken from them */
  kpis(window: KpiWindow, now: Date): Promise<{ readonly metrics: unknown; readonly headline: HeadlineKpis }>;
  aggregates(window: KpiWindow): Promise<DashboardAggregates>;
  runs(query: RunsQuery): Promise<RunsPage>;
  run(key: RunKey): Promise<RunDetail>;
  /** resolves when the database answers */
  ping(): Promise<void>;
}

export type DashboardAssets = ReadonlyMap<AssetPath, Uint8Array>;

const jsonHeaders = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };

function json(status: number, body: unknown, extra: Record<string, string> = {}): HttpResponse {
  return { status, headers: { ...jsonHeaders, ...extra }, body: `${JSON.stringify(body)}\n` };
}

/** An error as the API shows it: never a driver message, a URL or a stack. */
function errorResponse(error: unknown, onUnexpected: (error: unknown) => void): HttpResponse {
  if (!isSlsaLedgerError(error)) {
    onUnexpected(error);
    return json(500, { error: { code: 'INTERNAL', message: 'internal error' } });
  }
  const status = httpStatusOf(error.code);
  if (status === 503) return json(503, { error: { code: error.code, message: 'database unavailable' } });
  if (status === 500) {
    onUnexpected(error);
    return json(500, { error: { code: 'INTERNAL', message: 'internal error' } });
  }
  const extra: Record<string, string> = status === 405 ? { Allow: 'GET, HEAD' } : {};
  return json(
    status,
    { error: { code: error.code, message: error.message, details: error.details ?? {} } },
    extra,
  );
}

export interface DashboardHandlerOptions {
  readonly backend: DashboardBackend;
  readonly assets: DashboardAssets;
  /** the address the server is bound to (for the Host-header check) */
  readonly boundHost: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The request handler: routing, parameter checks, the API's JSON and the static page. */
export function createDashboardHandler(options: DashboardHandlerOptions): HttpHandler {
  const { backend } = options;
  const onUnexpected = (error: unknown): void =>
    options.logger.warn(`serve: ${error instanceof Error ? error.message : String(error)}`);
  return async (request) => {
    try {
      if (!isHostAllowed(options.boundHost, request.headers.host)) {
        throw new SlsaLedgerError(
          'DASHBOARD_HOST_REFUSED',
          'this server answers only requests addressed to a loopback name',
        );
      }
      const route = matchRoute(request.method, request.path);
      switch (route.kind) {
        case 'asset': {
          const body = options.assets.get(route.path);
          if (body === undefined)
            throw new SlsaLedgerError('DASHBOARD_ASSETS_MISSING', `asset ${route.path} missing`);
          return {
            status: 200,
            headers: { 'Content-Type': staticAssets[route.path].type, 'Cache-Control': 'no-cache' },
            body,
          };
        }
        case 'health': {
          parseNoQuery(request.query);
          try {
            await backend.ping();
          } catch (error) {
            options.logger.debug(
              `serve: health check failed: ${error instanceof Error ? error.message : ''}`,
            );
            return json(503, {
              status: 'unavailable',
              error: { code: 'DB_UNAVAILABLE', message: 'database unavailable' },
            });
          }
          return json(200, { status: 'ok', database: 'ok' });
        }
        case 'kpi': {
          const now = options.clock.now();
          const parsed = parseKpiQuery(request.query, now);
          // as `kpi`: until defaults to now, since to 30 days before until
          const until = parsed.until ?? now.toISOString();
          const window: KpiWindow = {
            since:
              parsed.since ?? new Date(Date.parse(until) - DEFAULT_WINDOW_DAYS * 86_400_000).toISOString(),
            until,
          };
          // two read transactions on two connections, side by side
          const [kpis, aggregates] = await Promise.all([
            backend.kpis(window, now),
            backend.aggregates(window),
          ]);
          return json(200, {
            window,
            generated_at: now.toISOString(),
            metrics: kpis.metrics,
            view: buildDashboardView({ headline: kpis.headline, ...aggregates }),
          });
        }
        case 'runs':
          return json(200, await backend.runs(parseRunsQuery(request.query, options.clock.now())));
        case 'run':
          parseNoQuery(request.query);
          return json(200, await backend.run({ tag: route.tag, runId: route.runId }));
      }
    } catch (error) {
      return errorResponse(error, onUnexpected);
    }
  };
}

function candidateAssetDirs(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  // src/app -> src/dashboard/assets; dist/app -> dist/dashboard/assets, else the package's src copy
  return [join(here, '..', 'dashboard', 'assets'), join(here, '..', '..', 'src', 'dashboard', 'assets')];
}

/** Reads the page's files and the chart library (from its npm package, never a CDN) into memory. */
export async function loadDashboardAssets(): Promise<DashboardAssets> {
  const require = createRequire(import.meta.url);
  const vendorDir = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  let lastError: unknown;
  for (const dir of candidateAssetDirs()) {
    try {
      const out = new Map<AssetPath, Uint8Array>();
      for (const [path, asset] of Object.entries(staticAssets) as [AssetPath, { file: string }][]) {
        const file = asset.file.startsWith('vendor:')
          ? join(vendorDir, asset.file.slice('vendor:'.length))
          : join(dir, asset.file);
        out.set(path, await readFile(file));
      }
      return out;
    } catch (error) {
      lastError = error;
    }
  }
  throw new SlsaLedgerError(
    'DASHBOARD_ASSETS_MISSING',
    'the dashboard page files are missing from the installation',
    {
      cause: lastError,
    },
  );
}

export interface ServeDashboardOptions {
  /** a `postgres://` URL; absent: the embedded database in `dataDir` */
  readonly databaseUrl?: string;
  /** the embedded database's directory (default `.slsa-ledger/db` under `cwd`) */
  readonly dataDir?: string;
  readonly cwd?: string;
  /** default 127.0.0.1 */
  readonly host?: string;
  /** default 8080; 0 picks a free port */
  readonly port?: number;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export interface RunningDashboard {
  /** e.g. http://127.0.0.1:8080/ */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly engine: DbEngine;
  /** stops the server (in-flight requests finish) and closes the database */
  close(): Promise<void>;
}

export const defaultHost = '127.0.0.1';
export const defaultPort = 8080;

/** The backend of the API on a database opened as the reader role. */
export function createDatabaseBackend(db: DbClient): DashboardBackend {
  return {
    async kpis(window, now) {
      // the `kpi` command's report (read-only transaction over the reader views)
      let metrics: KpiReport;
      try {
        metrics = await loadKpiReport(db, window, now);
      } catch (error) {
        if (isSlsaLedgerError(error)) throw error;
        throw new SlsaLedgerError('DB_QUERY_FAILED', 'database query failed', { cause: error });
      }
      return { metrics, headline: headlineFromKpis(metrics) };
    },
    aggregates: (window) => loadDashboardAggregates(db, window),
    runs: (query) => listRuns(db, query),
    run: (key) => getRun(db, key),
    async ping() {
      await withReader(db, (tx) => tx.query('SELECT 1'));
    },
  };
}

/**
 * Starts the dashboard: opens the database as the reader role (SELECT on the views only), loads the
 * page's files and listens. The caller stops it with `close()`.
 * @throws `DB_UNAVAILABLE`, `DB_NOT_MIGRATED`, `DASHBOARD_LISTEN_FAILED`, `DASHBOARD_ASSETS_MISSING`
 */
export async function serveDashboard(options: ServeDashboardOptions): Promise<RunningDashboard> {
  const assets = await loadDashboardAssets();
  const db = await openDatabase({
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    role: 'reader',
    // like `kpi`: the embedded database is ours to set up; a server is migrated with `migrate`
    migrate: options.databaseUrl === undefined,
  });
  const host = options.host ?? defaultHost;
  try {
    const server = await startHttpServer({
      host,
      port: options.port ?? defaultPort,
      handler: createDashboardHandler({
        backend: createDatabaseBackend(db),
        assets,
        boundHost: host,
        clock: options.clock ?? { now: () => new Date() },
        logger: options.logger,
      }),
      onError: (error) =>
        options.logger.warn(`serve: ${error instanceof Error ? error.message : String(error)}`),
    });
    options.logger.debug(`serve: ${db.engine} database, reads as role slsa_kpi_reader`);
    return {
      url: server.url,
      host: server.host,
      port: server.port,
      engine: db.engine,
      async close() {
        await server.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

/** The headline figures of the page from the KPI report. */
export function headlineFromKpis(report: KpiReport): HeadlineKpis {
  const days = Math.max(
    1,
    Math.ceil((Date.parse(report.window.until) - Date.parse(report.window.since)) / 86_400_000),
  );
  return {
    entries: report.entries,
    days,
    failureRate: report.failure_rate,
    missingArtifactRate: report.missing_artifact_rate,
    validatedRate: report.validated_rate,
    dispatchTokenAgeDays: report.dispatch_token_age_days,
    dispatchTokenDaysToExpiry: report.dispatch_token_days_to_expiry,
    manifestToDbLagP95S: report.manifest_to_db_lag_s.p95,
    notificationSuccessRatio: report.notification_success_ratio,
    ingestFailures: report.ingest_failures,
  };
}

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  encodeManifestCursor,
  parseKpiQuery,
  parseManifestsQuery,
  parseNoQuery,
  parseRunQuery,
  parseRunsQuery,
  resolveRequestWindow,
  type ManifestsQuery,
  type RunKey,
  type RunsQuery,
} from '../core/dashboard/query.js';
import {
  httpStatusOf,
  isFetchSiteAllowed,
  isHostAllowed,
  isLoopbackName,
  matchRoute,
  parseAllowedHost,
  staticAssets,
  type AssetPath,
} from '../core/dashboard/routes.js';
import { ClientRateLimiter, rateLimitOf } from '../core/dashboard/rate-limit.js';
import { buildDashboardView, type HeadlineKpis } from '../core/dashboard/view-model.js';
import type { KpiReport, KpiScope, KpiWindow } from '../core/kpi/kpi.js';
import type { Clock, Logger } from '../core/ports.js';
import { isSlsaLedgerError, SlsaLedgerError } from '../errors.js';
import { ingestLedgers, type IngestLedgersResult, type IngestOptions } from './ingest.js';
import { loadKpiReport, warmKpiReader } from './kpi.js';
import { createSqlIngestSink } from '../io/ingest-sink.js';
import { startHttpServer, type HttpHandler, type HttpResponse } from '../io/http-server.js';
import { openDatabase, type DbClient, type DbEngine, type Listening } from '../io/db.js';
import { parseTrustedProxies } from '../io/trusted-proxies.js';
import { cacheBySnapshot, type SnapshotCacheStats } from '../io/snapshot-cache.js';
import { listManifestFiles, type ManifestPage } from '../io/manifests-query.js';
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
  kpis(
    window: KpiWindow,
    now: Date,
    scope?: KpiScope,
  ): Promise<{ readonly metrics: unknown; readonly headline: HeadlineKpis }>;
  aggregates(window: KpiWindow, scope?: KpiScope): Promise<DashboardAggregates>;
  runs(query: RunsQuery): Promise<RunsPage>;
  run(key: RunKey): Promise<RunDetail>;
  /** a page of the window's manifest files with their latest hash (`GET /api/manifests`) */
  manifests(window: KpiWindow, query: ManifestsQuery): Promise<ManifestPage>;
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
  if (status === 503) {
    // never the statement or the driver's text; a cancelled statement says so, and when to retry
    return error.code === 'DB_QUERY_TIMEOUT'
      ? json(
          503,
          { error: { code: error.code, message: 'the database took too long to answer' } },
          { 'Retry-After': '5' },
        )
      : json(503, { error: { code: error.code, message: 'database unavailable' } });
  }
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
  /** names answered besides loopback names and, beyond loopback, IP literals (`--allowed-host`) */
  readonly allowedHosts?: readonly string[];
  /** a token bucket per client address for everything but the page's files (`--rate-limit`) */
  readonly rateLimiter?: ClientRateLimiter;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The request handler: routing, parameter checks, the API's JSON and the static page. */
export function createDashboardHandler(options: DashboardHandlerOptions): HttpHandler {
  const { backend } = options;
  const allowedHosts = options.allowedHosts ?? [];
  const loopbackBind = isLoopbackName(options.boundHost);
  const onUnexpected = (error: unknown): void =>
    options.logger.warn(`serve: ${error instanceof Error ? error.message : String(error)}`);
  return async (request) => {
    try {
      if (!isHostAllowed(options.boundHost, request.headers.host, allowedHosts)) {
        throw new SlsaLedgerError(
          'DASHBOARD_HOST_REFUSED',
          `this server answers only requests addressed to ${loopbackBind ? 'a loopback name' : 'its IP address'}${allowedHosts.length === 0 ? '' : ' or a name given with --allowed-host'}`,
        );
      }
      if (!isFetchSiteAllowed(request.headers)) {
        throw new SlsaLedgerError(
          'DASHBOARD_CROSS_SITE_REFUSED',
          'this server answers only its own page: the request came from another site',
          { details: { sec_fetch_site: (request.headers['sec-fetch-site'] ?? '').slice(0, 40) } },
        );
      }
      if (options.rateLimiter !== undefined && !Object.hasOwn(staticAssets, request.path)) {
        const decision = options.rateLimiter.take(request.client, options.clock.now().getTime());
        if (!decision.allowed) {
          return json(
            429,
            {
              error: {
                code: 'DASHBOARD_RATE_LIMITED',
                message: `too many requests from this address: retry after ${decision.retryAfterS} s`,
                details: { retry_after_s: decision.retryAfterS },
              },
            },
            { 'Retry-After': String(decision.retryAfterS) },
          );
        }
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
          const scope = parsed.scope;
          const window = resolveRequestWindow(parsed, now);
          // two read transactions on two connections, side by side
          const [kpis, aggregates] = await Promise.all([
            backend.kpis(window, now, scope),
            backend.aggregates(window, scope),
          ]);
          const report = kpis.metrics as Partial<KpiReport>;
          return json(200, {
            window,
            generated_at: now.toISOString(),
            metrics: kpis.metrics,
            view: buildDashboardView({
              headline: kpis.headline,
              ...aggregates,
              window,
              repositories: report.repositories ?? [],
            }),
          });
        }
        case 'manifests': {
          const now = options.clock.now();
          const parsed = parseManifestsQuery(request.query, now);
          const window = resolveRequestWindow(parsed, now);
          const page = await backend.manifests(window, parsed);
          return json(200, {
            window,
            files: page.files,
            next: page.next === null ? null : encodeManifestCursor(page.next),
          });
        }
        case 'runs':
          return json(200, await backend.runs(parseRunsQuery(request.query, options.clock.now())));
        case 'run': {
          const { repository } = parseRunQuery(request.query);
          return json(
            200,
            await backend.run({
              tag: route.tag,
              runId: route.runId,
              ...(repository === undefined ? {} : { repository }),
            }),
          );
        }
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
  /** serve on an address that is not loopback (the API has no authentication) */
  readonly allowRemote?: boolean;
  /**
   * host names the server answers besides loopback names and (beyond loopback) IP literals
   * (`--allowed-host`): any other `Host` is 421 `DASHBOARD_HOST_REFUSED` (DNS rebinding)
   */
  readonly allowedHosts?: readonly string[];
  /**
   * requests per minute per client address (`--rate-limit`; 0: no limit). Default: none on
   * loopback without trusted proxies, `defaultRemoteRateLimit` beyond loopback or behind one.
   */
  readonly rateLimitPerMinute?: number;
  /**
   * reverse proxies (addresses or CIDR ranges, `--trusted-proxy`) whose `X-Forwarded-For` names
   * the client; from any other peer the header is ignored
   */
  readonly trustedProxies?: readonly string[];
  /** PostgreSQL only: every statement is cancelled past this (`--statement-timeout`; default 10 s) */
  readonly statementTimeoutMs?: number;
  /** connections held at once (default 256) and from one client address (default 32 beyond loopback) */
  readonly maxConnections?: number;
  readonly maxConnectionsPerClient?: number;
  /** ingest in this process on a schedule (milliseconds between the end of one and the next) */
  readonly ingestEveryMs?: number;
  /** what to ingest: as `ingestLedgers` takes it (repo, ledgers, reportsDir, ref) */
  readonly ingest?: Pick<IngestOptions, 'repo' | 'ledgers' | 'reportsDir' | 'ref' | 'alert' | 'batchSize'>;
  /**
   * PostgreSQL only: after a notification that runs changed (another process's ingest), the page's
   * windows are read ahead once no other has come for this long (default `readAheadQuietMs`)
   */
  readonly readAheadQuietMs?: number;
  /**
   * PostgreSQL only: how long the test notification sent after each `LISTEN` may take before serve
   * warns that notifications are not delivered (a pooler in transaction mode; default 5 s)
   */
  readonly listenSilentAfterMs?: number;
}

/** The notification channel the run table's trigger sends on (…20261207080000_slsa_runs_changed_notify.sql). */
export const runsChangedChannel = 'slsa_ledger_runs_changed';
/**
 * Quiet time after the last "runs changed" before `serve` reads ahead: an ingest commits batch after
 * batch, and a read ahead between two of them is wasted (the next commit starts a new snapshot).
 */
export const readAheadQuietMs = 1_000;

export interface RunningDashboard {
  /** e.g. http://127.0.0.1:8080/ */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly engine: DbEngine;
  /** resolves when the scheduled ingest has run (the next one), for tests and the demo */
  readonly ingested?: () => Promise<IngestLedgersResult | undefined>;
  /** the KPI reads' cache of answers per snapshot (src/io/snapshot-cache.ts): hits, misses, size */
  readonly kpiCacheStats: () => SnapshotCacheStats;
  /**
   * read-aheads finished, and why each ran (after this process's ingest, or another's commit);
   * `pending`: one is running or waiting for the writers to be quiet
   */
  readonly readAheads: () => ReadAheadCounts;
  /** stops the server (in-flight requests finish), the schedule, and closes the database */
  close(): Promise<void>;
}

/** True for a loopback address or name (the Host check's own predicate). */
export function isLoopbackHost(host: string): boolean {
  return isLoopbackName(host);
}

/**
 * `5m`, `30s`, `1h`, `2h30m`, `500ms` as milliseconds, within `bounds` (default 10 seconds to 7 days).
 * @throws SlsaLedgerError `USAGE_INVALID_FLAG`
 */
export function parseInterval(
  raw: string,
  flag = 'ingest-every',
  bounds: { readonly minMs: number; readonly maxMs: number; readonly range: string } = {
    minMs: 10_000,
    maxMs: 7 * 86_400_000,
    range: 'from 10s to 7d such as 30s, 5m, 1h or 1h30m',
  },
): number {
  const value = raw.trim();
  const re = /(\d{1,6})(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(value); m !== null; m = re.exec(value)) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
      m[2] as 'ms' | 's' | 'm' | 'h' | 'd'
    ];
    total += Number(m[1]) * unit;
    matched = re.lastIndex;
  }
  if (value === '' || matched !== value.length || total < bounds.minMs || total > bounds.maxMs) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      `--${flag} takes a duration ${bounds.range}, got '${raw.slice(0, 40)}'`,
      { details: { flag, value: raw.slice(0, 100) } },
    );
  }
  return total;
}

/**
 * `--statement-timeout`: 100 ms to 60 s (a request is dropped after 60 s without an answer anyway:
 * the server's idle timeout).
 */
export const statementTimeoutBounds = {
  minMs: 100,
  maxMs: 60_000,
  range: 'from 100ms to 60s such as 500ms, 10s or 30s',
} as const;

/** Every dashboard statement on PostgreSQL is cancelled past this (`--statement-timeout`). */
export const defaultStatementTimeoutMs = 10_000;
/** `--rate-limit` beyond loopback: requests per minute per client address (0: none). */
export const defaultRemoteRateLimit = 300;
/** Connections the server holds at once, and from one client address. */
export const defaultMaxConnections = 256;
export const defaultMaxConnectionsPerClient = 32;

export const defaultHost = '127.0.0.1';
export const defaultPort = 8080;

/** The page's window presets (src/dashboard/assets/index.html), as the page sends them as `since`. */
export const pageWindowPresets: readonly string[] = ['7d', '30d', '90d', '365d', '1970-01-01'];

export interface DatabaseBackend extends DashboardBackend {
  /**
   * Reads the organisation's report and charts over each of the page's presets through the cache,
   * so that the page's next requests in this snapshot find the whole days' answers kept (`serve`
   * calls it after each scheduled ingest: the ingest's commit started a new snapshot).
   */
  readAhead(now: Date): Promise<void>;
  readonly cacheStats: () => SnapshotCacheStats;
}

/**
 * The backend of the API on a database opened as the reader role. The KPI reads (`/api/kpi`, the
 * page's charts) go through a cache of answers per database snapshot (src/io/snapshot-cache.ts):
 * between two commits a statement already answered, such as a whole day's rollup over the same days,
 * is not sent again; the first read after any commit reads everything anew.
 */
export function createDatabaseBackend(db: DbClient): DatabaseBackend {
  const kpiReader = cacheBySnapshot(db);
  return {
    cacheStats: () => kpiReader.cacheStats(),
    async readAhead(now) {
      for (const since of pageWindowPresets) {
        const window = resolveRequestWindow(parseKpiQuery([['since', since]], now), now);
        await Promise.all([
          loadKpiReport(kpiReader, window, now),
          loadDashboardAggregates(kpiReader, window),
        ]);
      }
    },
    async kpis(window, now, scope) {
      // the `kpi` command's report (read-only transaction over the reader views)
      let metrics: KpiReport;
      try {
        metrics = await loadKpiReport(kpiReader, window, now, scope);
      } catch (error) {
        if (isSlsaLedgerError(error)) throw error;
        throw new SlsaLedgerError('DB_QUERY_FAILED', 'database query failed', { cause: error });
      }
      return { metrics, headline: headlineFromKpis(metrics) };
    },
    aggregates: (window, scope) => loadDashboardAggregates(kpiReader, window, scope),
    runs: (query) => listRuns(db, query),
    run: (key) => getRun(db, key),
    manifests: (window, query) =>
      listManifestFiles(db, window, query.scope, {
        limit: query.limit,
        ...(query.after === undefined ? {} : { after: query.after }),
      }),
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
  const host = options.host ?? defaultHost;
  if (!isLoopbackHost(host) && options.allowRemote !== true) {
    throw new SlsaLedgerError(
      'DASHBOARD_REMOTE_REFUSED',
      `--host ${host.slice(0, 100)} is not a loopback address, and the API has no authentication: pass --allow-remote to serve it there anyway (or keep 127.0.0.1 behind an authenticating proxy)`,
      { details: { host: host.slice(0, 100) } },
    );
  }
  const allowedHosts = (options.allowedHosts ?? []).map(parseAllowedHost);
  const trustedProxies = parseTrustedProxies(options.trustedProxies ?? []);
  // behind a trusted proxy the clients are the proxy's, remote ones, whatever the bind
  const perMinute =
    options.rateLimitPerMinute ??
    (isLoopbackHost(host) && trustedProxies === undefined ? 0 : defaultRemoteRateLimit);
  if (!(Number.isSafeInteger(perMinute) && perMinute >= 0)) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      '--rate-limit takes a whole number of requests a minute',
      {
        details: { flag: 'rate-limit' },
      },
    );
  }
  const assets = await loadDashboardAssets();
  const embedded = options.databaseUrl === undefined;
  const scheduled = options.ingestEveryMs !== undefined;
  // An embedded database is one process's: with a schedule, this process opens it once as its owner
  // and both reads (as the reader role) and ingests (as the ingest role) through it.
  const base = await openDatabase({
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    role: embedded && scheduled ? 'owner' : 'reader',
    // like `kpi`: the embedded database is brought up to date; a server is migrated with `migrate`.
    // Without a schedule the embedded database must exist (a mistyped --data-dir is an error); with
    // one, the first ingest creates it.
    migrate: embedded,
    mustExist: !scheduled,
    purpose: `serve http://${host}:${options.port ?? defaultPort}/`,
    logger: options.logger,
    // a server: every connection opened and warmed now, and kept (the embedded one is one connection)
    ...(embedded
      ? {}
      : {
          statementTimeoutMs: options.statementTimeoutMs ?? defaultStatementTimeoutMs,
          warm: warmKpiReader(options.clock ?? { now: () => new Date() }, options.logger, [
            (reader, window) => loadDashboardAggregates(reader, window),
          ]),
        }),
  });
  const db = embedded && scheduled ? base.withRole!('reader') : base;
  let stopSchedule: (() => Promise<void>) | undefined;
  let readAhead: ReadAheadRunner | undefined;
  let listening: Listening | undefined;
  let nextIngest: (() => Promise<IngestLedgersResult | undefined>) | undefined;
  const backend = createDatabaseBackend(db);
  const clock = options.clock ?? { now: () => new Date() };
  try {
    const server = await startHttpServer({
      host,
      port: options.port ?? defaultPort,
      handler: createDashboardHandler({
        backend,
        assets,
        boundHost: host,
        allowedHosts,
        ...(perMinute === 0 ? {} : { rateLimiter: new ClientRateLimiter(rateLimitOf(perMinute)) }),
        clock,
        logger: options.logger,
      }),
      ...(trustedProxies === undefined ? {} : { trustedProxies }),
      maxConnections: options.maxConnections ?? defaultMaxConnections,
      // on loopback every client is this machine's (a proxy in front holds many connections)
      maxConnectionsPerClient:
        options.maxConnectionsPerClient ??
        (isLoopbackHost(host)
          ? (options.maxConnections ?? defaultMaxConnections)
          : defaultMaxConnectionsPerClient),
      onError: (error) =>
        options.logger.warn(`serve: ${error instanceof Error ? error.message : String(error)}`),
    });
    if (!isLoopbackHost(host)) {
      options.logger.warn(
        `serve: listening on ${server.url} beyond loopback: the API has no authentication, so anyone who can reach this address reads every run`,
      );
      if (allowedHosts.length === 0) {
        options.logger.warn(
          'serve: no --allowed-host: only requests addressed to an IP address (or a loopback name) are answered; give the names clients use with --allowed-host NAME',
        );
      }
      if (embedded) {
        options.logger.warn(
          'serve: the embedded database has no statement time limit and runs in this process (a slow statement holds every request): use PostgreSQL (--database-url) for a shared server',
        );
      }
    }
    if (trustedProxies !== undefined) {
      options.logger.info(
        `serve: the client of a request from ${trustedProxies.ranges.join(', ')} is the one its X-Forwarded-For names`,
      );
    }
    options.logger.debug(`serve: ${db.engine} database, reads as role slsa_kpi_reader`);
    // after an ingest, the page's presets read ahead: its next requests find the whole days' answers
    // of the new snapshot kept (a window that moves reads only its edges)
    readAhead = readAheadRunner(backend, clock, options.logger);
    const ahead = readAhead;
    if (scheduled) {
      const schedule = startIngestSchedule(base, embedded, options, () => ahead.now('the ingest'));
      stopSchedule = schedule.stop;
      nextIngest = schedule.next;
    }
    if (db.listen !== undefined) {
      // another process's ingest (PostgreSQL only: an embedded database has no other writer) is
      // announced by the run table's trigger at its commit
      const quietMs = options.readAheadQuietMs ?? readAheadQuietMs;
      listening = await db.listen(runsChangedChannel, {
        onNotify: () => ahead.soon(quietMs),
        onListening: (again) => {
          if (!again) return;
          options.logger.info("serve: listening for other processes' ingests again");
          // commits may have come while the connection was down
          ahead.soon(quietMs);
        },
        onError: (error, retryInMs) =>
          options.logger.warn(
            retryInMs === undefined
              ? `serve: cannot listen for other processes' ingests (${error.code}: ${error.message}); the first request after each of their commits reads the database (a pooler in transaction mode cannot hold a LISTEN: give serve a direct or session-mode URL)`
              : `serve: listening for other processes' ingests: ${error.code}: ${error.message}; again in ${Math.ceil(retryInMs / 1000)} s`,
          ),
        onSilent: (waitedMs) =>
          options.logger.warn(
            `serve: a test notification sent after LISTEN did not arrive within ${Math.round(waitedMs / 1000)} s: the database URL seems to go through a pooler in transaction mode (Supabase's port 6543, PgBouncer's pool_mode = transaction), which does not deliver notifications; the dashboard stays correct, but the first request after each of another process's ingests reads the database anew: give serve the direct or session-mode URL`,
          ),
        ...(options.listenSilentAfterMs === undefined ? {} : { silentAfterMs: options.listenSilentAfterMs }),
      });
    }
    return {
      url: server.url,
      host: server.host,
      port: server.port,
      engine: db.engine,
      ...(nextIngest === undefined ? {} : { ingested: nextIngest }),
      kpiCacheStats: () => backend.cacheStats(),
      readAheads: () => ahead.counts(),
      async close() {
        await server.close();
        await listening?.close();
        await stopSchedule?.();
        await ahead.stop();
        await base.close();
      },
    };
  } catch (error) {
    await listening?.close().catch(() => undefined);
    await stopSchedule?.().catch(() => undefined);
    await readAhead?.stop().catch(() => undefined);
    await base.close().catch(() => undefined);
    throw error;
  }
}

export type ReadAheadReason = 'the ingest' | "another process's commit";

export interface ReadAheadCounts {
  readonly afterIngest: number;
  readonly afterCommit: number;
  readonly pending: boolean;
}

export interface ReadAheadRunner {
  /** reads ahead now (after a running one, once more); resolves when done, never rejects */
  now(why: ReadAheadReason): Promise<void>;
  /** reads ahead once nothing has asked for `quietMs` (each call starts the wait again) */
  soon(quietMs: number): void;
  counts(): ReadAheadCounts;
  /** no more read-aheads; waits for a running one */
  stop(): Promise<void>;
}

/** One read-ahead at a time: a request for one while it runs runs it once more after. */
export function readAheadRunner(backend: DatabaseBackend, clock: Clock, logger: Logger): ReadAheadRunner {
  let running: Promise<void> | undefined;
  let again: ReadAheadReason | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const done = { afterIngest: 0, afterCommit: 0 };
  const once = async (why: ReadAheadReason): Promise<void> => {
    const started = performance.now();
    try {
      await backend.readAhead(clock.now());
      if (why === 'the ingest') done.afterIngest++;
      else done.afterCommit++;
      logger.debug(
        `serve: read the page's ${pageWindowPresets.length} windows ahead after ${why} (${Math.round(performance.now() - started)} ms)`,
      );
    } catch (error) {
      logger.warn(
        `serve: reading the page's windows ahead after ${why} failed: ${isSlsaLedgerError(error) ? `${error.code}: ` : ''}${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };
  const now = (why: ReadAheadReason): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running !== undefined) {
      again = why;
      return running;
    }
    running = (async () => {
      let next: ReadAheadReason | undefined = why;
      while (next !== undefined && !stopped) {
        again = undefined;
        await once(next);
        next = again;
      }
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
  return {
    now,
    soon(quietMs) {
      if (stopped) return;
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        void now("another process's commit");
      }, quietMs);
      timer.unref();
    },
    counts: () => ({ ...done, pending: running !== undefined || timer !== undefined }),
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}

/**
 * Ingests now and then every `ingestEveryMs` after the end of the previous run (never two at once),
 * in this process: through the embedded database's own connection (as the ingest role), or a
 * connection of its own to a server.
 */
function startIngestSchedule(
  base: DbClient,
  embedded: boolean,
  options: ServeDashboardOptions,
  afterIngest: () => Promise<void>,
): { stop: () => Promise<void>; next: () => Promise<IngestLedgersResult | undefined> } {
  const logger = options.logger;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<IngestLedgersResult | undefined> | undefined;
  const waiters: ((r: IngestLedgersResult | undefined) => void)[] = [];
  const runOnce = async (): Promise<IngestLedgersResult | undefined> => {
    let result: IngestLedgersResult | undefined;
    try {
      const sinkDb = embedded ? base.withRole!('ingest') : undefined;
      result = await ingestLedgers({
        ...options.ingest,
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        ...(embedded
          ? { sink: { ...createSqlIngestSink(sinkDb!), close: () => Promise.resolve() } }
          : { databaseUrl: options.databaseUrl! }),
        logger,
      });
      logger.info(
        `serve: ingested ${result.ledgers.map((l) => `${l.repository} (+${l.inserted} new, ${l.updated} changed)`).join(', ')}`,
      );
    } catch (error) {
      const partial = isSlsaLedgerError(error)
        ? (error.details as { result?: IngestLedgersResult } | undefined)?.result
        : undefined;
      result = partial;
      logger.warn(
        `serve: scheduled ingest failed: ${isSlsaLedgerError(error) ? `${error.code}: ` : ''}${error instanceof Error ? error.message : String(error)}`,
      );
    }
    // something was written (at least the ingest's own row): a new snapshot to read ahead in
    if (result !== undefined && !stopped) await afterIngest();
    for (const w of waiters.splice(0)) w(result);
    return result;
  };
  const loop = (): void => {
    if (stopped) return;
    running = runOnce().finally(() => {
      running = undefined;
      if (!stopped) timer = setTimeout(loop, options.ingestEveryMs);
    });
  };
  loop();
  return {
    next: () => new Promise((resolve) => waiters.push(resolve)),
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
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
    notificationSuccessPerTag: report.notification_success_per_tag.ratio,
    notificationLatencyP95S: report.notification_latency_s.p95,
    auditFailures: report.provenance_audit_failures.total,
    signaturesVerified: report.signatures.verified,
    signaturesBad: report.signatures.invalid + report.signatures.untrusted,
    missingFromLedger: report.missing_from_ledger,
  };
}

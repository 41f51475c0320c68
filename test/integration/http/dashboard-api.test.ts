// The read-only JSON API of `serve`, over the wire, on embedded PGlite and on the real PostgreSQL
// server: status codes, JSON shapes, pagination, filters, coded 400s, headers, and no secrets.
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { PassThrough, Readable } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDashboard, type RunningDashboard } from '../../../src/app/serve.js';
import type { LedgerEntry } from '../../../src/core/ledger/entry.js';
import { silentLogger } from '../../../src/core/ports.js';
import { runCli } from '../../../src/cli/main.js';
import { openDatabase } from '../../../src/io/db.js';
import { listRuns } from '../../../src/io/runs-query.js';
import { runCliCaptured } from '../../support/cli.js';
import { assertPostgresInCi, hasPostgres } from '../../support/postgres.js';
import {
  hostileReason,
  hostileTag,
  makeDashboardEntries,
  fakePassword,
  preparePglite,
  preparePostgres,
} from './dashboard-fixtures.js';

const now = new Date();
const entries: LedgerEntry[] = makeDashboardEntries(now, 120, 45);
// CI=true: a missing server fails this file; locally the Postgres half is skipped with a message
await assertPostgresInCi();
const withPostgres = await hasPostgres();

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** A raw HTTP request (so Host and method can be anything). */
function send(base: string, path: string, options: { method?: string; host?: string } = {}): Promise<Reply> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: options.method ?? 'GET',
        headers: { Host: options.host ?? url.host },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const inWindow = (e: LedgerEntry, since: number, until = Number.POSITIVE_INFINITY): boolean =>
  Date.parse(e.timestamp) >= since && Date.parse(e.timestamp) < until;

const engines = [
  { name: 'pglite', skip: false },
  { name: 'postgres', skip: !withPostgres },
] as const;

describe.each(engines)('dashboard API on $name', ({ name, skip }) => {
  let server: RunningDashboard;
  let base: string;
  let cleanup: () => Promise<void> = () => Promise.resolve();
  let secret = '';
  let dbUrl = '';
  let dbName = '';

  beforeAll(async () => {
    if (skip) return;
    if (name === 'pglite') {
      const dir = await mkdtemp(join(tmpdir(), 'slsa-dash-api-'));
      const dataDir = await preparePglite(dir, entries);
      server = await serveDashboard({ dataDir, port: 0, logger: silentLogger });
      cleanup = () => rm(dir, { recursive: true, force: true });
    } else {
      const dir = await mkdtemp(join(tmpdir(), 'slsa-dash-api-'));
      const db = await preparePostgres(dir, entries);
      secret = fakePassword;
      dbName = db.name;
      dbUrl = db.url;
      server = await serveDashboard({ databaseUrl: db.url, port: 0, logger: silentLogger });
      cleanup = async () => {
        await db.drop();
        await rm(dir, { recursive: true, force: true });
      };
    }
    base = server.url;
  });

  afterAll(async () => {
    if (skip) return;
    await server.close();
    await cleanup();
  });

  it.skipIf(skip)('listens on 127.0.0.1 and answers /healthz', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.engine).toBe(name);
    const r = await send(base, '/healthz');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'ok', database: 'ok' });
  });

  it.skipIf(skip)('sends the security headers on pages, API answers and errors alike', async () => {
    for (const path of ['/', '/app.js', '/api/kpi', '/api/runs?page=0', '/nope']) {
      const r = await send(base, path);
      const csp = String(r.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['x-frame-options']).toBe('DENY');
    }
    expect((await send(base, '/api/kpi')).headers['content-type']).toBe('application/json; charset=utf-8');
    expect((await send(base, '/api/kpi')).headers['cache-control']).toBe('no-store');
  });

  it.skipIf(skip)('serves the page, its script and the chart library from the npm package', async () => {
    const page = await send(base, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    // no inline script at all, and nothing from another origin
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    const lib = await send(base, '/vendor/uPlot.iife.min.js');
    expect(lib.status).toBe(200);
    expect(lib.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(lib.text).toContain('uPlot');
    const app = await send(base, '/app.js');
    expect(app.text).not.toMatch(
      /\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML\(|document\.write(ln)?\(|\beval\(|new Function\(/,
    );
  });

  it.skipIf(skip)('/api/kpi reports every metric over the last 30 days by default', async () => {
    const r = await send(base, '/api/kpi');
    expect(r.status).toBe(200);
    const body = r.json;
    const since = Date.parse(body.window.since);
    expect(Date.parse(body.window.until) - since).toBe(30 * 86_400_000);
    for (const key of [
      'entries',
      'entries_per_day',
      'missing_artifact_rate',
      'failure_rate',
      'validated_rate',
      'dispatch_token_age_days',
      'dispatch_token_days_to_expiry',
      'manifest_hash',
      'notification_success_ratio',
      'lock_wait_s',
      'artifact_upload_latency_s',
      'manifest_to_db_lag_s',
      'ingest_failures',
    ]) {
      expect(body.metrics).toHaveProperty(key);
    }
    const expected = entries.filter((e) => inWindow(e, since));
    expect(body.metrics.entries).toBe(expected.length);
    const failures = expected.filter((e) => e.status === 'failure').length;
    expect(body.metrics.failure_rate).toBeCloseTo(failures / expected.length, 6);
    expect(body.view.headline.map((c: any) => c.id)).toContain('manifest_to_db_lag_p95_s');
    const series = body.view.series;
    expect(series.days.length).toBeGreaterThanOrEqual(28);
    for (const k of Object.keys(series)) expect(series[k]).toHaveLength(series.days.length);
    const sum = (a: number[]): number => a.reduce((n, x) => n + x, 0);
    expect(sum(series.entries_success) + sum(series.entries_failure)).toBe(expected.length);
    const status = Object.fromEntries(body.view.breakdown.status.map((s: any) => [s.label, s.count]));
    expect(status).toEqual({ success: expected.length - failures, failure: failures });
  });

  it.skipIf(skip)('/api/kpi takes since and until', async () => {
    const since = new Date(now.getTime() - 40 * 86_400_000).toISOString().slice(0, 10);
    const until = new Date(now.getTime() - 20 * 86_400_000).toISOString().slice(0, 10);
    const r = await send(base, `/api/kpi?since=${since}&until=${until}`);
    expect(r.status).toBe(200);
    const expected = entries.filter((e) =>
      inWindow(e, Date.parse(`${since}T00:00:00Z`), Date.parse(`${until}T00:00:00Z`) + 86_400_000),
    );
    expect(r.json.metrics.entries).toBe(expected.length);
    expect(r.json.window).toEqual({
      since: `${since}T00:00:00.000Z`,
      until: new Date(Date.parse(`${until}T00:00:00Z`) + 86_400_000).toISOString(),
    });
  });

  it.skipIf(skip)('/api/runs pages through every run, newest first, without overlap', async () => {
    const seen: string[] = [];
    let previous = Number.POSITIVE_INFINITY;
    for (let page = 1; page <= 3; page++) {
      const r = await send(base, `/api/runs?per_page=50&page=${page}`);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({
        page,
        per_page: 50,
        total: entries.length,
        total_capped: false,
        total_pages: 3,
        sort: 'timestamp',
        order: 'desc',
      });
      for (const run of r.json.runs) {
        expect(Date.parse(run.timestamp)).toBeLessThanOrEqual(previous);
        previous = Date.parse(run.timestamp);
        seen.push(`${run.tag}#${run.run_id}`);
      }
    }
    expect(new Set(seen).size).toBe(entries.length);
    const first = (await send(base, '/api/runs?per_page=1')).json.runs[0];
    expect(Object.keys(first).sort()).toEqual(
      [
        'actor',
        'artifact_url',
        'failure_reason',
        'governance_flag',
        'release_url',
        'run_id',
        'sha',
        'status',
        'tag',
        'timestamp',
        'validated_at',
        'validation_status',
        'repository',
        'signature_status',
        'missing_since',
      ].sort(),
    );
    const empty = await send(base, '/api/runs?page=99');
    expect(empty.json.runs).toEqual([]);
  });

  it.skipIf(skip)('/api/runs filters by status, flag, tag prefix and dates, and sorts', async () => {
    const failures = entries.filter((e) => e.status === 'failure');
    const r1 = await send(base, '/api/runs?status=failure&per_page=200');
    expect(r1.json.total).toBe(failures.length);
    expect(
      r1.json.runs.every((r: any) => r.status === 'failure' && typeof r.failure_reason === 'string'),
    ).toBe(true);

    const missing = entries.filter((e) => e.governance_flag === 'artifact-missing');
    const r2 = await send(base, '/api/runs?governance_flag=artifact-missing&per_page=200');
    expect(r2.json.total).toBe(missing.length);

    const release = entries.filter((e) => e.tag.startsWith('release/'));
    const r3 = await send(
      base,
      `/api/runs?tag_prefix=${encodeURIComponent('release/')}&per_page=200&sort=run_id&order=asc`,
    );
    expect(r3.json.total).toBe(release.length);
    expect(r3.json.runs.map((r: any) => r.run_id)).toEqual(
      release.map((e) => e.run_id).sort((a, b) => a - b),
    );

    // LIKE wildcards in the prefix match literally
    expect((await send(base, '/api/runs?tag_prefix=v%25')).json.total).toBe(0);
    expect((await send(base, '/api/runs?tag_prefix=v_')).json.total).toBe(0);

    const since = new Date(now.getTime() - 10 * 86_400_000).toISOString();
    const r4 = await send(base, `/api/runs?since=${encodeURIComponent(since)}&status=success&per_page=200`);
    expect(r4.json.total).toBe(
      entries.filter((e) => e.status === 'success' && inWindow(e, Date.parse(since))).length,
    );

    const r5 = await send(base, '/api/runs?sort=run_id&order=desc&per_page=5');
    const ids = entries
      .map((e) => e.run_id)
      .sort((a, b) => b - a)
      .slice(0, 5);
    expect(r5.json.runs.map((r: any) => r.run_id)).toEqual(ids);
  });

  it.skipIf(skip)(
    '/api/manifests pages the manifest list: every page together is the full list',
    async () => {
      const since = new Date(now.getTime() - 365 * 86_400_000).toISOString().slice(0, 10);
      const kpi = await send(base, `/api/kpi?since=${since}`);
      // one repository: its report lists every file
      expect(kpi.json.metrics.manifests).toMatchObject({ listed: true, full_list: null });
      const full = kpi.json.metrics.manifest_hash as Record<string, string>;
      expect(Object.keys(full).length).toBeGreaterThan(2);
      for (const limit of [1, 2, 5000]) {
        const listed: [string, string][] = [];
        let after: string | null = null;
        let pages = 0;
        do {
          const r = await send(
            base,
            `/api/manifests?since=${since}&limit=${limit}${after === null ? '' : `&after=${after}`}`,
          );
          expect(r.status).toBe(200);
          expect(r.json.files.length).toBeLessThanOrEqual(limit);
          for (const f of r.json.files) listed.push([f.path, f.hash]);
          after = r.json.next;
          pages += 1;
        } while (after !== null && pages < 1000);
        expect(listed).toEqual(
          Object.entries(full).sort(([a], [b]) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1)),
        );
        expect(pages).toBe(Math.max(1, Math.ceil(listed.length / limit)));
      }
      const none = await send(base, '/api/manifests?owner=nobody');
      expect(none.json).toMatchObject({ files: [], next: null });
      for (const [path, code] of [
        ['/api/manifests?limit=0', 'DASHBOARD_PARAM_INVALID'],
        ['/api/manifests?limit=5001', 'DASHBOARD_PARAM_INVALID'],
        ['/api/manifests?limit=1&limit=2', 'DASHBOARD_PARAM_INVALID'],
        ['/api/manifests?after=not%20a%20cursor', 'DASHBOARD_PARAM_INVALID'],
        [
          `/api/manifests?after=${Buffer.from('["a/b/c", "x"]').toString('base64url')}`,
          'DASHBOARD_PARAM_INVALID',
        ],
        ['/api/manifests?page=2', 'DASHBOARD_PARAM_UNKNOWN'],
        ['/api/manifests?since=2026-11-02&until=2026-11-01', 'DASHBOARD_PARAM_INVALID'],
      ] as const) {
        const r = await send(base, path);
        expect(r.status, path).toBe(400);
        expect(r.json.error.code, path).toBe(code);
      }
    },
  );

  it.skipIf(skip)('bad parameters are 400 with a code', async () => {
    for (const [path, code] of [
      ['/api/runs?per_page=201', 'DASHBOARD_PARAM_INVALID'],
      ['/api/runs?page=0', 'DASHBOARD_PARAM_INVALID'],
      ['/api/runs?sort=sha', 'DASHBOARD_PARAM_INVALID'],
      ['/api/runs?order=sideways', 'DASHBOARD_PARAM_INVALID'],
      ['/api/runs?status=ok', 'DASHBOARD_PARAM_INVALID'],
      ['/api/runs?since=tomorrow', 'DASHBOARD_PARAM_INVALID'],
      ['/api/runs?status=failure&status=success', 'DASHBOARD_PARAM_INVALID'],
      ['/api/runs?limit=5', 'DASHBOARD_PARAM_UNKNOWN'],
      ['/api/kpi?since=2026-11-02&until=2026-11-01', 'DASHBOARD_PARAM_INVALID'],
      ['/api/kpi?window=7d', 'DASHBOARD_PARAM_UNKNOWN'],
      ['/api/runs/v1/notanumber', 'DASHBOARD_PARAM_INVALID'],
      ['/api/runs/%ZZ/1', 'DASHBOARD_PATH_INVALID'],
    ] as const) {
      const r = await send(base, path);
      expect(r.status, path).toBe(400);
      expect(r.json.error.code, path).toBe(code);
      expect(typeof r.json.error.message).toBe('string');
    }
  });

  it.skipIf(skip)(
    '/api/runs/:tag/:run_id returns the entry, its history, validation and audit log',
    async () => {
      const validated = entries.find((e) => e.validation !== undefined && e.tag.startsWith('release/'))!;
      for (const path of [
        `/api/runs/${encodeURIComponent(validated.tag)}/${validated.run_id}`,
        `/api/runs/${validated.tag}/${validated.run_id}`,
      ]) {
        const r = await send(base, path);
        expect(r.status, path).toBe(200);
        expect(r.json.run).toMatchObject({
          tag: validated.tag,
          run_id: validated.run_id,
          governance_history: validated.governance_history,
          validation: validated.validation,
          validation_status: 'passed',
          manifest_path: `docs/reports/${validated.timestamp.slice(0, 10)}/manifest.json`,
        });
        expect(r.json.audit_log).toEqual([expect.objectContaining({ action: 'insert' })]);
      }
      const hostile = await send(base, `/api/runs/${encodeURIComponent(hostileTag)}/666`);
      expect(hostile.status).toBe(200);
      expect(hostile.json.run.failure_reason).toBe(hostileReason);
      expect(hostile.json.run.tag).toBe(hostileTag);
    },
  );

  it.skipIf(skip)('unknown runs and paths are 404, other methods 405, foreign Host names 421', async () => {
    const missing = await send(base, '/api/runs/v0.0.0/1');
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('DASHBOARD_RUN_NOT_FOUND');
    for (const path of ['/nope', '/api', '/api/kpis', '/app.js/../../package.json', '/.env']) {
      const r = await send(base, path);
      expect(r.status, path).toBe(404);
      expect(r.json.error.code).toBe('DASHBOARD_NOT_FOUND');
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await send(base, '/api/runs', { method });
      expect(r.status).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD');
      expect(r.json.error.code).toBe('DASHBOARD_METHOD_NOT_ALLOWED');
    }
    const head = await send(base, '/healthz', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    const rebound = await send(base, '/api/runs', { host: 'attacker.example:80' });
    expect(rebound.status).toBe(421);
    expect(rebound.json.error.code).toBe('DASHBOARD_HOST_REFUSED');
    expect((await send(base, '/healthz', { host: `localhost:${server.port}` })).status).toBe(200);
  });

  it.skipIf(skip || name !== 'postgres')('counts up to a cap and says so', async () => {
    const db = await openDatabase({ databaseUrl: dbUrl, role: 'reader' });
    try {
      const query = { page: 1, perPage: 10, sort: 'timestamp', order: 'desc' } as const;
      const capped = await listRuns(db, query, { countCap: 50 });
      expect(capped).toMatchObject({ total: 50, total_capped: true, total_pages: 5 });
      expect(capped.runs).toHaveLength(10);
      const exact = await listRuns(db, query, { countCap: entries.length });
      expect(exact).toMatchObject({ total: entries.length, total_capped: false });
      // the reader role sees the views only: the tables are out of reach even for a plain SELECT
      await expect(db.query('SELECT count(*) FROM public.slsa_runs')).rejects.toThrowCode(
        'DB_PERMISSION_DENIED',
      );
    } finally {
      await db.close();
    }
  });

  it.skipIf(skip || name !== 'postgres')(
    'never shows the database URL or password, even when the database is gone',
    async () => {
      for (const path of ['/healthz', '/api/kpi', '/api/runs', '/api/runs/v0/1', '/api/runs?page=0']) {
        const r = await send(base, path);
        expect(r.text).not.toContain(secret);
        expect(r.text).not.toContain('127.0.0.1:5432');
        expect(r.text).not.toContain('postgres://');
        expect(r.text).not.toContain(dbName);
      }
      await cleanup(); // drops the database under the running server
      cleanup = () => Promise.resolve();
      for (const path of [
        '/healthz',
        '/api/kpi',
        '/api/runs',
        `/api/runs/${encodeURIComponent(hostileTag)}/666`,
      ]) {
        const r = await send(base, path);
        expect(r.status, path).toBe(503);
        expect(r.json.error.message).toBe('database unavailable');
        expect(r.text).not.toContain(secret);
        expect(r.text).not.toContain('127.0.0.1:5432');
        expect(r.text).not.toContain('postgres://');
        expect(r.text).not.toContain(dbName);
      }
    },
  );
});

describe.skipIf(!withPostgres)('serve command', () => {
  it('prints the URL, serves until SIGTERM, then reports in JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slsa-dash-cli-'));
    const db = await preparePostgres(dir, entries.slice(0, 10));
    try {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      let err = '';
      stdout.on('data', (b: Buffer) => (out += b.toString()));
      stderr.on('data', (b: Buffer) => (err += b.toString()));
      const exit = runCli(['serve', '--port', '0', '--json'], {
        stdout,
        stderr,
        stdin: Readable.from(['']),
        env: { PATH: process.env.PATH, DATABASE_URL: db.url },
        cwd: dir,
        isTty: false,
      });
      const deadline = Date.now() + 30_000;
      while (!/dashboard at (http:\/\/\S+)/.test(err) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const url = /dashboard at (http:\/\/\S+)/.exec(err)?.[1];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const health = await send(url!, '/healthz');
      expect(health.json).toEqual({ status: 'ok', database: 'ok' });
      const runs = await send(url!, '/api/runs');
      expect(runs.json.total).toBe(10);
      process.emit('SIGTERM', 'SIGTERM');
      expect(await exit).toBe(0);
      expect(JSON.parse(out)).toEqual({
        ok: true,
        result: { url, engine: 'postgres', stopped_by: 'SIGTERM' },
      });
      expect(err).not.toContain(fakePassword);
      await expect(fetch(`${url!}healthz`)).rejects.toThrow();
    } finally {
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad flags (exit 2) and an unreachable database (exit 5) without showing the password', async () => {
    const badPort = await runCliCaptured(['serve', '--port', '70000', '--json']);
    expect(badPort.code).toBe(2);
    expect(badPort.json().error!.code).toBe('USAGE_INVALID_FLAG');
    const down = await runCliCaptured([
      'serve',
      '--port',
      '0',
      '--json',
      '--database-url',
      'postgres://postgres:hunter2-secret@127.0.0.1:1/nothing',
    ]);
    expect(down.code).toBe(5);
    expect(down.json().error!.code).toBe('DB_UNAVAILABLE');
    expect(down.stdout + down.stderr).not.toContain('hunter2-secret');
    const help = await runCliCaptured(['serve', '--help']);
    expect(help.code).toBe(0);
    expect(help.stderr).toContain('--port');
  });
});

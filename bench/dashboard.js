// Dashboard API latency with many runs in PostgreSQL (issue goal: p95 < 100 ms for /api/kpi and a
// filtered /api/runs page with 1,000,000 runs). BENCH_SCALE=small loads 20,000 runs instead.
//
// The rows are generated inside PostgreSQL (INSERT … SELECT generate_series) straight into the
// slsa_runs table of a fresh, migrated database: loading a million entries through `ingest` would
// measure ingest, which is not what this suite is about. The server under test is the real one
// (`serveDashboard` from dist/, reading as slsa_kpi_reader), measured over HTTP on 127.0.0.1.
// Baseline: /healthz (one `SELECT 1` in a read-only transaction) on the same server and run.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { serveDashboard } from '../dist/app/serve.js';
import { openDatabase } from '../dist/io/db.js';
import { silentLogger } from '../dist/core/ports.js';

const small = process.env.BENCH_SCALE === 'small';
const ROWS = small ? 20_000 : 1_000_000;
const REQUESTS = small ? 40 : 60;
const SPAN_DAYS = 730;
const admin = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = (sorted.length - 1) * p;
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

async function load(url, log) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const chunk = 100_000;
    for (let start = 1; start <= ROWS; start += chunk) {
      const end = Math.min(ROWS, start + chunk - 1);
      await client.query(
        `INSERT INTO public.slsa_runs (repository, tag, run_id, sha, artifact_url, actor, "timestamp", status, governance_flag,
           release_url, failure_reason, governance_history, validation, metrics, validation_status, validated_at,
           artifact_upload_latency_s, lock_wait_s, notify_attempts, notify_delivered, dispatch_token_expires_at,
           dispatch_token_rotated_at, manifest_path, manifest_hash, git_commit, ingested_at, first_ingested_at, entry)
         SELECT 'acme/app' || lpad((g % 100)::text, 3, '0'), tag, g, sha, CASE WHEN missing THEN NULL ELSE 'https://github.com/acme/app/releases/download/' || tag || '/app.tar.gz' END,
                actor, ts, CASE WHEN failed THEN 'failure' ELSE 'success' END,
                CASE WHEN missing THEN 'artifact-missing' WHEN failed THEN 'validation-failed' WHEN validated THEN 'validated' ELSE 'provenance-ready' END,
                'https://github.com/acme/app/releases/tag/' || tag,
                CASE WHEN failed THEN 'tests failed on runner ' || (g % 7) END,
                '[]'::jsonb,
                CASE WHEN validated THEN jsonb_build_object('status', 'passed', 'validated_at', to_char((ts + interval '10 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) END,
                jsonb_build_object('lock_wait_s', lock_wait, 'artifact_upload_latency_s', upload, 'notify', jsonb_build_object('attempts', 1, 'delivered', 1)),
                CASE WHEN validated THEN 'passed' END, CASE WHEN validated THEN ts + interval '10 minutes' END,
                upload, lock_wait, 1, 1, now() + interval '20 days', now() - interval '70 days',
                'docs/reports/' || to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '/manifest.json', md5(tag), md5(g::text) || 'abcdefgh',
                ts + lag, ts + lag,
                jsonb_build_object('run_id', g, 'tag', tag, 'sha', sha, 'actor', actor,
                  'timestamp', to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                  'status', CASE WHEN failed THEN 'failure' ELSE 'success' END)
           FROM (
             SELECT g,
                    'v' || (2024 + (g * 3) / ${ROWS + 1}) || '.' || ((g / 1000) % 12 + 1) || '.' || g AS tag,
                    md5(g::text) || substr(md5((g + 1)::text), 1, 8) AS sha,
                    (ARRAY['release-bot', 'octocat', 'mona', 'hubot'])[1 + g % 4] AS actor,
                    now() - ((${ROWS} - g) * (${SPAN_DAYS} * 86400.0 / ${ROWS})) * interval '1 second' AS ts,
                    (hashint4(g) % 100 + 100) % 100 < 8 AS failed,
                    (hashint4(g) % 100 + 100) % 100 < 3 AS missing,
                    (hashint4(g + 7) % 100 + 100) % 100 < 85 AS validated,
                    ((hashint4(g + 3) % 600 + 600) % 600) * interval '1 second' AS lag,
                    ((hashint4(g + 5) % 50 + 50) % 50) / 10.0 AS lock_wait,
                    2 + ((hashint4(g + 9) % 300 + 300) % 300) / 10.0 AS upload
               FROM generate_series(${start}, ${end}) AS g
           ) s`,
      );
      log(`loaded ${end.toLocaleString('en-US')} / ${ROWS.toLocaleString('en-US')} runs`);
    }
    // as autovacuum would leave it: statistics and the visibility map up to date
    await client.query('VACUUM ANALYZE public.slsa_runs');
  } finally {
    await client.end();
  }
}

async function measure(base, path) {
  for (let i = 0; i < 5; i++) await (await fetch(new URL(path, base))).arrayBuffer(); // warm-up
  const times = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now();
    const response = await fetch(new URL(path, base));
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p95: percentile(times, 0.95) };
}

export async function runDashboardBench({ log }) {
  const name = `slsa_bench_dash_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const c = new pg.Client(admin);
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = `postgres://postgres@127.0.0.1:5432/${name}`;
  let server;
  try {
    await (await openDatabase({ databaseUrl: url, migrate: true })).close();
    const t0 = performance.now();
    await load(url, log);
    log(
      `generated ${ROWS.toLocaleString('en-US')} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    server = await serveDashboard({ databaseUrl: url, port: 0, logger: silentLogger });
    const cases = [
      ['healthz (baseline)', '/healthz'],
      ['/api/kpi (last 30 days)', '/api/kpi'],
      ['/api/kpi (last 90 days)', '/api/kpi?since=90d'],
      ['/api/runs (first page)', '/api/runs'],
      ['/api/runs?status=failure', '/api/runs?status=failure&per_page=50'],
      [
        '/api/runs?tag_prefix&flag',
        '/api/runs?tag_prefix=v2025.3&governance_flag=validated&sort=tag&order=asc',
      ],
      ['/api/runs?since&until', '/api/runs?since=2026-01-01&until=2026-01-31&page=3'],
      ['/api/kpi?repository (one of 100, 30 days)', '/api/kpi?repository=acme/app007'],
      ['/api/kpi?owner (all 100, a year)', '/api/kpi?owner=acme&since=365d'],
      ['/api/runs?repository', '/api/runs?repository=acme/app007&per_page=50'],
      ['/api/runs?repository&status=failure', '/api/runs?repository=acme/app007&status=failure'],
    ];
    const rows = [];
    let baseline;
    for (const [label, path] of cases) {
      const { p50, p95 } = await measure(server.url, path);
      log(`${label}: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms`);
      if (baseline === undefined) baseline = p95;
      const goal =
        path === '/api/kpi' ||
        path.startsWith('/api/runs?status=failure') ||
        path.includes('tag_prefix') ||
        path.includes('repository=');
      rows.push({
        metric: `${label} p95`,
        value: Number(p95.toFixed(1)),
        unit: 'ms',
        ...(goal ? { goal: '< 100 ms', met: p95 < 100 } : {}),
      });
      if (path !== '/healthz') {
        rows.push({
          metric: `${label} p95 / healthz p95`,
          value: Number((p95 / baseline).toFixed(1)),
          unit: 'x',
        });
      }
    }
    rows.unshift({ metric: 'runs in the database', value: ROWS, unit: 'rows' });
    return rows;
  } finally {
    await server?.close();
    const d = new pg.Client(admin);
    await d.connect();
    await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await d.end();
  }
}

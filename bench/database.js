// Database suite (issues 5, 17): ingest rows/s into PostgreSQL 15 through slsa_ingest_batch as the
// role slsa_manifest_ingest, against the baseline `psql \copy` into a staging table plus the same
// upsert (the function's own statement — checks, INSERT … ON CONFLICT, audit — cut from the
// migration) on the same server in the same run; PGlite rows/s (a smaller N); `kpi` for the
// organisation and for one repository, 30 days and a year, and the KPI views at N runs: p95; the
// database size per million runs. N runs in R repositories (N/R each), ingested one repository after
// another as `ingest --ledger …` does. N = 1,000,000, R = 100 (BENCH_SCALE=small: 20,000 and 4;
// BENCH_DB_ROWS, BENCH_REPOS set others; PGlite 50,000 / 2,000). Entries are generated directly as
// rows (no git ledger), spread over the 365 days before now.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadKpiReport } from '../dist/app/kpi.js';
import { resolveKpiWindow } from '../dist/core/kpi/window.js';
import { openDatabase } from '../dist/io/db.js';
import { createSqlIngestSink } from '../dist/io/ingest-sink.js';
import { applyMigrations, defaultMigrationsDir } from '../dist/io/migrations.js';

const small = process.env.BENCH_SCALE === 'small';
const N = Number(process.env.BENCH_DB_ROWS ?? (small ? 20_000 : 1_000_000));
const N_PGLITE = Number(process.env.BENCH_PGLITE_ROWS ?? (small ? 2_000 : 50_000));
const R = Number(process.env.BENCH_REPOS ?? (small ? 4 : 100));
const COMMIT = 'a'.repeat(40);
const repoName = (r) => `acme/app${String(r).padStart(3, '0')}`;
const BATCH = 5_000;
const QUERIES = small ? 20 : 40;
const host = '127.0.0.1';
const adminUrl = `postgres://postgres@${host}:5432/postgres`;

function percentile(sorted, p) {
  const rank = (sorted.length - 1) * p;
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

const hex = (n, len) => n.toString(16).padStart(len, '0');

/** Item i of the generated ledger: an entry plus where it was read. */
function item(i, now, n) {
  // in time order over the 365 days before now, as a ledger grows (rows land in timestamp order)
  const ts = new Date(now - 365 * 86_400_000 + Math.floor((i * 365 * 86_400) / n) * 1000);
  const iso = `${ts.toISOString().slice(0, 19)}Z`;
  const day = iso.slice(0, 10);
  const failed = i % 17 === 0;
  const entry = {
    run_id: i + 1,
    tag: `v${2025 + (i % 2)}.${(i >> 10) % 12}.${i}`,
    sha: hex(i + 1, 40),
    artifact_url: failed ? null : `https://github.com/acme/app/releases/download/v${i}/app.tgz`,
    actor: ['release-bot', 'octocat', 'mona'][i % 3],
    timestamp: iso,
    status: failed ? 'failure' : 'success',
    governance_flag: failed ? 'artifact-missing' : 'provenance-ready',
    release_url: `https://github.com/acme/app/releases/tag/v${i}`,
    ...(failed ? { failure_reason: 'upload failed' } : {}),
    ...(i % 3 === 0 ? { validation: { status: 'passed', validated_at: iso } } : {}),
    metrics: {
      dispatch_token_rotated_at: '2025-10-01T00:00:00Z',
      dispatch_token_expires_at: '2026-12-31T00:00:00Z',
      artifact_upload_latency_s: (i % 97) / 3,
      lock_wait_s: (i % 13) / 4,
      notify: { attempts: 1 + (i % 2), delivered: 1 },
    },
  };
  return {
    entry,
    manifest_path: `docs/reports/${day}/manifest.json`,
    manifest_hash: hex(i % 365, 64),
    git_commit: COMMIT,
  };
}

async function admin(sql) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function freshDatabase(name) {
  await admin(`DROP DATABASE IF EXISTS ${name}`);
  await admin(`CREATE DATABASE ${name}`);
  const url = `postgres://postgres@${host}:5432/${name}`;
  const db = await openDatabase({ databaseUrl: url });
  try {
    await applyMigrations(db);
  } finally {
    await db.close();
  }
  return url;
}

/** The function's upsert statement for one repository, reading a staging table instead of the batch. */
function upsertFromStaging(repository) {
  const file = readFileSync(join(defaultMigrationsDir, '20261202170000_slsa_repositories.sql'), 'utf8');
  const start = file.indexOf('WITH input AS MATERIALIZED (');
  const end = file.indexOf('FROM counted c,', start);
  let sql = file.slice(start, end);
  sql = sql.replace(
    "FROM jsonb_array_elements(batch->'entries') WITH ORDINALITY AS x(item, ord)",
    `FROM (SELECT s.item, s.ord FROM bench_staging s WHERE s.repository = '${repository}') AS x`,
  );
  sql = sql
    .replace(/\bv_id\b/g, 'NULL::uuid')
    .replace(/\bv_repo\b/g, `'${repository}'`)
    .replace(/\bv_to_commit\b/g, `'${COMMIT}'`);
  sql = sql.replace(/SELECT c\.ins, c\.upd, c\.res,[\s\S]*$/, '');
  sql += 'SELECT (SELECT count(*) FROM counted), (SELECT count(*) FROM failures), (SELECT count(*) FROM up)';
  if (sql.includes('batch->') || !sql.includes('bench_staging'))
    throw new Error('could not cut the upsert out of the migration');
  return `${sql};`;
}

/** Repository r's runs: every R-th item (each repository spans the whole year). */
function repoItems(r, n, now, from, to) {
  const items = [];
  for (let j = from; j < to; j++) items.push(item(j * R + r, now, n));
  return items;
}

async function ingestOurs(url, n, now, log) {
  const db = await openDatabase({ databaseUrl: url, role: 'ingest' });
  const sink = createSqlIngestSink(db);
  const started = performance.now();
  let inserted = 0;
  const per = Math.floor(n / R);
  for (let r = 0; r < R; r++) {
    const id = randomUUID();
    await sink.begin({ ingest_id: id, repository: repoName(r), engine: 'postgres', to_commit: COMMIT });
    for (let i = 0; i < per; i += BATCH) {
      const counts = await sink.upsert(id, repoItems(r, n, now, i, Math.min(per, i + BATCH)));
      inserted += counts.inserted;
      if (counts.failed.length > 0) throw new Error(`refused: ${JSON.stringify(counts.failed[0])}`);
    }
    await sink.finish({ ingest_id: id, status: 'succeeded', entries_failed: 0, watermark: COMMIT });
    if (r % Math.max(1, Math.floor(R / 10)) === 0) log(`ingest ${repoName(r)}: ${inserted}/${per * R}`);
  }
  const seconds = (performance.now() - started) / 1000;
  await sink.close();
  if (inserted !== per * R) throw new Error(`inserted ${inserted} of ${per * R}`);
  return seconds;
}

async function writeCsv(path, n, now) {
  const out = createWriteStream(path);
  const q = (s) => (s === null ? '' : `"${String(s).replace(/"/g, '""')}"`);
  const per = Math.floor(n / R);
  for (let r = 0; r < R; r++) {
    for (let j = 0; j < per; j++) {
      const it = item(j * R + r, now, n);
      if (!out.write(`${q(repoName(r))},${j + 1},${q(JSON.stringify(it))}\n`)) {
        await new Promise((resolve) => out.once('drain', resolve));
      }
    }
  }
  await new Promise((resolve) => out.end(resolve));
}

function baselinePsql(url, csv, dir) {
  const script = join(dir, 'baseline.sql');
  writeFileSync(
    script,
    [
      '\\set ON_ERROR_STOP on',
      'CREATE UNLOGGED TABLE bench_staging (repository text, ord bigint, item jsonb);',
      `\\copy bench_staging FROM '${csv}' WITH (FORMAT csv)`,
      'CREATE INDEX ON bench_staging (repository);',
      // one statement per repository, as ingest writes them (without its 5,000-entry batches)
      ...Array.from({ length: R }, (_, r) => ['BEGIN;', upsertFromStaging(repoName(r)), 'COMMIT;']).flat(),
    ].join('\n'),
  );
  const started = performance.now();
  const r = spawnSync('psql', ['-q', '-X', '-d', url, '-f', script], { encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return seconds;
}

async function p95(fn) {
  await fn();
  const times = [];
  for (let i = 0; i < QUERIES; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return Math.round(percentile(times, 0.95) * 10) / 10;
}

function loadAverage() {
  const r = spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' });
  return `load average ${r.stdout.split(' ').slice(0, 3).join(' ')}`;
}

export async function runDatabaseBench({ log }) {
  const rows = [];
  const now = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'slsa-bench-db-'));
  try {
    // ours and the baseline on the same server, in this run
    const oursUrl = await freshDatabase('slsa_bench_ingest');
    log(
      `ingest ${N} entries of ${R} repositories through slsa_ingest_batch (batches of ${BATCH}); load ${loadAverage()}`,
    );
    const ours = await ingestOurs(oursUrl, N, now, log);
    const baseUrl = await freshDatabase('slsa_bench_copy');
    const csv = join(dir, 'entries.csv');
    await writeCsv(csv, N, now);
    log('baseline: psql \\copy into a staging table + the same upsert');
    const base = baselinePsql(baseUrl, csv, dir);
    await admin('DROP DATABASE IF EXISTS slsa_bench_copy');
    const ratio = base / ours;
    rows.push(
      {
        metric: `postgres ingest rows/s (N=${N}, ${R} repositories)`,
        value: Math.round(N / ours),
        unit: 'rows/s',
        goal: '>= 25,000',
        met: N / ours >= 25_000,
      },
      { metric: 'psql \\copy + upsert rows/s (baseline)', value: Math.round(N / base), unit: 'rows/s' },
      {
        metric: 'ingest vs \\copy+upsert',
        value: Math.round(ratio * 100) / 100,
        unit: 'x',
        goal: '>= 0.8',
        met: ratio >= 0.8,
      },
    );

    // kpi and the KPI views at N runs, as the reader role
    // autovacuum would get there too; do it now so the visibility map allows index-only scans
    const owner = new pg.Client({ connectionString: oursUrl });
    await owner.connect();
    await owner.query('VACUUM ANALYZE');
    await owner.end();
    const reader = await openDatabase({ databaseUrl: oursUrl, role: 'reader' });
    try {
      const nowDate = new Date(now);
      const window30 = resolveKpiWindow({}, nowDate);
      const window365 = resolveKpiWindow({ since: '366d' }, nowDate);
      const kpi30 = await p95(() => loadKpiReport(reader, window30, nowDate));
      const kpi365 = await p95(() => loadKpiReport(reader, window365, nowDate));
      const one = { repositories: [repoName(1)] };
      const kpiRepo30 = await p95(() => loadKpiReport(reader, window30, nowDate, one));
      const kpiRepo365 = await p95(() => loadKpiReport(reader, window365, nowDate, one));
      const size = await reader.query('SELECT 1').then(async () => {
        const c = new pg.Client({ connectionString: oursUrl });
        await c.connect();
        try {
          return Number((await c.query('SELECT pg_database_size(current_database()) AS b')).rows[0].b);
        } finally {
          await c.end();
        }
      });
      const daily = await p95(() =>
        reader.query('SELECT * FROM public.provenance_kpi_daily WHERE day >= $1::date ORDER BY day', [
          window30.since.slice(0, 10),
        ]),
      );
      const kpiView = await p95(() =>
        reader.query(
          'SELECT tag, status, validated_at, run_id, release_url FROM public.provenance_kpi WHERE tag = $1',
          [item(1000, now, N).entry.tag],
        ),
      );
      const lag = await p95(() =>
        reader.query('SELECT max(lag_s) FROM public.provenance_ingest_lag WHERE "timestamp" >= $1', [
          window30.since,
        ]),
      );
      rows.push(
        {
          metric: `kpi p95, default 30-day window (N=${N})`,
          value: kpi30,
          unit: 'ms',
          goal: '< 100',
          met: kpi30 < 100,
        },
        {
          metric: `kpi p95, 365-day window = all runs (N=${N})`,
          value: kpi365,
          unit: 'ms',
          goal: '< 100',
          met: kpi365 < 100,
        },
        {
          metric: `kpi p95, one repository, 30 days (N=${N})`,
          value: kpiRepo30,
          unit: 'ms',
          goal: '< 100',
          met: kpiRepo30 < 100,
        },
        {
          metric: `kpi p95, one repository, 365 days (N=${N})`,
          value: kpiRepo365,
          unit: 'ms',
          goal: '< 100',
          met: kpiRepo365 < 100,
        },
        {
          metric: 'database size per million runs',
          value: Math.round((size / 1024 / 1024 / N) * 1_000_000),
          unit: 'MiB',
        },
        {
          metric: 'provenance_kpi_daily p95 (30 days)',
          value: daily,
          unit: 'ms',
          goal: '< 100',
          met: daily < 100,
        },
        {
          metric: 'provenance_kpi p95 (one tag)',
          value: kpiView,
          unit: 'ms',
          goal: '< 100',
          met: kpiView < 100,
        },
        {
          metric: 'provenance_ingest_lag p95 (30 days)',
          value: lag,
          unit: 'ms',
          goal: '< 100',
          met: lag < 100,
        },
      );
    } finally {
      await reader.close();
    }
    await admin('DROP DATABASE IF EXISTS slsa_bench_ingest');

    // PGlite: smaller N (single-threaded WebAssembly)
    const pgliteDir = join(dir, 'pglite');
    const lite = await openDatabase({ dataDir: pgliteDir, role: 'ingest', migrate: true });
    try {
      const sink = createSqlIngestSink(lite);
      const id = randomUUID();
      const started = performance.now();
      await sink.begin({ ingest_id: id, repository: 'acme/app', engine: 'pglite', to_commit: COMMIT });
      for (let i = 0; i < N_PGLITE; i += 1000) {
        const items = [];
        for (let j = i; j < Math.min(N_PGLITE, i + 1000); j++) items.push(item(j, now, N_PGLITE));
        await sink.upsert(id, items);
      }
      await sink.finish({ ingest_id: id, status: 'succeeded', entries_failed: 0, watermark: COMMIT });
      const seconds = (performance.now() - started) / 1000;
      rows.push({
        metric: `pglite ingest rows/s (N=${N_PGLITE})`,
        value: Math.round(N_PGLITE / seconds),
        unit: 'rows/s',
      });
    } finally {
      await lite.close();
    }
    const wal = spawnSync('du', ['-sm', join(pgliteDir, 'pg_wal')], { encoding: 'utf8' });
    rows.push({
      metric: 'pglite pg_wal after ingest',
      value: Number(wal.stdout.split(/\s/)[0] ?? 0),
      unit: 'MiB',
      goal: '<= 96',
      met: Number(wal.stdout.split(/\s/)[0] ?? 0) <= 96,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

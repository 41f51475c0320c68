// ingest / migrate / kpi on both engines: the same suite on embedded PGlite and on the real
// PostgreSQL 15 server (a fresh database for this file).
import { cpSync, mkdtempSync, rmSync, appendFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestLedger } from '../../../src/app/ingest.js';
import { loadKpiReport } from '../../../src/app/kpi.js';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { computeKpis } from '../../../src/core/kpi/kpi.js';
import type { LedgerEntry } from '../../../src/core/ledger/entry.js';
import { UnavailableError } from '../../../src/errors.js';
import { openDatabase, type DbClient } from '../../../src/io/db.js';
import { createSqlIngestSink, type IngestSink } from '../../../src/io/ingest-sink.js';
import { defaultMigrationsDir } from '../../../src/io/migrations.js';
import {
  kpiFixtureEntries,
  kpiFixtureExpected,
  kpiFixtureNow,
  kpiFixtureWindow,
} from '../../support/kpi-fixture.js';
import { loadReferenceInputs, type ReferenceInputs } from '../../support/kpi-reference.js';
import { createLedgerRepo, type LedgerRepo } from '../../support/ledger-repo.js';
import {
  assertPostgresInCi,
  createEngineTarget,
  testEngines,
  type EngineTarget,
} from '../../support/postgres.js';

const engines = await testEngines();

it('PostgreSQL is reachable in CI', async () => {
  await assertPostgresInCi();
});

async function withDb<T>(
  target: EngineTarget,
  fn: (db: DbClient) => Promise<T>,
  role: 'owner' | 'reader' = 'owner',
): Promise<T> {
  const db = await openDatabase({ ...target.options, role });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

interface Snapshot {
  runs: unknown[];
  audit: unknown[];
  watermark: unknown[];
  manifests: unknown[];
}

async function snapshot(target: EngineTarget): Promise<Snapshot> {
  return withDb(target, async (db) => ({
    runs: (await db.query('SELECT * FROM slsa_runs ORDER BY tag, run_id')).rows,
    audit: (await db.query('SELECT * FROM provenance_audit_log ORDER BY id')).rows,
    watermark: (await db.query('SELECT * FROM ingest_watermark')).rows,
    manifests: (await db.query('SELECT * FROM ledger_manifests ORDER BY path')).rows,
  }));
}

describe.each(engines)('database on %s', (engine) => {
  let target: EngineTarget;
  let repo: LedgerRepo;
  const ingest = (extra: Parameters<typeof ingestLedger>[0] = {}) =>
    ingestLedger({ repo: repo.dir, ledger: 'acme/widgets', ...target.options, ...extra });

  beforeAll(async () => {
    target = await createEngineTarget(engine, 'ingest');
    repo = createLedgerRepo();
  });
  afterAll(async () => {
    await target?.cleanup();
    repo?.remove();
  });

  it('migrate applies every migration once and records checksums', async () => {
    const first = await migrateDatabase(target.options);
    expect(first.applied).toBe(readdirSync(defaultMigrationsDir).filter((f) => f.endsWith('.sql')).length);
    const again = await migrateDatabase(target.options);
    expect(again.applied).toBe(0);
    expect(again.migrations.every((m) => m.state === 'already-applied')).toBe(true);
    const rows = await withDb(target, (db) =>
      db.query<{ checksum: string }>('SELECT checksum FROM slsa_schema_migrations'),
    );
    expect(rows.rows.map((r) => r.checksum)).toEqual(first.migrations.map((m) => m.checksum));
  });

  it('migrate refuses an applied migration whose file changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slsa-migrations-'));
    try {
      cpSync(defaultMigrationsDir, dir, { recursive: true });
      const first = readdirSync(dir).sort()[0]!;
      appendFileSync(join(dir, first), '\n-- edited after it was applied\n');
      await expect(migrateDatabase({ ...target.options, migrationsDir: dir })).rejects.toThrowCode(
        'DB_MIGRATION_CHANGED',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ingests the ledger: one row per run, an audit row per insert, the watermark at HEAD', async () => {
    const head = repo.commit(kpiFixtureEntries);
    const result = await ingest({ batchSize: 4 });
    expect(result).toMatchObject({
      engine,
      from_commit: null,
      to_commit: head,
      full_read: true,
      files: 3,
      seen: 6,
      inserted: 6,
      updated: 0,
      unchanged: 0,
      failed: 0,
      batches: 2,
      watermark: head,
    });
    const snap = await snapshot(target);
    expect(snap.runs).toHaveLength(6);
    expect(snap.audit).toHaveLength(6);
    expect(snap.audit.every((a: any) => a.action === 'insert' && a.metadata.old === null)).toBe(true);
    // an insert's audit row holds the hash of the entry inserted, not a copy of it (the run's row and
    // git hold the entry): the hash of each stored entry, as the database computes it
    const hashes = await withDb(target, async (db) =>
      Object.fromEntries(
        (
          await db.query<{ k: string; h: string }>(
            `SELECT tag || ' ' || run_id AS k, encode(sha256(convert_to(entry::text, 'UTF8')), 'hex') AS h FROM slsa_runs`,
          )
        ).rows.map((r) => [r.k, r.h]),
      ),
    );
    for (const a of snap.audit as any[]) {
      expect(a.metadata).not.toHaveProperty('new');
      expect(a.metadata.entry_sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(a.metadata.entry_sha256).toBe(hashes[`${a.tag} ${a.run_id}`]);
    }
    const v100 = snap.runs.find((r: any) => r.tag === 'v1.0.0') as any;
    expect(v100).toMatchObject({
      run_id: 101,
      status: 'success',
      validation_status: 'passed',
      content_sha256: 'a'.repeat(64),
      manifest_path: 'docs/reports/2025-11-24/manifest.json',
      git_commit: head,
      lock_wait_s: 1,
      notify_attempts: 2,
      notify_delivered: 2,
    });
    expect(v100.entry).toEqual(kpiFixtureEntries[1]);
    expect(v100.validated_at).toBeInstanceOf(Date);
    expect(v100.ingested_at).toBeInstanceOf(Date);
    const runs = await withDb(target, (db) =>
      db.query<{ status: string; entries_seen: number; entries_changed: number }>(
        'SELECT * FROM ingest_runs',
      ),
    );
    expect(runs.rows).toEqual([
      expect.objectContaining({ status: 'succeeded', entries_seen: 6, entries_changed: 6 }),
    ]);
  });

  it('a rerun with nothing new changes nothing', async () => {
    const before = await snapshot(target);
    const result = await ingest();
    expect(result).toMatchObject({ files: 0, seen: 0, inserted: 0, updated: 0 });
    expect(await snapshot(target)).toEqual(before);
    // also with --full: every file read, every run identical, nothing written
    const full = await ingest({ full: true });
    expect(full).toMatchObject({ files: 3, seen: 6, inserted: 0, updated: 0, unchanged: 6 });
    expect(await snapshot(target)).toEqual(before);
  });

  it('reads only changed files and writes an audit row only for the run that changed', async () => {
    const changed: LedgerEntry[] = kpiFixtureEntries.map((e) =>
      e.run_id === 105
        ? {
            ...e,
            governance_flag: 'validated',
            validation: { status: 'passed', validated_at: '2025-11-26T08:00:00Z' },
          }
        : e,
    );
    const head = repo.commit(changed.filter((e) => e.timestamp.startsWith('2025-11-25')));
    const result = await ingest();
    expect(result).toMatchObject({
      full_read: false,
      files: 1,
      seen: 3,
      inserted: 0,
      updated: 1,
      unchanged: 2,
      watermark: head,
    });
    const audit = await withDb(target, (db) =>
      db.query<any>("SELECT * FROM provenance_audit_log WHERE action = 'update'"),
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]).toMatchObject({ tag: 'v1.0.4', run_id: 105, git_commit: head });
    expect(audit.rows[0].metadata).toEqual({
      old: { governance_flag: null, validation: null },
      new: {
        governance_flag: 'validated',
        validation: { status: 'passed', validated_at: '2025-11-26T08:00:00Z' },
      },
      changed_fields: ['governance_flag', 'validation'],
    });
    repo.commit(kpiFixtureEntries.filter((e) => e.timestamp.startsWith('2025-11-25')));
    await ingest();
  });

  it('KPIs in SQL equal the reference and the hand-computed values', async () => {
    const db = await openDatabase({ ...target.options, role: 'reader' });
    let fromSql;
    let inputs: ReferenceInputs;
    try {
      fromSql = await loadKpiReport(db, kpiFixtureWindow, kpiFixtureNow);
      inputs = await loadReferenceInputs(db);
    } finally {
      await db.close();
    }
    const reference = computeKpis(inputs.runs, kpiFixtureWindow, { now: kpiFixtureNow, ...inputs.options });
    expect(fromSql).toEqual(reference);
    expect(fromSql).toMatchObject(kpiFixtureExpected);
    expect(Object.keys(fromSql.manifest_hash ?? {})).toEqual([
      'docs/reports/2025-11-24/manifest.json',
      'docs/reports/2025-11-25/manifest.json',
    ]);
    expect(fromSql.manifest_to_db_lag_s.p50).toBeGreaterThan(0);
  });

  it('the reader role sees the views and no table', async () => {
    await withDb(
      target,
      async (db) => {
        expect((await db.query('SELECT count(*)::int AS n FROM provenance_runs')).rows[0]).toEqual({ n: 6 });
        await expect(db.query('SELECT * FROM slsa_runs')).rejects.toThrowCode('DB_PERMISSION_DENIED');
        await expect(db.query("SELECT public.slsa_ingest_batch('{}'::jsonb)")).rejects.toThrowCode(
          'DB_PERMISSION_DENIED',
        );
      },
      'reader',
    );
  });

  it('an entry the database refuses fails alone, with its reason; the others of its batch land', async () => {
    const db = await openDatabase({ ...target.options, role: 'ingest' });
    const sink = createSqlIngestSink(db);
    try {
      const id = crypto.randomUUID();
      await sink.begin({ ingest_id: id, repository: 'acme/other', engine, to_commit: null });
      const good = { ...kpiFixtureEntries[1]!, tag: 'v9.9.9' };
      const bad = {
        ...kpiFixtureEntries[2]!,
        tag: 'v9.9.10',
        timestamp: 'not a time',
      } as unknown as LedgerEntry;
      const item = (entry: LedgerEntry) => ({
        entry,
        manifest_path: 'docs/reports/2025-11-24/manifest.json',
        manifest_hash: 'a'.repeat(64),
        git_commit: null,
      });
      const counts = await sink.upsert(id, [item(good), item(bad)]);
      expect(counts).toMatchObject({ seen: 2, inserted: 1, unchanged: 0 });
      expect(counts.failed).toEqual([
        expect.objectContaining({ index: 1, tag: 'v9.9.10', reason: expect.stringContaining('timestamp') }),
      ]);
      await sink.finish({ ingest_id: id, status: 'failed', entries_failed: 0, watermark: null });
    } finally {
      await sink.close();
    }
    const recorded = await withDb(target, async (d) => ({
      runs: (await d.query("SELECT tag FROM slsa_runs WHERE repository = 'acme/other'")).rows,
      failures: (
        await d.query("SELECT tag, reason FROM ingest_entry_failures WHERE repository = 'acme/other'")
      ).rows,
      ingest: (
        await d.query(
          "SELECT entries_failed, entries_refused FROM ingest_runs WHERE ledger = 'acme/other' ORDER BY started_at DESC LIMIT 1",
        )
      ).rows,
    }));
    expect(recorded.runs).toEqual([{ tag: 'v9.9.9' }]);
    expect(recorded.failures).toEqual([{ tag: 'v9.9.10', reason: expect.stringContaining('timestamp') }]);
    expect(recorded.ingest).toEqual([{ entries_failed: 1, entries_refused: 1 }]);
  });

  it('a failure mid-way keeps the batches before it, records the failure, keeps the watermark; a rerun lands the rest', async () => {
    const extra: LedgerEntry[] = Array.from({ length: 10 }, (_, i) => ({
      run_id: 1000 + i,
      tag: `v2.0.${i}`,
      sha: (1000 + i).toString(16).padStart(40, '0'),
      artifact_url: `https://example.com/v2.0.${i}.tgz`,
      actor: 'dave',
      timestamp: `2025-11-27T10:00:0${i}Z`,
      status: 'success',
    }));
    const oldHead = repo.head();
    const head = repo.commit(extra);
    const db = await openDatabase({ ...target.options, role: 'ingest' });
    const real = createSqlIngestSink(db);
    let calls = 0;
    const flaky: IngestSink = {
      ...real,
      async upsert(id, items) {
        calls += 1;
        if (calls === 2) throw new UnavailableError('DB_UNAVAILABLE', 'connection lost (test)');
        return real.upsert(id, items);
      },
    };
    await expect(ingest({ sink: flaky, batchSize: 4 })).rejects.toThrowCode('DB_UNAVAILABLE');
    const mid = await withDb(target, async (d) => ({
      runs: (await d.query<{ n: number }>("SELECT count(*)::int AS n FROM slsa_runs WHERE tag LIKE 'v2.0.%'"))
        .rows[0]!.n,
      watermark: (
        await d.query<{ git_commit: string }>(
          "SELECT git_commit FROM ingest_watermark WHERE ledger = 'acme/widgets'",
        )
      ).rows[0]!.git_commit,
      failed: (
        await d.query<{ error: string }>(
          "SELECT error FROM ingest_runs WHERE status = 'failed' AND ledger = 'acme/widgets'",
        )
      ).rows,
    }));
    expect(mid.runs).toBe(4); // the first batch only
    expect(mid.watermark).toBe(oldHead);
    expect(mid.failed).toEqual([
      expect.objectContaining({ error: expect.stringContaining('connection lost') }),
    ]);
    const rerun = await ingest({ batchSize: 4 });
    expect(rerun).toMatchObject({ seen: 10, inserted: 6, unchanged: 4, watermark: head });
  });

  it('an invalid manifest is reported, the valid files land, the watermark stays', async () => {
    const before = repo.head();
    repo.commitRaw('docs/reports/2025-11-28/manifest.json', '[{"run_id": "nope"}]\n');
    await expect(ingest()).rejects.toThrowCode('LEDGER_MANIFEST_INVALID');
    const wm = await withDb(target, (d) =>
      d.query<{ git_commit: string }>(
        "SELECT git_commit FROM ingest_watermark WHERE ledger = 'acme/widgets'",
      ),
    );
    expect(wm.rows[0]!.git_commit).toBe(before);
  });
});

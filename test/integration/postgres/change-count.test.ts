// The schema's change count (migration 20261207110000_slsa_change_count.sql), the key of the answers
// `serve` keeps (src/io/snapshot-cache.ts; docs/database.md "Answers kept per snapshot"). It must
// change with every committed write to any table the reads can see, never with a rolled-back one,
// and not with a commit elsewhere in the cluster; folding the log must leave it as it was.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKpiReport } from '../../../src/app/kpi.js';
import { migrateDatabase } from '../../../src/app/migrate.js';
import type { KpiWindow } from '../../../src/core/kpi/kpi.js';
import { openDatabase, type DbClient } from '../../../src/io/db.js';
import { cacheBySnapshot, CHANGE_COUNT_QUERY } from '../../../src/io/snapshot-cache.js';
import {
  createEngineTarget,
  createTestDatabase,
  sqlOn,
  testEngines,
  type EngineTarget,
  type TestDatabase,
} from '../../support/postgres.js';

const engines = await testEngines();
const window: KpiWindow = { since: '2025-11-01T00:00:00.000Z', until: '2025-11-28T10:30:00.000Z' };
const now = new Date('2025-12-01T00:00:00.000Z');

describe.each(engines)('the change count, on %s', (engine) => {
  let target: EngineTarget;
  let owner: DbClient;

  const changes = async (): Promise<bigint> =>
    BigInt((await owner.query<{ c: string }>(CHANGE_COUNT_QUERY)).rows[0]!.c);

  beforeAll(async () => {
    target = await createEngineTarget(engine, 'changecount');
    await migrateDatabase(target.options);
    owner = await openDatabase({ ...target.options, role: 'owner' });
  }, 120_000);
  afterAll(async () => {
    await owner?.close();
    await target?.cleanup();
  });

  it('every table of the schema but the log itself notes its writes, truncation included', async () => {
    const { rows } = await owner.query<{ relname: string; triggers: string[] | null }>(
      `SELECT c.relname,
              (SELECT pg_catalog.array_agg(t.tgname::text ORDER BY t.tgname) FROM pg_catalog.pg_trigger t
                WHERE t.tgrelid = c.oid AND t.tgname LIKE 'slsa_note_change%') AS triggers
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
        ORDER BY 1`,
    );
    expect(rows.length).toBeGreaterThan(20);
    for (const { relname, triggers } of rows) {
      const expected = ['slsa_changes', 'slsa_changes_folded'].includes(relname)
        ? null
        : ['slsa_note_change', 'slsa_note_change_truncate'];
      expect({ relname, triggers }).toEqual({ relname, triggers: expected });
    }
  });

  it('grows by one for each committed writing transaction, however many statements it ran', async () => {
    const before = await changes();
    await owner.transaction(async (tx) => {
      await tx.exec('DELETE FROM public.ingest_entry_failures WHERE false');
      await tx.exec('DELETE FROM public.slsa_runs WHERE false');
      await tx.exec('UPDATE public.ingest_watermark SET ledger = ledger WHERE false');
    });
    expect(await changes()).toBe(before + 1n);
    await owner.exec('TRUNCATE public.ingest_entry_failures');
    expect(await changes()).toBe(before + 2n);
  });

  it('does not move for a rolled-back write nor for a read', async () => {
    const before = await changes();
    await expect(
      owner.transaction(async (tx) => {
        await tx.exec('DELETE FROM public.slsa_runs WHERE false');
        throw new Error('rolled back on purpose');
      }),
    ).rejects.toThrow('rolled back on purpose');
    await owner.query('SELECT count(*) FROM public.slsa_runs');
    expect(await changes()).toBe(before);
  });

  it('is the same after folding: the rows become their sum in one transaction', async () => {
    for (let i = 0; i < 5; i++) await owner.exec('DELETE FROM public.slsa_runs WHERE false');
    const before = await changes();
    const logged = async (): Promise<number> =>
      Number(
        (await owner.query<{ n: string }>('SELECT count(*)::text AS n FROM public.slsa_changes')).rows[0]!.n,
      );
    expect(await logged()).toBeGreaterThan(0);
    const folded = await owner.query<{ n: string }>('SELECT public.slsa_changes_fold()::text AS n');
    expect(Number(folded.rows[0]!.n)).toBeGreaterThan(0);
    expect(await logged()).toBe(0);
    expect(await changes()).toBe(before);
    await owner.exec('DELETE FROM public.slsa_runs WHERE false');
    expect(await changes()).toBe(before + 1n);
  });

  it('folds by itself: the log stays small over many writes', async () => {
    const before = await changes();
    for (let i = 0; i < 200; i++) await owner.exec('DELETE FROM public.ingest_entry_failures WHERE false');
    expect(await changes()).toBe(before + 200n);
    const { rows } = await owner.query<{ n: string }>('SELECT count(*)::text AS n FROM public.slsa_changes');
    expect(Number(rows[0]!.n)).toBeLessThan(150);
  });
});

describe.runIf(engines.includes('postgres'))('the change count between PostgreSQL sessions', () => {
  let db: TestDatabase;
  let other: TestDatabase;
  let reader: DbClient;
  const clients: pg.Client[] = [];

  const session = async (url = db.url): Promise<pg.Client> => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    clients.push(c);
    return c;
  };
  const changes = async (): Promise<bigint> =>
    BigInt((await sqlOn<{ c: string }>(db.url, CHANGE_COUNT_QUERY))[0]!.c);

  beforeAll(async () => {
    db = await createTestDatabase('changecount_pg');
    other = await createTestDatabase('changecount_other');
    await migrateDatabase({ databaseUrl: db.url });
    reader = await openDatabase({ databaseUrl: db.url, role: 'reader' });
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await reader?.close();
    await db?.drop();
    await other?.drop();
  });

  it('tells apart two snapshots whose writers committed in the other order than they began', async () => {
    // the first writer takes its id first and commits last: a maximum of ids would not move at its
    // commit; the count does
    const first = await session();
    const second = await session();
    const c0 = await changes();
    await first.query('BEGIN');
    await first.query('DELETE FROM public.slsa_runs WHERE false');
    await second.query('BEGIN');
    await second.query('DELETE FROM public.ingest_entry_failures WHERE false');
    expect(await changes()).toBe(c0); // the two open transactions' rows are not visible
    await second.query('COMMIT');
    const c1 = await changes();
    await first.query('COMMIT');
    const c2 = await changes();
    expect([c1 - c0, c2 - c0]).toEqual([1n, 2n]);
  });

  it('keeps the row of a writer still open when another transaction folds', async () => {
    const writer = await session();
    const before = await changes();
    await writer.query('BEGIN');
    await writer.query('DELETE FROM public.slsa_runs WHERE false');
    await sqlOn(db.url, 'SELECT public.slsa_changes_fold()');
    expect(await changes()).toBe(before);
    await writer.query('COMMIT');
    expect(await changes()).toBe(before + 1n);
  });

  it('folds only at READ COMMITTED, and one transaction at a time', async () => {
    await sqlOn(db.url, 'DELETE FROM public.slsa_runs WHERE false');
    const rr = await session();
    await rr.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    expect((await rr.query('SELECT public.slsa_changes_fold() AS n')).rows[0].n).toBe('0');
    await rr.query('ROLLBACK');
    const holder = await session();
    await holder.query('BEGIN');
    expect(Number((await holder.query('SELECT public.slsa_changes_fold() AS n')).rows[0].n)).toBeGreaterThan(
      0,
    );
    await sqlOn(db.url, 'DELETE FROM public.slsa_runs WHERE false');
    // the lock is held until the first folder ends: a second one does nothing and does not wait
    expect((await sqlOn<{ n: string }>(db.url, 'SELECT public.slsa_changes_fold() AS n'))[0]!.n).toBe('0');
    const before = await changes();
    await holder.query('COMMIT');
    expect(await changes()).toBe(before);
  });

  it('keeps the answers of serve across commits in another database and writes outside the schema', async () => {
    const cached = cacheBySnapshot(reader);
    const first = await loadKpiReport(cached, window, now);
    const { misses, changes: key } = cached.cacheStats();
    expect(key).toMatch(/^\d+$/);
    // with the cluster's snapshot as the key (the twenty-eighth to thirtieth sessions) each of these
    // started a new snapshot and the next report was read anew
    await sqlOn(other.url, 'CREATE TABLE t (x int); INSERT INTO t VALUES (1)');
    await sqlOn(db.url, 'CREATE TEMP TABLE scratch (x int); INSERT INTO scratch VALUES (1)');
    await sqlOn(db.url, 'CREATE SCHEMA IF NOT EXISTS elsewhere; CREATE TABLE elsewhere.t AS SELECT 1 AS x');
    const again = await loadKpiReport(cached, window, now);
    expect(again).toEqual(first);
    expect(cached.cacheStats()).toMatchObject({ misses, changes: key });
    expect(cached.cacheStats().hits).toBe(misses);
    // a write to the schema's tables is seen
    await sqlOn(db.url, 'DELETE FROM public.slsa_runs WHERE false');
    await loadKpiReport(cached, window, now);
    expect(cached.cacheStats().misses).toBeGreaterThan(misses);
    expect(cached.cacheStats().changes).toBe(String(BigInt(key!) + 1n));
  });

  it('neither the ingest role nor the reader can write the log or call its functions', async () => {
    const as = async (role: string, sql: string): Promise<string | undefined> => {
      const c = await session();
      try {
        await c.query(`SET ROLE ${role}`);
        await c.query(sql);
        return undefined;
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    for (const role of ['slsa_manifest_ingest', 'slsa_kpi_reader']) {
      expect(await as(role, 'SELECT public.slsa_changes_fold()')).toBe('42501');
      expect(await as(role, "INSERT INTO public.slsa_changes VALUES ('1')")).toBe('42501');
      expect(await as(role, 'UPDATE public.slsa_changes_folded SET changes = 0')).toBe('42501');
    }
    expect(await as('slsa_kpi_reader', 'SELECT changes FROM public.provenance_change_count')).toBeUndefined();
  });
});

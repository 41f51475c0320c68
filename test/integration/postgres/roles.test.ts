// The least-privilege roles on PostgreSQL 15 (PGlite's session is always a superuser, so this is
// no security boundary there): slsa_manifest_ingest may only EXECUTE slsa_ingest_batch; the reader
// sees only the views.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../../src/app/migrate.js';
import {
  assertPostgresInCi,
  createTestDatabase,
  hasPostgres,
  sqlOn,
  type TestDatabase,
} from '../../support/postgres.js';

const runPg = await hasPostgres();

it('PostgreSQL is reachable in CI', async () => {
  await assertPostgresInCi();
});

const tables = [
  'slsa_runs',
  'provenance_audit_log',
  'ingest_runs',
  'ingest_watermark',
  'ledger_manifests',
  'slsa_schema_migrations',
  'slsa_kpi_days',
  'slsa_kpi_day_manifests',
  'slsa_kpi_day_flags',
  'slsa_kpi_day_buckets',
];
const views = [
  'provenance_runs',
  'provenance_kpi',
  'provenance_kpi_daily',
  'provenance_ingest_lag',
  'provenance_ingest_runs',
  'provenance_manifests',
  'provenance_audit',
  'provenance_kpi_day_manifests',
  'provenance_kpi_day_flags',
  'provenance_kpi_day_buckets',
];

describe.runIf(runPg)('roles on PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;
  const as = async (role: string, sql: string): Promise<string | undefined> => {
    await client.query(`SET ROLE ${role}`);
    try {
      await client.query('SAVEPOINT s');
      await client.query(sql);
      await client.query('RELEASE SAVEPOINT s');
      return undefined;
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT s');
      return (error as { code?: string }).code;
    } finally {
      await client.query('RESET ROLE');
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase('roles');
    // Supabase's roles and default privileges, which hand every new object in public to them
    await sqlOn(
      db.url,
      `DO $$ BEGIN
         CREATE ROLE anon NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
       DO $$ BEGIN
         CREATE ROLE authenticated NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
       ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated;
       ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated;`,
    );
    await migrateDatabase({ databaseUrl: db.url });
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('BEGIN');
  });
  afterAll(async () => {
    await client?.query('ROLLBACK').catch(() => undefined);
    await client?.end();
    await db?.drop();
  });

  it.each(
    tables.flatMap((t) =>
      ['SELECT * FROM', 'DELETE FROM', 'TRUNCATE', 'UPDATE', 'INSERT INTO'].map((op) => [op, t]),
    ),
  )('ingest role: %s %s is denied', async (op, table) => {
    const column =
      {
        slsa_schema_migrations: 'name',
        ingest_watermark: 'ledger',
        ledger_manifests: 'path',
        provenance_audit_log: 'tag',
        ingest_runs: 'error',
        slsa_kpi_days: 'entries',
        slsa_kpi_day_manifests: 'manifest_hash',
        slsa_kpi_day_flags: 'runs',
        slsa_kpi_day_buckets: 'runs',
      }[table] ?? 'actor';
    const sql =
      op === 'UPDATE'
        ? `UPDATE public.${table} SET ${column} = ${column}`
        : op === 'INSERT INTO'
          ? `INSERT INTO public.${table} DEFAULT VALUES`
          : `${op} public.${table}`;
    expect(await as('slsa_manifest_ingest', sql)).toBe('42501');
  });

  it.each(views)('ingest role cannot read the view %s', async (view) => {
    expect(await as('slsa_manifest_ingest', `SELECT * FROM public.${view}`)).toBe('42501');
  });

  it('ingest role may execute the function, and nothing else has its EXECUTE', async () => {
    expect(
      await as(
        'slsa_manifest_ingest',
        `SELECT public.slsa_ingest_batch('{"op":"begin","ingest_id":"00000000-0000-4000-8000-000000000001"}')`,
      ),
    ).toBeUndefined();
    expect(await as('slsa_kpi_reader', `SELECT public.slsa_ingest_batch('{}')`)).toBe('42501');
    const { rows } = await client.query(
      "SELECT grantee FROM information_schema.routine_privileges WHERE routine_name = 'slsa_ingest_batch' AND grantee NOT IN ('postgres') ORDER BY 1",
    );
    expect(rows.map((r) => r.grantee)).toEqual(['slsa_manifest_ingest']);
  });

  it.each(['slsa_manifest_ingest', 'slsa_kpi_reader', 'anon', 'authenticated'])(
    '%s cannot rebuild the KPI rollup directly',
    async (role) => {
      const { rows } = await client.query(
        `SELECT has_function_privilege($1, 'public.slsa_kpi_refresh_days(date[])', 'EXECUTE') AS refresh,
                has_function_privilege($1, 'public.slsa_runs_refresh_kpi_days()', 'EXECUTE') AS trigger`,
        [role],
      );
      expect(rows[0]).toEqual({ refresh: false, trigger: false });
    },
  );

  it.each([
    ['slsa_kpi_reader', true],
    ['slsa_manifest_ingest', false],
    ['anon', false],
    ['authenticated', false],
  ])('%s may read the bucket boundaries: %s', async (role, allowed) => {
    const { rows } = await client.query(
      `SELECT has_function_privilege($1, 'public.slsa_kpi_thresholds()', 'EXECUTE') AS ok`,
      [role],
    );
    expect(rows[0].ok).toBe(allowed);
  });

  it('the function is SECURITY DEFINER with a fixed, empty search_path', async () => {
    const { rows } = await client.query(
      "SELECT prosecdef, proconfig FROM pg_proc WHERE proname = 'slsa_ingest_batch'",
    );
    expect(rows).toEqual([{ prosecdef: true, proconfig: ['search_path=""'] }]);
  });

  it('a temp table named like ours cannot capture the function writes', async () => {
    await client.query('SET ROLE slsa_manifest_ingest');
    try {
      await client.query('CREATE TEMP TABLE slsa_runs (LIKE pg_catalog.pg_class)').catch(() => undefined);
      await client.query(`SELECT public.slsa_ingest_batch($1::jsonb)`, [
        JSON.stringify({
          op: 'upsert',
          ingest_id: '00000000-0000-4000-8000-000000000001',
          entries: [
            {
              manifest_path: 'docs/reports/2025-11-24/manifest.json',
              manifest_hash: 'h',
              git_commit: null,
              entry: {
                run_id: 1,
                tag: 'v1',
                sha: '0'.repeat(40),
                artifact_url: 'https://e.com/a',
                actor: 'a',
                timestamp: '2025-11-24T00:00:00Z',
                status: 'success',
              },
            },
          ],
        }),
      ]);
    } finally {
      await client.query('RESET ROLE');
    }
    const { rows } = await client.query('SELECT count(*)::int AS n FROM public.slsa_runs');
    expect(rows[0].n).toBe(1);
  });

  it.each(views)('reader role reads the view %s', async (view) => {
    expect(await as('slsa_kpi_reader', `SELECT * FROM public.${view} LIMIT 1`)).toBeUndefined();
  });

  it.each(tables)('reader role cannot read the table %s', async (table) => {
    expect(await as('slsa_kpi_reader', `SELECT * FROM public.${table}`)).toBe('42501');
  });

  it.each(['anon', 'authenticated'])('Supabase default grants to %s are revoked', async (role) => {
    const { rows } = await client.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v')
          AND (has_table_privilege($1, c.oid, 'SELECT') OR has_table_privilege($1, c.oid, 'INSERT')
               OR has_table_privilege($1, c.oid, 'DELETE') OR has_table_privilege($1, c.oid, 'TRUNCATE'))`,
      [role],
    );
    expect(rows).toEqual([]);
    const fn = await client.query(
      "SELECT has_function_privilege($1, 'public.slsa_ingest_batch(jsonb)', 'EXECUTE') AS ok",
      [role],
    );
    expect(fn.rows[0].ok).toBe(false);
  });

  it('the audit log is append-only even for its owner', async () => {
    await client.query('SAVEPOINT d');
    await expect(client.query('DELETE FROM public.provenance_audit_log')).rejects.toMatchObject({
      code: '42501',
    });
    await client.query('ROLLBACK TO SAVEPOINT d');
    await expect(client.query('TRUNCATE public.provenance_audit_log')).rejects.toMatchObject({
      code: '42501',
    });
    await client.query('ROLLBACK TO SAVEPOINT d');
  });
});

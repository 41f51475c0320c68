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
  'slsa_kpi_org_buckets',
  'slsa_kpi_hours',
  'slsa_kpi_hour_flags',
  'slsa_kpi_org_hour_buckets',
  'ingest_entry_failures',
  'slsa_changes',
  'slsa_changes_folded',
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
  'provenance_kpi_org_buckets',
  'provenance_kpi_hours',
  'provenance_kpi_hour_flags',
  'provenance_kpi_org_hour_buckets',
  'provenance_ingest_failures',
  'provenance_repositories',
  'provenance_change_count',
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
        slsa_kpi_org_buckets: 'runs',
        slsa_kpi_hours: 'entries',
        slsa_kpi_hour_flags: 'runs',
        slsa_kpi_org_hour_buckets: 'runs',
        ingest_entry_failures: 'reason',
        slsa_changes: 'xact',
        slsa_changes_folded: 'changes',
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
        `SELECT has_function_privilege($1, 'public.slsa_kpi_refresh(text[], date[])', 'EXECUTE') AS refresh,
                has_function_privilege($1, 'public.slsa_runs_refresh_kpi()', 'EXECUTE') AS trigger`,
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
    // plus the planner settings of migration …040200 (no JIT, work_mem for the batch's sort)
    expect(rows).toEqual([{ prosecdef: true, proconfig: ['search_path=""', 'jit=off', 'work_mem=64MB'] }]);
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
              manifest_hash: 'a'.repeat(64),
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

  // Issue 14: whoever holds the ingest role (or SLSA_MANIFEST_SERVICE_KEY) cannot store what `record`
  // would refuse, nor pin the watermark to a commit it did not read.
  describe('the ingest key cannot write what the schema refuses', () => {
    const id = '00000000-0000-4000-8000-0000000000aa';
    const commit = 'b'.repeat(40);
    const call = async (batch: unknown): Promise<Record<string, unknown>> => {
      await client.query('SET ROLE slsa_manifest_ingest');
      try {
        const { rows } = await client.query('SELECT public.slsa_ingest_batch($1::jsonb) AS r', [
          JSON.stringify(batch),
        ]);
        return rows[0].r as Record<string, unknown>;
      } finally {
        await client.query('RESET ROLE');
      }
    };
    const good = {
      run_id: 7,
      tag: 'v7.0.0',
      sha: '7'.repeat(40),
      artifact_url: 'https://example.com/v7.tgz',
      actor: 'release-bot',
      timestamp: '2025-11-24T07:00:00Z',
      status: 'success',
    };
    const item = (entry: unknown, extra: Record<string, unknown> = {}) => ({
      entry,
      manifest_path: 'docs/reports/2025-11-24/manifest.json',
      manifest_hash: 'c'.repeat(64),
      git_commit: commit,
      ...extra,
    });

    it.each([
      ['a javascript: url', { ...good, artifact_url: 'javascript:alert(1)' }, 'artifact_url'],
      ['an http url', { ...good, release_url: 'http://example.com/r' }, 'release_url'],
      ['credentials in a url', { ...good, artifact_url: 'https://u:p@example.com/a' }, 'credentials'],
      ['a port above 65535', { ...good, artifact_url: 'https://example.com:70000/a' }, 'artifact_url'],
      [
        'an IPv4 host with an octet above 255',
        { ...good, release_url: 'https://999.1.1.1:443/r' },
        'release_url',
      ],
      ['sha "x"', { ...good, sha: 'x' }, 'sha'],
      ['an upper-case sha', { ...good, sha: 'A'.repeat(40) }, 'sha'],
      ['an unknown status', { ...good, status: 'passed' }, 'status'],
      ['an unknown field', { ...good, validated: true }, 'unknown field'],
      ['a string run id', { ...good, run_id: '7' }, 'run_id'],
      ['a run id beyond 2^53 - 1', { ...good, run_id: 2 ** 53 }, 'run_id'],
      [
        'attempts beyond int4',
        { ...good, metrics: { notify: { attempts: 3_000_000_000, delivered: 1 } } },
        'attempts',
      ],
      ['a negative latency', { ...good, metrics: { lock_wait_s: -1 } }, 'lock_wait_s'],
      [
        'a latency above 1e9',
        { ...good, metrics: { artifact_upload_latency_s: 2e9 } },
        'artifact_upload_latency_s',
      ],
      ['a control character in the actor', { ...good, actor: 'a\u0007b' }, 'actor'],
      ['a tag git refuses', { ...good, tag: 'v1..2' }, 'tag'],
      ['February 30th', { ...good, timestamp: '2025-02-30T00:00:00Z' }, 'timestamp'],
      ['a failure without a reason', { ...good, status: 'failure' }, 'failure_reason'],
      [
        'a provenance digest that is not sha256',
        {
          ...good,
          provenance: {
            digest: 'md5:x',
            predicate_type: 'p',
            builder_id: 'b',
            subjects: [{ name: 'a', sha256: 'd'.repeat(64) }],
          },
        },
        'provenance.digest',
      ],
    ])(
      'refuses %s (recorded as failed), and lands the valid entry beside it',
      async (_label, entry, field) => {
        await call({
          op: 'begin',
          ingest_id: id,
          repository: 'acme/attack',
          engine: 'test',
          to_commit: commit,
        });
        const reply = await call({ op: 'upsert', ingest_id: id, entries: [item(entry), item(good)] });
        expect(reply.failed).toEqual([
          expect.objectContaining({ index: 0, reason: expect.stringContaining(field) }),
        ]);
        const stored = await client.query(
          "SELECT entry FROM public.slsa_runs WHERE repository = 'acme/attack' AND run_id = 7",
        );
        expect(stored.rows).toEqual([{ entry: good }]);
      },
    );

    it('refuses an item whose commit is not the one the ingest declared', async () => {
      await call({
        op: 'begin',
        ingest_id: id,
        repository: 'acme/attack',
        engine: 'test',
        to_commit: commit,
      });
      const reply = await call({
        op: 'upsert',
        ingest_id: id,
        entries: [item({ ...good, actor: 'mallory' }, { git_commit: 'e'.repeat(40) })],
      });
      expect(reply.failed).toEqual([
        expect.objectContaining({ reason: expect.stringContaining('git_commit') }),
      ]);
    });

    it('moves the watermark only to the commit the ingest declared', async () => {
      const other = '00000000-0000-4000-8000-0000000000ab';
      await call({
        op: 'begin',
        ingest_id: other,
        repository: 'acme/pin',
        engine: 'test',
        to_commit: commit,
      });
      await client.query('SAVEPOINT w');
      await client.query('SET ROLE slsa_manifest_ingest');
      const refused = (await client
        .query('SELECT public.slsa_ingest_batch($1::jsonb)', [
          JSON.stringify({
            op: 'finish',
            ingest_id: other,
            status: 'succeeded',
            entries_failed: 0,
            watermark: 'f'.repeat(40),
          }),
        ])
        .catch((error: unknown) => error)) as { code?: string };
      await client.query('ROLLBACK TO SAVEPOINT w');
      await client.query('RESET ROLE');
      expect(refused.code).toBe('22023');
      const { rows } = await client.query(
        "SELECT git_commit FROM public.ingest_watermark WHERE ledger = 'acme/pin'",
      );
      expect(rows).toEqual([{ git_commit: null }]);
    });
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

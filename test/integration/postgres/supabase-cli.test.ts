// The migrations applied by Supabase's own CLI (`supabase db push --db-url`, the npm package
// `supabase` at 2.117.0, whose Linux binary ships in `@supabase/cli-linux-x64`), not by our migrator:
// the file names, statement splitting and SQL must satisfy Supabase's runner. Then the ingest and role
// checks run on that database: ingest as slsa_manifest_ingest, the KPIs equal the reference, the
// ingest role reads no table and the reader no table but the views.
// https://supabase.com/docs/reference/cli/supabase-db-push
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestLedger } from '../../../src/app/ingest.js';
import { loadKpiReport } from '../../../src/app/kpi.js';
import { computeKpis } from '../../../src/core/kpi/kpi.js';
import { openDatabase } from '../../../src/io/db.js';
import { defaultMigrationsDir } from '../../../src/io/migrations.js';
import { CHANGE_COUNT_QUERY } from '../../../src/io/snapshot-cache.js';
import { kpiFixtureEntries, kpiFixtureNow, kpiFixtureWindow } from '../../support/kpi-fixture.js';
import { loadReferenceInputs } from '../../support/kpi-reference.js';
import { createLedgerRepo, type LedgerRepo } from '../../support/ledger-repo.js';
import {
  assertPostgresInCi,
  createTestDatabase,
  hasPostgres,
  sqlOn,
  type TestDatabase,
} from '../../support/postgres.js';

const run = promisify(execFile);
const runPg = await hasPostgres();

it('PostgreSQL is reachable in CI', async () => {
  await assertPostgresInCi();
});

/** The CLI's entry point from the npm package (its postinstall-free launcher). */
function supabaseBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('supabase/package.json')), 'dist', 'supabase.js');
}

describe.runIf(runPg)('migrations applied by the Supabase CLI', () => {
  let db: TestDatabase;
  let work: string;
  let repo: LedgerRepo;

  beforeAll(async () => {
    db = await createTestDatabase('supacli');
    work = mkdtempSync(join(tmpdir(), 'slsa-supabase-cli-'));
    mkdirSync(join(work, 'supabase'), { recursive: true });
    cpSync(defaultMigrationsDir, join(work, 'supabase', 'migrations'), { recursive: true });
    repo = createLedgerRepo();
    repo.commit(kpiFixtureEntries);
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(work, { recursive: true, force: true });
    repo?.remove();
  });

  it('supabase db push applies every migration, then ingest, KPIs and roles work on that database', async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [supabaseBin(), 'db', 'push', '--db-url', `${db.url}?sslmode=disable`, '--yes', '--workdir', work],
      { env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' }, timeout: 120_000 },
    );
    const output = `${stdout}\n${stderr}`;
    expect(output).toContain('Finished supabase db push');
    const versions = readdirSync(defaultMigrationsDir)
      .filter((f) => f.endsWith('.sql'))
      .map((f) => f.slice(0, 14))
      .sort();
    const applied = await sqlOn<{ version: string }>(
      db.url,
      'SELECT version FROM supabase_migrations.schema_migrations ORDER BY version',
    );
    expect(applied.map((r) => r.version)).toEqual(versions);

    // the change count's triggers on every table (no slsa_schema_migrations here: the CLI keeps its own)
    const untracked = await sqlOn<{ relname: string }>(
      db.url,
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname NOT IN ('slsa_changes', 'slsa_changes_folded')
          AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'slsa_note_change')`,
    );
    expect(untracked).toEqual([]);
    const changes = async (): Promise<bigint> =>
      BigInt((await sqlOn<{ c: string }>(db.url, CHANGE_COUNT_QUERY))[0]!.c);
    const before = await changes();

    // ingest through the function, as the ingest role
    const result = await ingestLedger({ repo: repo.dir, ledger: 'acme/widgets', databaseUrl: db.url });
    expect(result).toMatchObject({ repository: 'acme/widgets', inserted: kpiFixtureEntries.length });
    expect(await changes()).toBeGreaterThan(before);

    // the KPIs of that database equal the reference
    const reader = await openDatabase({ databaseUrl: db.url, role: 'reader' });
    try {
      const report = await loadKpiReport(reader, kpiFixtureWindow, kpiFixtureNow);
      const inputs = await loadReferenceInputs(reader);
      expect(report).toEqual(
        computeKpis(inputs.runs, kpiFixtureWindow, { now: kpiFixtureNow, ...inputs.options }),
      );
      await expect(reader.query('SELECT * FROM public.slsa_runs')).rejects.toThrowCode(
        'DB_PERMISSION_DENIED',
      );
    } finally {
      await reader.close();
    }
    const ingest = await openDatabase({ databaseUrl: db.url, role: 'ingest' });
    try {
      for (const table of [
        'slsa_runs',
        'provenance_audit_log',
        'ingest_watermark',
        'ingest_entry_failures',
      ]) {
        await expect(ingest.query(`SELECT * FROM public.${table}`)).rejects.toThrowCode(
          'DB_PERMISSION_DENIED',
        );
      }
      await expect(ingest.query('SELECT * FROM public.provenance_runs')).rejects.toThrowCode(
        'DB_PERMISSION_DENIED',
      );
    } finally {
      await ingest.close();
    }
  });
});

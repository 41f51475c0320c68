// ingest --supabase-url: the REST path (@supabase/postgrest-js) against a local server that speaks
// PostgREST's RPC contract and runs the call as the JWT's role on the real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { kpiFixtureEntries } from '../../support/kpi-fixture.js';
import { runCliCaptured } from '../../support/cli.js';
import { createLedgerRepo, type LedgerRepo } from '../../support/ledger-repo.js';
import {
  assertPostgresInCi,
  createTestDatabase,
  hasPostgres,
  sqlOn,
  type TestDatabase,
} from '../../support/postgres.js';
import { signJwt, startPostgrestServer, type PostgrestServer } from '../../support/postgrest-server.js';

const runPg = await hasPostgres();

it('PostgreSQL is reachable in CI', async () => {
  await assertPostgresInCi();
});

const secret = 'test-jwt-secret-at-least-32-characters-long';
const serviceKey = signJwt({ role: 'slsa_manifest_ingest', iss: 'supabase' }, secret);

describe.runIf(runPg)('ingest through the Supabase REST API', () => {
  let db: TestDatabase;
  let server: PostgrestServer;
  let repo: LedgerRepo;
  const env = (key: string | undefined) => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SLSA_MANIFEST_SERVICE_KEY: key,
  });
  const ingest = (key: string | undefined, extra: string[] = []) =>
    runCliCaptured(['ingest', '--repo', repo.dir, '--supabase-url', server.url, '--json', ...extra], {
      env: env(key),
    });

  beforeAll(async () => {
    db = await createTestDatabase('rest');
    await migrateDatabase({ databaseUrl: db.url });
    server = await startPostgrestServer({ databaseUrl: db.url, jwtSecret: secret });
    repo = createLedgerRepo();
    repo.commit(kpiFixtureEntries);
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
    repo?.remove();
  });

  it('lands every entry as slsa_manifest_ingest, and a rerun changes nothing', async () => {
    const run = await ingest(serviceKey, ['--batch-size', '4']);
    expect(run.code).toBe(0);
    expect(run.json().result).toMatchObject({
      engine: 'supabase',
      seen: 6,
      inserted: 6,
      batches: 2,
      watermark: repo.head(),
    });
    // the ingest function, and at the first ingest of a repository the check that it is not one the
    // database holds under another name (a renamed repository) and the read of the history rewrites
    // accepted for it earlier (its whole history is replayed)
    expect(
      server.calls.every(
        (c) =>
          (c.fn === 'slsa_ingest_batch' ||
            c.fn === 'slsa_ingest_lineage' ||
            c.fn === 'slsa_ingest_rewrites') &&
          c.role === 'slsa_manifest_ingest',
      ),
    ).toBe(true);
    expect(server.calls.filter((c) => c.fn === 'slsa_ingest_lineage')).toHaveLength(1);
    expect(server.calls.filter((c) => c.fn === 'slsa_ingest_rewrites')).toHaveLength(1);
    const rows = await sqlOn<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM slsa_runs');
    expect(rows[0]!.n).toBe(6);
    const again = await ingest(serviceKey);
    expect(again.json().result).toMatchObject({ files: 0, seen: 0, inserted: 0, updated: 0 });
    const audit = await sqlOn<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM provenance_audit_log');
    expect(audit[0]!.n).toBe(6);
  });

  it('no key: a usage error before any request', async () => {
    const run = await ingest(undefined);
    expect(run.code).toBe(2);
    expect(run.json().error!.code).toBe('USAGE_MISSING_FLAG');
  });

  it('a key signed with another secret: 401, permission denied, the key never printed', async () => {
    const forged = signJwt({ role: 'slsa_manifest_ingest' }, 'another-secret-of-at-least-32-characters');
    const run = await ingest(forged);
    expect(run.code).toBe(2);
    expect(run.json().error).toMatchObject({ code: 'DB_PERMISSION_DENIED', details: { status: 401 } });
    expect(run.stdout + run.stderr).not.toContain(forged);
  });

  it('a valid key for a role without EXECUTE: 403, permission denied', async () => {
    const readerKey = signJwt({ role: 'slsa_kpi_reader' }, secret);
    const run = await ingest(readerKey);
    expect(run.code).toBe(2);
    expect(run.json().error).toMatchObject({ code: 'DB_PERMISSION_DENIED', details: { status: 403 } });
  });

  it('a server that is gone: exit 5', async () => {
    const url = server.url;
    const dead = await startPostgrestServer({ databaseUrl: db.url, jwtSecret: secret });
    const deadUrl = dead.url;
    await dead.close();
    const run = await runCliCaptured(
      ['ingest', '--repo', repo.dir, '--supabase-url', deadUrl, '--json', '--full'],
      { env: env(serviceKey) },
    );
    expect(run.code).toBe(5);
    expect(run.json().error!.code).toBe('SUPABASE_UNAVAILABLE');
    expect(url).not.toBe(deadUrl);
  });

  it('refuses a plain-http url that is not loopback', async () => {
    const run = await runCliCaptured(
      ['ingest', '--repo', repo.dir, '--supabase-url', 'http://example.com', '--json'],
      { env: env(serviceKey) },
    );
    expect(run.code).toBe(2);
    expect(run.json().error!.code).toBe('USAGE_INVALID_FLAG');
  });
});

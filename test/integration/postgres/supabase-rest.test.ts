// ingest --supabase-url: the REST path (@supabase/postgrest-js) against a local server that speaks
// PostgREST's RPC contract and runs the call as the JWT's role on the real database.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { kpiFixtureEntries } from '../../support/kpi-fixture.js';
import { runCliCaptured } from '../../support/cli.js';
import { cloneRemote, createRemote, git, makeTempDir, showFile } from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';
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

// Issue 14: `--accept-rewrite` through the REST API (slsa_ingest_rewrites `accept`, then `list` on
// the next ingest) records the same as on a direct connection (accept-rewrite.test.ts): the
// ingest's row, the repository's, an audit row per run of the cut day, the day's runs invalid.
describe.runIf(runPg)('ingest --accept-rewrite through the Supabase REST API', () => {
  let db: TestDatabase;
  let server: PostgrestServer;
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;

  beforeAll(async () => {
    db = await createTestDatabase('restaccept');
    await migrateDatabase({ databaseUrl: db.url });
    server = await startPostgrestServer({ databaseUrl: db.url, jwtSecret: secret });
    tmp = await makeTempDir('slsa-ledger-rest-accept-');
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
    await tmp?.cleanup();
  });

  it('records the acceptance as slsa_manifest_ingest, and a later --full replay needs no name again', async () => {
    const remote = await createRemote(tmp.path);
    const clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks'),
      SLSA_MANIFEST_SERVICE_KEY: serviceKey,
    };
    const key = join(tmp.path, 'ledger.key');
    const made = await runCliCaptured(['keygen', '--out', key, '--json'], { env });
    expect(made.code, made.stderr).toBe(0);
    let n = 0;
    const record = async (entry: unknown): Promise<void> => {
      await git(clone, ['pull', '-q', 'origin', 'main']);
      const file = join(tmp.path, `entry-${(n += 1)}.json`);
      await writeFile(file, JSON.stringify(entry));
      const r = await runCliCaptured(
        ['record', '--json', '--repo', clone, '--entry', file, '--sign-key', key],
        {
          env,
        },
      );
      expect(r.code, r.stderr).toBe(0);
    };
    const DAY = 'docs/reports/2025-11-24/manifest.json';
    const LOG = 'docs/reports/2025-11-24/transitions.jsonl';
    await record(
      makeEntry({
        status: 'failure',
        artifact_url: null,
        failure_reason: 'build broke',
        governance_flag: 'artifact-missing',
      }),
    );
    await record(makeEntry({ timestamp: '2025-11-24T10:10:00Z', governance_flag: 'provenance-ready' }));
    // the pusher's cut: the log loses its last line, the run goes back to its signed record state
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    await writeFile(join(attacker, DAY), (await showFile(attacker, 'HEAD~1', DAY))!);
    await writeFile(join(attacker, LOG), (await showFile(attacker, 'HEAD~1', LOG))!);
    await git(attacker, ['commit', '-qam', 'provenance: record v1.2.3 (run 101, failure)']);
    await git(attacker, ['push', '-q', 'origin', 'HEAD:main']);
    const cut = await git(attacker, ['rev-parse', 'HEAD']);
    await record(makeEntry({ tag: 'v2.0.0', run_id: 201, timestamp: '2025-11-25T09:00:00Z' }));

    const fresh = await cloneRemote(remote, join(tmp.path, 'fresh'));
    const ingest = (...flags: string[]) =>
      runCliCaptured(
        [
          'ingest',
          '--json',
          '--repo',
          fresh,
          '--ledger',
          'acme/rest',
          '--supabase-url',
          server.url,
          '--trust-key',
          `${key.replace(/\.key$/, '')}.pub`,
          ...flags,
        ],
        { env },
      );
    const refused = await ingest();
    expect(refused.code, refused.stdout + refused.stderr).toBe(4);
    expect(refused.json().error!.details.commits).toEqual([cut]);

    server.calls.length = 0;
    const accepted = await ingest('--accept-rewrite', cut.slice(0, 10));
    expect(accepted.code, accepted.stdout + accepted.stderr).toBe(0);
    expect(accepted.json().result.accepted_rewrites).toEqual([
      { commit: cut, path: LOG, message: expect.any(String) },
    ]);
    const rewrites = server.calls.filter((c) => c.fn === 'slsa_ingest_rewrites');
    expect(rewrites.map((c) => c.role)).toEqual(['slsa_manifest_ingest', 'slsa_manifest_ingest']);
    const statuses = async () =>
      (
        await sqlOn<{ run_id: string; signature_status: string }>(
          db.url,
          `SELECT run_id::text AS run_id, signature_status FROM public.slsa_runs WHERE repository = 'acme/rest' ORDER BY run_id`,
        )
      ).map((r) => [Number(r.run_id), r.signature_status]);
    expect(await statuses()).toEqual([
      [101, 'invalid'],
      [201, 'verified'],
    ]);
    expect(
      await sqlOn<{ alert: string | null }>(
        db.url,
        `SELECT alert FROM public.provenance_ingest_runs WHERE repository = 'acme/rest' AND status = 'succeeded'`,
      ),
    ).toEqual([{ alert: 'ledger-rewrite-accepted' }]);
    expect(
      await sqlOn<{ rewrite_accepted_commits: string[] }>(
        db.url,
        `SELECT rewrite_accepted_commits FROM public.provenance_repositories WHERE repository = 'acme/rest'`,
      ),
    ).toEqual([{ rewrite_accepted_commits: [cut] }]);
    const audit = await sqlOn<{ run_id: string; git_commit: string }>(
      db.url,
      `SELECT run_id::text AS run_id, git_commit FROM public.provenance_audit
        WHERE repository = 'acme/rest' AND action = 'rewrite-accepted' ORDER BY run_id`,
    );
    expect(audit.map((a) => [Number(a.run_id), a.git_commit])).toEqual([[101, cut]]);

    // the acceptance is the repository's: a later --full replay reads it back (list) and goes on
    const again = await ingest('--full');
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.json().result.accepted_rewrites).toBeUndefined();
    expect(await statuses()).toEqual([
      [101, 'invalid'],
      [201, 'verified'],
    ]);
  });
});

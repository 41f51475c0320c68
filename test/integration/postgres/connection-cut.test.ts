// The database goes away in the middle of an ingest: the batch in flight is rolled back by the
// server, nothing is half-written, the watermark stays, and a rerun lands everything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../../src/app/migrate.js';
import type { LedgerEntry } from '../../../src/core/ledger/entry.js';
import { runCliCaptured } from '../../support/cli.js';
import { createLedgerRepo, type LedgerRepo } from '../../support/ledger-repo.js';
import {
  assertPostgresInCi,
  createTestDatabase,
  hasPostgres,
  PG_HOST,
  PG_PORT,
  sqlOn,
  type TestDatabase,
} from '../../support/postgres.js';
import { startTcpProxy } from '../../support/tcp-proxy.js';

const runPg = await hasPostgres();

it('PostgreSQL is reachable in CI', async () => {
  await assertPostgresInCi();
});

const N = 12_000;
const BATCH = 2_000;

function entries(): LedgerEntry[] {
  return Array.from({ length: N }, (_, i) => ({
    run_id: i + 1,
    tag: `v3.${Math.floor(i / 1000)}.${i % 1000}`,
    sha: (i + 1).toString(16).padStart(40, '0'),
    artifact_url: `https://example.com/a/${i}.tgz`,
    actor: 'bot',
    timestamp: `2025-11-${String(20 + (i % 4)).padStart(2, '0')}T10:00:00Z`,
    status: 'success',
    metrics: { lock_wait_s: i % 7 },
  }));
}

interface State {
  runs: number;
  audit: number;
  watermark: string | undefined;
}

async function state(url: string): Promise<State> {
  const [r] = await sqlOn<{ runs: number; audit: number }>(
    url,
    'SELECT (SELECT count(*)::int FROM slsa_runs) AS runs, (SELECT count(*)::int FROM provenance_audit_log) AS audit',
  );
  const w = await sqlOn<{ git_commit: string | null }>(url, 'SELECT git_commit FROM ingest_watermark');
  return { runs: r!.runs, audit: r!.audit, watermark: w[0]?.git_commit ?? undefined };
}

/** Waits until a second ingest call is running on the server, then runs `act`. */
// Makes the race deterministic: every upsert statement after the first batch has landed sleeps,
// so the batch in flight is still running when the test cuts its connection (without this, a
// fast machine can finish the last batch between the poll and the cut). Test-only: the trigger
// lives in the test's own database, never in a migration.
async function holdLaterBatches(url: string): Promise<void> {
  await sqlOn(
    url,
    `CREATE FUNCTION public.test_hold_later_batches() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF (SELECT count(*) FROM public.slsa_runs) >= ${BATCH} THEN PERFORM pg_catalog.pg_sleep(30); END IF;
       RETURN NULL;
     END $$`,
  );
  await sqlOn(
    url,
    'CREATE TRIGGER test_hold_later_batches BEFORE INSERT ON public.slsa_runs FOR EACH STATEMENT EXECUTE FUNCTION public.test_hold_later_batches()',
  );
}

async function releaseLaterBatches(url: string, dbName: string): Promise<void> {
  // a backend whose client vanished (the proxy cut) sleeps on server-side: end it first
  await sqlOn(
    url,
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [dbName],
  );
  await sqlOn(url, 'DROP TRIGGER test_hold_later_batches ON public.slsa_runs');
}

async function whenSecondBatchRuns(
  url: string,
  dbName: string,
  act: (pid: number) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    const committed = (await sqlOn<{ n: number }>(url, 'SELECT count(*)::int AS n FROM slsa_runs'))[0]!.n;
    if (committed >= BATCH) {
      const active = await sqlOn<{ pid: number }>(
        url,
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE '%slsa_ingest_batch%' AND pid <> pg_backend_pid()",
        [dbName],
      );
      if (active[0] !== undefined) {
        await act(active[0].pid);
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('never saw a second batch running');
}

describe.runIf(runPg)('connection lost mid-ingest', () => {
  let repo: LedgerRepo;
  let head: string;
  beforeAll(() => {
    repo = createLedgerRepo();
    head = repo.commit(entries());
  });
  afterAll(() => repo?.remove());

  it('pg_terminate_backend on the batch in flight: exit 5, nothing half-written, rerun lands all', async () => {
    const db: TestDatabase = await createTestDatabase('cut_terminate');
    try {
      await migrateDatabase({ databaseUrl: db.url });
      await holdLaterBatches(db.url);
      const killer = whenSecondBatchRuns(db.url, db.name, async (pid) => {
        await sqlOn(db.url, 'SELECT pg_terminate_backend($1)', [pid]);
      });
      const run = await runCliCaptured([
        'ingest',
        '--repo',
        repo.dir,
        '--database-url',
        db.url,
        '--batch-size',
        String(BATCH),
        '--json',
      ]);
      await killer;
      expect(run.code).toBe(5);
      expect(run.json().error!.code).toBe('DB_UNAVAILABLE');
      const mid = await state(db.url);
      expect(mid.runs % BATCH).toBe(0);
      expect(mid.runs).toBeGreaterThanOrEqual(BATCH);
      expect(mid.runs).toBeLessThan(N);
      expect(mid.audit).toBe(mid.runs);
      expect(mid.watermark).toBeUndefined();
      const failed = await sqlOn<{ status: string }>(db.url, 'SELECT status FROM ingest_runs');
      expect(failed.map((f) => f.status)).toEqual(['failed']);

      await releaseLaterBatches(db.url, db.name);
      const rerun = await runCliCaptured([
        'ingest',
        '--repo',
        repo.dir,
        '--database-url',
        db.url,
        '--batch-size',
        String(BATCH),
        '--json',
      ]);
      expect(rerun.code).toBe(0);
      expect(rerun.json().result).toMatchObject({
        seen: N,
        inserted: N - mid.runs,
        unchanged: mid.runs,
        watermark: head,
      });
      expect(await state(db.url)).toEqual({ runs: N, audit: N, watermark: head });
    } finally {
      await db.drop();
    }
  });

  it('the network cut (a TCP proxy closed) mid-batch: exit 5 naming the host, rerun lands all', async () => {
    const db: TestDatabase = await createTestDatabase('cut_proxy');
    const proxy = await startTcpProxy(PG_HOST, PG_PORT);
    try {
      await migrateDatabase({ databaseUrl: db.url });
      await holdLaterBatches(db.url);
      const viaProxy = `postgres://postgres:notreallyused@127.0.0.1:${proxy.port}/${db.name}`;
      const cutter = whenSecondBatchRuns(db.url, db.name, () => {
        proxy.cut();
        return Promise.resolve();
      });
      const run = await runCliCaptured([
        'ingest',
        '--repo',
        repo.dir,
        '--database-url',
        viaProxy,
        '--batch-size',
        String(BATCH),
        '--json',
      ]);
      await cutter;
      expect(run.code).toBe(5);
      const error = run.json().error!;
      expect(error.code).toBe('DB_UNAVAILABLE');
      expect(error.message).toContain(`127.0.0.1:${proxy.port}`);
      expect(run.stdout + run.stderr).not.toContain('notreallyused');
      // the server notices the dead client and rolls its transaction back
      for (let i = 0; i < 200; i++) {
        const busy = await sqlOn(
          db.url,
          "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%slsa_ingest_batch%' AND pid <> pg_backend_pid()",
          [db.name],
        );
        if (busy.length === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const mid = await state(db.url);
      expect(mid.runs % BATCH).toBe(0);
      expect(mid.runs).toBeLessThan(N);
      expect(mid.audit).toBe(mid.runs);
      expect(mid.watermark).toBeUndefined();

      await releaseLaterBatches(db.url, db.name);
      const rerun = await runCliCaptured(['ingest', '--repo', repo.dir, '--database-url', db.url, '--json']);
      expect(rerun.code).toBe(0);
      expect(await state(db.url)).toEqual({ runs: N, audit: N, watermark: head });
    } finally {
      await proxy.close();
      await db.drop();
    }
  });
});

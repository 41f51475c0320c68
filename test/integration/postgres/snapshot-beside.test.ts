// A report's second connection on its own snapshot (DbQueryable.beside, src/io/postgres-store.ts;
// docs/database.md "Two connections, one snapshot"): on the server, the transaction beside sees
// exactly what the first one sees (a commit between the two BEGINs included), the report read through
// two connections equals the report read through one (the reference tests of kpi-queries.test.ts
// read through two on the server), a pool with no free connection gives none (never waits), a
// transaction that is not a read-only snapshot gets none, and no connection is left in a transaction
// afterwards, whatever failed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKpiReport } from '../../../src/app/kpi.js';
import { migrateDatabase } from '../../../src/app/migrate.js';
import type { KpiWindow } from '../../../src/core/kpi/kpi.js';
import type { LedgerEntry } from '../../../src/core/ledger/entry.js';
import { openDatabase, READ_ONLY_SNAPSHOT, type DbClient, type DbQueryable } from '../../../src/io/db.js';
import { createSqlIngestSink } from '../../../src/io/ingest-sink.js';
import { cacheBySnapshot } from '../../../src/io/snapshot-cache.js';
import { wrapTransactions } from '../../support/db-wrap.js';
import { makeEntry } from '../../support/ledger.js';
import { createEngineTarget, sqlOn, testEngines, type EngineTarget } from '../../support/postgres.js';

const engines = await testEngines();

const commit = 'd'.repeat(40);
// whole days and two edge days with runs on both sides of the window's bounds
const window: KpiWindow = { since: '2025-10-03T07:30:00.000Z', until: '2025-10-20T15:10:00.000Z' };
const now = new Date('2025-10-25T00:00:00.000Z');

function entries(repository: number, count: number): LedgerEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const at = Date.parse('2025-10-02T00:00:00Z') + i * 97 * 60_000 + repository * 311_000;
    const status = i % 9 === 0 ? 'failure' : 'success';
    return makeEntry({
      run_id: 70_000 + repository * 1_000 + i,
      tag: `v${repository}.${i}.0`,
      timestamp: new Date(at).toISOString(),
      status,
      ...(status === 'failure' ? { failure_reason: 'build failed' } : {}),
      metrics: {
        lock_wait_s: ((i * 37) % 113) / 10,
        artifact_upload_latency_s: ((i * 53) % 71) / 7,
      },
    });
  });
}

describe.runIf(engines.includes('postgres'))('two connections, one snapshot (postgres)', () => {
  let target: EngineTarget;
  let owner: DbClient;
  let reader: DbClient;
  let ingester: DbClient;
  const all: LedgerEntry[] = [];
  let next = 0;

  async function ingest(repository: string, batch: readonly LedgerEntry[]): Promise<void> {
    const sink = createSqlIngestSink(ingester);
    const id = crypto.randomUUID();
    await sink.begin({ ingest_id: id, repository, engine: 'postgres', to_commit: commit });
    const counts = await sink.upsert(
      id,
      batch.map((entry) => ({
        entry,
        manifest_path: `docs/reports/${entry.timestamp.slice(0, 10)}/manifest.json`,
        manifest_hash: 'f'.repeat(64),
        git_commit: commit,
      })),
    );
    expect(counts.failed).toEqual([]);
    await sink.finish({ ingest_id: id, status: 'succeeded', entries_failed: 0, watermark: commit });
  }

  // connections of this database still inside a transaction (the test's own psql is not one)
  const inTransaction = async (): Promise<number> =>
    Number(
      (
        await sqlOn<{ n: string }>(
          target.options.databaseUrl!,
          `SELECT count(*) AS n FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'slsa-ledger'
              AND state LIKE 'idle in transaction%'`,
        )
      )[0]!.n,
    );

  // a client whose transactions count the statements sent beside them (and can leave `beside` out)
  function spying(
    db: DbClient,
    withBeside: boolean,
  ): { db: DbClient; besideStatements: () => number; opened: () => number } {
    let n = 0;
    let opened = 0;
    const counted = (side: DbQueryable): DbQueryable => ({
      exec: (sql) => side.exec(sql),
      query: (sql, params) => {
        n++;
        return side.query(sql, params);
      },
    });
    return {
      besideStatements: () => n,
      opened: () => opened,
      db: wrapTransactions(db, (tx) => ({
        exec: (sql) => tx.exec(sql),
        query: (sql, params) => tx.query(sql, params),
        ...(withBeside
          ? {
              beside: async () => {
                const side = await tx.beside?.();
                if (side !== undefined) opened++;
                return side === undefined ? undefined : counted(side);
              },
            }
          : {}),
      })),
    };
  }

  beforeAll(async () => {
    target = await createEngineTarget('postgres', 'beside');
    await migrateDatabase(target.options);
    owner = await openDatabase({ ...target.options, role: 'owner' });
    reader = await openDatabase({ ...target.options, role: 'reader' });
    ingester = await openDatabase({ ...target.options, role: 'ingest' });
    for (const [r, name] of ['acme/a', 'acme/b', 'other/c'].entries()) {
      const batch = entries(r, 300);
      await ingest(name, batch);
      all.push(...batch);
    }
  }, 120_000);
  afterAll(async () => {
    await reader?.close();
    await ingester?.close();
    await owner?.close();
    await target?.cleanup();
  });

  it('reads the first transaction snapshot, a commit between the two BEGINs unseen', async () => {
    const counts = await reader.transaction(async (tx) => {
      await tx.query(READ_ONLY_SNAPSHOT);
      const before = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM public.provenance_runs');
      // committed after this snapshot was taken, before the second connection begins
      await ingest('acme/late', [
        makeEntry({ run_id: 99_000 + next++, tag: `v9.${next}.0`, timestamp: '2025-10-10T10:00:00Z' }),
      ]);
      const side = await tx.beside!();
      expect(side).toBeDefined();
      expect(await tx.beside!()).toBe(side); // the same one each time
      const beside = await side!.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM public.provenance_runs',
      );
      const pids = await Promise.all([
        tx.query<{ p: number }>('SELECT pg_backend_pid() AS p'),
        side!.query<{ p: number }>('SELECT pg_backend_pid() AS p'),
      ]);
      expect(pids[0].rows[0]!.p).not.toBe(pids[1].rows[0]!.p); // two server processes
      return [before.rows[0]!.n, beside.rows[0]!.n];
    });
    expect(counts[1]).toBe(counts[0]);
    const after = await reader.query<{ n: number }>('SELECT count(*)::int AS n FROM public.provenance_runs');
    expect(after.rows[0]!.n).toBe(counts[0]! + 1);
    expect(await inTransaction()).toBe(0);
  });

  it('gives none to a transaction that is not a read-only snapshot', async () => {
    await reader.transaction(async (tx) => {
      await tx.query('SELECT 1');
      expect(await tx.beside!()).toBeUndefined();
    });
    await reader.transaction(async (tx) => {
      expect(await tx.beside!()).toBeUndefined(); // asked before any statement
    });
    expect(await inTransaction()).toBe(0);
  });

  it('reads the report through two connections equal to one, on both sides of every edge', async () => {
    const two = spying(reader, true);
    const one = spying(reader, false);
    const report = await loadKpiReport(two.db, window, now);
    expect(two.besideStatements()).toBeGreaterThanOrEqual(2); // the repository table, the per-day counts
    const alone = await loadKpiReport(one.db, window, now);
    expect(one.besideStatements()).toBe(0);
    expect(report).toEqual(alone);
    const counted = await reader.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM public.provenance_runs WHERE "timestamp" >= $1 AND "timestamp" < $2',
      [window.since, window.until],
    );
    expect(report.entries).toBe(counted.rows[0]!.n);
    expect(report.entries).toBeGreaterThan(400);
    expect(report.repositories).toHaveLength(4);
    // one repository: the manifest list is read after the table, as before
    const scoped = await loadKpiReport(two.db, window, now, { repositories: ['acme/b'] });
    expect(scoped).toEqual(await loadKpiReport(one.db, window, now, { repositories: ['acme/b'] }));
    expect(Object.keys(scoped.manifest_hash ?? {}).length).toBeGreaterThan(10);
    expect(await inTransaction()).toBe(0);
  });

  it('gives none when the pool has no free connection, and the report goes on alone', async () => {
    const small = await openDatabase({ ...target.options, role: 'reader', connections: 4 });
    const holding: (() => void)[] = [];
    const held: Promise<unknown>[] = [];
    try {
      // three of the four connections inside transactions of their own
      for (let i = 0; i < 3; i++) {
        let started!: () => void;
        const begun = new Promise<void>((r) => (started = r));
        held.push(
          small.transaction(async (tx) => {
            await tx.query('SELECT 1');
            started();
            await new Promise<void>((r) => holding.push(r));
          }),
        );
        await begun;
      }
      const spy = spying(small, true);
      const report = await loadKpiReport(spy.db, window, now);
      expect(spy.besideStatements()).toBe(0);
      expect(report).toEqual(await loadKpiReport(reader, window, now));
    } finally {
      for (const release of holding) release();
      await Promise.all(held);
      await small.close();
    }
  });

  it('ends the transaction beside when a statement fails, and the pool goes on', async () => {
    await expect(
      reader.transaction(async (tx) => {
        await tx.query(READ_ONLY_SNAPSHOT);
        const side = (await tx.beside!())!;
        await side.query('SELECT 1/0');
      }),
    ).rejects.toMatchObject({ code: 'DB_INPUT_REJECTED' });
    await expect(
      reader.transaction(async (tx) => {
        await tx.query(READ_ONLY_SNAPSHOT);
        const side = (await tx.beside!())!;
        // the first connection fails while the second is still reading
        await Promise.all([tx.query('SELECT 1/0'), side.query('SELECT pg_sleep(0.05)')]);
      }),
    ).rejects.toMatchObject({ code: 'DB_INPUT_REJECTED' });
    expect(await inTransaction()).toBe(0);
    expect((await loadKpiReport(reader, window, now)).entries).toBeGreaterThan(0);
  });

  it('refuses a statement sent after its transaction ended, on either connection', async () => {
    // a read still running beside a failed one must not reach a connection given back to the pool
    let kept: DbQueryable[] = [];
    await reader.transaction(async (tx) => {
      await tx.query(READ_ONLY_SNAPSHOT);
      kept = [tx, (await tx.beside!())!];
    });
    for (const q of kept) {
      await expect(q.query('SELECT 1')).rejects.toMatchObject({
        code: 'DB_QUERY_FAILED',
        message: expect.stringMatching(/after its transaction ended/),
      });
    }
    // and a second connection asked for only after the end is none
    expect(await kept[0]!.beside!()).toBe(kept[1]);
    let late: DbQueryable | undefined;
    await reader.transaction(async (tx) => {
      await tx.query(READ_ONLY_SNAPSHOT);
      late = tx;
    });
    expect(await late!.beside!()).toBeUndefined();
    expect(await inTransaction()).toBe(0);
  });

  it("keeps the statements beside in serve's answers, and opens no second transaction for them", async () => {
    const spy = spying(reader, true);
    const cached = cacheBySnapshot(spy.db);
    const first = await loadKpiReport(cached, window, now);
    const { misses } = cached.cacheStats();
    expect(spy.opened()).toBe(1);
    const sent = spy.besideStatements();
    expect(sent).toBeGreaterThanOrEqual(2);
    const second = await loadKpiReport(cached, window, now);
    // every statement, beside or not, answered from memory the second time: nothing sent beside, and
    // no second transaction begun for it
    expect(cached.cacheStats()).toMatchObject({ hits: misses, misses });
    expect(spy.besideStatements()).toBe(sent);
    expect(spy.opened()).toBe(1);
    expect(second).toEqual(first);
    expect(first).toEqual(await loadKpiReport(reader, window, now));
  });
});

// `serve`'s KPI reads keep their answers per database snapshot (src/io/snapshot-cache.ts). On both
// engines: a kept answer equals a fresh read, a committed write is seen by the next read, and (on the
// server, where a write can be in flight beside a read) an answer read while an ingest was open is
// not used once it commits. Kept answers are frozen; a transaction that is not a read-only snapshot
// is passed through; the limits hold.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKpiReport } from '../../../src/app/kpi.js';
import { migrateDatabase } from '../../../src/app/migrate.js';
import type { KpiWindow } from '../../../src/core/kpi/kpi.js';
import type { LedgerEntry } from '../../../src/core/ledger/entry.js';
import { openDatabase, READ_ONLY_SNAPSHOT, type DbClient } from '../../../src/io/db.js';
import { createSqlIngestSink } from '../../../src/io/ingest-sink.js';
import { queryKpiAggregates } from '../../../src/io/kpi-queries.js';
import { loadDashboardAggregates } from '../../../src/io/runs-query.js';
import { cacheBySnapshot } from '../../../src/io/snapshot-cache.js';
import { makeEntry } from '../../support/ledger.js';
import { createEngineTarget, testEngines, type EngineTarget } from '../../support/postgres.js';

const engines = await testEngines();

// whole days from the rollups, a partial last day from the runs
const window: KpiWindow = { since: '2025-11-01T00:00:00.000Z', until: '2025-11-28T10:30:00.000Z' };
const now = new Date('2025-12-01T00:00:00.000Z');
const commit = 'c'.repeat(40);
const entryAt = (i: number, timestamp: string, status = 'success'): LedgerEntry =>
  makeEntry({
    run_id: 5000 + i,
    tag: `v5.0.${i}`,
    timestamp,
    status,
    ...(status === 'failure' ? { failure_reason: 'build failed' } : {}),
  });

describe.each(engines)('answers kept per snapshot, on %s', (engine) => {
  let target: EngineTarget;
  let owner: DbClient;
  let reader: DbClient;
  let ingester: DbClient;
  let next = 0;

  // through the ingest function as the ingest role, as `ingest` writes
  async function ingest(entries: readonly LedgerEntry[]): Promise<void> {
    const sink = createSqlIngestSink(ingester);
    const id = crypto.randomUUID();
    await sink.begin({ ingest_id: id, repository: 'acme/cache', engine, to_commit: commit });
    const counts = await sink.upsert(
      id,
      entries.map((entry) => ({
        entry,
        manifest_path: `docs/reports/${entry.timestamp.slice(0, 10)}/manifest.json`,
        manifest_hash: 'e'.repeat(64),
        git_commit: commit,
      })),
    );
    expect(counts.failed).toEqual([]);
    await sink.finish({ ingest_id: id, status: 'succeeded', entries_failed: 0, watermark: commit });
  }

  beforeAll(async () => {
    target = await createEngineTarget(engine, 'snapcache');
    await migrateDatabase(target.options);
    owner = await openDatabase({ ...target.options, role: 'owner' });
    // one embedded database is one process's: its owner client acts as the other roles
    reader =
      engine === 'pglite'
        ? owner.withRole!('reader')
        : await openDatabase({ ...target.options, role: 'reader' });
    ingester =
      engine === 'pglite'
        ? owner.withRole!('ingest')
        : await openDatabase({ ...target.options, role: 'ingest' });
    await ingest([
      entryAt(next++, '2025-11-03T09:00:00Z'),
      entryAt(next++, '2025-11-10T12:00:00Z', 'failure'),
      entryAt(next++, '2025-11-28T08:00:00Z'),
      entryAt(next++, '2025-11-28T11:00:00Z'), // after the window's end
    ]);
  }, 120_000);
  afterAll(async () => {
    if (engine === 'postgres') {
      await reader?.close();
      await ingester?.close();
    }
    await owner?.close();
    await target?.cleanup();
  });

  it('answers a repeated report from memory, equal to a fresh read', async () => {
    const cached = cacheBySnapshot(reader);
    const fresh = await loadKpiReport(reader, window, now);
    const first = await loadKpiReport(cached, window, now);
    const afterFirst = cached.cacheStats();
    expect(afterFirst.hits).toBe(0);
    expect(afterFirst.misses).toBeGreaterThan(3);
    expect(afterFirst.changes).toMatch(/^\d+$/);
    const second = await loadKpiReport(cached, window, now);
    const afterSecond = cached.cacheStats();
    // every statement of the second report was answered from memory
    expect(afterSecond.hits).toBe(afterFirst.misses);
    expect(afterSecond.misses).toBe(afterFirst.misses);
    expect(first).toEqual(fresh);
    expect(second).toEqual(fresh);
    expect(fresh.entries).toBe(3);
    const charts = await loadDashboardAggregates(cached, window);
    expect(await loadDashboardAggregates(cached, window)).toEqual(charts);
    expect(charts).toEqual(await loadDashboardAggregates(reader, window));
  });

  it('answers a window that ends now from memory all day (its settled last day)', async () => {
    const cached = cacheBySnapshot(reader);
    // no run on 11-29: the last day is read whole from the rollup, whatever the hour
    const at = (until: string): KpiWindow => ({ since: window.since, until });
    const first = await loadKpiReport(cached, at('2025-11-29T10:00:00.000Z'), now);
    const { misses } = cached.cacheStats();
    const later = await loadKpiReport(cached, at('2025-11-29T17:45:00.000Z'), now);
    // sent again: the edge probe (wholeEdges) and the ingest failures and refusals counts, which
    // read the window as given (ingest runs are not runs: a settled edge says nothing of them)
    expect(cached.cacheStats()).toMatchObject({ hits: misses - 3, misses: misses + 3 });
    expect(later).toEqual(await loadKpiReport(reader, at('2025-11-29T17:45:00.000Z'), now));
    expect(later.entries).toBe(first.entries);
    // a window whose end cuts a day with runs reads that day's edge each time
    await loadKpiReport(cached, at('2025-11-28T08:30:00.000Z'), now);
    const before = cached.cacheStats().misses;
    await loadKpiReport(cached, at('2025-11-28T08:45:00.000Z'), now);
    expect(cached.cacheStats().misses).toBeGreaterThan(before);
  });

  it('sees a committed ingest at the next read', async () => {
    const cached = cacheBySnapshot(reader);
    const before = await loadKpiReport(cached, window, now);
    const chartsBefore = await loadDashboardAggregates(cached, window);
    await ingest([
      entryAt(next++, '2025-11-10T13:00:00Z', 'failure'),
      entryAt(next++, '2025-11-28T09:00:00Z'),
    ]);
    const after = await loadKpiReport(cached, window, now);
    expect(after).toEqual(await loadKpiReport(reader, window, now));
    expect(after.entries).toBe(before.entries + 2);
    const chartsAfter = await loadDashboardAggregates(cached, window);
    expect(chartsAfter).toEqual(await loadDashboardAggregates(reader, window));
    const failures = (c: typeof chartsAfter) => c.daily.find((d) => d.day === '2025-11-10')?.failure;
    expect(failures(chartsAfter)).toBe(failures(chartsBefore)! + 1);
  });

  it.runIf(engine === 'postgres')(
    'never uses an answer read while an ingest was in flight once that ingest has committed',
    async () => {
      const cached = cacheBySnapshot(reader);
      const writer = new pg.Client({ connectionString: target.options.databaseUrl });
      await writer.connect();
      try {
        const call = (batch: Record<string, unknown>) =>
          writer.query('SELECT public.slsa_ingest_batch($1::jsonb) AS r', [JSON.stringify(batch)]);
        await writer.query('BEGIN');
        const ingest_id = crypto.randomUUID();
        await call({ op: 'begin', ingest_id, repository: 'acme/cache', engine, to_commit: commit });
        const entry = entryAt(next++, '2025-11-10T14:00:00Z', 'failure');
        await call({
          op: 'upsert',
          ingest_id,
          entries: [
            {
              entry,
              manifest_path: 'docs/reports/2025-11-10/manifest.json',
              manifest_hash: 'e'.repeat(64),
              git_commit: commit,
            },
          ],
        });
        // read (and kept) while the ingest is open: without its run
        const during = await loadKpiReport(cached, window, now);
        const chartsDuring = await loadDashboardAggregates(cached, window);
        const changesDuring = cached.cacheStats().changes;
        await writer.query('COMMIT');
        const after = await loadKpiReport(cached, window, now);
        expect(cached.cacheStats().changes).not.toBe(changesDuring);
        expect(after).toEqual(await loadKpiReport(reader, window, now));
        expect(after.entries).toBe(during.entries + 1);
        const chartsAfter = await loadDashboardAggregates(cached, window);
        const failures = (c: typeof chartsAfter) => c.daily.find((d) => d.day === '2025-11-10')?.failure;
        expect(failures(chartsAfter)).toBe(failures(chartsDuring)! + 1);
      } finally {
        await writer.query('ROLLBACK').catch(() => undefined);
        await writer.end();
      }
    },
  );

  it('keeps answers frozen: a caller cannot change what the next one reads', async () => {
    const cached = cacheBySnapshot(reader);
    const read = () =>
      cached.transaction(async (tx) => {
        await tx.query(READ_ONLY_SNAPSHOT);
        return tx.query<{ n: number }>('SELECT count(*)::integer AS n FROM public.provenance_runs');
      });
    const first = await read();
    const second = await read();
    expect(second).toBe(first);
    expect(() => {
      first.rows[0]!.n = 0;
    }).toThrow(TypeError);
    expect(() => first.rows.push({ n: 1 })).toThrow(TypeError);
    expect((await read()).rows[0]!.n).toBeGreaterThan(0);
  });

  it('passes through a transaction that is not a read-only snapshot', async () => {
    const cached = cacheBySnapshot(reader);
    for (let i = 0; i < 2; i++) {
      const r = await cached.transaction((tx) => tx.query<{ n: number }>('SELECT 7 AS n'));
      expect(r.rows).toEqual([{ n: 7 }]);
    }
    expect(cached.cacheStats()).toEqual({ hits: 0, misses: 0, entries: 0, changes: null });
  });

  it('neither answers nor keeps anything in a transaction once it ran statements through exec', async () => {
    const cached = cacheBySnapshot(reader);
    const read = (exec: boolean) =>
      cached.transaction(async (tx) => {
        await tx.query(READ_ONLY_SNAPSHOT);
        if (exec) await tx.exec('SET LOCAL extra_float_digits = 0');
        return tx.query<{ n: number }>('SELECT 0.1::float8 * 3 AS n');
      });
    await read(false);
    await read(true);
    await read(true);
    expect(cached.cacheStats()).toMatchObject({ hits: 0, misses: 1, entries: 1 });
  });

  it('keeps no answer above its row limit and no more answers than its entry limit', async () => {
    const cached = cacheBySnapshot(reader, { maxEntries: 2, maxRowsPerEntry: 3, maxRows: 100 });
    const read = (sql: string) =>
      cached.transaction(async (tx) => {
        await tx.query(READ_ONLY_SNAPSHOT);
        return tx.query(sql);
      });
    await read('SELECT generate_series(1, 4) AS n');
    await read('SELECT generate_series(1, 4) AS n');
    expect(cached.cacheStats()).toMatchObject({ hits: 0, misses: 2, entries: 0 });
    for (const n of [1, 2, 3]) await read(`SELECT ${n} AS n`);
    expect(cached.cacheStats().entries).toBe(2);
    await read('SELECT 3 AS n'); // the newest two are kept
    await read('SELECT 1 AS n'); // the oldest went
    expect(cached.cacheStats()).toMatchObject({ hits: 1, misses: 6, entries: 2 });
  });

  it("sends only a moving window's edge reads of the organisation's percentiles again (twenty-ninth session)", async () => {
    // October, apart from the other tests' runs: 60 runs over 2025-10-05 … 10-19 whose lock waits
    // all lie in one bucket, spread over a few of its fine buckets, on the first day before and
    // after both `since`s below
    const runs = Array.from({ length: 60 }, (_, k) => {
      const day = 5 + (k % 15);
      const minute = 5 * 60 + Math.floor(k / 15) * 50; // 05:00, 05:50, 06:40, 07:30 …
      const at = new Date(Date.UTC(2025, 9, day, 0, minute, k)).toISOString();
      return makeEntry({
        run_id: 9000 + k,
        tag: `v9.0.${k}`,
        timestamp: `${at.slice(0, 19)}Z`,
        metrics: {
          lock_wait_s: 1 + ((k * 37) % 60) / 10_000,
          artifact_upload_latency_s: 2 + ((k * 13) % 60) / 1000,
          notify: { attempts: 1, delivered: 1, latency_s: 0.5 + k / 100 },
        },
      });
    });
    await ingest(runs);
    // the statements the database was sent, through the cache
    const sent: string[] = [];
    const recorded: DbClient = {
      ...reader,
      transaction: (fn) =>
        reader.transaction((tx) =>
          fn({
            exec: (sql) => tx.exec(sql),
            query: (sql, params) => {
              sent.push(sql);
              return tx.query(sql, params);
            },
          }),
        ),
    };
    const cached = cacheBySnapshot(recorded);
    const at = (since: string): KpiWindow => ({ since, until: '2025-10-20T00:00:00.000Z' });
    const viaFine = (db: DbClient, w: KpiWindow) =>
      db.transaction(async (tx) => {
        await tx.query(READ_ONLY_SNAPSHOT);
        return queryKpiAggregates(tx, w, undefined, { directPercentileRuns: 0 });
      });
    // percentile_cont over the window's runs (60 runs: the direct way), uncached
    const direct = (w: KpiWindow) =>
      reader.transaction(async (tx) => {
        await tx.query(READ_ONLY_SNAPSHOT);
        return queryKpiAggregates(tx, w, undefined);
      });
    const percentiles = (a: Awaited<ReturnType<typeof direct>>) => ({
      lock: a.lock_wait_s,
      upload: a.artifact_upload_latency_s,
      notify: a.notify_latency_s,
      entries: a.entries,
    });
    const first = await viaFine(cached, at('2025-10-05T05:55:00.000Z'));
    expect(sent.some((sql) => /provenance_kpi_org_fine_(days|months)/.test(sql))).toBe(true);
    sent.length = 0;
    const w = at('2025-10-05T06:30:00.000Z');
    const later = await viaFine(cached, w);
    expect(percentiles(later)).toEqual(percentiles(await direct(w)));
    expect(percentiles(first)).toEqual(percentiles(await direct(at('2025-10-05T05:55:00.000Z'))));
    // no run between the two: the same runs, the same ranks, so the same fine buckets
    expect(later.entries).toBe(first.entries);
    // the whole days' fine counts and values were answered from memory; the edge's were read
    expect(sent.filter((sql) => /provenance_kpi_org_fine_(days|months)/.test(sql))).toEqual([]);
    const fineSent = sent.filter((sql) => sql.includes('slsa_kpi_fine_bucket'));
    expect(fineSent.length).toBeGreaterThan(0);
    for (const sql of fineSent)
      expect(sql).toContain('"timestamp" >= $1::timestamptz AND "timestamp" < $3::timestamptz');
  });
});

// `serve` on PostgreSQL reads the page's windows ahead after another process's ingest: the run
// table's trigger notifies at commit (…20261207080000_slsa_runs_changed_notify.sql), `serve`
// listens on a connection of its own, waits for the writers to be quiet and reads ahead, so that the
// page's next requests find the new snapshot's answers kept. A lost listening connection comes back.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestLedger } from '../../../src/app/ingest.js';
import { pageWindowPresets, runsChangedChannel, serveDashboard } from '../../../src/app/serve.js';
import type { Logger } from '../../../src/core/ports.js';
import { silentLogger } from '../../../src/core/ports.js';
import { assertPostgresInCi, hasPostgres, sqlOn } from '../../support/postgres.js';
import { until } from '../../support/until.js';
import { makeDashboardEntries, preparePostgres, writeLedger } from './dashboard-fixtures.js';

await assertPostgresInCi();
const withPostgres = await hasPostgres();

const now = new Date();
const first = makeDashboardEntries(now, 60, 30, 11);
const second = makeDashboardEntries(now, 40, 30, 12).map((e) => ({ ...e, tag: `${e.tag}-b` }));
const third = makeDashboardEntries(now, 30, 30, 13).map((e) => ({ ...e, tag: `${e.tag}-c` }));

describe.skipIf(!withPostgres)('serve reads ahead after another process commits (PostgreSQL)', () => {
  let dir: string;
  let db: { url: string; name: string; drop(): Promise<void> };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slsa-serve-listen-'));
    db = await preparePostgres(dir, first);
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('notifies once per committed transaction that writes runs, never for one rolled back', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const got: string[] = [];
    client.on('notification', (n) => got.push(n.channel));
    try {
      await client.query(`LISTEN ${runsChangedChannel}`);
      // a rolled-back write, then a read: nothing
      await sqlOn(db.url, 'BEGIN; DELETE FROM public.slsa_runs WHERE false; ROLLBACK');
      await sqlOn(db.url, 'SELECT count(*) FROM public.slsa_runs');
      await new Promise((r) => setTimeout(r, 300));
      expect(got).toEqual([]);
      // two statements in one committed transaction: one notification
      await sqlOn(
        db.url,
        'BEGIN; DELETE FROM public.slsa_runs WHERE false; UPDATE public.slsa_runs SET tag = tag WHERE false; COMMIT',
      );
      await until('the notification', () => got.length > 0);
      await new Promise((r) => setTimeout(r, 200));
      expect(got).toEqual([runsChangedChannel]);
    } finally {
      await client.end();
    }
  });

  it("reads the page's windows ahead once another process's ingest is done, and listens again after a lost connection", async () => {
    const warnings: string[] = [];
    const infos: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m) => warnings.push(m), info: (m) => infos.push(m) };
    // a fixed clock: a window's edge (its partial first day) is read per request at the time of the request
    const server = await serveDashboard({
      databaseUrl: db.url,
      port: 0,
      logger,
      clock: { now: () => now },
      readAheadQuietMs: 100,
    });
    try {
      const kpiOf = async (since: string): Promise<{ entries: number }> =>
        (
          (await (await fetch(new URL(`/api/kpi?since=${since}`, server.url))).json()) as {
            metrics: { entries: number };
          }
        ).metrics;
      expect((await kpiOf('1970-01-01')).entries).toBe(first.length);
      expect(server.readAheads()).toEqual({ afterIngest: 0, afterCommit: 0, pending: false });

      // The page's five presets, every statement answered from what the read ahead kept. The cache's
      // key is the schema's change count (a commit in another database, the suite's other files, no
      // longer moves it); should an ingest's last commit land after the read ahead began, the test
      // notifies itself (the listener reads ahead whoever notifies) and asks again.
      const presetsAnsweredFromMemory = async (): Promise<void> => {
        for (let attempt = 1; ; attempt++) {
          const before = server.kpiCacheStats();
          for (const since of pageWindowPresets) {
            const res = await fetch(new URL(`/api/kpi?since=${since}`, server.url));
            expect(res.status).toBe(200);
            await res.arrayBuffer();
          }
          const after = server.kpiCacheStats();
          if (after.changes === before.changes) {
            expect(after.misses).toBe(before.misses);
            // at least ten kept answers a preset: exactly ten in a run just after 00:00 UTC (a CI run at
            // 00:08 counted 52 after 2, and `toBeGreaterThan` failed it); a miss is what must not happen
            expect(after.hits).toBeGreaterThanOrEqual(before.hits + 5 * 10);
            return;
          }
          if (attempt === 20) throw new Error('the database never stayed quiet for five requests');
          const count = server.readAheads().afterCommit;
          await sqlOn(db.url, `SELECT pg_notify('${runsChangedChannel}', '')`);
          await until(
            'a read ahead',
            () => server.readAheads().afterCommit > count && !server.readAheads().pending,
          );
        }
      };

      // another process ingests: its commits are announced, and serve reads ahead after them
      const other = join(dir, 'ledger-b');
      await writeLedger(other, second);
      const result = await ingestLedger({
        repo: other,
        databaseUrl: db.url,
        full: true,
        ledger: 'acme/gadgets',
      });
      expect(result.inserted).toBe(second.length);
      await until('a read ahead', () => server.readAheads().afterCommit >= 1 && !server.readAheads().pending);
      await presetsAnsweredFromMemory();
      // and the answers are the new snapshot's
      expect((await kpiOf('1970-01-01')).entries).toBe(first.length + second.length);

      // the listening connection is dropped by the server: serve says so, listens again, and the
      // next ingest is read ahead as before
      const [{ n }] = (await sqlOn<{ n: number }>(
        db.url,
        "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'slsa-ledger-listen' AND datname = current_database()",
      )) as [{ n: number }];
      expect(n).toBe(1);
      await until('the warning', () =>
        warnings.some((w) => /listening for other processes' ingests: DB_UNAVAILABLE/.test(w)),
      );
      await until('listening again', () =>
        infos.some((m) => /listening for other processes' ingests again/.test(m)),
      );
      const afterLost = server.readAheads().afterCommit;
      const third_ = join(dir, 'ledger-c');
      await writeLedger(third_, third);
      await ingestLedger({ repo: third_, databaseUrl: db.url, full: true, ledger: 'acme/things' });
      await until(
        'a read ahead after the reconnect',
        () => server.readAheads().afterCommit > afterLost && !server.readAheads().pending,
      );
      await presetsAnsweredFromMemory();
      expect((await kpiOf('1970-01-01')).entries).toBe(first.length + second.length + third.length);
    } finally {
      await server.close();
    }
    // closed: no listening connection is left behind
    const [{ left }] = (await sqlOn<{ left: number }>(
      db.url,
      "SELECT count(*)::int AS left FROM pg_stat_activity WHERE application_name = 'slsa-ledger-listen' AND datname = current_database()",
    )) as [{ left: number }];
    expect(left).toBe(0);
  });
});

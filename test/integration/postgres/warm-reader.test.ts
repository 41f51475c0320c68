// A warm reader (docs/database.md "A warm reader"): a long-lived reader on a server (`serve`) opens
// every connection up front, runs its `warm` on each of them (pinned: one connection each), and
// keeps idle connections, where a plain client closes them after 10 s; a warm that fails is logged,
// not fatal. Real PostgreSQL 15.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { warmKpiReader } from '../../../src/app/kpi.js';
import { silentLogger } from '../../../src/core/ports.js';
import { openDatabase, type DbClient } from '../../../src/io/db.js';
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

const silent = silentLogger;

describe.runIf(runPg)('a warm reader', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('warm_reader');
    await migrateDatabase({ databaseUrl: db.url, logger: silent });
  }, 120_000);
  afterAll(async () => db?.drop());

  const connections = async (): Promise<number> =>
    Number(
      (
        await sqlOn<{ n: string }>(
          db.url,
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'slsa-ledger'",
        )
      )[0]!.n,
    );

  it('opens every connection, warms each one once, and keeps them idle; a plain reader closes its own', async () => {
    const pids: number[] = [];
    const warmed = await openDatabase({
      databaseUrl: db.url,
      role: 'reader',
      warm: async (client: DbClient) => {
        const row = (
          await client.query<{ pid: number; role: string }>(
            'SELECT pg_backend_pid() AS pid, current_user AS role',
          )
        ).rows[0]!;
        expect(row.role).toBe('slsa_kpi_reader');
        pids.push(Number(row.pid));
      },
    });
    const plain = await openDatabase({ databaseUrl: db.url, role: 'reader' });
    try {
      expect(new Set(pids).size).toBe(4);
      expect(await connections()).toBe(5); // the warm pool's four and the plain reader's one
      // the plain reader's idle timer fires at 10 s; its server process then has to exit, which on a
      // loaded CI machine can take more than the second this test once allowed: wait for the count
      // to fall (a pool that never closes still fails, at the deadline)
      await new Promise((r) => setTimeout(r, 10_500));
      const deadline = Date.now() + 20_000;
      while ((await connections()) > 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(await connections()).toBe(4);
      // and the warm pool still answers on them
      const again = (await warmed.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!;
      expect(pids).toContain(Number(again.pid));
    } finally {
      await warmed.close();
      await plain.close();
    }
  }, 60_000);

  // PRIME_BACKEND_MEMORY (src/io/postgres-store.ts): a server process on glibc gives the few MB a
  // statement used back to the system after it, and faults them in again on the next; a warm
  // pool's connections are primed once so they keep it. The same statement is measured on a plain
  // reader's connection, which shows the behaviour (when it does not, the server's allocator is
  // not glibc's, or the server is not on this machine: nothing to compare, the test says so).
  it("a warm pool's server processes keep the memory a statement frees (no heap faulted in again)", async () => {
    // a sort of 100,000 numbers: a ~3 MB array, allocated and freed by each run
    const sort = 'SELECT count(*) AS n FROM (SELECT g FROM generate_series(1, 100000) AS g ORDER BY g) AS s';
    const faultsPerStatement = (client: DbClient): Promise<number | undefined> =>
      client.transaction(async (tx) => {
        const pid = Number((await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
        const stat = `/proc/${pid}/stat`;
        if (!existsSync(stat)) return undefined;
        // field 10 of /proc/PID/stat (the 8th after the command's closing parenthesis): minor faults
        const minorFaults = (): number => Number(readFileSync(stat, 'utf8').split(') ')[1]!.split(' ')[7]);
        await tx.query(sort); // the first run's faults are not counted
        const before = minorFaults();
        for (let i = 0; i < 5; i++) await tx.query(sort);
        return (minorFaults() - before) / 5;
      });
    const warmed = await openDatabase({ databaseUrl: db.url, role: 'reader', warm: () => Promise.resolve() });
    const plain = await openDatabase({ databaseUrl: db.url, role: 'reader' });
    try {
      const unprimed = await faultsPerStatement(plain);
      const primed = await faultsPerStatement(warmed);
      if (unprimed === undefined || primed === undefined || unprimed < 300) {
        console.warn(
          `a warm pool's memory: nothing to compare here (server process not on this machine, or it keeps its memory anyway: ${unprimed} faults a statement)`,
        );
        return;
      }
      expect(primed).toBeLessThan(unprimed / 10);
    } finally {
      await warmed.close();
      await plain.close();
    }
  });

  it("serve's warm runs the organisation's reports, and a failure is logged, not thrown", async () => {
    const statements: string[] = [];
    const warnings: string[] = [];
    const logger = { ...silent, warn: (m: string) => warnings.push(m) };
    const clock = { now: () => new Date('2026-12-01T00:00:00Z') };
    const reader = await openDatabase({
      databaseUrl: db.url,
      role: 'reader',
      warm: async (client) => {
        const spy: DbClient = {
          ...client,
          transaction: (fn) =>
            client.transaction((tx) =>
              fn({
                ...tx,
                query: (sql, params) => {
                  statements.push(sql);
                  return tx.query(sql, params);
                },
              }),
            ),
        };
        await warmKpiReader(clock, logger)(spy);
      },
    });
    await reader.close();
    expect(warnings).toEqual([]);
    // two reports (30 days, a year) on each of the four connections, through the reader views
    expect(statements.filter((s) => s.includes('READ ONLY')).length).toBe(8);
    expect(statements.some((s) => s.includes('public.provenance_'))).toBe(true);

    const failing = await openDatabase({
      databaseUrl: db.url,
      role: 'reader',
      warm: (client) =>
        warmKpiReader(
          clock,
          logger,
        )({
          ...client,
          transaction: () => Promise.reject(new Error('the server went away')),
        }),
    });
    await failing.close();
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toContain('warming a database connection failed: the server went away');
  });
});

// The ingest function checks each entry once (twenty-fourth session, migration
// …20261206120000_slsa_ingest_checks_once.sql). Its `input` step had the schema check in a plain
// subquery read at three places and the clock check in a lateral one read at two: PostgreSQL pulled
// both up and computed them at each use, four schema checks and two clock checks an entry (~170 of
// ~335 µs of server CPU a run). Counted here with the server's own function statistics
// (`track_functions`, per transaction), in a transaction that is rolled back. Both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { openDatabase, type DbClient } from '../../../src/io/db.js';
import { makeEntry } from '../../support/ledger.js';
import { createEngineTarget, testEngines, type EngineTarget } from '../../support/postgres.js';

const engines = await testEngines();

describe.each(engines)('the ingest function’s checks, on %s', (engine) => {
  let target: EngineTarget;
  let db: DbClient;
  const commit = 'c'.repeat(40);

  beforeAll(async () => {
    target = await createEngineTarget(engine, 'once');
    await migrateDatabase(target.options);
    db = await openDatabase({ ...target.options, role: 'owner' });
  });
  afterAll(async () => {
    await db?.close();
    await target?.cleanup();
  });

  it('runs the schema check once per entry and the clock check once per entry the schema takes', async () => {
    const good = Array.from({ length: 7 }, (_, i) => makeEntry({ run_id: 900 + i, tag: `v9.0.${i}` }));
    const entries = [
      ...good,
      // refused by the schema (no clock check), by the clock (after the schema), and an item
      // refused before its entry is looked at (neither check)
      makeEntry({ run_id: 990, tag: 'v9.9.0', sha: 'x' }),
      makeEntry({ run_id: 991, tag: 'v9.9.1', timestamp: '2999-01-01T00:00:00Z' }),
    ].map((entry) => ({
      entry,
      manifest_path: 'docs/reports/2025-11-24/manifest.json',
      manifest_hash: 'f'.repeat(64),
      git_commit: commit,
    }));
    entries.push({ ...entries[0]!, manifest_hash: 'not hex' });
    const call = async (batch: Record<string, unknown>) =>
      (
        await db.query<{ r: Record<string, unknown> }>('SELECT public.slsa_ingest_batch($1::jsonb) AS r', [
          JSON.stringify(batch),
        ])
      ).rows[0]!.r;
    await db.query('BEGIN');
    try {
      await db.query("SET LOCAL track_functions = 'all'");
      const ingest_id = crypto.randomUUID();
      await call({ op: 'begin', ingest_id, repository: 'acme/once', engine, to_commit: commit });
      const result = await call({ op: 'upsert', ingest_id, entries });
      expect(result.inserted).toBe(7);
      expect((result.failed as { index: number; code?: string }[]).map((f) => [f.index, f.code])).toEqual([
        [7, undefined],
        [8, 'INGEST_TIMESTAMP_FUTURE'],
        [9, undefined],
      ]);
      const calls = Object.fromEntries(
        (
          await db.query<{ funcname: string; calls: string | number }>(
            `SELECT funcname, calls FROM pg_catalog.pg_stat_xact_user_functions
              WHERE funcname IN ('slsa_entry_problem', 'slsa_entry_clock_problem')`,
          )
        ).rows.map((r) => [r.funcname, Number(r.calls)]),
      );
      // before the fix: 34 and 16
      expect(calls).toEqual({ slsa_entry_problem: 9, slsa_entry_clock_problem: 8 });
    } finally {
      await db.query('ROLLBACK');
    }
  });
});

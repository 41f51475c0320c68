// The sixteenth session's ingest audit: an entry stamped far ahead of the clock (pushed by hand into
// the ledger, or sent by whoever holds the ingest key) was stored and stayed first in the
// dashboard's newest-first table for good. The ingest function refuses it now (more than 300 s
// ahead of the database's clock), with the code INGEST_TIMESTAMP_FUTURE naming the run; the other
// entries land and the watermark stays, as for any refused entry. Both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestLedger, type LedgerIngestResult } from '../../../src/app/ingest.js';
import { migrateDatabase } from '../../../src/app/migrate.js';
import type { LedgerEntry } from '../../../src/core/ledger/entry.js';
import { isSlsaLedgerError } from '../../../src/errors.js';
import { openDatabase } from '../../../src/io/db.js';
import { createSqlIngestSink } from '../../../src/io/ingest-sink.js';
import { kpiFixtureEntries } from '../../support/kpi-fixture.js';
import { createLedgerRepo, type LedgerRepo } from '../../support/ledger-repo.js';
import { createEngineTarget, testEngines, type EngineTarget } from '../../support/postgres.js';

const engines = await testEngines();

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe.each(engines)('an entry stamped ahead of the clock, on %s', (engine) => {
  let target: EngineTarget;
  let repo: LedgerRepo;
  const entries = kpiFixtureEntries.slice(0, 3);
  const future: LedgerEntry = {
    ...entries[0]!,
    tag: 'v2099.0.0',
    run_id: 99,
    timestamp: '2099-01-01T00:00:00Z',
  };

  const owner = async <T extends Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
  ): Promise<T[]> => {
    const db = await openDatabase({ ...target.options, role: 'owner' });
    try {
      return (await db.query<T>(sql, params)).rows;
    } finally {
      await db.close();
    }
  };

  beforeAll(async () => {
    target = await createEngineTarget(engine, 'clock');
    await migrateDatabase(target.options);
    repo = createLedgerRepo();
  });
  afterAll(async () => {
    await target?.cleanup();
    repo?.remove();
  });

  it('pushed into the ledger: refused and named (INGEST_TIMESTAMP_FUTURE), the rest lands, the watermark stays', async () => {
    repo.commit([...entries, future]);
    const failure = await ingestLedger({ repo: repo.dir, ledger: 'acme/clock', ...target.options }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isSlsaLedgerError(failure) && failure.code).toBe('INGEST_ENTRIES_REFUSED');
    if (!isSlsaLedgerError(failure)) throw new Error('expected a refusal');
    expect(failure.message).toContain(
      'v2099.0.0 run 99: INGEST_TIMESTAMP_FUTURE: timestamp 2099-01-01T00:00:00Z',
    );
    const result = (failure.details as { result: LedgerIngestResult }).result;
    expect(result.inserted).toBe(entries.length);
    expect(result.watermark).toBeNull();
    expect(result.refused).toEqual([
      expect.objectContaining({
        tag: 'v2099.0.0',
        run_id: '99',
        manifest_path: 'docs/reports/2099-01-01/manifest.json',
        code: 'INGEST_TIMESTAMP_FUTURE',
        reason: expect.stringContaining('more than 300 s ahead of the database clock'),
      }),
    ]);
    const runs = await owner<{ tag: string }>("SELECT tag FROM slsa_runs WHERE repository = 'acme/clock'");
    expect(runs.map((r) => r.tag).sort()).toEqual(entries.map((e) => e.tag).sort());
    const failures = await owner<{ tag: string; reason: string }>(
      "SELECT tag, reason FROM ingest_entry_failures WHERE repository = 'acme/clock'",
    );
    expect(failures).toEqual([{ tag: 'v2099.0.0', reason: expect.stringContaining('2099-01-01T00:00:00Z') }]);
    // read again by the next ingest (the watermark did not move), refused again
    const again = await ingestLedger({ repo: repo.dir, ledger: 'acme/clock', ...target.options }).catch(
      (error: unknown) => error,
    );
    expect(isSlsaLedgerError(again) && again.code).toBe('INGEST_ENTRIES_REFUSED');
  }, 300_000);

  it('sent by the ingest key holder: refused by the function itself; a few minutes fast is within the allowance', async () => {
    const head = repo.commit(entries, 'another commit');
    const db = await openDatabase({ ...target.options, role: 'ingest' });
    const sink = createSqlIngestSink(db);
    const now = Date.now();
    const item = (entry: LedgerEntry) => ({
      entry,
      manifest_path: `docs/reports/${entry.timestamp.slice(0, 10)}/manifest.json`,
      manifest_hash: 'e'.repeat(64),
      git_commit: head,
    });
    try {
      const id = crypto.randomUUID();
      await sink.begin({ ingest_id: id, repository: 'acme/clock', engine, to_commit: head });
      const counts = await sink.upsert(id, [
        item({ ...entries[0]!, tag: 'v9.0.0', run_id: 1, timestamp: '9999-12-31T23:59:59.9999999Z' }),
        item({ ...entries[0]!, tag: 'v9.0.1', run_id: 2, timestamp: iso(now + 3_600_000) }),
        item({
          ...entries[0]!,
          tag: 'v9.0.2',
          run_id: 3,
          timestamp: iso(now),
          validation: { status: 'passed', validated_at: '2099-01-01T00:00:00Z' },
        }),
        item({ ...entries[0]!, tag: 'v9.0.3', run_id: 4, timestamp: iso(now + 120_000) }),
      ]);
      expect(counts.inserted).toBe(1);
      expect(counts.failed.map((f) => [f.tag, f.code])).toEqual([
        ['v9.0.0', 'INGEST_TIMESTAMP_FUTURE'],
        ['v9.0.1', 'INGEST_TIMESTAMP_FUTURE'],
        ['v9.0.2', 'INGEST_TIMESTAMP_FUTURE'],
      ]);
      expect(counts.failed[2]!.reason).toContain('validation.validated_at 2099-01-01T00:00:00Z');
      // a schema refusal carries no such code
      const bad = await sink.upsert(id, [item({ ...entries[0]!, tag: 'v9.0.4', run_id: 5, sha: 'x' })]);
      expect(bad.failed[0]).not.toHaveProperty('code');
      await sink.finish({ ingest_id: id, status: 'failed', entries_failed: 0, watermark: null });
    } finally {
      await sink.close();
    }
    const stored = await owner<{ tag: string }>(
      "SELECT tag FROM slsa_runs WHERE repository = 'acme/clock' AND tag LIKE 'v9.%' ORDER BY tag",
    );
    expect(stored).toEqual([{ tag: 'v9.0.3' }]);
  }, 300_000);
  it('a time with 7 to 9 fraction digits is cut to the microsecond, never rounded into the next day', async () => {
    const head = repo.commit(entries, 'a third commit');
    const db = await openDatabase({ ...target.options, role: 'ingest' });
    const sink = createSqlIngestSink(db);
    try {
      const id = crypto.randomUUID();
      await sink.begin({ ingest_id: id, repository: 'acme/clock', engine, to_commit: head });
      const counts = await sink.upsert(id, [
        {
          entry: {
            ...entries[0]!,
            tag: 'v8.0.0',
            run_id: 8,
            timestamp: '2025-12-31T23:59:59.9999999Z',
            validation: { status: 'passed', validated_at: '2025-12-31T23:59:59.999999999Z' },
          },
          manifest_path: 'docs/reports/2025-12-31/manifest.json',
          manifest_hash: 'e'.repeat(64),
          git_commit: head,
        },
      ]);
      expect(counts.inserted).toBe(1);
      await sink.finish({ ingest_id: id, status: 'failed', entries_failed: 0, watermark: null });
    } finally {
      await sink.close();
    }
    const [row] = await owner<{ ts: string; va: string }>(
      `SELECT to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS ts,
              to_char(validated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS va
         FROM slsa_runs WHERE repository = 'acme/clock' AND tag = 'v8.0.0'`,
    );
    expect(row).toEqual({ ts: '2025-12-31 23:59:59.999999', va: '2025-12-31 23:59:59.999999' });
  }, 300_000);
});

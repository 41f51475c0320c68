// The KPI SQL (src/io/kpi-queries.ts) against the pure reference on awkward times, on both engines:
// sub-millisecond timestamps, times before 1970 and far in the future, negative lags, runs on the
// window's edges, runs whose status, validation and times change after they were first written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKpiReport } from '../../../src/app/kpi.js';
import { computeKpis, type KpiRun, type KpiWindow } from '../../../src/core/kpi/kpi.js';
import type { LedgerEntry } from '../../../src/core/ledger/entry.js';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { openDatabase, type DbClient } from '../../../src/io/db.js';
import { createEngineTarget, testEngines, type EngineTarget } from '../../support/postgres.js';

const engines = await testEngines();

// [timestamp, ingested_at] pairs; the µs digits are below the millisecond both sides truncate to
const times: readonly [string, string][] = [
  ['1969-12-31T23:59:59.999900Z', '1970-01-01T00:00:00.000100Z'],
  ['1965-06-01T12:00:00.123456Z', '2025-11-24T08:00:00.987654Z'],
  ['2025-11-24T00:00:00.000000Z', '2025-11-24T00:00:00.000999Z'],
  ['2025-11-24T10:00:00.000999Z', '2025-11-24T10:00:00.001000Z'],
  ['2025-11-24T23:59:59.999999Z', '2025-11-25T00:00:01.500001Z'],
  ['2025-11-25T06:30:00.250000Z', '2025-11-25T06:29:58.125500Z'],
  ['2025-11-25T12:00:00.000001Z', '2025-11-26T12:00:00.333333Z'],
  ['2025-11-26T00:00:00.000000Z', '2025-11-26T00:00:00.000000Z'],
  ['2099-12-31T23:59:59.999999Z', '2262-04-11T23:47:16.854775Z'],
  ['2240-01-01T00:00:00.000500Z', '2250-06-30T11:11:11.111111Z'],
];

const windows: readonly KpiWindow[] = [
  { since: '2025-11-24T00:00:00.000Z', until: '2025-11-26T00:00:00.000Z' },
  { since: '2025-11-24T10:00:00.000Z', until: '2025-11-25T12:00:00.000Z' },
  { since: '1900-01-01T00:00:00.000Z', until: '2300-01-01T00:00:00.000Z' },
];

function entry(i: number, ts: string, changed: boolean): LedgerEntry {
  const failed = (i + (changed ? 1 : 0)) % 3 === 0;
  return {
    run_id: i + 1,
    tag: `v1.${i}.0`,
    sha: (i + 1).toString(16).padStart(40, '0'),
    artifact_url: failed ? null : `https://example.test/v1.${i}.0/app.tgz`,
    actor: 'release-bot',
    timestamp: `${ts.slice(0, 23)}Z`,
    status: failed ? 'failure' : 'success',
    governance_flag: failed ? 'artifact-missing' : 'provenance-ready',
    release_url: `https://example.test/releases/v1.${i}.0`,
    ...((i + (changed ? 1 : 0)) % 2 === 0
      ? { validation: { status: 'passed', validated_at: `${ts.slice(0, 19)}Z` } }
      : {}),
    metrics: {
      dispatch_token_rotated_at: changed ? '2025-10-02T00:00:00Z' : '2025-10-01T00:00:00Z',
      dispatch_token_expires_at: `202${6 + (i % 3)}-01-01T00:00:00Z`,
      artifact_upload_latency_s: (i * 7.3) % 11,
      lock_wait_s: changed ? i / 7 : i / 3,
      notify: { attempts: 1 + (i % 3), delivered: 1 },
    },
  };
}

/** Writes the runs straight into slsa_runs with their exact µs times (ingest would stamp now()). */
async function write(db: DbClient, changed: boolean): Promise<void> {
  for (const [i, [ts, ingested]] of times.entries()) {
    const e = entry(i, changed && i % 2 === 1 ? ingested : ts, changed);
    const at = changed && i % 2 === 1 ? ts : ingested;
    const m = e.metrics!;
    await db.query(
      `INSERT INTO public.slsa_runs (tag, run_id, sha, artifact_url, actor, "timestamp", status, governance_flag,
         release_url, validation, metrics, validation_status, validated_at, artifact_upload_latency_s, lock_wait_s,
         notify_attempts, notify_delivered, dispatch_token_expires_at, dispatch_token_rotated_at, manifest_path,
         manifest_hash, ingested_at, first_ingested_at, entry)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22, $23)
       ON CONFLICT (tag, run_id) DO UPDATE SET "timestamp" = excluded."timestamp", status = excluded.status,
         artifact_url = excluded.artifact_url, governance_flag = excluded.governance_flag,
         validation = excluded.validation, validation_status = excluded.validation_status,
         validated_at = excluded.validated_at, metrics = excluded.metrics, lock_wait_s = excluded.lock_wait_s,
         dispatch_token_rotated_at = excluded.dispatch_token_rotated_at, manifest_path = excluded.manifest_path,
         manifest_hash = excluded.manifest_hash, ingested_at = excluded.ingested_at, entry = excluded.entry`,
      [
        e.tag,
        e.run_id,
        e.sha,
        e.artifact_url,
        e.actor,
        changed && i % 2 === 1 ? ingested : ts,
        e.status,
        e.governance_flag,
        e.release_url,
        e.validation === undefined ? null : JSON.stringify(e.validation),
        JSON.stringify(m),
        e.validation?.status ?? null,
        e.validation?.validated_at ?? null,
        m.artifact_upload_latency_s,
        m.lock_wait_s,
        m.notify?.attempts,
        m.notify?.delivered,
        m.dispatch_token_expires_at,
        m.dispatch_token_rotated_at,
        `docs/reports/${e.timestamp.slice(0, 10)}/manifest.json`,
        `${changed ? 'b' : 'a'}${e.timestamp.slice(0, 10).replace(/-/g, '')}`.padEnd(64, '0'),
        at,
        JSON.stringify(e),
      ],
    );
  }
}

async function referenceRuns(db: DbClient): Promise<KpiRun[]> {
  const rows = await db.query<{
    entry: LedgerEntry;
    ingested_at: string;
    manifest_path: string;
    manifest_hash: string;
  }>(
    `SELECT entry, manifest_path, manifest_hash,
            to_char(ingested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ingested_at
       FROM public.provenance_runs`,
  );
  return rows.rows;
}

describe.each(engines)('KPI SQL on %s', (engine) => {
  let target: EngineTarget;

  beforeAll(async () => {
    target = await createEngineTarget(engine, 'kpiq');
    await migrateDatabase(target.options);
  });
  afterAll(async () => {
    await target?.cleanup();
  });

  it.each([
    ['after inserts', false],
    ['after updates of status, validation, times and metrics', true],
  ])('equals the reference on awkward times %s', async (_label, changed) => {
    const db = await openDatabase({ ...target.options, role: 'owner' });
    try {
      if (changed) await write(db, false);
      await write(db, changed);
      const runs = await referenceRuns(db);
      expect(runs).toHaveLength(times.length);
      const now = new Date('2025-11-27T00:00:00Z');
      for (const window of windows) {
        const fromSql = await loadKpiReport(db, window, now);
        const reference = computeKpis(runs, window, { now });
        expect(fromSql).toEqual(reference);
      }
      const all = await loadKpiReport(db, windows[2]!, now);
      expect(all.entries).toBe(times.length);
      expect(all.manifest_to_db_lag_s.max).not.toBeNull();
    } finally {
      await db.close();
    }
  });
});

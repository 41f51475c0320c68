// `ingest --jobs N` (issue 17: many repositories' ledgers into one database): several ledgers written
// at once, every run and KPI still exact, results in the order given; a batch that loses a deadlock
// to a concurrent writer is rolled back whole by the server and tried again, and lands once.
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestLedgers } from '../../../src/app/ingest.js';
import { loadKpiReport } from '../../../src/app/kpi.js';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { computeKpis } from '../../../src/core/kpi/kpi.js';
import type { LedgerEntry } from '../../../src/core/ledger/entry.js';
import { isSlsaLedgerError } from '../../../src/errors.js';
import { openDatabase } from '../../../src/io/db.js';
import { runCliCaptured } from '../../support/cli.js';
import { loadReferenceInputs } from '../../support/kpi-reference.js';
import { createLedgerRepo, type LedgerRepo } from '../../support/ledger-repo.js';
import { createEngineTarget, testEngines, type EngineTarget } from '../../support/postgres.js';
import type { Logger } from '../../../src/core/ports.js';

const engines = await testEngines();
const LEDGERS = 6;
const PER_LEDGER = 120;

/** Run j of ledger r: every ledger walks the same 12 days, so their batches meet on the rollup rows. */
const entry = (r: number, j: number): LedgerEntry => ({
  run_id: 1000 + j,
  tag: `v1.${j}.0`,
  sha: (r * 100_000 + j + 1).toString(16).padStart(40, '0'),
  artifact_url: j % 9 === 0 ? null : `https://example.com/svc${r}/v1.${j}.0.tgz`,
  actor: 'release-bot',
  timestamp: new Date(Date.UTC(2025, 10, 1 + (j % 12), 8, r, j % 60)).toISOString().replace('.000Z', 'Z'),
  status: j % 9 === 0 ? 'failure' : 'success',
  ...(j % 9 === 0 ? { failure_reason: 'artifact upload failed' } : {}),
  metrics: {
    lock_wait_s: ((r * 7 + j * 13) % 50) / 10,
    artifact_upload_latency_s: ((r * 3 + j * 5) % 40) + 0.5,
    notify: { attempts: 1, delivered: j % 5 === 0 ? 0 : 1, latency_s: ((j % 7) + 1) / 4 },
  },
});

function recordingLogger(lines: string[]): Logger {
  const keep = (m: string): void => {
    lines.push(m);
  };
  return {
    debug: () => undefined,
    info: keep,
    warn: keep,
    progress: () => undefined,
    progressDone: () => undefined,
  };
}

describe.each(engines)('ingest --jobs on %s', (engine) => {
  let target: EngineTarget;
  const repos: LedgerRepo[] = [];
  const window = { since: '2025-11-01T00:00:00.000Z', until: '2025-12-01T00:00:00.000Z' };
  const now = new Date('2025-12-01T00:00:00Z');

  beforeAll(async () => {
    target = await createEngineTarget(engine, 'jobs');
    await migrateDatabase(target.options);
    for (let r = 0; r < LEDGERS; r++) {
      const repo = createLedgerRepo();
      execFileSync('git', ['remote', 'add', 'origin', `https://github.com/acme/svc${r}.git`], {
        cwd: repo.dir,
      });
      repo.commit(Array.from({ length: PER_LEDGER }, (_, j) => entry(r, j)));
      repos.push(repo);
    }
  });
  afterAll(async () => {
    await target?.cleanup();
    for (const r of repos) r.remove();
  });

  it('writes several ledgers at once: every run once, results in the order given, KPIs exact', async () => {
    const lines: string[] = [];
    const result = await ingestLedgers({
      ...target.options,
      ref: 'HEAD',
      ledgers: repos.map((r) => ({ dir: r.dir })),
      jobs: 3,
      batchSize: 25, // many small batches, so the ledgers' batches interleave
      logger: recordingLogger(lines),
    });
    expect(result.ledgers.map((l) => [l.repository, l.status, l.inserted])).toEqual(
      repos.map((_, r) => [`acme/svc${r}`, 'succeeded', PER_LEDGER]),
    );
    expect(lines.some((l) => l.includes('takes one writer at a time'))).toBe(engine === 'pglite');
    const db = await openDatabase({ ...target.options, role: 'owner' });
    try {
      const counts = await db.query<{ runs: number; audit: number }>(
        `SELECT (SELECT count(*)::int FROM slsa_runs) AS runs,
                (SELECT count(*)::int FROM provenance_audit_log WHERE action = 'insert') AS audit`,
      );
      expect(counts.rows[0]).toEqual({ runs: LEDGERS * PER_LEDGER, audit: LEDGERS * PER_LEDGER });
      const inputs = await loadReferenceInputs(db);
      const report = await loadKpiReport(db, window, now);
      expect(report).toEqual(computeKpis(inputs.runs, window, { now, ...inputs.options }));
      expect(report.entries).toBe(LEDGERS * PER_LEDGER);
    } finally {
      await db.close();
    }
  });

  it('refuses --jobs outside 1–16 with a usage error, and writes nothing', async () => {
    for (const jobs of [0, 17, 1.5]) {
      let failure: unknown;
      try {
        await ingestLedgers({ ...target.options, ref: 'HEAD', ledgers: [{ dir: repos[0]!.dir }], jobs });
      } catch (error) {
        failure = error;
      }
      expect(isSlsaLedgerError(failure) && failure.code).toBe('USAGE_INVALID_FLAG');
    }
    const cli = await runCliCaptured(['ingest', '--jobs', '0', '--repo', repos[0]!.dir, '--ref', 'HEAD']);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/--jobs/);
  });
});

describe.runIf(engines.includes('postgres'))('a batch that loses a deadlock', () => {
  let target: EngineTarget;
  let repo: LedgerRepo;

  beforeAll(async () => {
    target = await createEngineTarget('postgres', 'jobsdl');
    await migrateDatabase(target.options);
    repo = createLedgerRepo();
    execFileSync('git', ['remote', 'add', 'origin', 'https://github.com/acme/locked.git'], { cwd: repo.dir });
    repo.commit([entry(0, 1), entry(0, 2)]);
    await ingestLedgers({ ...target.options, ref: 'HEAD', ledgers: [{ dir: repo.dir }] });
  });
  afterAll(async () => {
    await target?.cleanup();
    repo?.remove();
  });

  it('is rolled back whole by the server, tried again, and lands once', async () => {
    const url = target.options.databaseUrl!;
    // the other writer: holds run 1001's row, then asks for the repository's ingest turn, which the
    // batch (waiting on that row) holds: a cycle. This session waits 30 s before checking for a
    // deadlock, the ingest 1 s (the server's default), so the ingest's batch is the one aborted.
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    const watcher = new pg.Client({ connectionString: url });
    await watcher.connect();
    try {
      await other.query(`SET deadlock_timeout = '30s'`);
      await other.query('BEGIN');
      await other.query(
        `SELECT 1 FROM slsa_runs WHERE repository = 'acme/locked' AND tag = 'v1.1.0' AND run_id = 1001 FOR UPDATE`,
      );
      // the ledger changes run 1001 (an update) and adds run 1003
      repo.commit([{ ...entry(0, 1), actor: 'octocat' }, entry(0, 2), entry(0, 3)]);
      const lines: string[] = [];
      const ingest = ingestLedgers({
        ...target.options,
        ref: 'HEAD',
        ledgers: [{ dir: repo.dir }],
        logger: recordingLogger(lines),
      });
      // wait until the batch waits on the row
      for (let i = 0; ; i++) {
        const waiting = await watcher.query(
          `SELECT 1 FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
              AND wait_event = 'transactionid' AND query LIKE '%slsa_ingest_batch%'`,
        );
        if (waiting.rowCount === 1) break;
        if (i > 600) throw new Error('the ingest batch never waited on the locked row');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const turn = other.query(`SELECT pg_advisory_xact_lock(734029017, hashtext('acme/locked'))`);
      await turn; // granted once the server aborted the batch
      await other.query('COMMIT');
      const result = await ingest;
      expect(result.ledgers[0]).toMatchObject({ status: 'succeeded', inserted: 1, updated: 1 });
      expect(lines.some((l) => /rolled back by the database \(40P01: deadlock/.test(l))).toBe(true);
      const audit = await watcher.query(
        `SELECT action, count(*)::int AS n FROM provenance_audit_log WHERE repository = 'acme/locked'
          GROUP BY action ORDER BY action`,
      );
      expect(audit.rows).toEqual([
        { action: 'insert', n: 3 },
        { action: 'update', n: 1 },
      ]);
      const actor = await watcher.query(
        `SELECT actor FROM slsa_runs WHERE repository = 'acme/locked' AND run_id = 1001`,
      );
      expect(actor.rows).toEqual([{ actor: 'octocat' }]);
    } finally {
      await other.end().catch(() => undefined);
      await watcher.end().catch(() => undefined);
    }
  });
});

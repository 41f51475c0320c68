// Issue 14 item 7, the attack "a database row rewritten through the ingest function": whoever holds
// the ingest role (or SLSA_MANIFEST_SERVICE_KEY) can still call slsa_ingest_batch with a change the
// schema accepts (another https artifact url, a signature_status it claims) and move the watermark
// to the head it declared. Git stays the record: the append-only audit log names the ingest that
// wrote it, and the next reconciling ingest (daily in manifest-ingest.yml) puts git's value back,
// with an audit row of its own. Both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestLedger } from '../../../src/app/ingest.js';
import { migrateDatabase } from '../../../src/app/migrate.js';
import type { LedgerEntry } from '../../../src/core/ledger/entry.js';
import { openDatabase } from '../../../src/io/db.js';
import { createSqlIngestSink } from '../../../src/io/ingest-sink.js';
import { kpiFixtureEntries } from '../../support/kpi-fixture.js';
import { createLedgerRepo, type LedgerRepo } from '../../support/ledger-repo.js';
import { createEngineTarget, testEngines, type EngineTarget } from '../../support/postgres.js';

const engines = await testEngines();

describe.each(engines)('a row rewritten through the ingest function, on %s', (engine) => {
  let target: EngineTarget;
  let repo: LedgerRepo;
  const entries = kpiFixtureEntries.slice(0, 4);
  const victim = entries[1]!;
  const ingest = (extra: Parameters<typeof ingestLedger>[0] = {}) =>
    ingestLedger({ repo: repo.dir, ledger: 'acme/widgets', ...target.options, ...extra });
  const stored = async () => {
    const db = await openDatabase({ ...target.options, role: 'owner' });
    try {
      const run = await db.query<{ entry: LedgerEntry; signature_status: string }>(
        "SELECT entry, signature_status FROM slsa_runs WHERE repository = 'acme/widgets' AND tag = $1 AND run_id = $2",
        [victim.tag, victim.run_id],
      );
      const audit = await db.query<{ action: string; ingest_id: string; metadata: Record<string, unknown> }>(
        'SELECT action, ingest_id, metadata FROM provenance_audit_log WHERE tag = $1 AND run_id = $2 ORDER BY id',
        [victim.tag, victim.run_id],
      );
      return { run: run.rows[0]!, audit: audit.rows };
    } finally {
      await db.close();
    }
  };

  beforeAll(async () => {
    target = await createEngineTarget(engine, 'tamper');
    await migrateDatabase(target.options);
    repo = createLedgerRepo();
  });
  afterAll(async () => {
    await target?.cleanup();
    repo?.remove();
  });

  it('is in the audit log under the ingest that wrote it, and the reconciling ingest restores git’s value', async () => {
    const head = repo.commit(entries);
    expect((await ingest()).status).toBe('succeeded');
    const honest = await stored();
    expect(honest.run.entry).toEqual(victim);

    // the attacker, holding the ingest key: a change the schema accepts, the watermark at the head
    const forged: LedgerEntry = { ...victim, artifact_url: 'https://evil.example/app.tgz' };
    const attackId = crypto.randomUUID();
    const db = await openDatabase({ ...target.options, role: 'ingest' });
    const sink = createSqlIngestSink(db);
    try {
      await sink.begin({ ingest_id: attackId, repository: 'acme/widgets', engine, to_commit: head });
      const counts = await sink.upsert(attackId, [
        {
          entry: forged,
          manifest_path: `docs/reports/${victim.timestamp.slice(0, 10)}/manifest.json`,
          manifest_hash: 'e'.repeat(64),
          git_commit: head,
          signature_status: 'verified',
        },
      ]);
      expect(counts).toMatchObject({ updated: 1, failed: [] });
      await sink.finish({ ingest_id: attackId, status: 'succeeded', entries_failed: 0, watermark: head });
    } finally {
      await sink.close();
    }
    const tampered = await stored();
    expect(tampered.run.entry.artifact_url).toBe('https://evil.example/app.tgz');
    // seen: the audit log (append-only, even for its owner) names the ingest and keeps the old value
    const attackRow = tampered.audit.find((a) => a.ingest_id === attackId);
    expect(attackRow?.action).toBe('update');
    expect(JSON.stringify(attackRow?.metadata)).toContain(victim.artifact_url);

    // an incremental ingest has nothing new to read: the watermark is at the head
    await ingest();
    expect((await stored()).run.entry.artifact_url).toBe('https://evil.example/app.tgz');
    // the reconciling ingest reads every file: git's value is back, with its own audit row
    const reconciled = await ingest({ reconcile: true });
    expect(reconciled.status).toBe('succeeded');
    const repaired = await stored();
    expect(repaired.run.entry).toEqual(victim);
    expect(repaired.audit.length).toBe(tampered.audit.length + 1);
    expect(repaired.audit.at(-1)?.action).toBe('update');
    // nine opens of the embedded database (each loads PGlite): ~25 s idle, over 120 s at load 7
  }, 600_000);
});

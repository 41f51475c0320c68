// Many ledgers in one database, on both engines: repositories named from the clones' remotes, the
// same tag and run id in two repositories kept apart, one failing ledger reported (and alerted) by
// name while the others land, entries the database refuses failing alone with the watermark kept,
// reconcile marking runs gone from git, and `kpi` by repository on stdout in three formats.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ingestLedger,
  ingestLedgers,
  type IngestAlert,
  type IngestLedgersResult,
} from '../../../src/app/ingest.js';
import { loadKpiReport } from '../../../src/app/kpi.js';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { computeKpis } from '../../../src/core/kpi/kpi.js';
import type { LedgerEntry } from '../../../src/core/ledger/entry.js';
import { isSlsaLedgerError } from '../../../src/errors.js';
import { openDatabase, type DbClient } from '../../../src/io/db.js';
import { runCliCaptured } from '../../support/cli.js';
import { loadReferenceInputs } from '../../support/kpi-reference.js';
import { createLedgerRepo, type LedgerRepo } from '../../support/ledger-repo.js';
import {
  assertPostgresInCi,
  createEngineTarget,
  testEngines,
  type EngineTarget,
} from '../../support/postgres.js';

const engines = await testEngines();

it('PostgreSQL is reachable in CI', async () => {
  await assertPostgresInCi();
});

const entry = (
  run_id: number,
  tag: string,
  timestamp: string,
  extra: Partial<LedgerEntry> = {},
): LedgerEntry => ({
  run_id,
  tag,
  sha: run_id.toString(16).padStart(40, '0'),
  artifact_url: `https://example.com/${tag}.tgz`,
  actor: 'release-bot',
  timestamp,
  status: 'success',
  metrics: { notify: { attempts: 2, delivered: 1 }, lock_wait_s: run_id / 10 },
  ...extra,
});

function withRemote(repo: LedgerRepo, url: string): LedgerRepo {
  execFileSync('git', ['remote', 'add', 'origin', url], { cwd: repo.dir });
  return repo;
}

async function withDb<T>(target: EngineTarget, fn: (db: DbClient) => Promise<T>): Promise<T> {
  const db = await openDatabase({ ...target.options, role: 'owner' });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

describe.each(engines)('repositories on %s', (engine) => {
  let target: EngineTarget;
  let widgets: LedgerRepo;
  let gadgets: LedgerRepo;
  let dir: string;
  const now = new Date('2025-11-30T00:00:00Z');
  const window = { since: '2025-11-01T00:00:00.000Z', until: '2025-12-01T00:00:00.000Z' };

  beforeAll(async () => {
    target = await createEngineTarget(engine, 'repos');
    await migrateDatabase(target.options);
    dir = mkdtempSync(join(tmpdir(), 'slsa-repos-'));
    widgets = withRemote(createLedgerRepo(), 'https://github.com/acme/widgets.git');
    gadgets = withRemote(createLedgerRepo(), 'git@github.com:acme/gadgets.git');
    // the same tag and run id in both repositories: two runs
    widgets.commit([entry(1, 'v1.0.0', '2025-11-24T10:00:00Z'), entry(2, 'v1.1.0', '2025-11-25T10:00:00Z')]);
    gadgets.commit([
      entry(1, 'v1.0.0', '2025-11-24T11:00:00Z', {
        status: 'failure',
        artifact_url: null,
        failure_reason: 'x',
      }),
    ]);
  });
  afterAll(async () => {
    await target?.cleanup();
    widgets?.remove();
    gadgets?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ingests several ledgers; one failing is reported and alerted by name, the others land', async () => {
    const alerts: IngestAlert[] = [];
    let failure: unknown;
    try {
      await ingestLedgers({
        ...target.options,
        ref: 'HEAD', // the remotes only name the repositories: read the clones as they are
        ledgers: [
          { dir: widgets.dir },
          { dir: gadgets.dir },
          { repository: 'acme/missing', dir: join(dir, 'does-not-exist') },
        ],
        alert: (a) => {
          alerts.push(a);
          return Promise.resolve();
        },
      });
    } catch (error) {
      failure = error;
    }
    expect(isSlsaLedgerError(failure) && failure.code).toBe('INGEST_LEDGERS_FAILED');
    const result = (failure as { details: { result: IngestLedgersResult } }).details.result;
    expect(result.ledgers.map((l) => [l.repository, l.status, l.inserted])).toEqual([
      ['acme/widgets', 'succeeded', 2],
      ['acme/gadgets', 'succeeded', 1],
      ['acme/missing', 'failed', 0],
    ]);
    expect(result.ledgers[0]!.ledger_url).toBe('https://github.com/acme/widgets');
    expect(alerts).toEqual([
      expect.objectContaining({ repository: 'acme/missing', code: 'INPUT_FILE_MISSING' }),
    ]);
    const runs = await withDb(target, (db) =>
      db.query('SELECT repository, tag, run_id FROM provenance_runs ORDER BY repository, tag'),
    );
    expect(runs.rows).toEqual([
      { repository: 'acme/gadgets', tag: 'v1.0.0', run_id: 1 },
      { repository: 'acme/widgets', tag: 'v1.0.0', run_id: 1 },
      { repository: 'acme/widgets', tag: 'v1.1.0', run_id: 2 },
    ]);
  });

  it('reports the organisation, one repository and an owner as the reference does', async () => {
    await withDb(target, async (db) => {
      const inputs = await loadReferenceInputs(db);
      for (const scope of [undefined, { repositories: ['acme/gadgets'] }, { owner: 'acme' }]) {
        const report = await loadKpiReport(db, window, now, scope);
        expect(report).toEqual(
          computeKpis(inputs.runs, window, {
            now,
            ...inputs.options,
            ...(scope === undefined ? {} : { scope }),
          }),
        );
      }
      const org = await loadKpiReport(db, window, now);
      expect(org.entries).toBe(3);
      // the ledger whose clone was missing is known too: its ingest was recorded as failed
      expect(org.repositories.map((r) => [r.repository, r.entries, r.latest_entry?.tag])).toEqual([
        ['acme/gadgets', 1, 'v1.0.0'],
        ['acme/missing', 0, undefined],
        ['acme/widgets', 2, 'v1.1.0'],
      ]);
      expect(org.notification_success_per_tag).toEqual({ tags_notified: 3, tags_all_delivered: 0, ratio: 0 });
      expect(org.provenance_kpi_counts).toMatchObject({ runs: 3, success: 2, failure: 1 });
      expect(org.signatures.unverified).toBe(3);
    });
  });

  it('an entry the database cannot store fails alone; the watermark stays until the ledger is fixed', async () => {
    const before = widgets.head();
    // JSON text: an int4 overflow and a lone surrogate, in a day file of their own
    widgets.commitRaw(
      'docs/reports/2025-11-26/manifest.json',
      `${JSON.stringify(
        [
          entry(3, 'v1.2.0', '2025-11-26T10:00:00Z', {
            metrics: { notify: { attempts: 3_000_000_000, delivered: 1 } },
          }),
          entry(4, 'v1.3.0', '2025-11-26T11:00:00Z', { actor: 'bot-\ud800' }),
        ],
        null,
        2,
      )}\n`,
    );
    const goodHead = widgets.commit([entry(5, 'v1.4.0', '2025-11-27T10:00:00Z')]);
    let failure: unknown;
    try {
      await ingestLedger({ ...target.options, ref: 'HEAD', repo: widgets.dir });
    } catch (error) {
      failure = error;
    }
    // the schema may refuse them itself (then the file is invalid); either way the rest lands
    expect(
      isSlsaLedgerError(failure) &&
        ['INGEST_ENTRIES_REFUSED', 'LEDGER_MANIFEST_INVALID'].includes(failure.code),
    ).toBe(true);
    const state = await withDb(target, async (db) => ({
      landed: (
        await db.query("SELECT tag FROM provenance_runs WHERE repository = 'acme/widgets' AND tag = 'v1.4.0'")
      ).rows,
      watermark: (
        await db.query("SELECT watermark FROM provenance_repositories WHERE repository = 'acme/widgets'")
      ).rows,
      refused: (
        await db.query(
          "SELECT tag, reason FROM provenance_ingest_failures WHERE repository = 'acme/widgets' ORDER BY tag",
        )
      ).rows,
    }));
    expect(state.landed).toEqual([{ tag: 'v1.4.0' }]);
    expect(state.watermark).toEqual([{ watermark: before }]);
    if (isSlsaLedgerError(failure) && failure.code === 'INGEST_ENTRIES_REFUSED') {
      expect(state.refused.map((r) => (r as { tag: string }).tag)).toEqual(['v1.2.0']);
      const result = (failure.details as { result: { refused: { tag: string; reason: string }[] } }).result;
      expect(result.refused.map((r) => r.tag).sort()).toEqual(['v1.2.0', 'v1.3.0']);
    }
    // fixed in the ledger: the next ingest lands them and moves the watermark
    const fixed = widgets.commit([
      entry(3, 'v1.2.0', '2025-11-26T10:00:00Z'),
      entry(4, 'v1.3.0', '2025-11-26T11:00:00Z'),
    ]);
    const rerun = await ingestLedger({ ...target.options, ref: 'HEAD', repo: widgets.dir });
    expect(rerun).toMatchObject({ inserted: 2, failed: 0, watermark: fixed });
    expect(goodHead).not.toBe(fixed);
  });

  it('reconcile marks a run gone from git (never deletes it) and clears it when it comes back', async () => {
    // the 2025-11-27 file loses its run
    const gone = widgets.commitRaw('docs/reports/2025-11-27/manifest.json', '[]\n');
    const result = await ingestLedger({ ...target.options, ref: 'HEAD', repo: widgets.dir, reconcile: true });
    expect(result.reconcile).toMatchObject({
      marked: 1,
      missing: [expect.objectContaining({ tag: 'v1.4.0' })],
    });
    expect(result.watermark).toBe(gone);
    await withDb(target, async (db) => {
      const audit = await db.query(
        "SELECT action FROM provenance_audit WHERE repository = 'acme/widgets' AND tag = 'v1.4.0' ORDER BY id",
      );
      expect(audit.rows.map((r) => (r as { action: string }).action)).toEqual(['insert', 'missing']);
      expect((await loadKpiReport(db, window, now)).missing_from_ledger).toBe(1);
    });
    widgets.commit([entry(5, 'v1.4.0', '2025-11-27T10:00:00Z')]);
    const back = await ingestLedger({ ...target.options, ref: 'HEAD', repo: widgets.dir });
    expect(back.restored).toBe(1);
    await withDb(target, async (db) => {
      expect((await loadKpiReport(db, window, now)).missing_from_ledger).toBe(0);
    });
  });

  it('kpi prints its report on stdout: text with human durations, json and csv by repository', async () => {
    const args = [
      ...(target.options.databaseUrl === undefined
        ? ['--data-dir', target.options.dataDir!]
        : ['--database-url', target.options.databaseUrl]),
      '--since',
      '2025-11-01',
      '--until',
      '2025-11-30',
    ];
    const text = await runCliCaptured(['kpi', ...args]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('acme/widgets');
    expect(text.stdout).toMatch(/manifest_to_db_lag +p50 \d+ d \d+ h|manifest_to_db_lag +p50 \d+ d/);
    const json = await runCliCaptured(['kpi', ...args, '--repository', 'acme/gadgets', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      entries: 1,
      repositories: [{ repository: 'acme/gadgets' }],
    });
    const csv = await runCliCaptured(['kpi', ...args, '--owner', 'acme', '--format', 'csv']);
    const lines = csv.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^repository,entries,failure_rate/);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual([
      '*',
      'acme/gadgets',
      'acme/missing',
      'acme/widgets',
    ]);
    expect(lines[2]).toMatch(/,docs\/reports\/2025-11-24\/manifest\.json,[0-9a-f]{64}$/);
  });

  it('kpi leaves the manifest list of several repositories out; --manifests puts it back, as it was', async () => {
    const args = [
      ...(target.options.databaseUrl === undefined
        ? ['--data-dir', target.options.dataDir!]
        : ['--database-url', target.options.databaseUrl]),
      '--since',
      '2025-11-01',
      '--until',
      '2025-11-30',
    ];
    const org = JSON.parse((await runCliCaptured(['kpi', ...args, '--format', 'json'])).stdout);
    expect(org.manifest_hash).toBeNull();
    expect(org.manifests).toEqual({
      listed: false,
      files: null,
      full_list: 'slsa-ledger kpi --manifests, or GET /api/manifests (paged)',
    });
    expect(org.repositories.map((r: any) => r.latest_manifest?.path ?? null)).toEqual([
      'docs/reports/2025-11-24/manifest.json',
      null,
      expect.stringMatching(/^docs\/reports\/2025-11-2\d\/manifest\.json$/),
    ]);
    const text = await runCliCaptured(['kpi', ...args, '--owner', 'acme']);
    expect(text.stdout).toContain('manifest_hash  (left out: the report covers 3 repositories');
    const full = JSON.parse(
      (await runCliCaptured(['kpi', ...args, '--manifests', '--format', 'json'])).stdout,
    );
    const inputs = await withDb(target, (db) => loadReferenceInputs(db));
    const reference = computeKpis(
      inputs.runs,
      { since: full.window.since, until: full.window.until },
      {
        now: new Date(full.generated_at),
        ...inputs.options,
        listManifests: true,
      },
    );
    expect(full.manifest_hash).toEqual(reference.manifest_hash);
    expect(Object.keys(full.manifest_hash)).toContain('acme/gadgets:docs/reports/2025-11-24/manifest.json');
    expect(full.manifests).toEqual({
      listed: true,
      files: Object.keys(full.manifest_hash).length,
      full_list: null,
    });
    // one repository: the list as before, paths as they are
    const one = JSON.parse(
      (await runCliCaptured(['kpi', ...args, '--repository', 'acme/gadgets', '--format', 'json'])).stdout,
    );
    expect(Object.keys(one.manifest_hash)).toEqual(['docs/reports/2025-11-24/manifest.json']);
    expect(one.manifests).toEqual({ listed: true, files: 1, full_list: null });
  });
});

// Issue 17: a renamed or moved repository is recognised at its first ingest under the new name and
// refused (INGEST_REPOSITORY_RENAMED, alerted) before any run is written, so the organisation never
// counts its runs twice; `ingest --rename-repository OLD=NEW` moves it in the database (runs,
// watermark, manifests, ingests, rollups, an audit row per run), as the ingest role, and never
// merges two repositories. On both engines, through the CLI.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestLedgers, type IngestAlert } from '../../../src/app/ingest.js';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { manifestPathFor, serializeManifest, type LedgerEntry } from '../../../src/core/ledger/entry.js';
import { openDatabase } from '../../../src/io/db.js';
import { runCliCaptured } from '../../support/cli.js';
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

const now = Date.now();
const iso = (daysAgo: number): string =>
  new Date(now - daysAgo * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

const entry = (run_id: number, tag: string, daysAgo: number): LedgerEntry => ({
  run_id,
  tag,
  sha: run_id.toString(16).padStart(40, '0'),
  artifact_url: `https://example.com/${tag}.tgz`,
  actor: 'release-bot',
  timestamp: iso(daysAgo),
  status: 'success',
  metrics: { lock_wait_s: run_id },
});

function dbArgs(target: EngineTarget): string[] {
  return target.options.databaseUrl === undefined
    ? ['--data-dir', target.options.dataDir!]
    : ['--database-url', target.options.databaseUrl];
}

function withRemote(repo: LedgerRepo, url: string): LedgerRepo {
  const remotes = execFileSync('git', ['remote'], { cwd: repo.dir, encoding: 'utf8' });
  if (remotes.split('\n').includes('origin'))
    execFileSync('git', ['remote', 'remove', 'origin'], { cwd: repo.dir });
  execFileSync('git', ['remote', 'add', 'origin', url], { cwd: repo.dir });
  return repo;
}

describe.each(engines)('a renamed repository on %s', (engine) => {
  let target: EngineTarget;
  const repos: LedgerRepo[] = [];

  beforeAll(async () => {
    target = await createEngineTarget(engine, 'h2rename');
    await migrateDatabase(target.options);
  });
  afterAll(async () => {
    await target?.cleanup();
    for (const r of repos) r.remove();
  });

  const ingest = (args: string[]) =>
    runCliCaptured(['ingest', ...dbArgs(target), '--ref', 'HEAD', '--json', ...args]);
  const kpi = async (args: string[] = []) =>
    JSON.parse(
      (await runCliCaptured(['kpi', ...dbArgs(target), '--since', '30d', '--format', 'json', ...args]))
        .stdout,
    ) as { entries: number; repositories: { repository: string; entries: number }[] };
  const sql = async <T>(text: string, params: unknown[] = []): Promise<T[]> => {
    const db = await openDatabase({ ...target.options, role: 'owner' });
    try {
      return (await db.query<T>(text, params)).rows;
    } finally {
      await db.close();
    }
  };

  it('is refused under its new name, alerted, and moved with --rename-repository; nothing counts twice', async () => {
    const clone = withRemote(createLedgerRepo(), 'https://github.com/acme/widgets.git');
    repos.push(clone);
    clone.commit([entry(101, 'v1.0.0', 3), entry(102, 'v1.1.0', 2)]);
    expect((await ingest(['--repo', clone.dir])).code).toBe(0);
    const before = await kpi();
    expect(before.entries).toBe(2);

    // GitHub renames the repository; the clone's remote follows, and a release lands
    withRemote(clone, 'https://github.com/acme/gizmos.git');
    clone.commit([entry(101, 'v1.0.0', 3), entry(102, 'v1.1.0', 2), entry(103, 'v1.2.0', 1)]);
    const refused = await ingest(['--repo', clone.dir]);
    expect(refused.code).toBe(4);
    const error = refused.json().error!;
    expect(error.code).toBe('INGEST_REPOSITORY_RENAMED');
    expect(error.message).toContain('acme/widgets');
    expect(error.message).toContain('--ledger acme/widgets=');
    expect(error.message).toContain('--rename-repository acme/widgets=acme/gizmos');
    expect(error.details.matches).toEqual([
      expect.objectContaining({ repository: 'acme/widgets', runs: 2, watermark: expect.any(String) }),
    ]);
    // nothing written under the new name; the organisation still counts each run once
    expect(await sql(`SELECT 1 FROM public.slsa_runs WHERE repository = 'acme/gizmos'`)).toEqual([]);
    expect((await kpi()).entries).toBe(2);
    // a failed ledger like the others: recorded, counted and alerted by name
    const failedRows = await sql<{ status: string; error: string }>(
      `SELECT status, error FROM public.ingest_runs WHERE ledger = 'acme/gizmos'`,
    );
    expect(failedRows).toEqual([expect.objectContaining({ status: 'failed' })]);
    expect(failedRows[0]!.error).toContain('acme/widgets');
    const alerts: IngestAlert[] = [];
    await expect(
      ingestLedgers({
        ...target.options,
        repo: clone.dir,
        ref: 'HEAD',
        alert: (a) => {
          alerts.push(a);
          return Promise.resolve();
        },
      }),
    ).rejects.toThrowCode('INGEST_REPOSITORY_RENAMED');
    expect(alerts).toEqual([
      expect.objectContaining({
        event: 'ingest-failed',
        repository: 'acme/gizmos',
        code: 'INGEST_REPOSITORY_RENAMED',
      }),
    ]);

    // the way out: move the repository in the database, then ingest under the new name; the
    // organisation's report (its rollups) is the same before and after the move
    const metrics = async (): Promise<Record<string, unknown>> => {
      // the metrics, not how the report lists repositories and manifests (one repository lists its
      // manifest files, an organisation of several does not) or when it was made
      const report = { ...((await kpi()) as unknown as Record<string, unknown>) };
      for (const key of ['repositories', 'generated_at', 'window', 'manifest_hash', 'manifests'])
        delete report[key];
      return report;
    };
    const orgBefore = await metrics();
    const renamed = await runCliCaptured([
      'ingest',
      ...dbArgs(target),
      '--rename-repository',
      'acme/widgets=acme/gizmos',
      '--json',
    ]);
    expect(renamed.code).toBe(0);
    expect(renamed.json().result).toMatchObject({
      renamed: { from: 'acme/widgets', to: 'acme/gizmos' },
      runs: 2,
    });
    expect(await metrics()).toEqual(orgBefore);
    const moved = await ingest(['--repo', clone.dir]);
    expect(moved.code).toBe(0);
    // the watermark came along: only the release since it is read
    expect(moved.json().result).toMatchObject({
      repository: 'acme/gizmos',
      from_commit: renamed.json().result.watermark,
      inserted: 1,
      failed: 0,
    });
    const after = await kpi();
    expect(after.entries).toBe(3);
    expect(after.repositories).toEqual([expect.objectContaining({ repository: 'acme/gizmos', entries: 3 })]);
    expect((await kpi(['--repository', 'acme/widgets'])).entries).toBe(0);
    expect(await sql(`SELECT 1 FROM public.ingest_watermark WHERE ledger = 'acme/widgets'`)).toEqual([]);
    expect(await sql(`SELECT 1 FROM public.ledger_manifests WHERE repository = 'acme/widgets'`)).toEqual([]);
    expect(await sql(`SELECT 1 FROM public.slsa_kpi_days WHERE repository = 'acme/widgets'`)).toEqual([]);
    const audit = await sql<{ n: number }>(
      `SELECT count(*)::integer AS n FROM public.provenance_audit_log
        WHERE action = 'renamed' AND repository = 'acme/gizmos' AND metadata->>'from' = 'acme/widgets'`,
    );
    expect(audit).toEqual([{ n: 2 }]);
    // its ingests went with it: the failed attempt and the first success
    const ingests = await sql<{ n: number }>(
      `SELECT count(*)::integer AS n FROM public.ingest_runs WHERE ledger = 'acme/gizmos'`,
    );
    expect(ingests[0]!.n).toBeGreaterThanOrEqual(4);

    // a new, different repository takes the old name: it is a repository of its own
    const newcomer = withRemote(createLedgerRepo(), 'https://github.com/acme/widgets.git');
    repos.push(newcomer);
    newcomer.commit([entry(201, 'v0.1.0', 1)], 'a different repository');
    const fresh = await ingest(['--repo', newcomer.dir]);
    expect(fresh.code).toBe(0);
    expect(fresh.json().result).toMatchObject({ repository: 'acme/widgets', inserted: 1 });
    expect((await kpi()).entries).toBe(4);
  });

  it("another repository's runs: refused from a folder or a shallow clone, a warning from a history of its own", async () => {
    // a complete clone with a history of its own: a repository of its own (runs are kept apart by
    // repository), with a warning
    const copy = withRemote(createLedgerRepo(), 'https://github.com/acme/copy.git');
    repos.push(copy);
    copy.commit([entry(101, 'v1.0.0', 3)], 'copied by hand');
    const own = await ingest(['--repo', copy.dir]);
    expect(own.code, own.stdout).toBe(0);
    expect(own.stderr).toContain('also in acme/gizmos, whose history it does not share');
    // a plain folder has no history to tell: the same runs are the same ledger
    const folder = mkdtempSync(join(tmpdir(), 'slsa-plain-copy-'));
    try {
      const e = entry(102, 'v1.1.0', 2);
      mkdirSync(dirname(join(folder, manifestPathFor(e))), { recursive: true });
      writeFileSync(join(folder, manifestPathFor(e)), serializeManifest([e]));
      const refused = await runCliCaptured([
        'ingest',
        ...dbArgs(target),
        '--ledger',
        `acme/plain=${folder}`,
        '--json',
      ]);
      expect(refused.code).toBe(4);
      expect(refused.json().error).toMatchObject({
        code: 'INGEST_REPOSITORY_RENAMED',
        details: { matches: [{ repository: 'acme/gizmos', watermark: null, runs: 1 }] },
      });
      expect(await sql(`SELECT 1 FROM public.slsa_runs WHERE repository = 'acme/plain'`)).toEqual([]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('a rename never merges, never renames an unknown name, and waits for a running ingest', async () => {
    const runsBefore = await sql<{ repository: string; n: number }>(
      `SELECT repository, count(*)::integer AS n FROM public.slsa_runs GROUP BY 1 ORDER BY 1`,
    );
    const onto = await runCliCaptured([
      'ingest',
      ...dbArgs(target),
      '--rename-repository',
      'acme/gizmos=ACME/Widgets',
      '--json',
    ]);
    expect(onto.code).toBe(4);
    expect(onto.json().error?.code).toBe('INGEST_RENAME_REFUSED');
    const unknown = await runCliCaptured([
      'ingest',
      ...dbArgs(target),
      '--rename-repository',
      'acme/nothing=acme/else',
      '--json',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.json().error?.code).toBe('INGEST_REPOSITORY_INVALID');
    const malformed = await runCliCaptured([
      'ingest',
      ...dbArgs(target),
      '--rename-repository',
      'acme/gizmos',
      '--json',
    ]);
    expect(malformed.code).toBe(2);
    expect(malformed.json().error?.code).toBe('INGEST_REPOSITORY_INVALID');
    // whoever holds the ingest key, while an ingest of the repository runs
    const db = await openDatabase({ ...target.options, role: 'ingest' });
    try {
      const id = randomUUID();
      await db.query('SELECT public.slsa_ingest_batch($1::jsonb)', [
        JSON.stringify({ op: 'begin', ingest_id: id, repository: 'acme/gizmos', engine, to_commit: null }),
      ]);
      const reply = await db.query<{ r: { renamed: boolean; refused: string } }>(
        'SELECT public.slsa_rename_repository($1::jsonb) AS r',
        [JSON.stringify({ rename_id: randomUUID(), from: 'acme/gizmos', to: 'acme/hidden' })],
      );
      expect(reply.rows[0]!.r).toMatchObject({ renamed: false, refused: 'running' });
      await db.query('SELECT public.slsa_ingest_batch($1::jsonb)', [
        JSON.stringify({ op: 'finish', ingest_id: id, status: 'failed', watermark: null, entries_failed: 0 }),
      ]);
    } finally {
      await db.close();
    }
    expect(
      await sql(`SELECT repository, count(*)::integer AS n FROM public.slsa_runs GROUP BY 1 ORDER BY 1`),
    ).toEqual(runsBefore);
    // least privilege: the ingest role may call both functions, the reader role and PUBLIC neither
    expect(
      await sql(
        `SELECT r.rolname, has_function_privilege(r.rolname, 'public.slsa_rename_repository(jsonb)', 'EXECUTE') AS rename,
                has_function_privilege(r.rolname, 'public.slsa_ingest_lineage(jsonb)', 'EXECUTE') AS lineage
           FROM pg_roles r WHERE r.rolname IN ('slsa_manifest_ingest', 'slsa_kpi_reader') ORDER BY 1`,
      ),
    ).toEqual([
      { rolname: 'slsa_kpi_reader', rename: false, lineage: false },
      { rolname: 'slsa_manifest_ingest', rename: true, lineage: true },
    ]);
  });
});

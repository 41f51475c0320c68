// Issue 17 audit (many ledgers in one database), on both engines, through the CLI:
// - a database upgraded from before repositories keeps writing its runs under the name the upgrade
//   gave them (`default`, the old CLI's default ledger name): `ingest --ledger default=DIR` and
//   `kpi --repository default` take it (both refused it as "not owner/name", and ingesting under the
//   remote's name put a second copy of every run beside the first);
// - one GitHub repository reached by remotes of different case is one repository;
// - a ledger that cannot be read at all (its remote unreachable) is a failed ingest the audit
//   metrics count (it left no row, so `ingest_failures` said 0), every ledger's line is printed when
//   one fails, and a remote with nested groups links to its whole path.
import { createHash, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, copyFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { manifestPathFor, type LedgerEntry } from '../../../src/core/ledger/entry.js';
import { openDatabase } from '../../../src/io/db.js';
import { defaultMigrationsDir } from '../../../src/io/migrations.js';
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

const entry = (
  run_id: number,
  tag: string,
  daysAgo: number,
  extra: Partial<LedgerEntry> = {},
): LedgerEntry => ({
  run_id,
  tag,
  sha: run_id.toString(16).padStart(40, '0'),
  artifact_url: `https://example.com/${tag}.tgz`,
  actor: 'release-bot',
  timestamp: iso(daysAgo),
  status: 'success',
  ...extra,
});

function dbArgs(target: EngineTarget): string[] {
  return target.options.databaseUrl === undefined
    ? ['--data-dir', target.options.dataDir!]
    : ['--database-url', target.options.databaseUrl];
}

function addRemote(repo: LedgerRepo, url: string): LedgerRepo {
  execFileSync('git', ['remote', 'add', 'origin', url], { cwd: repo.dir });
  return repo;
}

describe.each(engines)('issue 17 audit on %s', (engine) => {
  let target: EngineTarget;
  let early: string;
  const repos: LedgerRepo[] = [];

  beforeAll(async () => {
    target = await createEngineTarget(engine, 'h2org');
    early = await mkdtemp(join(tmpdir(), 'slsa-early-migrations-'));
    for (const name of await readdir(defaultMigrationsDir)) {
      if (name < '20261202170000') await copyFile(join(defaultMigrationsDir, name), join(early, name));
    }
  });
  afterAll(async () => {
    await target?.cleanup();
    await rm(early, { recursive: true, force: true });
    for (const r of repos) r.remove();
  });

  it('an upgraded database keeps writing its runs under their old name, and reports them', async () => {
    // the database as the CLI before repositories left it: runs ingested as the ledger `default`
    await migrateDatabase({ ...target.options, migrationsDir: early });
    const legacy = createLedgerRepo();
    repos.push(legacy);
    const first = [entry(1, 'v1.0.0', 3), entry(2, 'v1.1.0', 2)];
    const head = legacy.commit(first);
    const db = await openDatabase({ ...target.options, role: 'owner' });
    try {
      const id = randomUUID();
      const call = (batch: unknown) =>
        db.query('SELECT public.slsa_ingest_batch($1::jsonb)', [JSON.stringify(batch)]);
      await call({ op: 'begin', ingest_id: id, engine, to_commit: head });
      const items = first.map((e) => {
        const path = manifestPathFor(e);
        const bytes = execFileSync('git', ['show', `${head}:${path}`], { cwd: legacy.dir });
        return {
          entry: e,
          manifest_path: path,
          manifest_hash: createHash('sha256').update(bytes).digest('hex'),
          git_commit: head,
        };
      });
      await call({ op: 'upsert', ingest_id: id, entries: items });
      await call({ op: 'finish', ingest_id: id, status: 'succeeded', watermark: head });
    } finally {
      await db.close();
    }
    await migrateDatabase(target.options);

    // the ledger moves on: one run changes
    legacy.commit([entry(1, 'v1.0.0', 3, { status: 'failure', artifact_url: null, failure_reason: 'x' })]);
    const ingest = await runCliCaptured([
      'ingest',
      ...dbArgs(target),
      '--ledger',
      `default=${legacy.dir}`,
      '--ref',
      'HEAD',
      '--json',
    ]);
    expect(ingest.code).toBe(0);
    expect(ingest.json().result).toMatchObject({ repository: 'default', inserted: 0, updated: 1 });
    const kpi = await runCliCaptured([
      'kpi',
      ...dbArgs(target),
      '--repository',
      'default',
      '--format',
      'json',
    ]);
    expect(kpi.code).toBe(0);
    expect(JSON.parse(kpi.stdout)).toMatchObject({
      entries: 2,
      failure_rate: 0.5,
      repositories: [{ repository: 'default', entries: 2 }],
    });
  });

  it('remotes of one repository in another case are one repository; kpi finds it in any case', async () => {
    const https = addRemote(createLedgerRepo(), 'https://github.com/Acme/Widgets.git');
    const ssh = addRemote(createLedgerRepo(), 'git@github.com:acme/widgets.git');
    repos.push(https, ssh);
    // one repository's history in two clones (fixed dates and identity: the same commits), the
    // second a commit ahead: the watermark the first leaves is an ancestor of the second's head
    https.commit([entry(7, 'v7.0.0', 1)]);
    ssh.commit([entry(7, 'v7.0.0', 1)]);
    expect(ssh.head()).toBe(https.head());
    ssh.commit([entry(7, 'v7.0.0', 1), entry(8, 'v8.0.0', 1)]);
    for (const r of [https, ssh]) {
      const run = await runCliCaptured([
        'ingest',
        ...dbArgs(target),
        '--repo',
        r.dir,
        '--ref',
        'HEAD',
        '--json',
      ]);
      expect(run.code).toBe(0);
      expect(run.json().result.repository).toBe('Acme/Widgets');
    }
    const db = await openDatabase({ ...target.options, role: 'owner' });
    try {
      const rows = await db.query<{ repository: string; n: number }>(
        `SELECT repository, count(*)::integer AS n FROM public.slsa_runs WHERE lower(repository) = 'acme/widgets' GROUP BY 1`,
      );
      expect(rows.rows).toEqual([{ repository: 'Acme/Widgets', n: 2 }]);
    } finally {
      await db.close();
    }
    const kpi = await runCliCaptured([
      'kpi',
      ...dbArgs(target),
      '--repository',
      'ACME/WIDGETS',
      '--format',
      'json',
    ]);
    expect(JSON.parse(kpi.stdout)).toMatchObject({
      entries: 2,
      repositories: [{ repository: 'Acme/Widgets' }],
    });
    const typo = await runCliCaptured([
      'kpi',
      ...dbArgs(target),
      '--repository',
      'acme/widgest',
      '--format',
      'csv',
    ]);
    expect(typo.code).toBe(0);
    expect(typo.stderr).toContain('no repository named acme/widgest');
  });

  it('an entry claiming more deliveries than attempts is refused, by ingest and by the database itself', async () => {
    const inflated = addRemote(createLedgerRepo(), 'https://github.com/acme/inflated.git');
    repos.push(inflated);
    const good = entry(1, 'v1.0.0', 1, { metrics: { notify: { attempts: 4, delivered: 1 } } });
    const bad = entry(2, 'v2.0.0', 1, { metrics: { notify: { attempts: 1, delivered: 9 } } });
    inflated.commitRaw(manifestPathFor(good), `${JSON.stringify([good, bad], null, 2)}\n`);
    const run = await runCliCaptured(['ingest', ...dbArgs(target), '--repo', inflated.dir, '--ref', 'HEAD']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('metrics.notify.delivered must not exceed metrics.notify.attempts');
    const kpi = await runCliCaptured([
      'kpi',
      ...dbArgs(target),
      '--repository',
      'acme/inflated',
      '--format',
      'json',
    ]);
    expect(JSON.parse(kpi.stdout)).toMatchObject({ entries: 1, notification_success_ratio: 0.25 });
    // whoever holds the ingest key calls the function directly: it refuses the entry too
    const db = await openDatabase({ ...target.options, role: 'ingest' });
    try {
      const id = randomUUID();
      const call = async (batch: unknown): Promise<any> =>
        (
          await db.query<{ r: unknown }>('SELECT public.slsa_ingest_batch($1::jsonb) AS r', [
            JSON.stringify(batch),
          ])
        ).rows[0]!.r;
      await call({ op: 'begin', ingest_id: id, repository: 'acme/inflated', engine, to_commit: null });
      const result = await call({
        op: 'upsert',
        ingest_id: id,
        entries: [
          {
            entry: bad,
            manifest_path: manifestPathFor(bad),
            manifest_hash: 'a'.repeat(64),
            git_commit: null,
          },
        ],
      });
      expect(JSON.stringify(result)).toContain(
        'metrics.notify.delivered must not exceed metrics.notify.attempts',
      );
      await call({ op: 'finish', ingest_id: id, status: 'failed', watermark: null });
    } finally {
      await db.close();
    }
  });

  it('a ledger that cannot be read is a failed ingest the audit metrics count; every ledger is reported', async () => {
    const gone = addRemote(
      createLedgerRepo(),
      join(tmpdir(), `no-such-remote-${randomUUID()}`, 'acme', 'gone.git'),
    );
    const nested = addRemote(createLedgerRepo(), 'https://gitlab.example.com/grp/sub/nested.git');
    repos.push(gone, nested);
    gone.commit([entry(1, 'v1.0.0', 1)]);
    nested.commit([entry(1, 'v1.0.0', 1)]);
    const before = await runCliCaptured([
      'kpi',
      ...dbArgs(target),
      '--repository',
      'acme/gone',
      '--format',
      'json',
    ]);
    expect(JSON.parse(before.stdout).provenance_audit_failures.ingests_failed).toBe(0);
    // the unreachable remote is fetched (no --ref); the nested one is read as it is
    const failed = await runCliCaptured([
      'ingest',
      ...dbArgs(target),
      '--ledger',
      `acme/gone=${gone.dir}`,
      '--ledger',
      `sub/nested=${nested.dir}`,
      '--ref',
      'does-not-exist',
    ]);
    expect(failed.code).toBe(5);
    expect(failed.stderr).toContain('INGEST_LEDGERS_FAILED');
    // a line per ledger, as on success
    expect(failed.stderr).toMatch(/^ {2}acme\/gone: .*FAILED/m);
    expect(failed.stderr).toMatch(/^ {2}sub\/nested: .*FAILED/m);
    const ok = await runCliCaptured([
      'ingest',
      ...dbArgs(target),
      '--repo',
      nested.dir,
      '--ref',
      'HEAD',
      '--json',
    ]);
    expect(ok.json().result).toMatchObject({
      repository: 'sub/nested',
      ledger_url: 'https://gitlab.example.com/grp/sub/nested',
    });
    const unreachable = await runCliCaptured(['ingest', ...dbArgs(target), '--repo', gone.dir]);
    expect(unreachable.code).toBe(5);
    const after = await runCliCaptured([
      'kpi',
      ...dbArgs(target),
      '--repository',
      'acme/gone',
      '--format',
      'json',
    ]);
    const report = JSON.parse(after.stdout);
    // the bad --ref and the unreachable remote: two failed ingests of acme/gone
    expect(report.ingest_failures).toBe(2);
    expect(report.provenance_audit_failures).toEqual({ ingests_failed: 2, entries_refused: 0, total: 2 });
    expect(report.repositories).toEqual([expect.objectContaining({ repository: 'acme/gone', entries: 0 })]);
  });
});

// Issue 17: a listed repository without a ledger yet (its remote has no ledger branch, or nothing
// was ever written to it) that the database never ingested is "no ledger yet": recorded as such, not
// a failure (`ingest_failures` stays 0), not alerted, exit code unaffected; it used to fail and
// alert on every scheduled run until its first release. A repository the database did ingest whose
// ledger is gone (the branch deleted) is still a failure, alerted: deleting a ledger never goes
// quiet. On both engines.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestLedgers, type IngestAlert } from '../../../src/app/ingest.js';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { manifestPathFor, serializeManifest, type LedgerEntry } from '../../../src/core/ledger/entry.js';
import { openDatabase } from '../../../src/io/db.js';
import { runCliCaptured } from '../../support/cli.js';
import { cloneRemote, commitFiles, createRemote, git } from '../../support/git.js';
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

const entry: LedgerEntry = {
  run_id: 4242,
  tag: 'v1.0.0',
  sha: 'a'.repeat(40),
  artifact_url: 'https://example.com/v1.0.0.tgz',
  actor: 'release-bot',
  timestamp: new Date(Date.now() - 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  status: 'success',
};

function dbArgs(target: EngineTarget): string[] {
  return target.options.databaseUrl === undefined
    ? ['--data-dir', target.options.dataDir!]
    : ['--database-url', target.options.databaseUrl];
}

describe.each(engines)('a repository without a ledger yet on %s', (engine) => {
  let target: EngineTarget;
  let root: string;

  beforeAll(async () => {
    target = await createEngineTarget(engine, 'h2noledger');
    await migrateDatabase(target.options);
    root = await mkdtemp(join(tmpdir(), 'slsa-no-ledger-'));
  });
  afterAll(async () => {
    await target?.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  const failures = async (repository: string): Promise<number> => {
    const run = await runCliCaptured([
      'kpi',
      ...dbArgs(target),
      '--repository',
      repository,
      '--format',
      'json',
    ]);
    return (JSON.parse(run.stdout) as { ingest_failures: number }).ingest_failures;
  };

  it('is recorded as no ledger yet: not failed, not alerted, exit 0', async () => {
    // a repository whose default branch holds no ledger yet, and one without its ledger branch
    const remote = await createRemote(root, 'acme/fresh.git');
    const clone = await cloneRemote(remote, join(root, 'fresh'));
    const alerts: IngestAlert[] = [];
    const result = await ingestLedgers({
      ...target.options,
      ledgers: [{ repository: 'acme/fresh', dir: clone }],
      alert: (a) => {
        alerts.push(a);
        return Promise.resolve();
      },
    });
    expect(result).toMatchObject({ succeeded: 0, failed: 0, no_ledger: 1 });
    expect(result.ledgers).toEqual([
      expect.objectContaining({ repository: 'acme/fresh', status: 'no-ledger', watermark: null }),
    ]);
    expect(alerts).toEqual([]);

    const cli = await runCliCaptured([
      'ingest',
      ...dbArgs(target),
      '--repo',
      clone,
      '--branch',
      'ledger',
      '--json',
    ]);
    expect(cli.code, cli.stdout).toBe(0);
    expect(cli.json().result).toMatchObject({ repository: 'acme/fresh', status: 'no-ledger' });
    const human = await runCliCaptured(['ingest', ...dbArgs(target), '--repo', clone]);
    expect(human.code).toBe(0);
    expect(human.stderr).toContain('acme/fresh: no ledger yet');
    expect(await failures('acme/fresh')).toBe(0);

    // its first release: an ingest like any other
    await commitFiles(clone, { [manifestPathFor(entry)]: serializeManifest([entry]) }, 'provenance: record', {
      push: true,
    });
    const first = await runCliCaptured(['ingest', ...dbArgs(target), '--repo', clone, '--json']);
    expect(first.code, first.stdout).toBe(0);
    expect(first.json().result).toMatchObject({ status: 'succeeded', inserted: 1 });
  });

  it('a ledger deleted after it was ingested is a failure, alerted', async () => {
    const remote = await createRemote(root, 'acme/gone.git');
    const clone = await cloneRemote(remote, join(root, 'gone'));
    const other = { ...entry, run_id: 4343, sha: 'b'.repeat(40) };
    await git(clone, ['checkout', '-q', '-b', 'ledger']);
    await commitFiles(clone, { [manifestPathFor(other)]: serializeManifest([other]) }, 'provenance: record');
    await git(clone, ['push', '-q', 'origin', 'ledger']);
    const ingested = await runCliCaptured([
      'ingest',
      ...dbArgs(target),
      '--repo',
      clone,
      '--branch',
      'ledger',
      '--json',
    ]);
    expect(ingested.code, ingested.stdout).toBe(0);
    expect(ingested.json().result).toMatchObject({ repository: 'acme/gone', status: 'succeeded' });

    // whoever has push access deletes the ledger branch
    await git(clone, ['push', '-q', 'origin', '--delete', 'ledger']);
    const alerts: IngestAlert[] = [];
    await expect(
      ingestLedgers({
        ...target.options,
        repo: clone,
        branch: 'ledger',
        alert: (a) => {
          alerts.push(a);
          return Promise.resolve();
        },
      }),
    ).rejects.toThrowCode('LEDGER_NOT_FOUND');
    expect(alerts).toEqual([
      expect.objectContaining({ event: 'ingest-failed', repository: 'acme/gone', code: 'LEDGER_NOT_FOUND' }),
    ]);
    const cli = await runCliCaptured([
      'ingest',
      ...dbArgs(target),
      '--repo',
      clone,
      '--branch',
      'ledger',
      '--json',
    ]);
    expect(cli.code).toBe(3);
    expect(cli.json().error?.code).toBe('LEDGER_NOT_FOUND');
    expect(await failures('acme/gone')).toBe(2);
    const db = await openDatabase({ ...target.options, role: 'owner' });
    try {
      const mark = await db.query<{ git_commit: string | null }>(
        `SELECT git_commit FROM public.ingest_watermark WHERE ledger = 'acme/gone'`,
      );
      expect(mark.rows[0]?.git_commit).toMatch(/^[0-9a-f]{40}$/);
    } finally {
      await db.close();
    }
  });
});

// Issue 13 item 1: reads see what was written. In ONE clone, with a real bare remote and no
// `git pull`: record -> check -> ingest -> validate, on both database engines. On main, `record`
// landed on the remote but left the local branch behind, and every read command read the local
// HEAD: `check` said "0 files", `ingest` loaded nothing, `validate --repo` said
// LEDGER_ENTRY_NOT_FOUND.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestLedger } from '../../../src/app/ingest.js';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { isSlsaLedgerError } from '../../../src/errors.js';
import { openDatabase } from '../../../src/io/db.js';
import { runCliCaptured } from '../../support/cli.js';
import { cloneRemote, createRemote, git } from '../../support/git.js';
import { createEngineTarget, testEngines, type EngineTarget } from '../../support/postgres.js';
import { makeRelease, type ReleaseFixture } from '../../support/release-fixture.js';

const engines = await testEngines();

describe.each(engines)('record -> check -> ingest -> validate in one clone, no pull, on %s', (engine) => {
  let target: EngineTarget;
  let release: ReleaseFixture;
  let remote: string;
  let clone: string;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    target = await createEngineTarget(engine, 'readers');
    await migrateDatabase(target.options);
    release = await makeRelease();
    remote = await createRemote(release.dir);
    clone = await cloneRemote(remote, join(release.dir, 'clone'));
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SLSA_LEDGER_LOCK_DIR: join(release.dir, 'locks'),
    };
    writeFileSync(join(release.dir, 'entry.json'), JSON.stringify(release.entry));
  });
  afterAll(async () => {
    await target?.cleanup();
  });

  it('every read sees the entry record just pushed', async () => {
    // a working branch checked out: record's fast-forward of the ledger branch (the writer side of
    // issue 13 item 1) does not reach it, so the reads below must not depend on HEAD
    await git(clone, ['checkout', '-q', '-b', 'work']);
    const before = await git(clone, ['rev-parse', 'HEAD']);
    const recorded = await runCliCaptured(
      ['record', '--json', '--no-sign', '--repo', clone, '--entry', join(release.dir, 'entry.json')],
      { env },
    );
    expect(recorded.code, recorded.stdout + recorded.stderr).toBe(0);
    expect(recorded.json().result.outcome).toBe('committed');
    // the local branch did not move: the reads below must not depend on it
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(before);

    const checked = await runCliCaptured(['check', '--json', '--repo', clone], { env });
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect(checked.json().result).toMatchObject({ ok: true, files: 1, entries: 1, commits: 1 });
    // from a subfolder of the clone: the same ledger, no false CHECK_HASH_MISMATCH
    mkdirSync(join(clone, 'docs'), { recursive: true });
    const fromSub = await runCliCaptured(['check', '--json'], { env, cwd: join(clone, 'docs') });
    expect(fromSub.code, fromSub.stdout).toBe(0);

    const ingested = await ingestLedger({ repo: clone, ledger: 'acme/app', ...target.options });
    expect(ingested).toMatchObject({ status: 'succeeded', inserted: 1, files: 1 });

    const validated = await runCliCaptured(
      [
        'validate',
        '--json',
        '--tag',
        release.entry.tag,
        '--repo',
        clone,
        '--key',
        'signing.pub',
        '--artifact',
        'app.tgz',
        '--provenance',
        'app.intoto.json',
      ],
      { env, cwd: release.dir },
    );
    expect(validated.code, validated.stdout + validated.stderr).toBe(0);
    expect(validated.json().result).toMatchObject({ tag: release.entry.tag, status: 'passed' });

    // --ref HEAD reads the clone as it is: still nothing there, and that is a coded error, not "ok"
    const local = await runCliCaptured(['check', '--json', '--repo', clone, '--ref', 'HEAD'], { env });
    expect(local.code).toBe(3);
    expect(local.json().error!.code).toBe('LEDGER_NOT_FOUND');
  });
});

describe('read commands refuse what is not a ledger', () => {
  it('ingest --repo /does-not-exist and check --repo /does-not-exist exit 3', async () => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME };
    const ingest = await runCliCaptured(['ingest', '--json', '--repo', '/does-not-exist'], { env });
    expect(ingest.code, ingest.stdout).toBe(3);
    const check = await runCliCaptured(['check', '--json', '--repo', '/does-not-exist'], { env });
    expect(check.code, check.stdout).toBe(3);
    expect(check.json().error!.code).toBe('LEDGER_NOT_FOUND');
  });

  it('a plain folder without a ledger is LEDGER_NOT_FOUND for ingest (never an empty success)', async () => {
    const release = await makeRelease();
    const target = await createEngineTarget('pglite', 'readers');
    try {
      const error = await ingestLedger({ repo: release.dir, ledger: 'acme/none', ...target.options }).catch(
        (e: unknown) => e,
      );
      expect(isSlsaLedgerError(error) && error.code).toBe('LEDGER_NOT_FOUND');
    } finally {
      await target.cleanup();
    }
  });

  it('a clone whose ledger branch holds no ledger: ingest says no ledger yet (no success, no watermark, no failure), validate --repo is LEDGER_NOT_FOUND', async () => {
    // before: ingest exited 0 ("succeeded", 0 files) and set a watermark for a repository that is
    // not a ledger; validate --repo said LEDGER_ENTRY_NOT_FOUND. Then (issue 17 audit) a failed
    // ingest, alerted every run until the first release. A repository the database never ingested
    // has no ledger yet: recorded as such, not a failure (test/integration/postgres/no-ledger-yet.test.ts)
    const release = await makeRelease();
    const remote = await createRemote(release.dir);
    const clone = await cloneRemote(remote, join(release.dir, 'clone'));
    const target = await createEngineTarget('pglite', 'readers');
    try {
      const result = await ingestLedger({ repo: clone, ledger: 'acme/none', ...target.options });
      expect(result).toMatchObject({ status: 'no-ledger', watermark: null, files: 0 });
      const db = await openDatabase({ ...target.options, role: 'owner' });
      try {
        const runs = await db.query<{ status: string; alert: string | null }>(
          'SELECT status, alert FROM ingest_runs',
        );
        expect(runs.rows).toEqual([{ status: 'succeeded', alert: 'no-ledger-yet' }]);
        const marks = await db.query('SELECT 1 FROM ingest_watermark WHERE git_commit IS NOT NULL');
        expect(marks.rows).toEqual([]);
      } finally {
        await db.close();
      }
    } finally {
      await target.cleanup();
    }
    const env = { PATH: process.env.PATH, HOME: process.env.HOME };
    const validate = await runCliCaptured(
      [
        'validate',
        '--json',
        '--tag',
        'v1.2.3',
        '--repo',
        clone,
        '--key',
        'signing.pub',
        '--artifact',
        'app.tgz',
      ],
      { env, cwd: release.dir },
    );
    expect(validate.code, validate.stdout).toBe(3);
    expect(validate.json().error!.code).toBe('LEDGER_NOT_FOUND');
  });

  it('an unreachable remote is LEDGER_REMOTE_UNAVAILABLE (exit 5) with the --ref HEAD hint', async () => {
    const release = await makeRelease();
    const remote = await createRemote(release.dir);
    const clone = await cloneRemote(remote, join(release.dir, 'clone'));
    await git(clone, ['remote', 'set-url', 'origin', join(release.dir, 'gone.git')]);
    const run = await runCliCaptured(['check', '--json', '--repo', clone, '--branch', 'main'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    expect(run.code, run.stdout).toBe(5);
    expect(run.json().error!.code).toBe('LEDGER_REMOTE_UNAVAILABLE');
    expect(run.json().error!.message).toContain('--ref HEAD');
  });
});

// Issue 14: a first (or --full) ingest replays the ledger's whole history and refuses a signed log
// cut in any commit (INGEST_HISTORY_REWRITTEN). The cutting commit stays in history (the ledger
// ruleset forbids force-pushes), so `ingest --accept-rewrite COMMIT` is the way forward: it
// acknowledges exactly the rewrites the refusal listed, records the acceptance (the ingest's row,
// the repository's, an audit row per run of the day) and never stores the cut day's runs as
// verified. Real git with a bare remote, signed by `record --sign-key`, through the CLI, on PGlite
// and on PostgreSQL.
import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkLedgerTrust, loadCheckerTrust } from '../../../src/app/check-trust.js';
import { ledgerIdentity } from '../../../src/app/ledger-signing.js';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { openDatabase } from '../../../src/io/db.js';
import { runCliCaptured } from '../../support/cli.js';
import { FakeSlack } from '../../support/fake-slack.js';
import { cloneRemote, createRemote, git, makeTempDir, showFile } from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';
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

const DAY = 'docs/reports/2025-11-24/manifest.json';
const LOG = 'docs/reports/2025-11-24/transitions.jsonl';
const DAY2 = 'docs/reports/2025-11-25/manifest.json';
const LOG2 = 'docs/reports/2025-11-25/transitions.jsonl';

describe.each(engines)('ingest --accept-rewrite on %s', (engine) => {
  let target: EngineTarget;
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let remote: string;
  let clone: string;
  let env: Record<string, string | undefined>;
  let key: { key: string; pub: string };
  let n = 0;

  beforeAll(async () => {
    target = await createEngineTarget(engine, 'hbaccept');
    await migrateDatabase(target.options);
  });
  afterAll(() => target?.cleanup());

  beforeEach(async () => {
    tmp = await makeTempDir('slsa-ledger-accept-rewrite-');
    remote = await createRemote(tmp.path);
    clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    env = { PATH: process.env.PATH, HOME: process.env.HOME, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') };
    const k = join(tmp.path, 'ledger.key');
    const made = await runCliCaptured(['keygen', '--type', 'ed25519', '--out', k, '--json'], { env });
    expect(made.code, made.stderr).toBe(0);
    key = { key: k, pub: join(tmp.path, 'ledger.pub') };
  });
  afterEach(() => tmp.cleanup());

  const dbArgs = (): string[] =>
    target.options.databaseUrl === undefined
      ? ['--data-dir', target.options.dataDir!]
      : ['--database-url', target.options.databaseUrl];

  async function record(entry: unknown) {
    await git(clone, ['pull', '-q', 'origin', 'main']);
    const file = join(tmp.path, `entry-${(n += 1)}.json`);
    await writeFile(file, JSON.stringify(entry));
    const r = await runCliCaptured(
      ['record', '--json', '--repo', clone, '--entry', file, '--sign-key', key.key],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
  }

  /** A fresh clone of the remote (as the shipped manifest-ingest workflow reads it). */
  async function fresh(): Promise<string> {
    return cloneRemote(remote, join(tmp.path, `fresh-${(n += 1)}`));
  }

  async function ingest(repository: string, repo: string, ...flags: string[]) {
    return runCliCaptured(
      [
        'ingest',
        '--json',
        '--repo',
        repo,
        '--ledger',
        repository,
        ...dbArgs(),
        '--trust-key',
        key.pub,
        ...flags,
      ],
      { env },
    );
  }

  const sql = async <T>(text: string, params: unknown[] = []): Promise<T[]> => {
    const db = await openDatabase({ ...target.options, role: 'owner' });
    try {
      return (await db.query<T>(text, params)).rows;
    } finally {
      await db.close();
    }
  };

  const statuses = async (repository: string) =>
    (
      await sql<{ run_id: string; signature_status: string }>(
        'SELECT run_id::text AS run_id, signature_status FROM public.slsa_runs WHERE repository = $1 ORDER BY run_id',
        [repository],
      )
    ).map((r) => [Number(r.run_id), r.signature_status]);

  /**
   * The pusher's cut (a fast-forward push): the day's log loses its last line and run 101 goes back
   * to its signed record state. Then honest signed records on top: run 102 the same day, run 201 the
   * next. Returns the cutting commit.
   */
  async function cutHistory(): Promise<string> {
    const failed = makeEntry({
      status: 'failure',
      artifact_url: null,
      failure_reason: 'build broke',
      governance_flag: 'artifact-missing',
    });
    await record(failed);
    await record(makeEntry({ timestamp: '2025-11-24T10:10:00Z', governance_flag: 'provenance-ready' }));
    const attacker = await cloneRemote(remote, join(tmp.path, `attacker-${(n += 1)}`));
    await writeFile(join(attacker, DAY), (await showFile(attacker, 'HEAD~1', DAY))!);
    await writeFile(join(attacker, LOG), (await showFile(attacker, 'HEAD~1', LOG))!);
    await git(attacker, ['commit', '-qam', 'provenance: record v1.2.3 (run 101, failure)']);
    await git(attacker, ['push', '-q', 'origin', 'HEAD:main']);
    const cut = await git(attacker, ['rev-parse', 'HEAD']);
    await record(makeEntry({ tag: 'v1.2.4', run_id: 102, timestamp: '2025-11-24T11:00:00Z' }));
    await record(makeEntry({ tag: 'v2.0.0', run_id: 201, timestamp: '2025-11-25T09:00:00Z' }));
    return cut;
  }

  it('the refusal lists every rewriting commit (message and details); restoring the lines in a later commit does not get past it', async () => {
    const cut = await cutHistory();
    const refused = await ingest('acme/listed', await fresh());
    expect(refused.code, refused.stdout + refused.stderr).toBe(4);
    const error = refused.json().error!;
    expect(error.code).toBe('INGEST_HISTORY_REWRITTEN');
    expect(error.message).toContain(cut);
    expect(error.details.rewrites).toEqual([
      { commit: cut, path: LOG, message: expect.stringContaining(LOG) },
    ]);
    expect(error.details.rewrites_total).toBe(1);
    expect(error.details.commits).toEqual([cut]);
    expect(error.details.commits_total).toBe(1);
    expect(error.message).toContain('--accept-rewrite');
    expect(await statuses('acme/listed')).toEqual([]);

    // what the old hint suggested: put the log's cut line back (appended: the log only grows) and
    // the run back to its signed state, in a later commit. The cutting commit stays in history, so
    // the replay still refuses, naming the same commit (and nothing else)
    const restorer = await cloneRemote(remote, join(tmp.path, 'restorer'));
    const full = (await showFile(restorer, `${cut}~1`, LOG))!;
    const kept = (await showFile(restorer, cut, LOG))!;
    const cutLines = full.slice(kept.length);
    expect(cutLines).not.toBe('');
    await writeFile(join(restorer, LOG), `${(await showFile(restorer, 'HEAD', LOG))!}${cutLines}`);
    const day = JSON.parse((await showFile(restorer, 'HEAD', DAY))!) as { run_id: number }[];
    const before = JSON.parse((await showFile(restorer, `${cut}~1`, DAY))!) as { run_id: number }[];
    const restored = day.map((e) => (e.run_id === 101 ? before.find((b) => b.run_id === 101)! : e));
    await writeFile(join(restorer, DAY), `${JSON.stringify(restored, null, 2)}\n`);
    await git(restorer, ['commit', '-qam', 'restore the cut lines']);
    await git(restorer, ['push', '-q', 'origin', 'HEAD:main']);
    const again = await ingest('acme/listed', await fresh());
    expect(again.code, again.stdout + again.stderr).toBe(4);
    expect(again.json().error!.details.commits).toEqual([cut]);
    expect(await statuses('acme/listed')).toEqual([]);
  });

  it('accepting the listed commit ingests, records the acceptance, and the cut day never reads as verified', async () => {
    const cut = await cutHistory();
    const clone2 = await fresh();
    // at the head alone the cut run verifies: its log and its state were put back together
    const trust = await loadCheckerTrust({ cwd: tmp.path, trustKeys: [key.pub] });
    const head = await checkLedgerTrust({
      repoDir: clone2,
      commit: await git(clone2, ['rev-parse', 'origin/main']),
      reportsDir: 'docs/reports',
      trust: trust!,
      location: ledgerIdentity(remote, 'main'),
      history: false,
    });
    expect(head.entries.map((e) => [e.run_id, e.status])).toEqual([
      [101, 'verified'],
      [102, 'verified'],
      [201, 'verified'],
    ]);

    // Slack hears of the acceptance under its own event (a stand-in webhook on loopback)
    const slack = new FakeSlack();
    env.SLACK_WEBHOOK_URL = await slack.mount();
    const accepted = await ingest('acme/accepted', clone2, '--accept-rewrite', cut.slice(0, 12));
    delete env.SLACK_WEBHOOK_URL;
    expect(accepted.code, accepted.stdout + accepted.stderr).toBe(0);
    expect(slack.messages).toHaveLength(1);
    const message = slack.messages[0]!;
    expect(message.text).toContain('ledger history rewrite accepted');
    expect(message.text).not.toContain('ingest failed');
    expect(JSON.stringify(message)).toContain('acme/accepted');
    expect(JSON.stringify(message)).toContain(cut);
    const result = accepted.json().result;
    expect(result.status).toBe('succeeded');
    expect(result.accepted_rewrites).toEqual([{ commit: cut, path: LOG, message: expect.any(String) }]);
    expect(accepted.stderr).toContain(`history rewrite accepted (--accept-rewrite)`);
    expect(accepted.stderr).toContain(cut);
    // the day whose log was cut: stored invalid (not what the head says); the next day is untouched
    expect(await statuses('acme/accepted')).toEqual([
      [101, 'invalid'],
      [102, 'invalid'],
      [201, 'verified'],
    ]);

    // recorded: the ingest's row, the repository's, and an audit row per run of the day
    const ingests = await sql<{ status: string; alert: string | null; accepted_rewrites: unknown }>(
      `SELECT status, alert, accepted_rewrites FROM public.provenance_ingest_runs WHERE repository = 'acme/accepted'`,
    );
    expect(ingests).toEqual([
      {
        status: 'succeeded',
        alert: 'ledger-rewrite-accepted',
        accepted_rewrites: [
          expect.objectContaining({ commit: cut, path: LOG, head: result.to_commit, by: expect.any(String) }),
        ],
      },
    ]);
    const repo = await sql<{ rewrite_accepted_at: unknown; rewrite_accepted_commits: string[] }>(
      `SELECT rewrite_accepted_at, rewrite_accepted_commits FROM public.provenance_repositories WHERE repository = 'acme/accepted'`,
    );
    expect(repo).toEqual([{ rewrite_accepted_at: expect.anything(), rewrite_accepted_commits: [cut] }]);
    const audit = await sql<{ run_id: string; git_commit: string; manifest_path: string; metadata: any }>(
      `SELECT run_id::text AS run_id, git_commit, manifest_path, metadata FROM public.provenance_audit
        WHERE repository = 'acme/accepted' AND action = 'rewrite-accepted' ORDER BY run_id`,
    );
    expect(audit.map((a) => [Number(a.run_id), a.git_commit, a.manifest_path, a.metadata.path])).toEqual([
      [101, cut, DAY, LOG],
      [102, cut, DAY, LOG],
    ]);
    // the repository's row in kpi (and the dashboard) says so, for good
    const kpi = await runCliCaptured(['kpi', ...dbArgs(), '--format', 'json'], { env });
    expect(kpi.code, kpi.stderr).toBe(0);
    const repos = (JSON.parse(kpi.stdout) as { repositories: Record<string, unknown>[] }).repositories;
    expect(repos.find((r) => r.repository === 'acme/accepted')).toMatchObject({
      history_rewritten_at: null,
      history_rewrite_accepted_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    // a later run of the cut day, read incrementally: still not verified (the acceptance is the
    // repository's, read back at every ingest), and a --full replay needs no name again
    await record(makeEntry({ tag: 'v1.2.5', run_id: 103, timestamp: '2025-11-24T12:00:00Z' }));
    await git(clone2, ['fetch', '-q', 'origin']);
    const next = await ingest('acme/accepted', clone2);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(await statuses('acme/accepted')).toEqual([
      [101, 'invalid'],
      [102, 'invalid'],
      [103, 'invalid'],
      [201, 'verified'],
    ]);
    const full = await ingest('acme/accepted', clone2, '--full');
    expect(full.code, full.stdout + full.stderr).toBe(0);
    expect(full.json().result.accepted_rewrites).toBeUndefined();
    expect(await statuses('acme/accepted')).toEqual([
      [101, 'invalid'],
      [102, 'invalid'],
      [103, 'invalid'],
      [201, 'verified'],
    ]);
  });

  it('a second, different rewrite not named still refuses; naming it too goes on', async () => {
    const cut = await cutHistory();
    const first = await ingest('acme/second', await fresh(), '--accept-rewrite', cut);
    expect(first.code, first.stdout + first.stderr).toBe(0);

    // run 201 changes and is ingested (its two-line log is the watermark's); then another cut, of
    // that day's log
    await record(
      makeEntry({
        tag: 'v2.0.0',
        run_id: 201,
        timestamp: '2025-11-25T10:00:00Z',
        governance_flag: 'provenance-ready',
      }),
    );
    const updated = await ingest('acme/second', await fresh());
    expect(updated.code, updated.stdout + updated.stderr).toBe(0);
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker-2'));
    await writeFile(join(attacker, DAY2), (await showFile(attacker, 'HEAD~1', DAY2))!);
    await writeFile(join(attacker, LOG2), (await showFile(attacker, 'HEAD~1', LOG2))!);
    await git(attacker, ['commit', '-qam', 'provenance: record v2.0.0 (run 201, success)']);
    await git(attacker, ['push', '-q', 'origin', 'HEAD:main']);
    const second = await git(attacker, ['rev-parse', 'HEAD']);

    const clone3 = await fresh();
    // incremental: the cut is seen against the watermark and refused (no replay, no commit to name)
    const incremental = await ingest('acme/second', clone3, '--accept-rewrite', cut);
    expect(incremental.code, incremental.stdout + incremental.stderr).toBe(4);
    expect(incremental.json().error!.code).toBe('INGEST_HISTORY_REWRITTEN');
    // the replay: the first rewrite is accepted already, the second is not named: refused, listing it alone
    const refused = await ingest('acme/second', clone3, '--full', '--accept-rewrite', cut);
    expect(refused.code, refused.stdout + refused.stderr).toBe(4);
    const error = refused.json().error!;
    expect(error.code).toBe('INGEST_HISTORY_REWRITTEN');
    expect(error.details.commits).toEqual([second]);
    expect(error.details.rewrites).toEqual([{ commit: second, path: LOG2, message: expect.any(String) }]);
    expect(error.details.accepted).toEqual([expect.objectContaining({ commit: cut, path: LOG })]);
    expect(await statuses('acme/second')).toEqual([
      [101, 'invalid'],
      [102, 'invalid'],
      [201, 'verified'],
    ]);

    const both = await ingest('acme/second', clone3, '--full', '--accept-rewrite', second);
    expect(both.code, both.stdout + both.stderr).toBe(0);
    expect(both.json().result.accepted_rewrites).toEqual([
      expect.objectContaining({ commit: second, path: LOG2 }),
    ]);
    expect(await statuses('acme/second')).toEqual([
      [101, 'invalid'],
      [102, 'invalid'],
      [201, 'invalid'],
    ]);
    const audit = await sql<{ n: string }>(
      `SELECT count(*)::text AS n FROM public.provenance_audit WHERE repository = 'acme/second' AND action = 'rewrite-accepted'`,
    );
    expect(audit).toEqual([{ n: '3' }]);
  });

  it('--full over a force-push: taken, recorded as an accepted rewrite of the history, alerted, and the run it lacks marked', async () => {
    await record(makeEntry({ timestamp: '2025-11-24T10:00:00Z' }));
    await record(makeEntry({ tag: 'v1.2.4', run_id: 102, timestamp: '2025-11-24T11:00:00Z' }));
    const first = await ingest('acme/replaced', await fresh());
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const watermark = first.json().result.to_commit as string;
    // the pusher rewinds the branch past run 102 (the remote takes a force-push)
    const attacker = await cloneRemote(remote, join(tmp.path, `attacker-${(n += 1)}`));
    await git(attacker, ['push', '-q', '--force', 'origin', 'HEAD~1:main']);
    const head = await git(attacker, ['rev-parse', 'HEAD~1']);
    const after = await fresh();
    const refused = await ingest('acme/replaced', after);
    expect(refused.code, refused.stdout + refused.stderr).toBe(4);
    expect(refused.json().error!.code).toBe('INGEST_HISTORY_REWRITTEN');
    expect(refused.json().error!.message).toContain("'ingest --full'");

    const slack = new FakeSlack();
    env.SLACK_WEBHOOK_URL = await slack.mount();
    const full = await ingest('acme/replaced', after, '--full');
    delete env.SLACK_WEBHOOK_URL;
    expect(full.code, full.stdout + full.stderr).toBe(0);
    const result = full.json().result;
    expect(result.history_replaced).toEqual({ from: watermark, to: head });
    expect(result.accepted_rewrites).toEqual([
      { commit: watermark, path: '(history)', message: 'history replaced' },
    ]);
    expect(result.reconcile).toMatchObject({
      marked: 1,
      missing: [expect.objectContaining({ run_id: 102 })],
    });
    expect(full.stderr).toContain(`--full over a replaced history: the last ingested commit ${watermark}`);
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]!.text).toContain('ledger history rewrite accepted');
    expect(JSON.stringify(slack.messages[0])).toContain(watermark);
    expect(JSON.stringify(slack.messages[0])).toContain('history replaced by ingest --full');

    // recorded: the ingest's row, the repository's (for good), and the marked run's audit row
    const ingests = await sql<{ alert: string | null; accepted_rewrites: unknown }>(
      `SELECT alert, accepted_rewrites FROM public.provenance_ingest_runs
        WHERE repository = 'acme/replaced' AND status = 'succeeded' ORDER BY started_at`,
    );
    expect(ingests).toEqual([
      { alert: null, accepted_rewrites: null },
      {
        alert: 'ledger-rewrite-accepted',
        accepted_rewrites: [
          expect.objectContaining({
            commit: watermark,
            path: '(history)',
            head,
            message: expect.stringContaining('history replaced by ingest --full'),
          }),
        ],
      },
    ]);
    const repo = await sql<{ rewrite_accepted_commits: string[] }>(
      `SELECT rewrite_accepted_commits FROM public.provenance_repositories WHERE repository = 'acme/replaced'`,
    );
    expect(repo).toEqual([{ rewrite_accepted_commits: [watermark] }]);
    const audit = await sql<{ run_id: string; action: string }>(
      `SELECT run_id::text AS run_id, action FROM public.provenance_audit
        WHERE repository = 'acme/replaced' AND action <> 'insert' ORDER BY id`,
    );
    expect(audit.map((a) => [Number(a.run_id), a.action])).toEqual([[102, 'missing']]);

    // the writer's clone saw the old head: it refuses to build on the new one (its witness); a new
    // clone records on top, and the next --full over that history replaces nothing
    const writer = await fresh();
    const file = join(tmp.path, `entry-${(n += 1)}.json`);
    await writeFile(
      file,
      JSON.stringify(makeEntry({ tag: 'v2.0.0', run_id: 201, timestamp: '2025-11-25T09:00:00Z' })),
    );
    const recorded = await runCliCaptured(
      ['record', '--json', '--repo', writer, '--entry', file, '--sign-key', key.key],
      { env },
    );
    expect(recorded.code, recorded.stderr).toBe(0);
    const next = await ingest('acme/replaced', await fresh(), '--full');
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.json().result.history_replaced).toBeUndefined();
    expect(next.json().result.accepted_rewrites).toBeUndefined();
    expect(next.json().result.reconcile).toBeUndefined();
  });

  it('a bad --accept-rewrite value is exit 2 (INGEST_ACCEPT_REWRITE_INVALID) and changes nothing', async () => {
    const cut = await cutHistory();
    const clone4 = await fresh();
    const counts = async () =>
      sql<{ runs: string; ingests: string; audit: string; repos: string }>(
        `SELECT (SELECT count(*) FROM public.slsa_runs)::text AS runs,
                (SELECT count(*) FROM public.ingest_runs)::text AS ingests,
                (SELECT count(*) FROM public.provenance_audit_log)::text AS audit,
                (SELECT count(*) FROM public.ingest_watermark)::text AS repos`,
      );
    const before = await counts();
    const unknown = 'f'.repeat(40) === cut ? 'e'.repeat(40) : 'f'.repeat(40);
    for (const value of [
      'HEAD',
      'main',
      cut.slice(0, 3),
      `${cut}0`,
      '--full',
      'a1b2..c3d4',
      unknown.slice(0, 12),
    ]) {
      const r = await ingest('acme/bad', clone4, `--accept-rewrite=${value}`);
      expect(r.code, `${value}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.json().error!.code).toBe('INGEST_ACCEPT_REWRITE_INVALID');
    }
    // one ledger only: with several, naming a commit is refused too
    const several = await runCliCaptured(
      [
        'ingest',
        '--json',
        ...dbArgs(),
        '--ledger',
        `acme/bad=${clone4}`,
        '--ledger',
        `acme/other=${clone}`,
        '--accept-rewrite',
        cut,
      ],
      { env },
    );
    expect(several.code).toBe(2);
    expect(several.json().error!.code).toBe('INGEST_ACCEPT_REWRITE_INVALID');
    expect(await counts()).toEqual(before);
    // a database that does not exist yet is not created
    if (engine === 'pglite') {
      const none = join(tmp.path, 'never');
      const r = await runCliCaptured(
        [
          'ingest',
          '--json',
          '--repo',
          clone4,
          '--ledger',
          'acme/bad',
          '--data-dir',
          none,
          '--accept-rewrite',
          'HEAD',
        ],
        { env },
      );
      expect(r.code).toBe(2);
      expect(existsSync(none)).toBe(false);
    }
  });
});

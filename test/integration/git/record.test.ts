import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordEntry, type RecordOptions } from '../../../src/app/record.js';
import { serializeManifest } from '../../../src/core/ledger/entry.js';
import { parseQueue } from '../../../src/core/ledger/queue.js';
import { readLedgerFromCommit } from '../../../src/io/ledger-reader.js';
import { runCliCaptured } from '../../support/cli.js';
import {
  cloneRemote,
  createRemote,
  git,
  installFreezeHook,
  makeTempDir,
  showFile,
} from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let remote: string;
let clone: string;

beforeEach(async () => {
  tmp = await makeTempDir();
  remote = await createRemote(tmp.path);
  clone = await cloneRemote(remote, join(tmp.path, 'clone'));
});
afterEach(() => tmp.cleanup());

function record(entry: unknown, extra: Partial<RecordOptions> = {}) {
  return recordEntry({ repoDir: clone, entry, lockDir: join(tmp.path, 'locks'), backoffMs: 5, ...extra });
}

async function remoteLedger() {
  const head = await git(remote, ['rev-parse', 'main']);
  return readLedgerFromCommit(remote, head);
}

async function ledgerCommits(): Promise<string[]> {
  const log = await git(remote, ['log', '--format=%s', 'main', '--', 'docs/reports']);
  return log === '' ? [] : log.split('\n');
}

describe('record: the merge rule against a real remote', () => {
  it('inserts, updates, ignores stale and identical entries, refuses conflicts, keeps flag history', async () => {
    const e1 = makeEntry({
      tag: 'v1.0.0',
      run_id: 1,
      timestamp: '2025-11-23T10:00:00Z',
      governance_flag: 'provenance-ready',
    });
    const r1 = await record(e1);
    expect(r1).toMatchObject({
      outcome: 'committed',
      merge: 'inserted',
      path: 'docs/reports/2025-11-23/manifest.json',
      attempts: 1,
    });
    expect(r1.commit).toBe(await git(remote, ['rev-parse', 'main']));

    // identical again: nothing changes, no commit
    const again = await record(e1);
    expect(again.outcome).toBe('unchanged');
    expect(again.commit).toBe(r1.commit);
    expect(await ledgerCommits()).toHaveLength(1);

    // a second day, then an update of the first day's entry: it stays in its file
    await record(makeEntry({ tag: 'v1.0.1', run_id: 2, timestamp: '2025-11-24T10:00:00Z' }));
    const upd = await record({ ...e1, timestamp: '2025-11-25T09:00:00Z', governance_flag: 'validated' });
    expect(upd).toMatchObject({
      outcome: 'committed',
      merge: 'updated',
      path: 'docs/reports/2025-11-23/manifest.json',
    });

    // stale: older than what the ledger holds
    const stale = await record({
      ...e1,
      timestamp: '2025-11-23T09:00:00Z',
      status: 'failure',
      artifact_url: null,
      failure_reason: 'x',
    });
    expect(stale.outcome).toBe('stale');

    // conflict: a different sha for the same key
    await expect(
      record({ ...e1, timestamp: '2025-11-26T00:00:00Z', sha: 'b'.repeat(40) }),
    ).rejects.toThrowCode('LEDGER_CONFLICT');

    const files = await remoteLedger();
    expect(files.map((f) => f.path)).toEqual([
      'docs/reports/2025-11-23/manifest.json',
      'docs/reports/2025-11-24/manifest.json',
    ]);
    const stored = files[0]!.entries[0]!;
    expect(stored.governance_flag).toBe('validated');
    expect(stored.governance_history).toEqual([
      { flag: 'provenance-ready', timestamp: '2025-11-23T10:00:00Z', run_id: 1 },
    ]);
    expect(stored.metrics?.lock_wait_s).toBeGreaterThanOrEqual(0);
    for (const f of files) expect(f.bytes.toString()).toBe(serializeManifest(f.entries));
    expect(await ledgerCommits()).toEqual([
      'provenance: record v1.0.0 (run 1, success)',
      'provenance: record v1.0.1 (run 2, success)',
      'provenance: record v1.0.0 (run 1, success)',
    ]);
  });

  it('writes the trailers; a dirty work tree is never touched', async () => {
    await writeFile(join(clone, 'README.md'), 'local edit\n');
    const before = await git(clone, ['status', '--porcelain']);
    const headBefore = await git(clone, ['rev-parse', 'HEAD']);
    const r = await record(makeEntry());
    const body = await git(remote, ['log', '-1', '--format=%B', 'main']);
    expect(body).toContain(
      `Provenance-Run-Id: 101\nProvenance-Tag: v1.2.3\nManifest-Path: ${r.path}\nManifest-Sha256: ${r.manifest_sha256}`,
    );
    expect(r.local_branch).toBe('dirty');
    expect(await git(clone, ['status', '--porcelain'])).toBe(before);
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(headBefore);
    expect(await git(clone, ['worktree', 'list'])).not.toContain('\n');
  });

  it('read-after-write: a clean, checked-out ledger branch is fast-forwarded to the landed commit', async () => {
    const r = await record(makeEntry());
    expect(r.local_branch).toBe('fast-forwarded');
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(r.commit);
    expect(await readFile(join(clone, r.path), 'utf8')).toBe(await showFile(remote, 'main', r.path));
    expect(await git(clone, ['status', '--porcelain'])).toBe('');
    // another branch checked out: left alone
    await git(clone, ['checkout', '-q', '-b', 'work']);
    const r2 = await record(makeEntry({ run_id: 102 }));
    expect(r2.local_branch).toBe('not-checked-out');
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(r.commit);
  });

  it('writes from a bare clone (a server-side mirror); its branches are left where they were', async () => {
    const bare = join(tmp.path, 'mirror.git');
    await git(tmp.path, ['clone', '-q', '--bare', remote, bare]);
    const before = await git(bare, ['rev-parse', 'main']);
    const r = await recordEntry({
      repoDir: bare,
      entry: makeEntry(),
      lockDir: join(tmp.path, 'locks'),
      backoffMs: 5,
    });
    expect(r.outcome).toBe('committed');
    expect(r.merge).toBe('inserted');
    expect(r.local_branch).toBe('bare');
    expect(await git(remote, ['rev-parse', 'main'])).toBe(r.commit);
    expect(await git(bare, ['rev-parse', 'main'])).toBe(before);
    // the CLI too: not "not a git clone"
    const cli = await runCliCaptured(['record', '--no-sign', '--repo', bare, '--json', '--entry', '-'], {
      stdin: JSON.stringify(makeEntry({ run_id: 202 })),
    });
    expect(cli.stderr).not.toContain('LEDGER_REPO_INVALID');
    expect(cli.code).toBe(0);
  });
  it('retries a non-fast-forward push from a fresh fetch', async () => {
    const other = await cloneRemote(remote, join(tmp.path, 'other'));
    let raced = false;
    const r = await record(makeEntry({ run_id: 7 }), {
      publisher: {
        async publish(req) {
          if (!raced) {
            raced = true;
            // another writer lands first
            await recordEntry({
              repoDir: other,
              entry: makeEntry({ run_id: 8 }),
              lockDir: join(tmp.path, 'other-locks'),
            });
          }
          return req.repo.push(req.commit, req.branch);
        },
      },
    });
    expect(r).toMatchObject({ outcome: 'committed', attempts: 2 });
    const [file] = await remoteLedger();
    expect(file!.entries.map((e) => e.run_id)).toEqual([7, 8]);
  });

  it('queues when out of attempts', async () => {
    const r = await record(makeEntry(), {
      maxAttempts: 2,
      publisher: { publish: () => Promise.resolve({ kind: 'non-fast-forward' }) },
    });
    expect(r).toMatchObject({ outcome: 'queued', attempts: 2 });
    expect(r.queue?.reason).toContain('out of attempts');
  });
});

describe('record: refused push -> queue (exit 75)', () => {
  it('queues locally and on the provenance-queue branch', async () => {
    await installFreezeHook(remote);
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks'),
    };
    const run = await runCliCaptured(['record', '--no-sign', '--json', '--repo', clone, '--entry', '-'], {
      env,
      stdin: JSON.stringify(makeEntry()),
    });
    expect(run.code).toBe(75);
    const out = run.json();
    expect(out.ok).toBe(true);
    expect(out.result).toMatchObject({
      outcome: 'queued',
      commit: null,
      queue: { branch_pushed: true, size: 1 },
    });
    expect(out.result.queue.reason).toContain('release freeze');
    const local = parseQueue(await readFile(join(clone, 'out/provenance/queued-manifest.json'), 'utf8'), 'q');
    expect(local.map((i) => i.entry)).toEqual([makeEntry()]);
    const branchFile = await showFile(
      remote,
      'provenance-queue',
      'docs/reports/2025-11-24/manifest-queue.json',
    );
    expect(parseQueue(branchFile!, 'b').map((i) => i.entry)).toEqual([makeEntry()]);
    expect(await ledgerCommits()).toEqual([]);
  });
});

describe('record: bad input -> exit 3, nothing changed anywhere', () => {
  it.each([
    [
      'no tag',
      ['--run-id', '5', '--sha', 'a'.repeat(40), '--actor', 'x', '--artifact-url', 'https://x.example/a'],
    ],
    [
      'a tag like ../../x',
      [
        '--tag',
        '../../x',
        '--run-id',
        '5',
        '--sha',
        'a'.repeat(40),
        '--actor',
        'x',
        '--artifact-url',
        'https://x.example/a',
      ],
    ],
    [
      'a bad sha',
      [
        '--tag',
        'v1',
        '--run-id',
        '5',
        '--sha',
        'xyz',
        '--actor',
        'x',
        '--artifact-url',
        'https://x.example/a',
      ],
    ],
    [
      'a non-utc timestamp',
      [
        '--tag',
        'v1',
        '--run-id',
        '5',
        '--sha',
        'a'.repeat(40),
        '--actor',
        'x',
        '--artifact-url',
        'https://x.example/a',
        '--timestamp',
        '2025-11-24T10:00:00+02:00',
      ],
    ],
    [
      'a bad run id',
      [
        '--tag',
        'v1',
        '--run-id',
        'abc',
        '--sha',
        'a'.repeat(40),
        '--actor',
        'x',
        '--artifact-url',
        'https://x.example/a',
      ],
    ],
    [
      'failure without reason',
      ['--tag', 'v1', '--run-id', '5', '--sha', 'a'.repeat(40), '--actor', 'x', '--status', 'failure'],
    ],
  ])('%s', async (_name, flags) => {
    await installFreezeHook(remote, 'never'); // a hook that accepts: the remote is reachable
    const refsBefore = await git(remote, ['for-each-ref']);
    const cloneRefsBefore = await git(clone, ['for-each-ref']);
    const run = await runCliCaptured(['record', '--no-sign', '--json', '--repo', clone, ...flags], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') },
    });
    expect(run.code).toBe(3);
    expect(run.json().error!.code).toBe('LEDGER_ENTRY_INVALID');
    expect(await git(remote, ['for-each-ref'])).toBe(refsBefore);
    expect(await git(clone, ['for-each-ref'])).toBe(cloneRefsBefore);
    expect(await git(clone, ['status', '--porcelain', '--ignored'])).toBe('');
  });

  it('a clone without the remote is a usage error', async () => {
    const run = await runCliCaptured(
      ['record', '--no-sign', '--json', '--repo', clone, '--remote', 'nope', '--entry', '-'],
      { stdin: JSON.stringify(makeEntry()) },
    );
    expect(run.code).toBe(2);
    expect(run.json().error!.code).toBe('LEDGER_REPO_INVALID');
    const notRepo = await runCliCaptured(
      ['record', '--no-sign', '--json', '--repo', tmp.path, '--entry', '-'],
      {
        stdin: JSON.stringify(makeEntry()),
      },
    );
    expect(notRepo.json().error!.code).toBe('LEDGER_REPO_INVALID');
  });
});

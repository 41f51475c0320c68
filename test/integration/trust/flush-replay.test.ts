// The queue replay under a trust policy (issue 14 items 3, 5; the twenty-first session's mutation
// audit of src/app/flush.ts): a rewritten history or an unreachable remote met by the queue gate's
// fetch stops the replay as it does in `land` (the item refused, the rest skipped, exit 75, the
// `ledger-history-rewritten` alert), never an escaping error that skips the alert; and the queue
// stays exactly as it was.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCheckerTrust } from '../../../src/app/check-trust.js';
import { flushQueue } from '../../../src/app/flush.js';
import type { LedgerAlert } from '../../../src/app/ledger-engine.js';
import { UnavailableError } from '../../../src/errors.js';
import { runCliCaptured } from '../../support/cli.js';
import {
  cloneRemote,
  commitFiles,
  createRemote,
  git,
  installFreezeHook,
  makeTempDir,
  removeFreezeHook,
  showFile,
} from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let remote: string;
let clone: string;
let env: Record<string, string | undefined>;
let k: { key: string; pub: string };

async function record(entry: unknown) {
  const file = join(tmp.path, `entry-${Math.random().toString(16).slice(2)}.json`);
  await writeFile(file, JSON.stringify(entry));
  return runCliCaptured(['record', '--json', '--repo', clone, '--entry', file, '--sign-key', k.key], {
    env,
  });
}

const queueFile = () => join(clone, 'out/provenance/queued-manifest.json');
const lockDir = () => join(tmp.path, 'locks');

beforeEach(async () => {
  tmp = await makeTempDir('slsa-ledger-flush-replay-');
  remote = await createRemote(tmp.path);
  clone = await cloneRemote(remote, join(tmp.path, 'clone'));
  env = { PATH: process.env.PATH, HOME: process.env.HOME, SLSA_LEDGER_LOCK_DIR: lockDir() };
  const key = join(tmp.path, 'ledger.key');
  const made = await runCliCaptured(['keygen', '--type', 'ed25519', '--out', key, '--json'], { env });
  expect(made.code, made.stderr).toBe(0);
  k = { key, pub: join(tmp.path, 'ledger.pub') };
  // run 1 lands; runs 2 and 3 are refused and queued, signed
  expect((await record(makeEntry({ run_id: 1 }))).code).toBe(0);
  await installFreezeHook(remote);
  for (const run_id of [2, 3]) expect((await record(makeEntry({ run_id }))).code).toBe(75);
  await removeFreezeHook(remote);
});
afterEach(() => tmp.cleanup());

/** Someone with force-push rights replaces the ledger's history (run 1 gone). */
async function rewriteHistory(): Promise<void> {
  const other = await cloneRemote(remote, join(tmp.path, 'other'));
  await git(other, ['checkout', '-q', '--orphan', 'rewritten']);
  await git(other, ['rm', '-rq', '--cached', '.']);
  await commitFiles(other, { 'README.md': 'nothing here\n' }, 'a new history');
  await git(other, ['push', '-q', '--force', 'origin', 'rewritten:main']);
}

describe('flush under a trust policy: the gate meets the remote first', () => {
  it('a rewritten history: the first item refused, the rest skipped, the alert raised once, exit 75, the queue kept', async () => {
    await rewriteHistory();
    const mainBefore = await git(remote, ['rev-parse', 'main']);
    const trust = await loadCheckerTrust({ cwd: tmp.path, trustKeys: [k.pub] });
    const alerts: LedgerAlert[] = [];
    // before: LEDGER_HISTORY_REWRITTEN escaped from the gate's fetch, and no alert was raised
    const r = await flushQueue({
      repoDir: clone,
      lockDir: lockDir(),
      trust: trust!,
      alert: (a) => {
        alerts.push(a);
        return Promise.resolve();
      },
    });
    expect(r).toMatchObject({
      outcome: 'queued',
      alert: 'ledger-history-rewritten',
      landed: 0,
      remaining: 2,
      items: [
        { run_id: 2, outcome: 'refused', code: 'LEDGER_HISTORY_REWRITTEN' },
        { run_id: 3, outcome: 'skipped', reason: 'the ledger history was rewritten' },
      ],
    });
    expect(alerts).toEqual([
      expect.objectContaining({
        event: 'ledger-history-rewritten',
        code: 'LEDGER_HISTORY_REWRITTEN',
        run_id: 2,
      }),
    ]);
    expect(await git(remote, ['rev-parse', 'main'])).toBe(mainBefore);
    // the queue keeps both items; the refused one counts its attempt
    const queue = JSON.parse(await readFile(queueFile(), 'utf8')) as { entry: { run_id: number } }[];
    expect(queue.map((q) => q.entry.run_id)).toEqual([2, 3]);

    // through the CLI: exit 75 (waits for a retry), ok true, as record's queued entry
    const cli = await runCliCaptured(
      ['flush', '--json', '--repo', clone, '--sign-key', k.key, '--trust-key', k.pub],
      { env },
    );
    expect(cli.code, cli.stdout + cli.stderr).toBe(75);
    expect(cli.json()).toMatchObject({ ok: true, result: { alert: 'ledger-history-rewritten' } });
    expect(await git(remote, ['rev-parse', 'main'])).toBe(mainBefore);
  });

  it('without a policy the rewrite is still reported (exit 75) and now raises the alert too', async () => {
    await rewriteHistory();
    const alerts: LedgerAlert[] = [];
    const flushed = flushQueue({
      repoDir: clone,
      lockDir: lockDir(),
      alert: (a) => {
        alerts.push(a);
        return Promise.resolve();
      },
    });
    await expect(flushed).rejects.toThrowCode('LEDGER_HISTORY_REWRITTEN');
    expect(alerts).toEqual([expect.objectContaining({ event: 'ledger-history-rewritten' })]);
  });

  it('an unreachable remote: the items wait (refused, then skipped, exit 75), never exit 5 with the result lost', async () => {
    await rename(remote, `${remote}.away`);
    const trust = await loadCheckerTrust({ cwd: tmp.path, trustKeys: [k.pub] });
    const r = await flushQueue({ repoDir: clone, lockDir: lockDir(), trust: trust! });
    expect(r).toMatchObject({
      outcome: 'queued',
      landed: 0,
      remaining: 2,
      queue_branch: false,
      items: [
        { run_id: 2, outcome: 'refused', code: 'LEDGER_REMOTE_UNAVAILABLE' },
        { run_id: 3, outcome: 'skipped', reason: 'the remote is unavailable' },
      ],
    });
    expect(r.alert).toBeUndefined();
    const queue = JSON.parse(await readFile(queueFile(), 'utf8')) as { entry: { run_id: number } }[];
    expect(queue.map((q) => q.entry.run_id)).toEqual([2, 3]);
    await rename(`${remote}.away`, remote);
  });
});

describe('--allow-unauthenticated never loosens a trust policy', () => {
  it('an unsigned item planted in the queue file stays untrusted (exit 1); the signed ones land', async () => {
    const queue = JSON.parse(await readFile(queueFile(), 'utf8')) as unknown[];
    const forged = makeEntry({ run_id: 9, timestamp: '2025-11-24T10:30:00Z' });
    queue.push({ entry: forged, reason: 'x', queued_at: '2025-11-24T10:30:00Z', attempts: 1 });
    await writeFile(queueFile(), `${JSON.stringify(queue, null, 2)}\n`);
    const r = await runCliCaptured(
      [
        'flush',
        '--json',
        '--repo',
        clone,
        '--sign-key',
        k.key,
        '--trust-key',
        k.pub,
        '--allow-unauthenticated',
      ],
      { env },
    );
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.json().error).toMatchObject({
      code: 'FLUSH_ENTRY_UNTRUSTED',
      details: { result: { landed: 2, remaining: 1, untrusted: 1 } },
    });
    expect(r.stderr).toContain('--allow-unauthenticated is ignored');
    const left = JSON.parse(await readFile(queueFile(), 'utf8')) as { entry: { run_id: number } }[];
    expect(left.map((q) => q.entry.run_id)).toEqual([9]);
  });
});

describe('the gate leaves what it does not land where it is', () => {
  it('a queued item that conflicts with the ledger (another sha landed meanwhile) stays in both queues; the other lands (exit 4)', async () => {
    expect((await record(makeEntry({ run_id: 3, sha: 'b'.repeat(40) }))).code).toBe(0);
    const r = await runCliCaptured(
      ['flush', '--json', '--repo', clone, '--sign-key', k.key, '--trust-key', k.pub],
      { env },
    );
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.json().error).toMatchObject({
      code: 'LEDGER_CONFLICT',
      details: {
        result: {
          landed: 1,
          remaining: 1,
          conflicts: 1,
          items: [
            { run_id: 2, outcome: 'committed' },
            { run_id: 3, outcome: 'conflict', code: 'LEDGER_CONFLICT' },
          ],
        },
      },
    });
    const left = JSON.parse(await readFile(queueFile(), 'utf8')) as { entry: { run_id: number } }[];
    expect(left.map((q) => q.entry.run_id)).toEqual([3]);
    const branch = JSON.parse(
      (await showFile(remote, 'provenance-queue', 'docs/reports/2025-11-24/manifest-queue.json'))!,
    ) as { entry: { run_id: number } }[];
    expect(branch.map((q) => q.entry.run_id)).toEqual([3]);
  });
});

describe('an error flush does not know is never swallowed', () => {
  it('a push that fails with LEDGER_GIT_FAILED stops flush with that error; the queue is untouched', async () => {
    const before = await readFile(queueFile(), 'utf8');
    const trust = await loadCheckerTrust({ cwd: tmp.path, trustKeys: [k.pub] });
    const flushed = flushQueue({
      repoDir: clone,
      lockDir: lockDir(),
      trust: trust!,
      publisher: {
        publish: () => Promise.reject(new UnavailableError('LEDGER_GIT_FAILED', 'git push died')),
      },
    });
    // before a mutant that swallowed it: resolved, the item missing from the report
    await expect(flushed).rejects.toThrowCode('LEDGER_GIT_FAILED');
    expect(await readFile(queueFile(), 'utf8')).toBe(before);
  });
});

describe('what does not land stays, and says why', () => {
  it('an entry stamped far ahead of the clock is invalid (LEDGER_ENTRY_INVALID) and stays; the others land and the checkout moves forward', async () => {
    const queue = JSON.parse(await readFile(queueFile(), 'utf8')) as unknown[];
    const ahead = makeEntry({ run_id: 9, timestamp: '2099-01-01T00:00:00Z' });
    queue.push({ entry: ahead, reason: 'x', queued_at: '2025-11-24T10:30:00Z', attempts: 1 });
    await writeFile(queueFile(), `${JSON.stringify(queue, null, 2)}\n`);
    const r = await flushQueue({ repoDir: clone, lockDir: lockDir(), allowUnauthenticated: true });
    expect(r).toMatchObject({ outcome: 'queued', landed: 2, remaining: 1, invalid: 1 });
    expect(r.items.find((i) => i.run_id === 9)).toMatchObject({
      outcome: 'invalid',
      code: 'LEDGER_ENTRY_INVALID',
    });
    const left = JSON.parse(await readFile(queueFile(), 'utf8')) as { entry: { run_id: number } }[];
    expect(left.map((q) => q.entry.run_id)).toEqual([9]);
    // read-after-write: the clone's checked-out ledger branch is moved to the last commit flush made
    expect(r.local_branch).toBe('fast-forwarded');
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(await git(remote, ['rev-parse', 'main']));
  });

  it('a refused push leaves the items and counts the attempt in the queue file', async () => {
    const before = JSON.parse(await readFile(queueFile(), 'utf8')) as { attempts: number }[];
    await installFreezeHook(remote);
    const trust = await loadCheckerTrust({ cwd: tmp.path, trustKeys: [k.pub] });
    const r = await flushQueue({ repoDir: clone, lockDir: lockDir(), trust: trust!, maxAttempts: 1 });
    expect(r).toMatchObject({ outcome: 'queued', landed: 0, remaining: 2 });
    expect(r.items.map((i) => [i.run_id, i.outcome, i.code])).toEqual([
      [2, 'refused', 'LEDGER_PUSH_REFUSED'],
      [3, 'refused', 'LEDGER_PUSH_REFUSED'],
    ]);
    const after = JSON.parse(await readFile(queueFile(), 'utf8')) as { attempts: number }[];
    expect(after.map((q) => q.attempts)).toEqual(before.map((q) => q.attempts + 1));
  });
});

describe('a queue file that cannot be read is never written over', () => {
  it("the queue branch's items land; the unreadable local file stays byte for byte; the outcome says queued (exit 75)", async () => {
    await writeFile(queueFile(), 'not json {');
    const trust = await loadCheckerTrust({ cwd: tmp.path, trustKeys: [k.pub] });
    const r = await flushQueue({ repoDir: clone, lockDir: lockDir(), trust: trust! });
    expect(r).toMatchObject({
      outcome: 'queued',
      landed: 2,
      remaining: 0,
      queue_file_error: { code: 'LEDGER_QUEUE_INVALID' },
    });
    expect(await readFile(queueFile(), 'utf8')).toBe('not json {');
    // nothing left anywhere else: still queued (exit 75, a retry once it is repaired), never "empty"
    const again = await flushQueue({ repoDir: clone, lockDir: lockDir(), trust: trust! });
    expect(again).toMatchObject({
      outcome: 'queued',
      landed: 0,
      queue_file_error: { code: 'LEDGER_QUEUE_INVALID' },
    });
    expect(await readFile(queueFile(), 'utf8')).toBe('not json {');
  });
});

describe('an invalid item on the queue branch', () => {
  it('is reported (LEDGER_QUEUE_INVALID, exit 3) and counted, and stays on the branch when the items beside it land', async () => {
    const qpath = 'docs/reports/2025-11-24/manifest-queue.json';
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    await git(attacker, ['fetch', '-q', 'origin', 'provenance-queue:provenance-queue']);
    await git(attacker, ['checkout', '-q', 'provenance-queue']);
    const items = JSON.parse(await readFile(join(attacker, qpath), 'utf8')) as unknown[];
    const bad = {
      entry: { ...makeEntry({ run_id: 7 }), run_id: '7' },
      reason: 'x',
      queued_at: '2025-11-24T10:30:00Z',
      attempts: 1,
    };
    await writeFile(join(attacker, qpath), `${JSON.stringify([...items, bad], null, 2)}\n`);
    await git(attacker, ['commit', '-qam', 'queue']);
    await git(attacker, ['push', '-q', 'origin', 'provenance-queue']);
    const r = await runCliCaptured(
      ['flush', '--json', '--repo', clone, '--sign-key', k.key, '--trust-key', k.pub],
      { env },
    );
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.json().error).toMatchObject({
      code: 'LEDGER_QUEUE_INVALID',
      details: { result: { landed: 2, remaining: 1, invalid: 1 } },
    });
    // nothing is lost: the item that cannot land stays where it was found
    const left = JSON.parse((await showFile(remote, 'provenance-queue', qpath))!) as unknown[];
    expect(left).toEqual([bad]);
  });
});

describe("flush's fetch moves the witness", () => {
  it("another writer's commit seen by a flush that lands nothing, then rewound away: the next record refuses (LEDGER_HISTORY_REWRITTEN)", async () => {
    const first = await git(remote, ['rev-parse', 'main']);
    const other = await cloneRemote(remote, join(tmp.path, 'other'));
    const file = join(tmp.path, 'other-entry.json');
    await writeFile(file, JSON.stringify(makeEntry({ run_id: 5 })));
    const theirs = await runCliCaptured(
      ['record', '--json', '--repo', other, '--entry', file, '--sign-key', k.key],
      { env },
    );
    expect(theirs.code, theirs.stderr).toBe(0);
    // no policy: nothing lands, but the ledger branch is fetched (and the witness moves to run 5's commit)
    await expect(flushQueue({ repoDir: clone, lockDir: lockDir() })).resolves.toMatchObject({
      landed: 0,
      unauthenticated: 2,
    });
    // the attacker rewinds main to before run 5
    await git(other, ['push', '-q', '--force', 'origin', `${first}:refs/heads/main`]);
    // the fetched ref alone would refuse the non-fast-forward: without it, only the witness remembers
    await git(clone, ['update-ref', '-d', 'refs/slsa-ledger/origin/main']);
    const r = await record(makeEntry({ run_id: 6 }));
    expect(r.code, r.stdout + r.stderr).toBe(75);
    expect(r.json().result.queue.code).toBe('LEDGER_HISTORY_REWRITTEN');
    expect(await git(remote, ['rev-parse', 'main'])).toBe(first);
  });
});

describe('an unreadable file on the queue branch', () => {
  it('is skipped with a warning; the items of the other files land, and it stays as it is', async () => {
    const junk = 'docs/reports/2025-11-25/manifest-queue.json';
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    await git(attacker, ['fetch', '-q', 'origin', 'provenance-queue:provenance-queue']);
    await git(attacker, ['checkout', '-q', 'provenance-queue']);
    await commitFiles(attacker, { [junk]: 'not json {' }, 'junk');
    await git(attacker, ['push', '-q', 'origin', 'provenance-queue']);
    await writeFile(queueFile(), '[]\n');
    const trust = await loadCheckerTrust({ cwd: tmp.path, trustKeys: [k.pub] });
    const r = await flushQueue({ repoDir: clone, lockDir: lockDir(), trust: trust! });
    expect(r).toMatchObject({ outcome: 'flushed', landed: 2, queue_branch: true });
    expect(await showFile(remote, 'provenance-queue', junk)).toBe('not json {');
  });
});

describe('the queue branch cannot be updated', () => {
  it('the entries land; queue_branch says false, and the branch keeps them', async () => {
    await installFreezeHook(remote, 'provenance-queue');
    const trust = await loadCheckerTrust({ cwd: tmp.path, trustKeys: [k.pub] });
    const r = await flushQueue({ repoDir: clone, lockDir: lockDir(), trust: trust! });
    expect(r).toMatchObject({ outcome: 'flushed', landed: 2, queue_branch: false });
    const qpath = 'docs/reports/2025-11-24/manifest-queue.json';
    expect(JSON.parse((await showFile(remote, 'provenance-queue', qpath))!)).toHaveLength(2);
  });
});

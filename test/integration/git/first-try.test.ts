// A writer's first try (issue 14 performance, docs/ledger.md "The first try"): built on the head
// the clone last saw (its witness) without a fetch, and pushed with `--force-with-lease` on that
// head. These tests hold what it must never change: a moved branch is merged at its new head, a
// history rewritten back to an older commit is still refused and alerted, an entry unchanged at
// the old head is decided at the fetched one, and a keyless signature is never thrown away.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LedgerAlert, TransitionSigner } from '../../../src/app/ledger-engine.js';
import { recordEntry, type RecordOptions } from '../../../src/app/record.js';
import { readLedgerFromCommit } from '../../../src/io/ledger-reader.js';
import { cloneRemote, createRemote, git, makeTempDir, tracedGit } from '../../support/git.js';
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

function record(dir: string, entry: unknown, extra: Partial<RecordOptions> = {}) {
  return recordEntry({ repoDir: dir, entry, lockDir: join(tmp.path, 'locks'), backoffMs: 5, ...extra });
}

/** `fn`'s git commands (GIT_TRACE2_EVENT), as `<command> <args…>`. */
const traced = <T>(fn: () => Promise<T>) => tracedGit(tmp.path, fn);

async function remoteEntries(): Promise<string[]> {
  const head = await git(remote, ['rev-parse', 'main']);
  return (await readLedgerFromCommit(remote, head))
    .flatMap((f) => f.entries)
    .map((e) => `${e.tag}#${e.run_id}`)
    .sort();
}

const e1 = makeEntry({ tag: 'v1.0.0', run_id: 1, timestamp: '2025-11-24T10:00:00Z' });
const e2 = makeEntry({ tag: 'v1.0.1', run_id: 2, timestamp: '2025-11-24T11:00:00Z' });
const e3 = makeEntry({ tag: 'v1.0.2', run_id: 3, timestamp: '2025-11-24T12:00:00Z' });

describe('record: the first try at the head this clone last saw', () => {
  it('a clone that wrote last lands its next entry without a fetch, leased on that head', async () => {
    const r1 = await record(clone, e1);
    expect(r1.outcome).toBe('committed');
    const { result: r2, commands } = await traced(() => record(clone, e2));
    expect(r2).toMatchObject({ outcome: 'committed', attempts: 1 });
    expect(commands.filter((c) => c.startsWith('fetch'))).toEqual([]);
    expect(commands.filter((c) => c.startsWith('push'))).toEqual([
      `push --porcelain --force-with-lease=refs/heads/main:${r1.commit} origin ${r2.commit}:refs/heads/main`,
    ]);
    expect(await git(remote, ['rev-parse', 'main'])).toBe(r2.commit);
    expect(await git(remote, ['rev-parse', `${r2.commit}^`])).toBe(r1.commit);
    expect(await remoteEntries()).toEqual(['v1.0.0#1', 'v1.0.1#2']);
    // the read-after-write still follows: the clone's branch is at the landed commit
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(r2.commit);
  });

  it('another clone wrote in between: the lease refuses the first try, the entry is merged at the new head', async () => {
    await record(clone, e1);
    const other = await cloneRemote(remote, join(tmp.path, 'other'));
    const theirs = await record(other, e2);
    const { result: mine, commands } = await traced(() => record(clone, e3));
    expect(mine).toMatchObject({ outcome: 'committed', attempts: 1 });
    expect(await git(remote, ['rev-parse', `${mine.commit}^`])).toBe(theirs.commit);
    // the other clone's entry, in the same day file, is kept
    expect(await remoteEntries()).toEqual(['v1.0.0#1', 'v1.0.1#2', 'v1.0.2#3']);
    expect(commands.map((c) => c.split(' ')[0]).filter((c) => c === 'push' || c === 'fetch')).toEqual([
      'push',
      'fetch',
      'push',
    ]);
  });

  it('the branch force-pushed back to an older commit: refused and alerted, never landed on top', async () => {
    const r1 = await record(clone, e1);
    await record(clone, e2);
    // whoever can push drops the last run; the clone saw the head that had it
    await git(remote, ['update-ref', 'refs/heads/main', r1.commit!]);
    const alerts: LedgerAlert[] = [];
    const r3 = await record(clone, e3, {
      alert: (a) => {
        alerts.push(a);
        return Promise.resolve();
      },
      queuePath: join(tmp.path, 'queue.json'),
    });
    // without the lease, the first try's commit (built on the dropped head) would fast-forward the
    // rewritten branch and put the dropped run back unseen
    expect(r3).toMatchObject({ outcome: 'queued', alert: 'ledger-history-rewritten' });
    expect(alerts.map((a) => a.event)).toEqual(['ledger-history-rewritten']);
    expect(await git(remote, ['rev-parse', 'main'])).toBe(r1.commit);
    expect(await remoteEntries()).toEqual(['v1.0.0#1']);
  });

  it('an entry already there at the old head is decided at the fetched one (here: stale)', async () => {
    const r1 = await record(clone, e1);
    const other = await cloneRemote(remote, join(tmp.path, 'other'));
    const newer = await record(other, {
      ...e1,
      timestamp: '2025-11-24T10:30:00Z',
      governance_flag: 'validated',
    });
    expect(newer.outcome).toBe('committed');
    // the original again: unchanged where this clone last looked, stale at the remote's head
    const again = await record(clone, e1);
    expect(again).toMatchObject({ outcome: 'stale', commit: newer.commit });
    expect(again.commit).not.toBe(r1.commit);
  });

  it('a keyless signer signs once, at the fetched head: no signature on a try that may be thrown away', async () => {
    const calls = { remote: 0, local: 0 };
    const signer = (kind: 'remote' | 'local'): TransitionSigner => ({
      remote: kind === 'remote',
      filesFor: () => {
        calls[kind] += 1;
        return Promise.resolve([]);
      },
    });
    await record(clone, e1);
    const other = await cloneRemote(remote, join(tmp.path, 'other'));
    await record(other, e2);
    const { commands } = await traced(() => record(clone, e3, { transitionSigner: signer('remote') }));
    expect(calls.remote).toBe(1);
    expect(commands.filter((c) => c.startsWith('push'))).toHaveLength(1);
    // a local signer may sign twice (the first try, then the fetched head)
    await record(other, makeEntry({ tag: 'v1.0.3', run_id: 4, timestamp: '2025-11-24T13:00:00Z' }));
    await record(clone, makeEntry({ tag: 'v1.0.4', run_id: 5, timestamp: '2025-11-24T14:00:00Z' }), {
      transitionSigner: signer('local'),
    });
    expect(calls.local).toBe(2);
  });
});

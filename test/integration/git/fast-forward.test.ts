// Read-after-write's fast-forward of the user's checked-out branch (issue 13 item 1; issue 14
// performance): when the branch is at the landed commit's parent, only the commit's few paths are
// checked out and the branch is moved by a compare-and-swap `update-ref`; anything else goes through
// `merge --ff-only`. Either way the user's work tree, index and untracked files end as git's own
// fast-forward would leave them, or are not touched at all.
import type * as ChildProcessModule from 'node:child_process';
import { readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordEntry } from '../../../src/app/record.js';
import { GitLedgerRepo } from '../../../src/io/git-ledger-repo.js';
import {
  cloneRemote,
  commitFiles,
  createRemote,
  git,
  installFreezeHook,
  makeTempDir,
  tracedGit,
} from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let remote: string;
let clone: string;
let writer: string;

const DAY = 'docs/reports/2025-12-02/manifest.json';

// The order in which Node spawned git (src/io/git.ts), for the tests of what starts after what: the
// order of git's own trace2 `start` events is the order the processes got to run, and on a loaded
// machine a process spawned later can write its `start` first (a CI run failed so: `status`, spawned
// after the push, traced before it).
const spawnOrder = vi.hoisted(() => [] as string[]);
vi.mock('node:child_process', async (importOriginal) => {
  const real = await importOriginal<typeof ChildProcessModule>();
  const spawn = ((command: string, args: readonly string[], ...rest: unknown[]) => {
    if (command === 'git' && Array.isArray(args)) spawnOrder.push(args.join(' '));
    return (real.spawn as (...a: unknown[]) => unknown)(command, args, ...rest);
  }) as typeof real.spawn;
  return { ...real, spawn };
});

beforeEach(async () => {
  tmp = await makeTempDir();
  remote = await createRemote(tmp.path);
  clone = await cloneRemote(remote, join(tmp.path, 'clone'));
  writer = await cloneRemote(remote, join(tmp.path, 'writer'));
  await commitFiles(clone, { 'docs/reports/2025-12-01/manifest.json': '[]\n' }, 'a first day', {
    push: true,
  });
  await git(writer, ['pull', '-q', 'origin', 'main']);
});
afterEach(() => tmp.cleanup());

/** Lands a commit on the remote from the other clone and fetches it into `clone` (not merged). */
async function land(
  files: Record<string, string>,
  remove: string[] = [],
): Promise<{ parent: string; commit: string }> {
  const parent = await git(writer, ['rev-parse', 'HEAD']);
  for (const path of remove) await git(writer, ['rm', '-q', path]);
  const commit =
    Object.keys(files).length > 0
      ? await commitFiles(writer, files, 'provenance: record')
      : (await git(writer, ['commit', '-q', '-m', 'provenance: remove']),
        await git(writer, ['rev-parse', 'HEAD']));
  await git(writer, ['push', '-q', 'origin', 'HEAD:main']);
  await git(clone, ['fetch', '-q', 'origin']);
  return { parent, commit };
}

async function fastForward(
  commit: string,
  parent: string,
  checkout?: Awaited<ReturnType<GitLedgerRepo['readCheckout']>>,
) {
  const repo = await GitLedgerRepo.open({ repoDir: clone });
  try {
    return await repo.fastForwardCheckedOut(
      'main',
      commit,
      parent,
      checkout === undefined ? undefined : Promise.resolve(checkout),
    );
  } finally {
    repo.close();
  }
}

/** The clone's own writer makes a commit as record does; returns it with the status read before. */
async function ownCommit(repo: GitLedgerRepo) {
  const parent = await git(clone, ['rev-parse', 'HEAD']);
  const checkout = await repo.readCheckout();
  const commit = await repo.createCommit(
    parent,
    [
      { path: DAY, bytes: Buffer.from('[{"tag":"v1"}]\n') },
      { path: 'docs/reports/2025-12-01/manifest.json', bytes: Buffer.from('[{"tag":"v0"}]\n') },
    ],
    'provenance: record v1\n',
    { via: 'objects' },
  );
  return { parent, commit, checkout };
}

/**
 * The clone is at `commit` (which wrote v1 into DAY and v0 into the first day) as git's own
 * fast-forward would leave it, moved the fast way (`merge` writes "merge <commit>: Fast-forward").
 */
async function expectOwnFastForward(commit: string): Promise<void> {
  expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(commit);
  expect(await git(clone, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/main');
  expect(await readFile(join(clone, DAY), 'utf8')).toBe('[{"tag":"v1"}]\n');
  expect(await readFile(join(clone, 'docs/reports/2025-12-01/manifest.json'), 'utf8')).toBe(
    '[{"tag":"v0"}]\n',
  );
  expect(await git(clone, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
  expect(await git(clone, ['diff', '--cached', '--name-only', commit])).toBe('');
  expect(await git(clone, ['reflog', '-1', '--format=%gs', 'main'])).toBe(
    `slsa-ledger: fast-forward to ${commit}`,
  );
}

describe('read-after-write fast-forward of the checked-out branch', () => {
  it("our own commit: only its paths are checked out, the branch moves, the tree is clean as after git's fast-forward", async () => {
    const { parent, commit } = await land({
      [DAY]: '[{"tag":"v1"}]\n',
      'docs/reports/2025-12-01/manifest.json': '[{"tag":"v0"}]\n',
    });
    expect(await fastForward(commit, parent)).toBe('fast-forwarded');
    await expectOwnFastForward(commit);
    // the next commit on top sees the index as git left it
    expect(await commitFiles(clone, { 'notes.txt': 'x\n' }, 'a local commit')).toMatch(/^[0-9a-f]{40}$/);
    expect(await git(clone, ['diff', '--name-only', commit, 'HEAD'])).toBe('notes.txt');
  });

  it('an untracked file where the commit adds one is never overwritten: left as it is (dirty)', async () => {
    const { parent, commit } = await land({ [DAY]: '[{"tag":"v1"}]\n' });
    await mkdir(join(clone, 'docs/reports/2025-12-02'), { recursive: true });
    await writeFile(join(clone, DAY), 'my own notes\n');
    expect(await fastForward(commit, parent)).toBe('dirty');
    expect(await readFile(join(clone, DAY), 'utf8')).toBe('my own notes\n');
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(parent);
  });

  it('a file where the commit adds a directory is never replaced: left as it is (dirty)', async () => {
    const { parent, commit } = await land({ [DAY]: '[{"tag":"v1"}]\n' });
    await writeFile(join(clone, 'docs/reports/2025-12-02'), 'in the way\n');
    expect(await fastForward(commit, parent)).toBe('dirty');
    expect(await readFile(join(clone, 'docs/reports/2025-12-02'), 'utf8')).toBe('in the way\n');
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(parent);
  });

  it('the branch moved after the status was read: the paths are put back, the branch and tree are as the user left them', async () => {
    const { parent, commit } = await land({
      [DAY]: '[{"tag":"v1"}]\n',
      'docs/reports/2025-12-01/manifest.json': '[{"tag":"v0"}]\n',
    });
    const repo = await GitLedgerRepo.open({ repoDir: clone });
    const stale = await repo.readCheckout();
    repo.close();
    const mine = await commitFiles(clone, { 'notes.txt': 'mine\n' }, 'a local commit meanwhile');
    expect(await fastForward(commit, parent, stale)).toBe('diverged');
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(mine);
    expect(await git(clone, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
    expect(await readFile(join(clone, 'docs/reports/2025-12-01/manifest.json'), 'utf8')).toBe('[]\n');
  });

  it('a commit this writer made itself: no diff-tree is asked, and the result is the same', async () => {
    // the clone's own writer makes the commit (as record does) and lands it on the remote
    const repo = await GitLedgerRepo.open({ repoDir: clone });
    const trace = join(tmp.path, 'trace.json');
    const saved = process.env.GIT_TRACE2_EVENT;
    try {
      const { parent, commit } = await ownCommit(repo);
      expect(await repo.push(commit, 'main')).toEqual({ kind: 'landed' });
      process.env.GIT_TRACE2_EVENT = trace;
      expect(await repo.fastForwardCheckedOut('main', commit, parent)).toBe('fast-forwarded');
      delete process.env.GIT_TRACE2_EVENT;
      const commands = (await readFile(trace, 'utf8'))
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { event: string; argv?: string[] })
        .filter((e) => e.event === 'start')
        .map((e) => e.argv![1]);
      expect(commands).not.toContain('diff-tree');
      expect(commands).not.toContain('merge');
      expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(commit);
      expect(await readFile(join(clone, DAY), 'utf8')).toBe('[{"tag":"v1"}]\n');
      expect(await git(clone, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
      expect(await git(clone, ['diff', '--cached', '--name-only', commit])).toBe('');
    } finally {
      if (saved === undefined) delete process.env.GIT_TRACE2_EVENT;
      else process.env.GIT_TRACE2_EVENT = saved;
      repo.close();
    }
  });

  it('git refuses the checkout (the index is locked) while the branch moved: the branch goes back, nothing else changes', async () => {
    const { parent, commit } = await land({ [DAY]: '[{"tag":"v1"}]\n' });
    // another git process holds the index: checkout and merge refuse, update-ref does not
    await writeFile(join(clone, '.git', 'index.lock'), '');
    expect(await fastForward(commit, parent)).toBe('dirty');
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(parent);
    await rm(join(clone, '.git', 'index.lock'));
    expect(await git(clone, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
    // the undo is in the reflog, after the move
    expect((await git(clone, ['reflog', '-2', '--format=%gs', 'main'])).split('\n')).toEqual([
      `slsa-ledger: undo fast-forward to ${commit}`,
      `slsa-ledger: fast-forward to ${commit}`,
    ]);
  });

  it('a commit that deletes a file goes through merge --ff-only, with the same result', async () => {
    const { parent, commit } = await land({}, ['docs/reports/2025-12-01/manifest.json']);
    expect(await fastForward(commit, parent)).toBe('fast-forwarded');
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(commit);
    expect(await git(clone, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
    expect(await git(clone, ['reflog', '-1', '--format=%gs', 'main'])).toContain('Fast-forward');
  });
});

// issue 14 performance: record starts the usual case's two git processes (the checkout of the
// commit's paths, `restore`, and the compare-and-swap, `update-ref --stdin`) while its push runs,
// each waiting for its input; they are fed once the push has landed, or closed empty and change
// nothing
describe('read-after-write prepared while the push runs', () => {
  /** `fn` with the clone opened as the writers open it, closed after. */
  async function withRepo(fn: (repo: GitLedgerRepo) => Promise<void>): Promise<void> {
    const repo = await GitLedgerRepo.open({ repoDir: clone });
    try {
      await fn(repo);
    } finally {
      repo.close();
    }
  }

  it('fed after the push: the branch and the paths move as without it, and no git process starts then', async () => {
    await withRepo(async (repo) => {
      const { parent, commit, checkout } = await ownCommit(repo);
      const prepared = repo.prepareOwnFastForward('main', parent, commit, checkout);
      expect(prepared).toBeDefined();
      expect(await repo.push(commit, 'main')).toEqual({ kind: 'landed' });
      const { result, commands } = await tracedGit(tmp.path, () =>
        repo.fastForwardCheckedOut('main', commit, parent, Promise.resolve(checkout), prepared),
      );
      expect(result).toBe('fast-forwarded');
      expect(commands).toEqual([]);
      await expectOwnFastForward(commit);
    });
  });

  it('cancelled (the push did not land): both processes exit, and the branch, index and files are as they were', async () => {
    await withRepo(async (repo) => {
      const { parent, commit, checkout } = await ownCommit(repo);
      const reflog = await git(clone, ['reflog', '--format=%gs', 'main']);
      const prepared = repo.prepareOwnFastForward('main', parent, commit, checkout)!;
      prepared.cancel();
      // what git says once its input closed empty: restore refuses (no path), update-ref has nothing to do
      const [restored, moved] = await Promise.all([
        prepared.checkout.feed('ignored'),
        prepared.move.feed('ignored'),
      ]);
      expect(restored.code).not.toBe(0);
      expect(restored.stderr).toMatch(/must specify path/);
      expect(moved.code).toBe(0);
      expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(parent);
      expect(await readFile(join(clone, 'docs/reports/2025-12-01/manifest.json'), 'utf8')).toBe('[]\n');
      expect(await git(clone, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
      expect(await git(clone, ['reflog', '--format=%gs', 'main'])).toBe(reflog);
    });
  });

  it('the branch moved after it was prepared: the compare-and-swap fails, the paths go back, the user keeps the commit', async () => {
    await withRepo(async (repo) => {
      const { parent, commit, checkout } = await ownCommit(repo);
      const prepared = repo.prepareOwnFastForward('main', parent, commit, checkout);
      expect(await repo.push(commit, 'main')).toEqual({ kind: 'landed' });
      const mine = await commitFiles(clone, { 'notes.txt': 'mine\n' }, 'a local commit meanwhile');
      expect(
        await repo.fastForwardCheckedOut('main', commit, parent, Promise.resolve(checkout), prepared),
      ).toBe('diverged');
      expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(mine);
      expect(await git(clone, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
      expect(await readFile(join(clone, 'docs/reports/2025-12-01/manifest.json'), 'utf8')).toBe('[]\n');
    });
  });

  it('nothing is prepared for a dirty tree, another branch, or a branch not at the parent', async () => {
    await withRepo(async (repo) => {
      const { parent, commit, checkout } = await ownCommit(repo);
      expect(repo.prepareOwnFastForward('other', parent, commit, checkout)).toBeUndefined();
      expect(repo.prepareOwnFastForward('main', commit, commit, checkout)).toBeUndefined();
      await writeFile(join(clone, 'docs/reports/2025-12-01/manifest.json'), 'edited\n');
      const dirty = await repo.readCheckout();
      expect(repo.prepareOwnFastForward('main', parent, commit, dirty)).toBeUndefined();
      // a commit this object did not write
      const theirs = await land({ [DAY]: '[{"tag":"v9"}]\n' });
      expect(repo.prepareOwnFastForward('main', theirs.parent, theirs.commit, checkout)).toBeUndefined();
    });
  });

  it('record: the status, the checkout and the compare-and-swap start after the push did, and the branch ends at the landed commit', async () => {
    spawnOrder.length = 0;
    const result = await recordEntry({
      repoDir: clone,
      entry: makeEntry(),
      lockDir: join(tmp.path, 'locks'),
    });
    const commands = [...spawnOrder];
    expect(result.outcome).toBe('committed');
    expect(result.local_branch).toBe('fast-forwarded');
    const push = commands.findIndex((c) => c.startsWith('push '));
    const restore = commands.findIndex((c) => c.startsWith('--literal-pathspecs restore '));
    const move = commands.findIndex((c) => c.startsWith('update-ref ') && c.endsWith('--stdin'));
    expect(push).toBeGreaterThanOrEqual(0);
    // what is checked out is read once the push has started (Node only waits for git then)
    const status = commands.findIndex((c) => c.includes(' status --porcelain=v2'));
    expect(status).toBeGreaterThan(push);
    expect(restore).toBeGreaterThan(status);
    expect(move).toBeGreaterThan(status);
    expect(commands.some((c) => / checkout /.test(` ${c} `))).toBe(false);
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(result.commit);
    expect(await git(clone, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
  });

  it('record: the witness is written while the read-after-write runs, and is there when record returns', async () => {
    const result = await recordEntry({
      repoDir: clone,
      entry: makeEntry(),
      lockDir: join(tmp.path, 'locks'),
    });
    expect(result.local_branch).toBe('fast-forwarded');
    const repo = await GitLedgerRepo.open({ repoDir: clone });
    try {
      const witness = JSON.parse(await readFile(repo.witnessPath('main'), 'utf8')) as { head: string };
      expect(witness.head).toBe(result.commit);
    } finally {
      repo.close();
    }
  });

  it('record whose witness cannot be written fails with that error after its entry landed, its clone moved to it (the prepared processes fed, not left waiting)', async () => {
    // a first record writes the witness, so the second is built on it (no fetch, which writes it too)
    await recordEntry({ repoDir: clone, entry: makeEntry(), lockDir: join(tmp.path, 'locks') });
    const before = await git(remote, ['rev-parse', 'main']);
    const spy = vi
      .spyOn(GitLedgerRepo.prototype, 'writeWitness')
      .mockRejectedValue(
        Object.assign(new Error('cannot write the witness'), { code: 'OUTPUT_WRITE_FAILED' }),
      );
    try {
      await expect(
        recordEntry({
          repoDir: clone,
          entry: makeEntry({ run_id: 777_001, tag: 'v9.9.9' }),
          lockDir: join(tmp.path, 'locks'),
        }),
      ).rejects.toThrow('cannot write the witness');
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
    // the entry landed (the push came first), and the clone's branch was moved to it all the same
    const after = await git(remote, ['rev-parse', 'main']);
    expect(after).not.toBe(before);
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(after);
  });

  it('record whose push is refused: what was prepared exits without a change, and the entry is queued', async () => {
    await installFreezeHook(remote);
    const head = await git(clone, ['rev-parse', 'HEAD']);
    const reflog = await git(clone, ['reflog', '--format=%gs', 'main']);
    const trace = join(tmp.path, 'refused-trace.json');
    const saved = process.env.GIT_TRACE2_EVENT;
    process.env.GIT_TRACE2_EVENT = trace;
    let result: Awaited<ReturnType<typeof recordEntry>>;
    try {
      result = await recordEntry({
        repoDir: clone,
        entry: makeEntry(),
        lockDir: join(tmp.path, 'locks'),
        backoffMs: 1,
      });
    } finally {
      if (saved === undefined) delete process.env.GIT_TRACE2_EVENT;
      else process.env.GIT_TRACE2_EVENT = saved;
    }
    expect(result.outcome).toBe('queued');
    // every prepared process exits once its input is closed (none waits forever)
    const exited = async (): Promise<{ starts: number; exits: number }> => {
      const events = (await readFile(trace, 'utf8'))
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { event: string; sid: string; argv?: string[] });
      const prepared = new Set(
        events
          .filter(
            (e) =>
              e.event === 'start' &&
              (e.argv?.includes('restore') === true ||
                (e.argv?.[1] === 'update-ref' && e.argv.includes('--stdin'))),
          )
          .map((e) => e.sid),
      );
      return {
        starts: prepared.size,
        exits: events.filter((e) => e.event === 'exit' && prepared.has(e.sid)).length,
      };
    };
    let seen = await exited();
    for (let i = 0; i < 100 && seen.exits < seen.starts; i++) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await exited();
    }
    expect(seen.starts).toBe(2);
    expect(seen.exits).toBe(seen.starts);
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(head);
    expect(await git(clone, ['reflog', '--format=%gs', 'main'])).toBe(reflog);
    expect(await git(clone, ['status', '--porcelain', '--untracked-files=no'])).toBe('');
  });
});

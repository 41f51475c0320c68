// The ledger repository without a process per step (issue 14 performance): the last change of a
// folder answered from the objects agrees with `git log -1 -- <folder>` on every history shape,
// files listed from tree objects agree with `git ls-tree` (modes and ids), and a commit written
// as loose objects is the very commit `git fast-import` makes (same id), which git reads back.
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitLedgerRepo } from '../../../src/io/git-ledger-repo.js';
import { cloneRemote, commitFiles, createRemote, git, makeTempDir, tracedGit } from '../../support/git.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let clone: string;

beforeEach(async () => {
  tmp = await makeTempDir();
  clone = await cloneRemote(await createRemote(tmp.path), join(tmp.path, 'clone'));
});
afterEach(() => tmp.cleanup());

async function gitLog(commit: string, path: string): Promise<string | undefined> {
  const out = await git(clone, ['log', '-1', '--format=%H', commit, '--', path]);
  return out === '' ? undefined : out;
}

describe('GitLedgerRepo reads through the object reader', () => {
  it('lastChange agrees with git log -1 on linear history, merges, a root commit and a missing folder', async () => {
    const repo = await GitLedgerRepo.open({ repoDir: clone });
    try {
      const dir = 'docs/reports/index';
      const heads: string[] = [];
      heads.push(await git(clone, ['rev-parse', 'HEAD'])); // no such folder yet
      heads.push(await commitFiles(clone, { [`${dir}/00.json`]: '[]\n' }, 'index changed'));
      heads.push(await commitFiles(clone, { 'docs/reports/2025-11-20/manifest.json': '[]\n' }, 'other'));
      heads.push(await commitFiles(clone, { [`${dir}/01.json`]: '[]\n' }, 'index changed again'));
      // a merge whose side branch changed the folder, and one that did not
      await git(clone, ['checkout', '-q', '-b', 'side', heads[1]!]);
      heads.push(await commitFiles(clone, { [`${dir}/02.json`]: '[]\n' }, 'side: index'));
      await git(clone, ['checkout', '-q', 'main']);
      await git(clone, ['merge', '-q', '--no-ff', '-m', 'merge side', 'side']);
      heads.push(await git(clone, ['rev-parse', 'HEAD']));
      await git(clone, ['checkout', '-q', '-b', 'side2']);
      heads.push(await commitFiles(clone, { 'README.md': 'changed\n' }, 'side2: readme'));
      await git(clone, ['checkout', '-q', 'main']);
      heads.push(await commitFiles(clone, { 'other.txt': 'x\n' }, 'main: other'));
      await git(clone, ['merge', '-q', '--no-ff', '-m', 'merge side2', 'side2']);
      heads.push(await git(clone, ['rev-parse', 'HEAD']));
      // a root commit with the folder (an orphan branch)
      await git(clone, ['checkout', '-q', '--orphan', 'root']);
      heads.push(await commitFiles(clone, { [`${dir}/03.json`]: '[]\n' }, 'root'));
      for (const head of heads) {
        for (const path of [dir, 'docs/reports', 'no/such/folder']) {
          expect(await repo.lastChange(head, path), `${head} -- ${path}`).toBe(await gitLog(head, path));
        }
      }
    } finally {
      repo.close();
    }
  });

  it('statPaths gives the modes and ids ls-tree gives, for files, symlinks and folders in place of files', async () => {
    await mkdir(join(clone, 'docs/reports/2025-11-20'), { recursive: true });
    await writeFile(join(clone, 'docs/reports/2025-11-20/manifest.json'), '[]\n');
    await mkdir(join(clone, 'docs/reports/2025-11-21'), { recursive: true });
    await symlink('/etc/passwd', join(clone, 'docs/reports/2025-11-21/manifest.json'));
    await mkdir(join(clone, 'docs/reports/2025-11-22/manifest.json'), { recursive: true });
    await writeFile(join(clone, 'docs/reports/2025-11-22/manifest.json/x'), 'x\n');
    await writeFile(join(clone, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    await git(clone, ['add', '-A']);
    await git(clone, ['commit', '-q', '-m', 'files']);
    const head = await git(clone, ['rev-parse', 'HEAD']);
    const repo = await GitLedgerRepo.open({ repoDir: clone });
    try {
      const paths = [
        'docs/reports/2025-11-20/manifest.json',
        'docs/reports/2025-11-21/manifest.json',
        'docs/reports/2025-11-22/manifest.json',
        'docs/reports/2025-11-23/manifest.json',
        'run.sh',
        'README.md',
      ];
      const got = await repo.statPaths(head, paths);
      const lsTree = async (path: string) => {
        const line = (await git(clone, ['ls-tree', head, '--', path])).split('\t')[0];
        if (line === undefined || line === '') return undefined;
        const [mode, type, oid] = line.split(' ');
        return { path, mode, type, oid };
      };
      const expected = (await Promise.all(paths.map(lsTree))).filter((x) => x !== undefined);
      expect(got.map(({ size: _, ...rest }) => rest)).toEqual(expected);
      expect(got.every((b) => Number.isNaN(b.size))).toBe(true);
    } finally {
      repo.close();
    }
  });
});

describe('GitLedgerRepo writes a commit without git fast-import', () => {
  it('the same commit id as fast-import, for new and existing folders, replaced files and a file where a folder goes', async () => {
    await commitFiles(
      clone,
      {
        'docs/reports/2025-11-20/manifest.json': '[]\n',
        'docs/reports/index/VERSION': '1\n',
        'docs/reports/index/00.json': '[]\n',
        'docs/reports/2025-11-23': 'a file where a folder will go\n',
        'docs/other/a.txt': 'a\n',
        // names that sort next to a folder's (git sorts a folder as if its name ended in '/')
        'docs/reports/index.md': 'x\n',
        'docs/reports/index0/x': 'x\n',
        'docs/reports/index-/x': 'x\n',
        'docs/reports/2025-11-21.md': 'x\n',
        'docs/reports/2025-11-210': 'x\n',
      },
      'seed',
    );
    // a symlink and an executable, which a commit then replaces by plain files (a type change and
    // a mode change: diff-tree's T and M)
    await symlink('manifest.json', join(clone, 'docs/reports/2025-11-20/link.json'));
    await writeFile(join(clone, 'docs/reports/2025-11-20/run.sh'), '#!/bin/sh\n');
    await chmod(join(clone, 'docs/reports/2025-11-20/run.sh'), 0o755);
    await git(clone, ['add', 'docs/reports/2025-11-20']);
    await git(clone, ['commit', '-q', '-m', 'a link and an executable']);
    const parent = await git(clone, ['rev-parse', 'HEAD']);
    const repo = await GitLedgerRepo.open({ repoDir: clone });
    try {
      const cases: { path: string; text: string }[][] = [
        [{ path: 'docs/reports/2025-11-20/manifest.json', text: '[1]\n' }],
        [
          { path: 'docs/reports/2025-11-21/manifest.json', text: '[2]\n' },
          { path: 'docs/reports/2025-11-21/transitions.jsonl', text: '{}\n' },
          { path: 'docs/reports/index/00.json', text: '[{"a":1}]\n' },
          { path: 'docs/reports/index/ff.json', text: '[]\n' },
        ],
        [{ path: 'docs/reports/2025-11-23/manifest.json', text: '[3]\n' }],
        [{ path: 'top.txt', text: 'top\n' }],
        [
          { path: 'docs/reports/index.md', text: 'y\n' },
          { path: 'docs/reports/index/0.json', text: '[]\n' },
          { path: 'docs/reports/index-/y', text: 'y\n' },
          { path: 'docs/reports/2025-11-21/a', text: 'a\n' },
          { path: 'docs/reports/2025-11-21.md/b', text: 'b\n' },
        ],
        [{ path: 'docs/reports/index/00.json', text: '[]\n' }], // unchanged content
        // a 10,000-entry day file is ~4 MiB: written here too, not by fast-import (twenty-third session)
        [{ path: 'docs/reports/2025-11-22/manifest.json', text: `[${'1,'.repeat(1 << 20)}1]\n` }],
        [
          { path: 'docs/reports/2025-11-20/link.json', text: '[]\n' },
          { path: 'docs/reports/2025-11-20/run.sh', text: '#!/bin/sh\n' },
        ],
      ];
      for (const files of cases) {
        const commitFilesList = files.map((f) => ({ path: f.path, bytes: Buffer.from(f.text) }));
        const message = 'provenance: record v1 (run 1, success)\n\nProvenance-Run-Id: 1\n';
        const time = Date.UTC(2025, 10, 25, 12, 0, 0);
        const direct = await repo.createCommit(parent, commitFilesList, message, { time, via: 'objects' });
        const imported = await repo.createCommit(parent, commitFilesList, message, {
          time,
          via: 'fast-import',
        });
        expect(direct).toBe(imported);
        // what it changed is known without asking git (the read-after-write's fast path): the same
        // list as diff-tree's, except where a file and a folder swap (then git is asked)
        const listed = (await git(clone, ['diff-tree', '-r', '--no-renames', '--no-abbrev', parent, direct]))
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => {
            const m = /^:(\d{6}) (\d{6}) [0-9a-f]+ [0-9a-f]+ ([A-Z])\t(.*)$/.exec(l)!;
            return { oldMode: m[1]!, newMode: m[2]!, status: m[3]!, path: m[4]! };
          });
        const byPath = (a: { path: string }, b: { path: string }): number => a.path.localeCompare(b.path);
        const swaps = files.some((f) => /2025-11-23\/|2025-11-21\.md\//.test(f.path));
        const own = repo.ownCommitChanges(direct, parent);
        if (swaps) expect(own).toBeUndefined();
        else expect([...own!].sort(byPath)).toEqual(listed.sort(byPath));
        expect(repo.ownCommitChanges(direct, imported)).toBeUndefined();
        for (const f of files)
          expect(await git(clone, ['show', `${direct}:${f.path}`])).toBe(f.text.trimEnd());
      }
      await git(clone, ['fsck', '--strict', '--no-dangling']);
      // the path taken when none is asked for: no process for a file over 1 MiB either
      const big = await tracedGit(tmp.path, () =>
        repo.createCommit(
          parent,
          [
            {
              path: 'docs/reports/2025-11-22/manifest.json',
              bytes: Buffer.from(`[${'2,'.repeat(1 << 20)}2]\n`),
            },
          ],
          'big\n',
        ),
      );
      expect(big.commands).toEqual([]);
      expect(repo.ownCommitChanges(big.result, parent)).toEqual([
        { oldMode: '000000', newMode: '100644', status: 'A', path: 'docs/reports/2025-11-22/manifest.json' },
      ]);
      // the objects were written by the direct path (not found there from fast-import's run): a
      // fresh clone's objects directory has none of them before
      const fresh = await cloneRemote(await createRemote(tmp.path, 'fresh.git'), join(tmp.path, 'fresh'));
      const head = await git(fresh, ['rev-parse', 'HEAD']);
      const freshRepo = await GitLedgerRepo.open({ repoDir: fresh });
      try {
        const made = await freshRepo.createCommit(
          head,
          [{ path: 'docs/reports/2025-11-24/manifest.json', bytes: Buffer.from('[]\n') }],
          'direct\n',
          { via: 'objects' },
        );
        expect(await git(fresh, ['cat-file', '-t', made])).toBe('commit');
        expect(await git(fresh, ['show', `${made}:docs/reports/2025-11-24/manifest.json`])).toBe('[]');
        expect(await git(fresh, ['rev-parse', `${made}^`])).toBe(head);
        await git(fresh, ['fsck', '--strict', '--no-dangling']);
      } finally {
        freshRepo.close();
      }
    } finally {
      repo.close();
    }
  });
});

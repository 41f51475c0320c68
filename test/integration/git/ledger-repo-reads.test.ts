// The ledger repository's reads through the one object reader (issue 14 performance): the last
// change of a folder answered from the objects agrees with `git log -1 -- <folder>` on every
// history shape, and files listed from tree objects agree with `git ls-tree` (modes and ids).
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitLedgerRepo } from '../../../src/io/git-ledger-repo.js';
import { cloneRemote, commitFiles, createRemote, git, makeTempDir } from '../../support/git.js';

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

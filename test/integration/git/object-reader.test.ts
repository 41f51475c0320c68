// The one long-lived `git cat-file --batch` a writer reads through (issue 14 performance): answers
// in the order asked, large objects split over many pipe chunks, missing names, peeled refs, and
// a closed or failed reader never leaves a caller waiting.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { GitLedgerRepo } from '../../../src/io/git-ledger-repo.js';
import { GitObjectReader, prestartObjectReader, takeObjectReader } from '../../../src/io/git.js';
import {
  cloneRemote,
  commitFiles,
  configureRepo,
  createRemote,
  git,
  makeTempDir,
  tracedGit,
} from '../../support/git.js';
import { runNodeBounded } from '../../support/spawn-bounded.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;

beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(() => tmp.cleanup());

async function repoWithFiles(): Promise<{ dir: string; big: Buffer; head: string }> {
  const dir = join(tmp.path, 'repo');
  await git(tmp.path, ['init', '-q', '-b', 'main', dir]);
  await configureRepo(dir);
  // several MiB with every byte value, newlines included: it arrives in many chunks
  const big = Buffer.alloc(5 * 1024 * 1024 + 7);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 11)) & 0xff;
  await writeFile(join(dir, 'big.bin'), big);
  await writeFile(join(dir, 'small.txt'), 'small\n');
  await writeFile(join(dir, 'empty'), '');
  await git(dir, ['add', '.']);
  await git(dir, ['commit', '-q', '-m', 'files']);
  return { dir, big, head: await git(dir, ['rev-parse', 'HEAD']) };
}

describe('GitObjectReader', () => {
  it('answers many reads in order through one process: blobs of any size, missing names, peeled refs', async () => {
    const { dir, big, head } = await repoWithFiles();
    const reader = new GitObjectReader(dir);
    try {
      const [a, b, missing, c, commit, d] = await Promise.all([
        reader.read(`${head}:small.txt`),
        reader.read(`${head}:big.bin`),
        reader.read(`${head}:no-such-file`),
        reader.read(`${head}:empty`),
        reader.read('refs/heads/main^{commit}'),
        reader.read(`${head}:small.txt`),
      ]);
      expect(a?.bytes.toString()).toBe('small\n');
      expect(a?.type).toBe('blob');
      expect(b?.bytes.equals(big)).toBe(true);
      expect(missing).toBeUndefined();
      expect(c?.bytes.length).toBe(0);
      expect(commit).toMatchObject({ oid: head, type: 'commit' });
      expect(d?.oid).toBe(a?.oid);
      // later reads on the same reader still work
      expect((await reader.read(`${head}:small.txt`))?.bytes.toString()).toBe('small\n');
    } finally {
      reader.close();
    }
  });

  it('readWithin: an object over the bound comes back with its size only; the reads behind it are answered', async () => {
    const { dir, big, head } = await repoWithFiles();
    const reader = new GitObjectReader(dir);
    try {
      const [small, over, missing, after, whole] = await Promise.all([
        reader.readWithin(`${head}:small.txt`, 1024),
        reader.readWithin(`${head}:big.bin`, 1024),
        reader.readWithin(`${head}:no-such-file`, 1024),
        reader.read(`${head}:small.txt`),
        reader.readWithin(`${head}:big.bin`, big.length),
      ]);
      expect(small).toMatchObject({ type: 'blob' });
      expect(small !== undefined && 'bytes' in small && small.bytes.toString()).toBe('small\n');
      expect(over).toEqual({
        oid: expect.stringMatching(/^[0-9a-f]{40}$/),
        type: 'blob',
        size: big.length,
        tooLarge: true,
      });
      expect(missing).toBeUndefined();
      expect(after?.bytes.toString()).toBe('small\n');
      expect(whole !== undefined && 'bytes' in whole && whole.bytes.equals(big)).toBe(true);
      expect((await reader.read(`${head}:empty`))?.bytes.length).toBe(0);
    } finally {
      reader.close();
    }
  });

  it('refuses names with line breaks, and fails (never hangs) outside a repository', async () => {
    const { dir, head } = await repoWithFiles();
    const reader = new GitObjectReader(dir);
    await expect(reader.read(`${head}:small.txt\nHEAD`)).rejects.toMatchObject({ code: 'INTERNAL' });
    reader.close();
    const outside = new GitObjectReader(tmp.path);
    await expect(outside.read('HEAD')).rejects.toMatchObject({ code: 'LEDGER_GIT_FAILED' });
    outside.close();
  });
});

// bin.ts starts the reader of a record or a flush with the clone probe, while the CLI loads (issue
// 14 performance, docs/ledger.md "Twenty-seventh session"); the clone opened on the same directory
// reads through it
describe('a reader started before the clone is opened (prestartObjectReader)', () => {
  const catFiles = (commands: readonly string[]): number =>
    commands.filter((c) => c === 'cat-file --batch').length;

  it('the clone opened on that directory takes it: one cat-file, objects written after its start found', async () => {
    const clone = await cloneRemote(await createRemote(tmp.path), join(tmp.path, 'clone'));
    const { commands } = await tracedGit(tmp.path, async () => {
      prestartObjectReader(clone);
      // written after the reader started: a loose commit, then the same history packed and pruned
      const first = await commitFiles(clone, { 'a.txt': 'one\n' }, 'one');
      await git(clone, ['gc', '-q', '--prune=now']);
      const second = await commitFiles(clone, { 'b.txt': 'two\n' }, 'two');
      const repo = await GitLedgerRepo.open({ repoDir: clone });
      try {
        expect(takeObjectReader(clone)).toBeUndefined(); // taken by open
        expect(await repo.hasCommit(first)).toBe(true);
        expect(await repo.hasCommit(second)).toBe(true);
        const [a, b] = await repo.readFiles(second, ['a.txt', 'b.txt']);
        expect([a?.toString(), b?.toString()]).toEqual(['one\n', 'two\n']);
      } finally {
        repo.close();
      }
    });
    expect(catFiles(commands)).toBe(1);
  });

  it('a fetch keeps the reader: what it brings (loose objects, then a pack of 150 files) is read through it', async () => {
    const remote = await createRemote(tmp.path);
    const clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    const pusher = await cloneRemote(remote, join(tmp.path, 'pusher'));
    const { commands } = await tracedGit(tmp.path, async () => {
      prestartObjectReader(clone);
      const repo = await GitLedgerRepo.open({ repoDir: clone });
      try {
        expect(await repo.hasCommit(await git(clone, ['rev-parse', 'HEAD']))).toBe(true); // reader running
        // fewer objects than fetch.unpackLimit (100) arrive loose, more as a pack kept as it is
        const small = await commitFiles(pusher, { 'one.txt': 'one\n' }, 'one', { push: true });
        expect(await repo.fetch('main')).toBe(small);
        expect((await repo.readFiles(small, ['one.txt']))[0]?.toString()).toBe('one\n');
        const files = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`many/${i}.txt`, `${i}\n`]));
        const big = await commitFiles(pusher, files, 'many', { push: true });
        expect(await repo.fetch('main')).toBe(big);
        const read = await repo.readFiles(big, ['many/0.txt', 'many/149.txt', 'one.txt']);
        expect(read.map((b) => b?.toString())).toEqual(['0\n', '149\n', 'one\n']);
      } finally {
        repo.close();
      }
    });
    expect(catFiles(commands)).toBe(1);
    expect(commands.filter((c) => c.startsWith('index-pack'))).not.toHaveLength(0); // the pack was kept
  });

  it('a clone opened elsewhere starts its own and leaves the early one to be taken by its directory', async () => {
    const remote = await createRemote(tmp.path);
    const clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    const other = await cloneRemote(remote, join(tmp.path, 'other'));
    const head = await commitFiles(clone, { 'a.txt': 'one\n' }, 'one');
    const { commands } = await tracedGit(tmp.path, async () => {
      prestartObjectReader(other);
      const repo = await GitLedgerRepo.open({ repoDir: clone });
      try {
        expect(await repo.hasCommit(head)).toBe(true);
      } finally {
        repo.close();
      }
      const early = takeObjectReader(other);
      expect(early).toBeInstanceOf(GitObjectReader);
      expect(await early!.read(`${head}^{commit}`)).toBeUndefined(); // not in that clone
      early!.close();
    });
    expect(catFiles(commands)).toBe(2);
  });

  it('one nobody takes holds no process open: Node exits on its own', async () => {
    const clone = await cloneRemote(await createRemote(tmp.path), join(tmp.path, 'clone'));
    const git = fileURLToPath(new URL('../../../dist/io/git.js', import.meta.url));
    const run = await runNodeBounded(
      [
        '--input-type=module',
        '-e',
        `(await import(${JSON.stringify(git)})).prestartObjectReader(${JSON.stringify(clone)})`,
      ],
      { env: process.env, timeoutMs: 20_000, heapMb: 256 },
    );
    expect(run).toMatchObject({ code: 0, timedOut: false });
  });
});

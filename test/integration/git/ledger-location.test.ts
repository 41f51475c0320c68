// Where the ledger is (issue 15 item 3, issue 13 item 1): flags, `.slsa-ledger.yml` `ledger:`,
// then the remote's default branch — against real bare remotes, never an assumed `main`.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushQueue } from '../../../src/app/flush.js';
import { recordEntry } from '../../../src/app/record.js';
import { fetchLedgerRef, resolveLedgerLocation } from '../../../src/io/ledger-location.js';
import { cloneRemote, configureRepo, git, makeTempDir, showFile } from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';
import { runCliCaptured } from '../../support/cli.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;

/** A bare remote whose default branch is `master` (one commit), and a clone of it. */
async function masterRemote(): Promise<{ remote: string; clone: string }> {
  const remote = join(tmp.path, 'master.git');
  await git(tmp.path, ['init', '--bare', '-q', '-b', 'master', remote]);
  await configureRepo(remote, true);
  const seed = join(tmp.path, 'seed');
  await git(tmp.path, ['init', '-q', '-b', 'master', seed]);
  await configureRepo(seed);
  await writeFile(join(seed, 'README.md'), '# x\n');
  await git(seed, ['add', 'README.md']);
  await git(seed, ['commit', '-q', '-m', 'initial']);
  await git(seed, ['push', '-q', remote, 'master']);
  const clone = await cloneRemote(remote, join(tmp.path, 'clone'));
  return { remote, clone };
}

beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(() => tmp.cleanup());

describe('resolveLedgerLocation', () => {
  it("takes the remote's default branch (master), never main", async () => {
    const { remote, clone } = await masterRemote();
    const loc = await resolveLedgerLocation({ repoDir: clone });
    expect(loc).toMatchObject({ remote: 'origin', branch: 'master', reportsDir: 'docs/reports' });
    expect(loc.source.branch).toBe('remote-head');

    const r = await recordEntry({ repoDir: clone, entry: makeEntry(), lockDir: join(tmp.path, 'locks') });
    expect(r).toMatchObject({ outcome: 'committed', branch: 'master' });
    expect(await git(remote, ['rev-parse', 'master'])).toBe(r.commit);
    // no orphan main on the remote
    expect(await git(remote, ['branch', '--list', 'main'])).toBe('');
  });

  it('reads ledger: {remote, branch, reports_dir} from the clone’s .slsa-ledger.yml; flags win', async () => {
    const { remote, clone } = await masterRemote();
    await writeFile(
      join(clone, '.slsa-ledger.yml'),
      'ledger:\n  remote: origin\n  branch: slsa-ledger\n  reports_dir: audit/reports\n  clock_skew: 120\n',
    );
    const loc = await resolveLedgerLocation({ repoDir: join(clone) });
    expect(loc).toMatchObject({
      branch: 'slsa-ledger',
      reportsDir: 'audit/reports',
      clockSkewS: 120,
      source: { remote: 'config', branch: 'config', reportsDir: 'config' },
    });
    const r = await recordEntry({ repoDir: clone, entry: makeEntry(), lockDir: join(tmp.path, 'locks') });
    expect(r.branch).toBe('slsa-ledger');
    expect(r.path).toMatch(/^audit\/reports\//);
    expect(await showFile(remote, 'slsa-ledger', r.path)).toBeDefined();

    const flagged = await resolveLedgerLocation({ repoDir: clone, flags: { branch: 'other' } });
    expect(flagged.branch).toBe('other');
    expect(flagged.source.branch).toBe('flag');
  });

  it('attack: a .slsa-ledger.yml pushed to the ledger branch never redirects check or ingest run on a worktree of it (as the shipped workflows do)', async () => {
    const { remote, clone } = await masterRemote();
    await writeFile(join(clone, '.slsa-ledger.yml'), 'ledger:\n  branch: slsa-ledger\n');
    await git(clone, ['add', '.slsa-ledger.yml']);
    await git(clone, ['commit', '-qm', 'config']);
    await git(clone, ['push', '-q', 'origin', 'master']);
    const lock = join(tmp.path, 'locks');
    const good = await recordEntry({ repoDir: clone, entry: makeEntry(), lockDir: lock });
    expect(good.branch).toBe('slsa-ledger');
    // the pusher: a decoy branch holding the genuine ledger as it was, and on the ledger branch a
    // rewritten sha with correct trailers plus a config naming the decoy
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    await git(attacker, ['checkout', '-q', 'slsa-ledger']);
    await git(attacker, ['push', '-q', 'origin', 'HEAD:refs/heads/decoy']);
    const day = JSON.parse(await readFile(join(attacker, good.path), 'utf8')) as { sha: string }[];
    day[0]!.sha = 'b'.repeat(40);
    const text = `${JSON.stringify(day, null, 2)}\n`;
    await writeFile(join(attacker, good.path), text);
    await writeFile(join(attacker, '.slsa-ledger.yml'), 'ledger:\n  branch: decoy\n');
    await git(attacker, ['add', '-A']);
    await git(attacker, ['commit', '-qm', 'provenance: record v1.2.3 (run 101, success)']);
    await git(attacker, ['push', '-q', 'origin', 'HEAD:slsa-ledger']);

    // the checker: the default branch checked out, the ledger branch as a worktree for --repo
    const checker = await cloneRemote(remote, join(tmp.path, 'checker'));
    await git(checker, ['fetch', '-q', 'origin', '+refs/heads/slsa-ledger:refs/remotes/origin/slsa-ledger']);
    await git(checker, ['worktree', 'add', '-q', '--detach', 'ledger', 'origin/slsa-ledger']);
    const loc = await resolveLedgerLocation({ repoDir: join(checker, 'ledger'), cwd: checker });
    expect(loc.branch).toBe('slsa-ledger');
    const r = await runCliCaptured(['check', '--json', '--repo', 'ledger'], { cwd: checker });
    expect(r.code, r.stdout).toBe(1);
    const out = r.json().error!.details as { source: string; findings: { code: string }[] };
    expect(out.source).toMatch(/slsa-ledger/);
    expect(out.findings.map((f) => f.code)).toContain('CHECK_HASH_MISMATCH');
  });

  it('refuses an invalid ledger: section with CONFIG_INVALID, nothing written', async () => {
    const { remote, clone } = await masterRemote();
    await writeFile(join(clone, '.slsa-ledger.yml'), 'ledger:\n  branch: [a]\n  colour: blue\n');
    await expect(resolveLedgerLocation({ repoDir: clone })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(
      recordEntry({ repoDir: clone, entry: makeEntry(), lockDir: join(tmp.path, 'locks') }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(flushQueue({ repoDir: clone, lockDir: join(tmp.path, 'locks') })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    expect(await git(remote, ['rev-list', '--count', 'master'])).toBe('1');
  });

  it('an unreachable remote is LEDGER_REMOTE_UNAVAILABLE (exit 5) with a hint; an unknown one LEDGER_REPO_INVALID', async () => {
    const { clone } = await masterRemote();
    await git(clone, ['remote', 'set-url', 'origin', join(tmp.path, 'gone.git')]);
    const error = await resolveLedgerLocation({ repoDir: clone }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LEDGER_REMOTE_UNAVAILABLE', exitCode: 5 });
    expect((error as { details: { hint: string } }).details.hint).toMatch(/remote/);
    await expect(
      resolveLedgerLocation({ repoDir: clone, flags: { remote: 'upstream' } }),
    ).rejects.toMatchObject({ code: 'LEDGER_REPO_INVALID' });
  });

  it('an empty remote has no default branch: LEDGER_BRANCH_UNKNOWN unless a branch is given', async () => {
    const remote = join(tmp.path, 'empty.git');
    await git(tmp.path, ['init', '--bare', '-q', remote]);
    const clone = join(tmp.path, 'c');
    await git(tmp.path, ['init', '-q', clone]);
    await git(clone, ['remote', 'add', 'origin', remote]);
    const e = await resolveLedgerLocation({ repoDir: clone }).catch((x: unknown) => x);
    // git ≥ 2.45 may advertise the unborn HEAD; either way nothing is assumed
    if ((e as { code?: string }).code !== undefined)
      expect(e).toMatchObject({ code: 'LEDGER_BRANCH_UNKNOWN' });
    const given = await resolveLedgerLocation({ repoDir: clone, flags: { branch: 'ledger' } });
    expect(given.branch).toBe('ledger');
  });

  it('fetchLedgerRef: the remote branch in a private ref, or undefined when the branch is absent', async () => {
    const { clone } = await masterRemote();
    const r = await recordEntry({ repoDir: clone, entry: makeEntry(), lockDir: join(tmp.path, 'locks') });
    const loc = await resolveLedgerLocation({ repoDir: clone });
    const fetched = await fetchLedgerRef(clone, loc);
    expect(fetched).toEqual({ ref: 'refs/slsa-ledger-read/origin/master', commit: r.commit });
    const none = await fetchLedgerRef(clone, { ...loc, branch: 'nothing-here' });
    expect(none.commit).toBeUndefined();
  });
});

describe("the remote's default branch, cached per clone (issue 14 performance)", () => {
  it('is asked once, kept under .git/slsa-ledger/, and asked again when the branch is gone (renamed: nothing written to the old name, queued, then lands on the new one)', async () => {
    const { remote, clone } = await masterRemote();
    const lockDir = join(tmp.path, 'locks');
    const first = await recordEntry({ repoDir: clone, entry: makeEntry({ run_id: 1 }), lockDir });
    expect(first).toMatchObject({ outcome: 'committed', branch: 'master' });
    const cacheDir = join(clone, '.git', 'slsa-ledger', 'default-branch');
    const files = await readdir(cacheDir);
    expect(files).toHaveLength(1);
    const cached = JSON.parse(await readFile(join(cacheDir, files[0]!), 'utf8')) as { branch: string };
    expect(cached.branch).toBe('master');

    // the remote's HEAD moves to another branch while master stays: the cache is used (not asked)
    await git(remote, ['branch', 'trunk', 'master']);
    await git(remote, ['symbolic-ref', 'HEAD', 'refs/heads/trunk']);
    const second = await recordEntry({ repoDir: clone, entry: makeEntry({ run_id: 2 }), lockDir });
    expect(second).toMatchObject({ outcome: 'committed', branch: 'master' });

    // master is renamed away: the write is refused (queued), the cache takes trunk, nothing on master
    await git(remote, ['update-ref', 'refs/heads/trunk', 'refs/heads/master']);
    await git(remote, ['update-ref', '-d', 'refs/heads/master']);
    const third = await recordEntry({ repoDir: clone, entry: makeEntry({ run_id: 3 }), lockDir });
    expect(third.outcome).toBe('queued');
    expect(third.queue).toMatchObject({ code: 'LEDGER_REMOTE_UNAVAILABLE' });
    expect(third.queue?.reason).toMatch(/default branch of origin is now trunk/);
    expect(await git(remote, ['branch', '--list', 'master'])).toBe('');

    const fourth = await recordEntry({ repoDir: clone, entry: makeEntry({ run_id: 4 }), lockDir });
    expect(fourth).toMatchObject({ outcome: 'committed', branch: 'trunk' });
    const flushed = await flushQueue({ repoDir: clone, lockDir, allowUnauthenticated: true });
    expect(flushed.landed).toBe(1);
    expect(await git(remote, ['branch', '--list', 'master'])).toBe('');
  });
});

describe('the built CLI (dist/bin)', () => {
  it('record into a master-default remote lands on master; an unreachable remote exits 5 with a hint', async () => {
    const { runBin } = await import('../../support/git.js');
    const { remote, clone } = await masterRemote();
    const env = { ...process.env, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') };
    const entryFile = join(tmp.path, 'entry.json');
    await writeFile(entryFile, JSON.stringify(makeEntry()));
    const ok = await runBin(['record', '--no-sign', '--entry', entryFile, '--repo', clone, '--json'], {
      env,
    });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, result: { branch: 'master' } });
    expect(await git(remote, ['branch', '--list', 'main'])).toBe('');

    await writeFile(join(tmp.path, 'entry2.json'), JSON.stringify(makeEntry({ run_id: 4242 })));
    await git(clone, ['remote', 'set-url', 'origin', join(tmp.path, 'nowhere.git')]);
    const bad = await runBin(['flush', '--no-sign', '--repo', clone, '--json'], { env });
    expect(bad.code).toBe(5);
    const out = JSON.parse(bad.stdout) as { error: { code: string; details: { hint?: string } } };
    expect(out.error.code).toBe('LEDGER_REMOTE_UNAVAILABLE');
    expect(out.error.details.hint).toMatch(/git remote -v/);

    // a writer never loses the entry: it queues it (exit 75) for the default branch it last learnt
    const queued = await runBin(
      [
        'record',
        '--no-sign',
        '--entry',
        entryFile.replace('entry.json', 'entry2.json'),
        '--repo',
        clone,
        '--json',
      ],
      { env },
    );
    expect(queued.code, queued.stdout + queued.stderr).toBe(75);
    expect(JSON.parse(queued.stdout)).toMatchObject({
      ok: true,
      result: { outcome: 'queued', branch: 'master' },
    });
  });
});

// The thirty-fourth session's red team (a pusher with plain git plumbing): objects swapped under
// their ids by `refs/replace/*`, which a mirror clone fetches; a tree that names a path twice, which
// `<commit>:<path>` and a listing read differently; a key-index shard that is a submodule. Each
// attack is made the way a pusher would make it and read back through the CLI (`check`, `ingest`,
// `record`) in real git with a bare remote.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { cloneRemote, createRemote, git, makeTempDir } from '../../support/git.js';
import { gitInput } from '../../support/hostile-git.js';
import { makeEntry } from '../../support/ledger.js';

const DAY_DIR = 'docs/reports/2025-11-24';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let env: Record<string, string | undefined>;
let remote: string;
let key: string;
let pub: string;

beforeEach(async () => {
  tmp = await makeTempDir('slsa-ledger-hostile-trees-');
  env = { PATH: process.env.PATH, HOME: process.env.HOME, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') };
  remote = await createRemote(tmp.path);
  key = join(tmp.path, 'ledger.key');
  pub = join(tmp.path, 'ledger.pub');
  const made = await runCliCaptured(['keygen', '--type', 'ed25519', '--out', key, '--json'], { env });
  expect(made.code, made.stderr).toBe(0);
});
afterEach(() => tmp.cleanup());

/** `record`s each entry (signed with the test key) from a clone of the remote. */
async function record(...entries: Record<string, unknown>[]): Promise<void> {
  const clone = join(tmp.path, 'writer');
  await cloneRemote(remote, clone).catch(() => undefined); // already cloned: the record fetches
  for (const [i, overrides] of entries.entries()) {
    const file = join(tmp.path, `entry-${i}-${Math.random().toString(16).slice(2)}.json`);
    await writeFile(file, JSON.stringify(makeEntry(overrides)));
    const r = await runCliCaptured(
      ['record', '--json', '--repo', clone, '--entry', file, '--sign-key', key],
      {
        env,
      },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }
}

const check = (repo: string) =>
  runCliCaptured(
    [
      'check',
      '--json',
      '--repo',
      repo,
      '--ref',
      'main',
      '--trust-key',
      pub,
      '--witness',
      join(tmp.path, 'w.json'),
    ],
    { env },
  );

const ingest = (repo: string, ...more: string[]) =>
  runCliCaptured(
    [
      'ingest',
      '--json',
      '--repo',
      repo,
      '--ledger',
      'acme/ledger',
      '--data-dir',
      join(tmp.path, 'db'),
      '--trust-key',
      pub,
      ...more,
    ],
    { env },
  );

async function storedRuns(): Promise<number[]> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = new PGlite(join(tmp.path, 'db'));
  try {
    const r = await db.query<{ run_id: number }>('SELECT run_id FROM public.slsa_runs ORDER BY run_id');
    return r.rows.map((x) => Number(x.run_id));
  } finally {
    await db.close();
  }
}

/** A tree object written as given (order and duplicates kept), as `hash-object --literally` takes it. */
async function rawTree(repo: string, entries: readonly { mode: string; oid: string; name: string }[]) {
  const body = Buffer.concat(
    entries.map((e) => Buffer.concat([Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.oid, 'hex')])),
  );
  return gitInput(repo, ['hash-object', '-t', 'tree', '-w', '--literally', '--stdin'], body);
}

/** Commits a new day folder tree at the attacker's HEAD (the rest of the tree kept) and pushes it. */
async function pushDayTree(attacker: string, dayTree: string, message: string): Promise<void> {
  const reports = (await git(attacker, ['ls-tree', 'HEAD:docs/reports']))
    .split('\n')
    .map((line) =>
      line.endsWith(`\t${DAY_DIR.split('/').pop()}`) ? `040000 tree ${dayTree}\t2025-11-24` : line,
    )
    .join('\n');
  const reportsTree = await gitInput(attacker, ['mktree'], `${reports}\n`);
  const docs = await gitInput(attacker, ['mktree'], `040000 tree ${reportsTree}\treports\n`);
  const root = (await git(attacker, ['ls-tree', 'HEAD']))
    .split('\n')
    .map((line) => (line.endsWith('\tdocs') ? `040000 tree ${docs}\tdocs` : line))
    .join('\n');
  const rootTree = await gitInput(attacker, ['mktree'], `${root}\n`);
  const commit = await git(attacker, ['commit-tree', rootTree, '-p', 'HEAD', '-m', message]);
  await git(attacker, ['push', '-q', 'origin', `${commit}:refs/heads/main`]);
}

describe('objects swapped under their ids (refs/replace)', () => {
  it('a replacement pushed to refs/replace/* and fetched by a mirror changes nothing check or ingest reads', async () => {
    await record({ run_id: 101 });
    await record({ run_id: 102, timestamp: '2025-11-24T11:00:00Z' });
    // the pusher: the day file and its log at the head replaced by their state before run 102
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    for (const name of ['manifest.json', 'transitions.jsonl']) {
      const now = await git(attacker, ['rev-parse', `HEAD:${DAY_DIR}/${name}`]);
      const before = await git(attacker, ['rev-parse', `HEAD~1:${DAY_DIR}/${name}`]);
      await git(attacker, ['replace', now, before]);
    }
    await git(attacker, ['push', '-q', 'origin', 'refs/replace/*:refs/replace/*']);
    // an audit or backup server's mirror fetches every ref, refs/replace/* included
    const mirror = join(tmp.path, 'mirror.git');
    await git(tmp.path, ['clone', '-q', '--mirror', remote, mirror]);
    expect(await git(mirror, ['for-each-ref', '--format=%(refname)', 'refs/replace/'])).not.toBe('');
    // plain git in the mirror reads the swapped day file: run 102 is gone from it
    expect(await git(mirror, ['show', `main:${DAY_DIR}/manifest.json`])).not.toContain('"run_id": 102');

    const audited = await check(mirror);
    expect(audited.code, audited.stdout + audited.stderr).toBe(0);
    expect(audited.json().result.findings).toEqual([]);
    const loaded = await ingest(mirror, '--ref', 'main');
    expect(loaded.code, loaded.stdout + loaded.stderr).toBe(0);
    expect(await storedRuns()).toEqual([101, 102]);
  }, 120_000);
});

describe('a tree that names a path twice', () => {
  it('a signed log cut and hidden behind a second entry of its name: ingest refuses, check names it', async () => {
    await record({ run_id: 101 });
    await record({ run_id: 102, timestamp: '2025-11-24T11:00:00Z' });
    const reader = await cloneRemote(remote, join(tmp.path, 'reader'));
    const first = await ingest(reader);
    expect(first.code, first.stdout + first.stderr).toBe(0);

    // the pusher: run 102 taken out of the day file, its log cut back to one line; the full log is
    // listed first under the same name, so `<commit>:<path>` still answers with the full one
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    const oid = (rev: string, name: string) => git(attacker, ['rev-parse', `${rev}:${DAY_DIR}/${name}`]);
    const dayTree = await rawTree(attacker, [
      { mode: '100644', oid: await oid('HEAD~1', 'manifest.json'), name: 'manifest.json' },
      { mode: '100644', oid: await oid('HEAD', 'transitions.jsonl'), name: 'transitions.jsonl' },
      { mode: '100644', oid: await oid('HEAD~1', 'transitions.jsonl'), name: 'transitions.jsonl' },
    ]);
    await pushDayTree(attacker, dayTree, 'provenance: tidy');
    await git(reader, ['fetch', '-q', 'origin']);
    await git(reader, ['reset', '-q', '--hard', 'origin/main']).catch(() => undefined);

    const second = await ingest(reader, '--ref', 'origin/main');
    expect(second.code, second.stdout + second.stderr).toBe(4);
    expect(second.json().error?.code).toBe('INGEST_HISTORY_REWRITTEN');
    expect(second.json().error?.message).toContain(`${DAY_DIR}/transitions.jsonl`);
    expect(second.json().error?.message).toContain('named twice in its tree');

    const audited = await check(reader);
    expect(audited.code).toBe(1);
    const findings = audited.json().error?.details.findings as {
      code: string;
      path?: string;
      message: string;
    }[];
    expect(findings).toContainEqual(
      expect.objectContaining({
        code: 'CHECK_UNEXPECTED_PATH',
        path: `${DAY_DIR}/transitions.jsonl`,
        message: expect.stringContaining('named twice in its tree'),
      }),
    );
  }, 120_000);

  it('record never merges into a day file named twice: the entry is queued, the remote unchanged', async () => {
    await record({ run_id: 101 });
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    const day = await git(attacker, ['rev-parse', `HEAD:${DAY_DIR}/manifest.json`]);
    const log = await git(attacker, ['rev-parse', `HEAD:${DAY_DIR}/transitions.jsonl`]);
    const forged = await gitInput(
      attacker,
      ['hash-object', '-w', '--stdin'],
      (await git(attacker, ['show', `HEAD:${DAY_DIR}/manifest.json`])).replace('release-bot', 'mallory') +
        '\n',
    );
    const dayTree = await rawTree(attacker, [
      { mode: '100644', oid: forged, name: 'manifest.json' },
      { mode: '100644', oid: day, name: 'manifest.json' },
      { mode: '100644', oid: log, name: 'transitions.jsonl' },
    ]);
    await pushDayTree(attacker, dayTree, 'provenance: tidy');
    const head = await git(remote, ['rev-parse', 'main']);

    const clone = join(tmp.path, 'writer2');
    await cloneRemote(remote, clone);
    const file = join(tmp.path, 'entry-102.json');
    await writeFile(file, JSON.stringify(makeEntry({ run_id: 102, timestamp: '2025-11-24T12:00:00Z' })));
    const r = await runCliCaptured(
      ['record', '--json', '--repo', clone, '--entry', file, '--sign-key', key],
      {
        env,
      },
    );
    expect(r.code, r.stdout + r.stderr).toBe(75);
    expect(r.stdout + r.stderr).toContain('named twice in its tree');
    expect(await git(remote, ['rev-parse', 'main'])).toBe(head);
  }, 120_000);
});

describe('a key-index shard the writers cannot read', () => {
  it('a submodule in place of a shard is CHECK_INDEX_MISMATCH', async () => {
    await record({ run_id: 101 });
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    const shards = (await git(attacker, ['ls-tree', '--name-only', 'HEAD:docs/reports/index'])).split('\n');
    const shard = shards.find((n) => /^[0-9a-f]{2}\.json$/.test(n))!;
    const head = await git(attacker, ['rev-parse', 'HEAD']);
    await git(attacker, ['update-index', '--cacheinfo', `160000,${head},docs/reports/index/${shard}`]);
    await git(attacker, ['commit', '-qm', 'provenance: index']);
    await git(attacker, ['push', '-q', 'origin', 'HEAD:main']);

    const reader = await cloneRemote(remote, join(tmp.path, 'reader'));
    const audited = await check(reader);
    expect(audited.code, audited.stdout).toBe(1);
    const findings = audited.json().error?.details.findings as {
      code: string;
      path?: string;
      message: string;
    }[];
    expect(findings).toContainEqual(
      expect.objectContaining({
        code: 'CHECK_INDEX_MISMATCH',
        path: `docs/reports/index/${shard}`,
        message: expect.stringContaining('a commit (mode 160000) in git'),
      }),
    );
  }, 120_000);
});

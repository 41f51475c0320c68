import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkLedger } from '../../../src/app/check.js';
import { flushQueue } from '../../../src/app/flush.js';
import { recordEntry } from '../../../src/app/record.js';
import { serializeManifest } from '../../../src/core/ledger/entry.js';
import { parseQueue } from '../../../src/core/ledger/queue.js';
import { readLedgerFromCommit } from '../../../src/io/ledger-reader.js';
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

beforeEach(async () => {
  tmp = await makeTempDir();
  remote = await createRemote(tmp.path);
  clone = await cloneRemote(remote, join(tmp.path, 'clone'));
  env = { PATH: process.env.PATH, HOME: process.env.HOME, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') };
});
afterEach(() => tmp.cleanup());

const record = (entry: unknown, repoDir = clone) =>
  recordEntry({ repoDir, entry, lockDir: join(tmp.path, 'locks'), backoffMs: 5 });

describe('flush', () => {
  it('lands the queued entries once the hook is gone and empties both queues', async () => {
    await installFreezeHook(remote);
    const a = makeEntry({ run_id: 1 });
    const b = makeEntry({
      run_id: 2,
      status: 'failure',
      artifact_url: null,
      failure_reason: 'upload failed',
    });
    expect((await record(a)).outcome).toBe('queued');
    expect((await record(b)).outcome).toBe('queued');
    // a replay of the same entry is queued once
    expect((await record(a)).queue?.size).toBe(2);

    // still frozen: flush keeps everything and says 75
    const still = await runCliCaptured(
      ['flush', '--no-sign', '--allow-unauthenticated', '--json', '--repo', clone],
      { env },
    );
    expect(still.code).toBe(75);
    expect(still.json().result).toMatchObject({ outcome: 'queued', landed: 0, remaining: 2 });

    await removeFreezeHook(remote);
    // without a trust policy nothing lands by default: FLUSH_NO_TRUST_POLICY (exit 2), every item
    // reported and left where it is, in the queue file and on the queue branch alike
    const queueFile = join(clone, 'out/provenance/queued-manifest.json');
    const queueBefore = await readFile(queueFile, 'utf8');
    const branchBefore = await git(remote, ['rev-parse', 'provenance-queue']);
    const mainBefore = await git(remote, ['rev-parse', 'main']);
    const gated = await runCliCaptured(['flush', '--no-sign', '--json', '--repo', clone], { env });
    expect(gated.code, gated.stderr).toBe(2);
    expect(gated.json().error?.code).toBe('FLUSH_NO_TRUST_POLICY');
    expect(gated.json().error?.details.result).toMatchObject({
      outcome: 'queued',
      landed: 0,
      remaining: 2,
      unauthenticated: 2,
      items: [
        { run_id: 1, outcome: 'unauthenticated', code: 'FLUSH_NO_TRUST_POLICY' },
        { run_id: 2, outcome: 'unauthenticated', code: 'FLUSH_NO_TRUST_POLICY' },
      ],
    });
    expect(await readFile(queueFile, 'utf8')).toBe(queueBefore);
    expect(await git(remote, ['rev-parse', 'provenance-queue'])).toBe(branchBefore);
    expect(await git(remote, ['rev-parse', 'main'])).toBe(mainBefore);
    const human = await runCliCaptured(['flush', '--no-sign', '--repo', clone], { env });
    expect(human.code).toBe(2);
    expect(human.stderr).toMatch(/FLUSH_NO_TRUST_POLICY: 2 queued item\(s\) were not landed/);
    // beside a queue file that cannot be read (exit 75 otherwise: a retry), the missing policy is
    // still the answer: no retry lands these
    await writeFile(queueFile, 'garbage');
    const unreadable = await runCliCaptured(['flush', '--no-sign', '--json', '--repo', clone], { env });
    expect(unreadable.code, unreadable.stderr).toBe(2);
    expect(unreadable.json().error?.details.result).toMatchObject({
      unauthenticated: 2,
      queue_file_error: { code: 'LEDGER_QUEUE_INVALID' },
    });
    expect(await readFile(queueFile, 'utf8')).toBe('garbage');
    await writeFile(queueFile, queueBefore);

    // the explicit opt-out replays them unauthenticated, as flush did before signing
    const run = await runCliCaptured(
      ['flush', '--no-sign', '--allow-unauthenticated', '--json', '--repo', clone],
      { env },
    );
    expect(run.code).toBe(0);
    expect(run.json().result).toMatchObject({ outcome: 'flushed', landed: 2, remaining: 0 });
    const head = await git(remote, ['rev-parse', 'main']);
    const [file] = await readLedgerFromCommit(remote, head);
    expect(file!.entries.map((e) => e.run_id)).toEqual([1, 2]);
    expect(
      parseQueue(await readFile(join(clone, 'out/provenance/queued-manifest.json'), 'utf8'), 'q'),
    ).toEqual([]);
    expect(
      await showFile(remote, 'provenance-queue', 'docs/reports/2025-11-24/manifest-queue.json'),
    ).toBeUndefined();
    expect((await checkLedger({ repoDir: remote, ref: 'main' })).findings).toEqual([]);

    // flushing again is harmless
    expect(
      (await flushQueue({ repoDir: clone, lockDir: join(tmp.path, 'locks'), allowUnauthenticated: true }))
        .outcome,
    ).toBe('empty');
  });

  it("a queue-branch path with a line break is skipped, and the branch's items still land", async () => {
    await installFreezeHook(remote);
    expect((await record(makeEntry({ run_id: 7 }))).outcome).toBe('queued');
    // the item is now only on the queue branch
    await rm(join(clone, 'out/provenance/queued-manifest.json'), { force: true });
    // whoever can push the queue branch plants a path whose line break once made flush give up on
    // the whole branch (`outcome: "empty"`, exit 0) while the item waited there
    const other = await cloneRemote(remote, join(tmp.path, 'other'));
    await git(other, ['checkout', '-q', 'provenance-queue']);
    await commitFiles(other, { 'docs/reports/2025-11-24\nevil/manifest-queue.json': '[]\n' }, 'planted');
    await git(other, ['push', '-q', 'origin', 'HEAD:provenance-queue']);
    await removeFreezeHook(remote);

    const run = await runCliCaptured(
      ['flush', '--no-sign', '--allow-unauthenticated', '--json', '--repo', clone],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().result).toMatchObject({ outcome: 'flushed', landed: 1, remaining: 0 });
    expect(run.stderr).toMatch(
      /skipping 1 file\(s\) on provenance-queue whose path holds a control character/,
    );
    const [file] = await readLedgerFromCommit(remote, await git(remote, ['rev-parse', 'main']));
    expect(file!.entries.map((e) => e.run_id)).toEqual([7]);
  });

  it('without a trust policy lands nothing but still reports a rewritten history', async () => {
    expect((await record(makeEntry({ run_id: 1 }))).outcome).toBe('committed');
    await installFreezeHook(remote);
    expect((await record(makeEntry({ run_id: 2 }))).outcome).toBe('queued');
    await removeFreezeHook(remote);
    // someone with force-push rights replaces the ledger's history (run 1 gone)
    const other = await cloneRemote(remote, join(tmp.path, 'other'));
    await git(other, ['checkout', '-q', '--orphan', 'rewritten']);
    await git(other, ['rm', '-rq', '--cached', '.']);
    await commitFiles(other, { 'README.md': 'nothing here\n' }, 'a new history');
    await git(other, ['push', '-q', '--force', 'origin', 'rewritten:main']);
    const mainBefore = await git(remote, ['rev-parse', 'main']);
    const queueFile = join(clone, 'out/provenance/queued-manifest.json');
    const queueBefore = await readFile(queueFile, 'utf8');

    const run = await runCliCaptured(['flush', '--no-sign', '--json', '--repo', clone], { env });
    // before: FLUSH_NO_TRUST_POLICY (exit 2), the rewrite unseen because nothing was fetched
    expect(run.code, run.stderr).toBe(75);
    expect(run.json().error?.code).toBe('LEDGER_HISTORY_REWRITTEN');
    expect(await git(remote, ['rev-parse', 'main'])).toBe(mainBefore);
    expect(await readFile(queueFile, 'utf8')).toBe(queueBefore);
  });

  it('finds entries queued by another clone on the queue branch; replays land as unchanged or stale', async () => {
    const other = await cloneRemote(remote, join(tmp.path, 'other'));
    await installFreezeHook(remote);
    const old = makeEntry({ run_id: 5, timestamp: '2025-11-24T10:00:00Z' });
    expect((await record(old, other)).outcome).toBe('queued');
    await removeFreezeHook(remote);
    // meanwhile a newer version of the same run landed directly
    const newer = makeEntry({ run_id: 5, timestamp: '2025-11-24T12:00:00Z', governance_flag: 'validated' });
    expect((await record(newer)).outcome).toBe('committed');
    const r = await flushQueue({
      repoDir: clone,
      lockDir: join(tmp.path, 'locks'),
      allowUnauthenticated: true,
    });
    expect(r).toMatchObject({ outcome: 'flushed', landed: 1, remaining: 0 });
    expect(r.items[0]!.outcome).toBe('stale');
    const head = await git(remote, ['rev-parse', 'main']);
    expect((await readLedgerFromCommit(remote, head))[0]!.entries[0]!.governance_flag).toBe('validated');
    // the other clone's local queue still holds it; its flush sees it as already there
    const again = await flushQueue({
      repoDir: other,
      lockDir: join(tmp.path, 'locks'),
      allowUnauthenticated: true,
    });
    expect(again).toMatchObject({ outcome: 'flushed', landed: 1 });
    expect(again.items[0]!.outcome).toBe('stale');
  });
});

describe('check', () => {
  async function seed(): Promise<void> {
    await record(makeEntry({ tag: 'v1.0.0', run_id: 1, timestamp: '2025-11-23T10:00:00Z' }));
    await record(makeEntry({ tag: 'v1.0.1', run_id: 2, timestamp: '2025-11-24T10:00:00Z' }));
    await record(makeEntry({ tag: 'v1.0.2', run_id: 3, timestamp: '2025-11-24T11:00:00Z' }));
    await git(clone, ['pull', '-q', '--ff-only', 'origin', 'main']);
  }
  const P24 = 'docs/reports/2025-11-24/manifest.json';

  async function codesAfter(files: Record<string, string>, message: string): Promise<string[]> {
    await commitFiles(clone, files, message);
    // the edit is local: --ref HEAD audits the clone as it is (the default reads the remote's branch)
    return (await checkLedger({ repoDir: clone, ref: 'HEAD' })).findings.map((f) => f.code);
  }

  it('passes a ledger written by record, through the CLI too', async () => {
    await seed();
    const run = await runCliCaptured(['check', '--json', '--repo', clone], { env });
    expect(run.code).toBe(0);
    expect(run.json().result).toMatchObject({ ok: true, files: 2, entries: 3, commits: 3 });
  });

  it('finds a hand edit', async () => {
    await seed();
    const text = (await readFile(join(clone, P24), 'utf8')).replace(
      '"actor": "release-bot"',
      '"actor": "mallory"',
    );
    const codes = await codesAfter({ [P24]: text }, 'fix typo');
    expect(codes).toContain('CHECK_HASH_MISMATCH');
    expect(codes).toContain('CHECK_TRAILERS_MISSING');
  });

  it('finds a hand edit hidden behind copied trailers', async () => {
    await seed();
    const body = await git(clone, ['log', '-1', '--format=%B']);
    const text = (await readFile(join(clone, P24), 'utf8')).replace(
      '"actor": "release-bot"',
      '"actor": "mallory"',
    );
    const codes = await codesAfter({ [P24]: text }, body);
    expect(codes).toEqual(expect.arrayContaining(['CHECK_HASH_MISMATCH', 'CHECK_FOREIGN_RUN_CHANGED']));
  });

  it('finds a commit without trailers, with CLI exit 1 and findings in --json', async () => {
    await seed();
    const text = serializeManifest([makeEntry({ tag: 'v9', run_id: 9, timestamp: '2025-11-25T10:00:00Z' })]);
    await commitFiles(clone, { 'docs/reports/2025-11-25/manifest.json': text }, 'add an entry by hand');
    const run = await runCliCaptured(['check', '--json', '--repo', clone, '--ref', 'HEAD'], { env });
    expect(run.code).toBe(1);
    const out = run.json();
    expect(out.error!.code).toBe('CHECK_FINDINGS');
    const findings = out.error!.details.findings as { code: string; path?: string; commit?: string }[];
    const f = findings.find((x) => x.code === 'CHECK_TRAILERS_MISSING')!;
    expect(f.path).toBe('docs/reports/2025-11-25/manifest.json');
    expect(f.commit).toBe(await git(clone, ['rev-parse', 'HEAD']));
  });

  it('finds a reordered file', async () => {
    await seed();
    const entries = JSON.parse(await readFile(join(clone, P24), 'utf8')) as unknown[];
    const codes = await codesAfter({ [P24]: `${JSON.stringify(entries.reverse(), null, 2)}\n` }, 'reorder');
    expect(codes).toContain('CHECK_ORDER');
  });

  it('finds a duplicate across days', async () => {
    await seed();
    const dup = makeEntry({ tag: 'v1.0.0', run_id: 1, timestamp: '2025-11-25T10:00:00Z' });
    await writeFile(join(tmp.path, 'dup.json'), JSON.stringify(dup));
    const codes = await codesAfter(
      { 'docs/reports/2025-11-25/manifest.json': serializeManifest([dup]) },
      'dup',
    );
    expect(codes).toContain('CHECK_DUPLICATE_KEY');
    expect(codes).not.toContain('CHECK_ORDER');
  });

  it('refuses an unknown ref as a usage error', async () => {
    const run = await runCliCaptured(['check', '--json', '--repo', clone, '--ref', 'nope'], { env });
    expect(run.code).toBe(2);
    expect(run.json().error!.code).toBe('LEDGER_REPO_INVALID');
  });
});

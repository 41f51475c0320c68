// Hostile input on the write side (issue 13 items 3 and 4) and history that only grows (issue 14
// item 5), against real git and bare remotes.
import { createHash } from 'node:crypto';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LedgerAlert } from '../../../src/app/ledger-engine.js';
import { checkLedger } from '../../../src/app/check.js';
import { flushQueue } from '../../../src/app/flush.js';
import { recordEntry, type RecordOptions } from '../../../src/app/record.js';
import { serializeManifest } from '../../../src/core/ledger/entry.js';
import {
  cloneRemote,
  commitFiles,
  createRemote,
  git,
  makeTempDir,
  showFile,
  tracedGit,
} from '../../support/git.js';
import { commitBlobs, writeWhitespaceBlob } from '../../support/hostile-git.js';
import { makeEntry } from '../../support/ledger.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let remote: string;
let clone: string;
let other: string;

beforeEach(async () => {
  tmp = await makeTempDir();
  remote = await createRemote(tmp.path);
  clone = await cloneRemote(remote, join(tmp.path, 'clone'));
  other = await cloneRemote(remote, join(tmp.path, 'other'));
});
afterEach(() => tmp.cleanup());

function record(entry: unknown, extra: Partial<RecordOptions> = {}) {
  return recordEntry({
    repoDir: clone,
    entry,
    lockDir: join(tmp.path, 'locks'),
    backoffMs: 5,
    clock: { now: () => new Date('2025-11-25T00:00:00Z') },
    ...extra,
  });
}

/** Pushes raw files to the remote's main from the other clone (an attacker or a careless hand). */
async function pushRaw(files: Record<string, string>): Promise<void> {
  await git(other, ['pull', '-q', '--ff-only', 'origin', 'main']).catch(() => undefined);
  await commitFiles(other, files, 'hand edit', { push: true });
}

const day = (d: string): string => `docs/reports/${d}/manifest.json`;

describe('a malformed day file never stops record landing another day (issue 13 item 3)', () => {
  it.each([
    ['not json', 'not json', 'INPUT_JSON_MALFORMED'],
    ['20,000-deep array', `${'['.repeat(20_000)}${']'.repeat(20_000)}`, 'INPUT_LIMIT_EXCEEDED'],
    ['an object, not an array', '{"a": 1}\n', 'LEDGER_MANIFEST_INVALID'],
    ['an invalid entry', '[{"run_id": "1"}]\n', 'LEDGER_MANIFEST_INVALID'],
  ])('%s in another day: a warning, the entry lands', async (_name, text, code) => {
    await pushRaw({ [day('2025-11-20')]: text });
    const r = await record(makeEntry());
    expect(r.outcome).toBe('committed');
    expect(r.warnings).toEqual([expect.objectContaining({ path: day('2025-11-20'), code })]);
    expect(await showFile(remote, 'main', day('2025-11-20'))).toBe(text);
  });

  it('a day file over the byte limit is not even read (32 MiB of whitespace): a warning, the entry lands', async () => {
    await pushRaw({ [day('2025-11-20')]: `[${' '.repeat(33 * 1024 * 1024)}]` });
    const r = await record(makeEntry());
    expect(r.outcome).toBe('committed');
    expect(r.warnings?.[0]).toMatchObject({ code: 'INPUT_TOO_LARGE' });
  });

  it('a symlink where a day file should be is reported, never followed', async () => {
    await git(other, ['pull', '-q', '--ff-only', 'origin', 'main']).catch(() => undefined);
    await mkdir(join(other, 'docs/reports/2025-11-20'), { recursive: true });
    await symlink('/etc/passwd', join(other, day('2025-11-20')));
    await git(other, ['add', '-A']);
    await git(other, ['commit', '-q', '-m', 'link']);
    await git(other, ['push', '-q', 'origin', 'HEAD:main']);
    const r = await record(makeEntry());
    expect(r.outcome).toBe('committed');
    expect(r.warnings?.[0]).toMatchObject({ code: 'INPUT_FILE_NOT_REGULAR' });
    expect(JSON.stringify(r)).not.toContain('root:');
  });

  it("the entry's own day file is malformed: queued (never written over), not exit 70", async () => {
    await pushRaw({ [day('2025-11-24')]: 'not json' });
    const r = await record(makeEntry());
    expect(r.outcome).toBe('queued');
    expect(r.queue?.code).toBe('LEDGER_MANIFEST_INVALID');
    expect(await showFile(remote, 'main', day('2025-11-24'))).toBe('not json');
  });
});

describe('day files together within ledgerReadBytes (issue 13 item 2)', () => {
  it('one 30 MiB blob under ten day paths: the largest are warnings, the entry lands, the checkout is not filled', async () => {
    // before: 280 such paths (a 400 KB push) cost record 3 minutes and 8.5 GB, and its
    // fast-forward wrote 8.3 GB of whitespace into the user's work tree
    await record(makeEntry({ tag: 'v0.9.0', run_id: 9, timestamp: '2025-11-23T10:00:00Z' }));
    await git(other, ['pull', '-q', '--ff-only', 'origin', 'main']);
    const oid = await writeWhitespaceBlob(join(other, '.git'), 30 * 1024 * 1024);
    const paths = Array.from({ length: 10 }, (_, i) => day(`2025-10-${String(i + 10)}`));
    await commitBlobs(other, Object.fromEntries(paths.map((p) => [p, { oid }])), 'one blob, ten days');
    await git(other, ['push', '-q', 'origin', 'HEAD:main']);
    const r = await record(makeEntry());
    expect(r.outcome).toBe('committed');
    const together = (r.warnings ?? []).filter((w) => /together/.test(w.message));
    expect(together.map((w) => w.code)).toEqual(['INPUT_TOO_LARGE', 'INPUT_TOO_LARGE']);
    expect(r.local_branch).toBe('too-large');
    expect(await git(clone, ['ls-files', 'docs/reports/2025-10-10'])).toBe('');
  }, 120_000);
});

describe('entries that mean one thing (issue 13 item 4)', () => {
  it('a timestamp more than 5 minutes ahead is refused; the skew is configurable', async () => {
    const now = new Date('2025-11-24T10:00:00Z');
    await expect(
      record(makeEntry({ timestamp: '2025-11-24T10:05:01Z' }), { clock: { now: () => now } }),
    ).rejects.toMatchObject({ code: 'LEDGER_ENTRY_INVALID' });
    await expect(
      record(makeEntry({ timestamp: '9999-12-31T23:59:59Z' }), { clock: { now: () => now } }),
    ).rejects.toMatchObject({ code: 'LEDGER_ENTRY_INVALID' });
    const ok = await record(makeEntry({ timestamp: '2025-11-24T10:05:00Z' }), { clock: { now: () => now } });
    expect(ok.outcome).toBe('committed');
    const wide = await record(makeEntry({ run_id: 2, timestamp: '2025-11-24T11:00:00Z' }), {
      clock: { now: () => now },
      clockSkewS: 3600,
    });
    expect(wide.outcome).toBe('committed');
    await writeFile(join(clone, '.slsa-ledger.yml'), 'ledger:\n  clock_skew: 0\n');
    await expect(
      record(makeEntry({ run_id: 3, timestamp: '2025-11-24T10:00:01Z' }), { clock: { now: () => now } }),
    ).rejects.toMatchObject({ code: 'LEDGER_ENTRY_INVALID' });
  });

  it('commit trailers round-trip exactly through git interpret-trailers', async () => {
    const r = await record(makeEntry({ tag: 'v1.2.3+build.7' }));
    const trailers = await git(remote, ['log', '-1', '--format=%(trailers:only,unfold)', 'main']);
    expect(trailers.split('\n').filter((l) => l !== '')).toEqual([
      'Provenance-Run-Id: 101',
      'Provenance-Tag: v1.2.3+build.7',
      `Manifest-Path: ${r.path}`,
      `Manifest-Sha256: ${r.manifest_sha256}`,
    ]);
  });
});

describe('an entry pushed by hand with a far-future timestamp (issue 13 item 4)', () => {
  it('a later update of its run is queued, never dropped as stale; check reports the entry', async () => {
    const future = makeEntry({ timestamp: '9999-12-31T23:59:59Z' });
    await pushRaw({ [day('9999-12-31')]: serializeManifest([future]) });
    const verdict = makeEntry({
      timestamp: '2025-11-24T12:00:00Z',
      status: 'failure',
      failure_reason: 'provenance does not verify',
      governance_flag: 'validation-failed',
    });
    const r = await record(verdict);
    // before: outcome 'stale', exit 0, the failed verdict gone
    expect(r.outcome).toBe('queued');
    expect(r.queue?.code).toBe('LEDGER_MANIFEST_INVALID');
    expect(r.queue?.reason).toMatch(/ahead of the clock/);
    const checked = await checkLedger({ repoDir: clone, noWitness: true });
    expect(checked.findings.map((f) => f.code)).toContain('CHECK_TIMESTAMP_FUTURE');
  });
});

describe('flush replays item by item (issue 13 item 3)', () => {
  it('an invalid queued item and a conflicting one stay with their reasons; the others land', async () => {
    await record(makeEntry({ run_id: 1 }));
    const queuePath = join(clone, 'out/provenance/queued-manifest.json');
    await mkdir(join(clone, 'out/provenance'), { recursive: true });
    const item = (entry: unknown) => ({
      entry,
      reason: 'refused',
      queued_at: '2025-11-24T10:00:00Z',
      attempts: 1,
    });
    const bad = item({ ...makeEntry({ run_id: 2 }), run_id: '2' });
    const conflict = item(makeEntry({ run_id: 1, sha: 'b'.repeat(40), timestamp: '2025-11-24T11:00:00Z' }));
    const good = item(makeEntry({ run_id: 3 }));
    await writeFile(queuePath, JSON.stringify([bad, conflict, good]));
    const r = await flushQueue({
      repoDir: clone,
      lockDir: join(tmp.path, 'locks'),
      allowUnauthenticated: true,
    });
    expect(r.landed).toBe(1);
    const outcomes = Object.fromEntries(r.items.map((i) => [i.run_id === 0 ? '?' : i.run_id, i.outcome]));
    expect(outcomes).toMatchObject({ '?': 'invalid', 1: 'conflict', 3: 'committed' });
    expect(r.items.find((i) => i.outcome === 'invalid')?.reason).toMatch(/run_id/);
    const left = JSON.parse(await readFile(queuePath, 'utf8')) as { entry: { run_id: unknown } }[];
    expect(left.map((x) => x.entry.run_id).sort()).toEqual([1, '2']);
  });

  it('a queue file that is not JSON: flush reports it and leaves it; record moves it aside', async () => {
    const queuePath = join(clone, 'out/provenance/queued-manifest.json');
    await mkdir(join(clone, 'out/provenance'), { recursive: true });
    await writeFile(queuePath, 'garbage');
    const f = await flushQueue({
      repoDir: clone,
      lockDir: join(tmp.path, 'locks'),
      allowUnauthenticated: true,
    });
    expect(f.queue_file_error?.code).toBe('LEDGER_QUEUE_INVALID');
    expect(await readFile(queuePath, 'utf8')).toBe('garbage');
    await pushRaw({ [day('2025-11-24')]: 'not json' });
    const r = await record(makeEntry());
    expect(r.outcome).toBe('queued');
    expect(r.queue?.moved_aside).toBeDefined();
    expect(await readFile(r.queue!.moved_aside!, 'utf8')).toBe('garbage');
  });
});

describe('history only grows (issue 14 item 5)', () => {
  it('a force-push that drops a run: record queues (exit 75), nothing is written on top, the alert fires', async () => {
    const a = await record(makeEntry({ run_id: 1 }));
    await record(makeEntry({ run_id: 2 }));
    // the attacker rewrites main back to the first record, dropping run 2
    await git(other, ['fetch', '-q', 'origin']);
    await git(other, ['push', '-q', '--force', 'origin', `${a.commit!}:refs/heads/main`]);
    const alerts: LedgerAlert[] = [];
    const r = await record(makeEntry({ run_id: 3 }), {
      alert: (x) => {
        alerts.push(x);
        return Promise.resolve();
      },
    });
    expect(r).toMatchObject({ outcome: 'queued', alert: 'ledger-history-rewritten' });
    expect(r.queue?.code).toBe('LEDGER_HISTORY_REWRITTEN');
    expect(alerts).toEqual([expect.objectContaining({ event: 'ledger-history-rewritten', run_id: 3 })]);
    expect(await git(remote, ['rev-parse', 'main'])).toBe(a.commit);

    // the witness holds even when the private ref is gone
    await git(clone, ['update-ref', '-d', 'refs/slsa-ledger/origin/main']);
    const again = await record(makeEntry({ run_id: 4 }));
    expect(again.queue?.code).toBe('LEDGER_HISTORY_REWRITTEN');

    // flush refuses too, and keeps the queue
    const f = await flushQueue({
      repoDir: clone,
      lockDir: join(tmp.path, 'locks'),
      allowUnauthenticated: true,
    });
    expect(f).toMatchObject({ outcome: 'queued', alert: 'ledger-history-rewritten', landed: 0 });
    expect(await git(remote, ['rev-parse', 'main'])).toBe(a.commit);
  });

  it('a new history force-pushed over the branch (an orphan) is a rewrite, not an unreachable remote', async () => {
    await record(makeEntry({ run_id: 1 }));
    await git(other, ['checkout', '-q', '--orphan', 'rewritten']);
    await git(other, ['rm', '-rq', '--cached', '.']);
    await commitFiles(other, { 'README.md': 'a new history\n' }, 'a new history');
    await git(other, ['push', '-q', '--force', 'origin', 'rewritten:main']);
    const forged = await git(remote, ['rev-parse', 'main']);
    const r = await record(makeEntry({ run_id: 2 }));
    // before: git fetch --quiet says nothing about a rejected update, so this was queued as
    // LEDGER_REMOTE_UNAVAILABLE ("unknown error") and no ledger-history-rewritten alert fired
    expect(r).toMatchObject({ outcome: 'queued', alert: 'ledger-history-rewritten' });
    expect(r.queue?.code).toBe('LEDGER_HISTORY_REWRITTEN');
    expect(await git(remote, ['rev-parse', 'main'])).toBe(forged);
  });

  it('a normal fast-forward by another writer is fine', async () => {
    await record(makeEntry({ run_id: 1 }));
    await recordEntry({ repoDir: other, entry: makeEntry({ run_id: 2 }), lockDir: join(tmp.path, 'l2') });
    const r = await record(makeEntry({ run_id: 3 }));
    expect(r.outcome).toBe('committed');
  });

  it('record never fetches with a forced refspec', async () => {
    const src = await readFile(new URL('../../../src/io/git-ledger-repo.ts', import.meta.url), 'utf8');
    const fetchBody = src.slice(src.indexOf('  async fetch('), src.indexOf('  async resolve('));
    expect(fetchBody).not.toContain('`+refs/heads');
    expect(serializeManifest([])).toBe('[]\n');
  });
});

describe('the key index: record reads one shard and one day file (issue 14 performance)', () => {
  async function remoteIndex(): Promise<Map<string, string>> {
    const { readLedgerFromCommit } = await import('../../../src/io/ledger-reader.js');
    const { buildKeyIndex, serializeKeyIndexShard } = await import('../../../src/core/ledger/key-index.js');
    const head = await git(remote, ['rev-parse', 'main']);
    const files = await readLedgerFromCommit(remote, head);
    const built = buildKeyIndex(new Map(files.map((f) => [f.path.split('/')[2]!, f.entries])));
    return new Map([...built].map(([s, rows]) => [s, serializeKeyIndexShard(rows)]));
  }
  /** `check`'s findings at the remote's head, from a fresh clone. */
  async function audit() {
    const reader = await cloneRemote(remote, join(tmp.path, `reader-${Math.random().toString(16).slice(2)}`));
    return (await checkLedger({ repoDir: reader, ref: 'origin/main' })).findings;
  }
  async function checkIndex(): Promise<void> {
    const expected = await remoteIndex();
    expect(await showFile(remote, 'main', 'docs/reports/index/VERSION')).toBe('1\n');
    expect(await showFile(remote, 'main', 'docs/reports/index/LAST')).toMatch(
      /^\d{4}-\d{2}-\d{2} [0-9a-f]{64}\n$/,
    );
    for (const [s, text] of expected)
      expect(await showFile(remote, 'main', `docs/reports/index/${s}.json`)).toBe(text);
  }

  it('keeps the index exact over inserts and updates across days', async () => {
    await record(makeEntry({ run_id: 1, timestamp: '2025-11-20T10:00:00Z' }));
    await record(makeEntry({ run_id: 2, timestamp: '2025-11-21T10:00:00Z' }));
    await record(makeEntry({ tag: 'v2.0.0', run_id: 3, timestamp: '2025-11-22T10:00:00Z' }));
    const upd = await record(
      makeEntry({ run_id: 1, timestamp: '2025-11-24T10:00:00Z', governance_flag: 'validated' }),
    );
    expect(upd).toMatchObject({ outcome: 'committed', merge: 'updated', path: day('2025-11-20') });
    await checkIndex();
  });

  // the commands that mean every day file was read: the index's last change looked up in the
  // history (`log`), the day files changed since (`diff`), all of them listed (`ls-tree -r`)
  const fullRead = (commands: readonly string[]): string[] =>
    commands.filter((c) => /^(?:log|diff|ls-tree) /.test(c));
  const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

  it('after an update (a verdict) the next record still reads one shard: every writer commit rewrites index/LAST', async () => {
    await record(makeEntry({ run_id: 1, timestamp: '2025-11-20T10:00:00Z' }));
    await record(makeEntry({ run_id: 2, timestamp: '2025-11-21T10:00:00Z' }));
    const upd = await record(
      makeEntry({ run_id: 1, timestamp: '2025-11-24T10:00:00Z', governance_flag: 'validated' }),
    );
    expect(upd).toMatchObject({ merge: 'updated', path: day('2025-11-20') });
    expect(await showFile(remote, 'main', 'docs/reports/index/LAST')).toBe(
      `2025-11-20 ${sha256((await showFile(remote, 'main', day('2025-11-20')))!)}\n`,
    );
    // before: the update changed a day file and no shard, so the next writer took it for a change
    // made without the index and read every day file (~1.1 s more in five years of entries)
    const next = await tracedGit(tmp.path, () =>
      record(makeEntry({ run_id: 3, timestamp: '2025-11-22T10:00:00Z' })),
    );
    expect(next.result).toMatchObject({ outcome: 'committed', merge: 'inserted' });
    expect(fullRead(next.commands)).toEqual([]);
    await checkIndex();
  });

  it('a hand edit that changes no key: the next record reads every day file once, the one after reads one shard', async () => {
    await record(makeEntry({ run_id: 1, timestamp: '2025-11-20T10:00:00Z' }));
    // the same entry, laid out by another tool: a day file changed without the index
    await pushRaw({
      [day('2025-11-20')]: JSON.stringify([makeEntry({ run_id: 1, timestamp: '2025-11-20T10:00:00Z' })]),
    });
    // an update: the index the full read builds is byte for byte the one there
    const first = await tracedGit(tmp.path, () =>
      record(makeEntry({ run_id: 1, timestamp: '2025-11-21T10:00:00Z', governance_flag: 'validated' })),
    );
    expect(first.result).toMatchObject({ outcome: 'committed', merge: 'updated' });
    expect(fullRead(first.commands)).toContainEqual(expect.stringMatching(/^ls-tree -r/));
    // before: that commit left the index folder as it was, and every later record read every
    // day file again, until one inserted a key
    const second = await tracedGit(tmp.path, () =>
      record(makeEntry({ run_id: 3, timestamp: '2025-11-22T10:00:00Z' })),
    );
    expect(fullRead(second.commands)).toEqual([]);
    await checkIndex();
  });

  it('a day file changed without the index (a hand edit, another tool) is read again: no duplicate', async () => {
    await record(makeEntry({ run_id: 1, timestamp: '2025-11-20T10:00:00Z' }));
    // a key added by hand to another day, index untouched
    await pushRaw({
      [day('2025-11-21')]: serializeManifest([makeEntry({ run_id: 9, timestamp: '2025-11-21T10:00:00Z' })]),
    });
    const r = await record(
      makeEntry({ run_id: 9, timestamp: '2025-11-23T10:00:00Z', governance_flag: 'validated' }),
    );
    expect(r).toMatchObject({ merge: 'updated', path: day('2025-11-21') });
    await checkIndex();
  });

  it('an index that lies about a key is not trusted: the day files decide', async () => {
    await record(makeEntry({ run_id: 1, timestamp: '2025-11-20T10:00:00Z' }));
    const { keyIndexShard } = await import('../../../src/core/ledger/key-index.js');
    const s = keyIndexShard('v1.2.3');
    await pushRaw({
      [`docs/reports/index/${s}.json`]: JSON.stringify([{ tag: 'v1.2.3', run_id: 1, day: '2025-11-22' }]),
    });
    const r = await record(
      makeEntry({ run_id: 1, timestamp: '2025-11-24T10:00:00Z', governance_flag: 'validated' }),
    );
    expect(r).toMatchObject({ merge: 'updated', path: day('2025-11-20') });
    await checkIndex();
  });

  it('attack: an index that omits a key, pushed alone, is CHECK_INDEX_MISMATCH for check (a writer would record the run again in another day file, past the merge rule)', async () => {
    await record(makeEntry({ run_id: 1, timestamp: '2025-11-20T10:00:00Z' }));
    await record(makeEntry({ run_id: 2, timestamp: '2025-11-21T10:00:00Z' }));
    expect(await audit()).toEqual([]);
    const { keyIndexShard } = await import('../../../src/core/ledger/key-index.js');
    const s = keyIndexShard('v1.2.3');
    // run 1 left out: the writers trust the shard (no day file changed since), so an update of
    // run 1 dated another day would not find it
    await pushRaw({
      [`docs/reports/index/${s}.json`]: `${JSON.stringify([{ tag: 'v1.2.3', run_id: 2, day: '2025-11-21' }], null, 2)}\n`,
    });
    expect(await audit()).toEqual([
      expect.objectContaining({ code: 'CHECK_INDEX_MISMATCH', tag: 'v1.2.3', run_id: 1 }),
    ]);
  });

  it('attack: text planted in index/LAST or index/VERSION is CHECK_INDEX_MISMATCH for check', async () => {
    await record(makeEntry({ run_id: 1, timestamp: '2025-11-20T10:00:00Z' }));
    expect(await audit()).toEqual([]);
    await pushRaw({
      'docs/reports/index/LAST': 'visit https://evil.example/ for the real ledger\n',
      'docs/reports/index/VERSION': '2\n',
    });
    const findings = await audit();
    expect(findings).toEqual([
      expect.objectContaining({ code: 'CHECK_INDEX_MISMATCH', path: 'docs/reports/index/LAST' }),
      expect.objectContaining({ code: 'CHECK_INDEX_MISMATCH', path: 'docs/reports/index/VERSION' }),
    ]);
    expect(findings[0]!.message).not.toContain('evil');
  });

  // with an index, the day files come from tree objects (no sizes): the limits still hold
  it("the entry's own day file over the byte limit, with an index: queued unread, never written over", async () => {
    await record(makeEntry({ run_id: 1, timestamp: '2025-11-20T10:00:00Z' }));
    const huge = `[${' '.repeat(33 * 1024 * 1024)}]`;
    await pushRaw({ [day('2025-11-21')]: huge });
    // another day first: the huge file is listed, never read (the index names no key in it)
    const other = await record(makeEntry({ run_id: 2, timestamp: '2025-11-22T10:00:00Z' }));
    expect(other).toMatchObject({ outcome: 'committed', merge: 'inserted' });
    const r = await record(makeEntry({ run_id: 3, timestamp: '2025-11-21T10:00:00Z' }));
    expect(r).toMatchObject({ outcome: 'queued', queue: { code: 'LEDGER_MANIFEST_INVALID' } });
    expect(r.warnings).toEqual([
      expect.objectContaining({ path: day('2025-11-21'), code: 'INPUT_TOO_LARGE' }),
    ]);
    expect(r.warnings?.[0]?.message).toContain(`${Buffer.byteLength(huge)} bytes`);
    expect(await showFile(remote, 'main', day('2025-11-21'))).toBe(huge);
  });

  it("the entry's own day file a symlink, with an index: reported, never followed", async () => {
    await record(makeEntry({ run_id: 1, timestamp: '2025-11-20T10:00:00Z' }));
    await git(other, ['pull', '-q', '--ff-only', 'origin', 'main']);
    await mkdir(join(other, 'docs/reports/2025-11-21'), { recursive: true });
    await symlink('/etc/passwd', join(other, day('2025-11-21')));
    await git(other, ['add', '-A']);
    await git(other, ['commit', '-q', '-m', 'link']);
    await git(other, ['push', '-q', 'origin', 'HEAD:main']);
    const r = await record(makeEntry({ run_id: 3, timestamp: '2025-11-21T10:00:00Z' }));
    expect(r).toMatchObject({ outcome: 'queued', queue: { code: 'LEDGER_MANIFEST_INVALID' } });
    expect(r.warnings).toEqual([
      expect.objectContaining({ path: day('2025-11-21'), code: 'INPUT_FILE_NOT_REGULAR' }),
    ]);
  });

  it('an index shard over the byte limit is not read: the day files decide', async () => {
    await record(makeEntry({ run_id: 1, timestamp: '2025-11-20T10:00:00Z' }));
    const { keyIndexShard } = await import('../../../src/core/ledger/key-index.js');
    const s = keyIndexShard('v1.2.3');
    await pushRaw({ [`docs/reports/index/${s}.json`]: `[${' '.repeat(33 * 1024 * 1024)}]` });
    const r = await record(
      makeEntry({ run_id: 1, timestamp: '2025-11-24T10:00:00Z', governance_flag: 'validated' }),
    );
    expect(r).toMatchObject({ merge: 'updated', path: day('2025-11-20') });
    await checkIndex();
  });
});

describe('the built CLI (dist/bin): hostile entries exit 3, never 70', () => {
  it('"run_id": "1" in --entry is refused, not coerced; a far-future timestamp is refused', async () => {
    const { runBin } = await import('../../support/git.js');
    const env = { ...process.env, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') };
    const asString = await runBin(['record', '--json', '--no-sign', '--repo', clone, '--entry', '-'], {
      env,
      stdin: JSON.stringify({ ...makeEntry(), run_id: '1' }),
    });
    expect(asString.code).toBe(3);
    expect(JSON.parse(asString.stdout).error.code).toBe('LEDGER_ENTRY_INVALID');
    const future = await runBin(['record', '--json', '--no-sign', '--repo', clone, '--entry', '-'], {
      env,
      stdin: JSON.stringify(makeEntry({ timestamp: '9999-12-31T23:59:59Z' })),
    });
    expect(future.code).toBe(3);
    const zwsp = await runBin(['record', '--json', '--no-sign', '--repo', clone, '--entry', '-'], {
      env,
      stdin: JSON.stringify(makeEntry({ tag: 'v1.2.3\ufeff' })),
    });
    expect(zwsp.code).toBe(3);
    expect(await git(remote, ['rev-list', '--count', 'main'])).toBe('1');
  });
});

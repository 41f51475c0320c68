// Issue 13 items 2 and 5, issue 14 item 4: hostile history never breaks `check` or `ingest`. Each
// case is a real commit in a real clone (plumbing, no checkout), made the way a pusher would make
// it, with correct trailers where that makes the attack stronger. Every case failed on main
// (exit 70, gigabytes of memory, minutes, bytes of /etc/passwd in a warning, a hang).
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLedger } from '../../../src/app/check.js';
import { ingestLedger } from '../../../src/app/ingest.js';
import { serializeManifest, type LedgerEntry } from '../../../src/core/ledger/entry.js';
import { isSlsaLedgerError } from '../../../src/errors.js';
import { openDatabase } from '../../../src/io/db.js';
import { readLedgerDirBounded } from '../../../src/io/ledger-reader.js';
import { cloneRemote, createRemote, git, makeTempDir } from '../../support/git.js';
import {
  commitBlobs,
  commitText,
  sha256,
  trailers,
  writeBlob,
  writeWhitespaceBlob,
} from '../../support/hostile-git.js';
import { makeEntry } from '../../support/ledger.js';
import { createEngineTarget, type EngineTarget } from '../../support/postgres.js';

const DAY = 'docs/reports/2025-11-24/manifest.json';
const DAY2 = 'docs/reports/2025-11-25/manifest.json';
const e1 = makeEntry({ tag: 'v1.0.0', run_id: 1, timestamp: '2025-11-24T10:00:00Z' });
const e2 = makeEntry({ tag: 'v1.0.1', run_id: 2, timestamp: '2025-11-24T11:00:00Z' });
const good = serializeManifest([e1]);
const good2 = serializeManifest([e1, e2]);

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let remote: string;
let n = 0;

beforeAll(async () => {
  tmp = await makeTempDir('readers-hostile-');
  remote = await createRemote(tmp.path);
});
afterAll(() => tmp?.cleanup());

/** A fresh clone with one clean record of e1. */
async function freshClone(): Promise<string> {
  n += 1;
  const clone = await cloneRemote(remote, join(tmp.path, `clone-${n}`));
  await commitText(clone, DAY, good, { tag: e1.tag, runId: e1.run_id });
  return clone;
}

const check = (clone: string, extra: Parameters<typeof checkLedger>[0] = {}) =>
  checkLedger({ repoDir: clone, ref: 'HEAD', noWitness: true, ...extra });
const codes = async (clone: string): Promise<string[]> => (await check(clone)).findings.map((f) => f.code);

describe('check reads hostile history bounded', () => {
  it('a clean record is clean', async () => {
    expect(await codes(await freshClone())).toEqual([]);
  });

  it('a 20,000-deep nested array with correct trailers is a finding, and check works after the fix', async () => {
    const clone = await freshClone();
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
    await commitText(clone, DAY, deep, { tag: e1.tag, runId: e1.run_id });
    const broken = await check(clone);
    expect(broken.findings.map((f) => f.code).sort()).toEqual([
      'CHECK_HISTORY_BLOB_INVALID',
      'CHECK_MANIFEST_INVALID',
    ]);
    expect(broken.findings[0]!.message).toMatch(/INPUT_LIMIT_EXCEEDED|depth/);
    // history cannot change: the fix is a new commit, and check still works
    await commitText(clone, DAY, good2, { tag: e2.tag, runId: e2.run_id });
    const fixed = await check(clone);
    expect(fixed.findings.map((f) => f.code)).toEqual(['CHECK_HISTORY_BLOB_INVALID']);
    expect(fixed.entries).toBe(2);
  });

  it("a 900 KB '[{},{},…]' is refused in milliseconds, not minutes", async () => {
    const clone = await freshClone();
    const objects = `[${Array.from({ length: 300_000 }, () => '{}').join(',')}]\n`;
    expect(objects.length).toBeGreaterThan(899_000);
    await commitText(clone, DAY, objects, { tag: e1.tag, runId: e1.run_id });
    const result = await check(clone);
    expect(result.findings.map((f) => f.code).sort()).toEqual([
      'CHECK_HISTORY_BLOB_INVALID',
      'CHECK_MANIFEST_INVALID',
    ]);
    expect(result.findings.find((f) => f.code === 'CHECK_MANIFEST_INVALID')!.message).toMatch(/array length/);
  });

  it("'not json' is a finding; a later valid state is compared with the last readable one", async () => {
    const clone = await freshClone();
    await commitText(clone, DAY, 'not json\n', { tag: e1.tag, runId: e1.run_id });
    expect((await codes(clone)).sort()).toEqual(['CHECK_HISTORY_BLOB_INVALID', 'CHECK_MANIFEST_INVALID']);
  });

  it('a duplicate key in a day file is refused by the strict parser', async () => {
    const clone = await freshClone();
    const dup = good.replace('"tag": "v1.0.0",', '"tag": "v1.0.0",\n    "tag": "v9.9.9",');
    await commitText(clone, DAY, dup, { tag: e1.tag, runId: e1.run_id });
    const result = await check(clone);
    expect(result.findings.find((f) => f.code === 'CHECK_MANIFEST_INVALID')!.message).toMatch(
      /INPUT_JSON_DUPLICATE_KEY/,
    );
  });

  it('a symlink in history (mode 120000) to /etc/passwd is refused, its target never read', async () => {
    const clone = await freshClone();
    const link = await writeBlob(clone, '/etc/passwd');
    await commitBlobs(
      clone,
      { [DAY2]: { oid: link, mode: '120000' } },
      `provenance: record v1.0.1 (run 2, success)\n\n${trailers('v1.0.1', 2, DAY2, sha256('/etc/passwd'))}`,
    );
    const result = await check(clone);
    const text = JSON.stringify(result);
    expect(text).not.toMatch(/root:/);
    expect(result.findings.map((f) => f.code).sort()).toEqual([
      'CHECK_HISTORY_BLOB_INVALID',
      'CHECK_MANIFEST_INVALID',
    ]);
    expect(text).toMatch(/symbolic link/);
  });

  it('a tag with a trailing U+FEFF: the trailer is compared exactly, no false CHECK_FOREIGN_RUN_CHANGED', async () => {
    n += 1;
    const clone = await cloneRemote(remote, join(tmp.path, `clone-${n}`));
    const odd = { ...e1, tag: 'v1.0.0\ufeff' } as LedgerEntry;
    const text = `${JSON.stringify([odd], null, 2)}\n`;
    await commitText(clone, DAY, text, { tag: odd.tag, runId: 1 });
    const found = await codes(clone);
    expect(found).not.toContain('CHECK_FOREIGN_RUN_CHANGED');
    expect(found).not.toContain('CHECK_HASH_MISMATCH');
  });

  it('a 540 MB whitespace day file (under 1 MB in git) is refused before it is read', async () => {
    const clone = await freshClone();
    const gitDir = join(clone, '.git');
    const oid = await writeWhitespaceBlob(gitDir, 540 * 1024 * 1024);
    await commitBlobs(
      clone,
      { [DAY]: { oid } },
      `provenance: record v1.0.0 (run 1, success)\n\n${trailers('v1.0.0', 1, DAY, 'f'.repeat(64))}`,
    );
    const before = process.memoryUsage().rss;
    const result = await check(clone);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
    expect(result.findings.map((f) => f.code).sort()).toEqual([
      'CHECK_HISTORY_BLOB_INVALID',
      'CHECK_MANIFEST_INVALID',
    ]);
    expect(result.findings[0]!.message).toMatch(/INPUT_TOO_LARGE/);
  });
});

describe('day files together within ledgerReadBytes (one blob under many day paths)', () => {
  it('a 30 MiB blob named under ten day paths (300 MiB for a few KB pushed): the largest are refused unread', async () => {
    // before: 280 such paths (a 400 KB push) made check die at 12.7 GB (exit 134), ingest take
    // 5 minutes and 9 GB, record 3 minutes and 8.5 GB
    const clone = await freshClone();
    const oid = await writeWhitespaceBlob(join(clone, '.git'), 30 * 1024 * 1024);
    const paths = Array.from(
      { length: 10 },
      (_, i) => `docs/reports/2025-10-${String(i + 10)}/manifest.json`,
    );
    await commitBlobs(clone, Object.fromEntries(paths.map((p) => [p, { oid }])), 'one blob, ten days');
    const before = process.memoryUsage().rss;
    const result = await check(clone);
    expect(process.memoryUsage().rss - before).toBeLessThan(1536 * 1024 * 1024);
    const together = result.findings.filter((f) => /more than the limit of 268435456/.test(f.message));
    // two at the head, two in the commit that wrote them (the same budget per history step)
    expect(together.map((f) => f.code).sort()).toEqual([
      'CHECK_HISTORY_BLOB_INVALID',
      'CHECK_HISTORY_BLOB_INVALID',
      'CHECK_MANIFEST_INVALID',
      'CHECK_MANIFEST_INVALID',
    ]);
    expect(result.entries).toBe(1);
  }, 120_000);
});

describe('check applies the merge rule to history (issue 14 item 4)', () => {
  it('a rewritten sha with trailers naming the run and a recomputed Manifest-Sha256', async () => {
    const clone = await freshClone();
    const forged = serializeManifest([{ ...e1, sha: 'b'.repeat(40) }]);
    await commitText(clone, DAY, forged, { tag: e1.tag, runId: e1.run_id });
    const result = await check(clone);
    expect(result.findings.map((f) => [f.code, f.run_id])).toEqual([['CHECK_MERGE_RULE_BROKEN', 1]]);
    expect(result.findings[0]!.message).toMatch(/sha/);
  });

  it.each<[string, Partial<LedgerEntry>]>([
    ['actor', { actor: 'mallory' }],
    ['release_url', { release_url: 'https://github.com/acme/app/releases/tag/v9' }],
    [
      'a status flip with an older timestamp',
      { status: 'failure', artifact_url: null, failure_reason: 'x', timestamp: '2025-11-24T09:00:00Z' },
    ],
  ])('%s', async (_name, change) => {
    const clone = await freshClone();
    const base = { ...e1, release_url: 'https://github.com/acme/app/releases/tag/v1.0.0' } as LedgerEntry;
    await commitText(clone, DAY, serializeManifest([base]), { tag: e1.tag, runId: 1 });
    await commitText(clone, DAY, serializeManifest([{ ...base, ...change }]), {
      tag: e1.tag,
      runId: 1,
    });
    expect(await codes(clone)).toContain('CHECK_MERGE_RULE_BROKEN');
  });

  it('an update the merge rule allows (newer timestamp, new artifact) is clean', async () => {
    const clone = await freshClone();
    const updated = {
      ...e1,
      timestamp: '2025-11-24T12:00:00Z',
      artifact_url: 'https://github.com/acme/app/releases/download/v1.0.0/app2.tgz',
    };
    await commitText(clone, DAY, serializeManifest([updated]), { tag: e1.tag, runId: 1 });
    expect(await codes(clone)).toEqual([]);
  });

  it('a foreign-run edit through a non-JSON intermediate is found', async () => {
    const clone = await freshClone();
    await commitText(clone, DAY, good2, { tag: e2.tag, runId: e2.run_id });
    await commitText(clone, DAY, 'not json\n', { tag: e2.tag, runId: e2.run_id });
    const evil = serializeManifest([{ ...e1, artifact_url: 'https://evil.example/app.tgz' }, e2]);
    await commitText(clone, DAY, evil, { tag: e2.tag, runId: e2.run_id });
    const result = await check(clone);
    expect(
      result.findings.filter((f) => f.code === 'CHECK_FOREIGN_RUN_CHANGED').map((f) => f.run_id),
    ).toEqual([1]);
  });

  it('an entry removed with trailers naming it is found', async () => {
    const clone = await freshClone();
    await commitText(clone, DAY, good2, { tag: e2.tag, runId: e2.run_id });
    await commitText(clone, DAY, serializeManifest([e1]), { tag: e2.tag, runId: e2.run_id });
    expect(await codes(clone)).toEqual(['CHECK_MERGE_RULE_BROKEN']);
  });
});

describe('the witness: CHECK_HISTORY_REWRITTEN (issue 14 item 5)', () => {
  it('a force-push that drops a run is reported by a clone that verified the old head', async () => {
    const writer = await freshClone();
    await commitText(writer, DAY, good2, { tag: e2.tag, runId: e2.run_id });
    const dropped = await git(writer, ['rev-parse', 'HEAD']);
    await git(writer, ['push', '-q', '-f', 'origin', 'HEAD:main']);
    const auditor = await cloneRemote(remote, join(tmp.path, `auditor-${n}`));
    const witnessFile = join(tmp.path, `witness-${n}.json`);
    const first = await checkLedger({ repoDir: auditor, ref: 'origin/main' });
    expect(first.ok).toBe(true);
    const second = await checkLedger({ repoDir: auditor, ref: 'origin/main', witnessFile });
    expect(second.ok).toBe(true);
    // the force-push: history replayed without run 2
    await git(writer, ['reset', '-q', '--hard', 'HEAD~1']);
    await commitText(writer, DAY, good, { tag: e1.tag, runId: e1.run_id });
    await git(writer, ['push', '-q', '-f', 'origin', 'HEAD:main']);
    await git(auditor, ['fetch', '-q', '-f', 'origin']);
    const after = await checkLedger({ repoDir: auditor, ref: 'origin/main' });
    expect(after.findings.map((f) => f.code)).toEqual(['CHECK_HISTORY_REWRITTEN']);
    expect(after.findings[0]!.message).toContain(dropped.slice(0, 12));
    // it stays until someone looks: the witness did not move
    expect((await checkLedger({ repoDir: auditor, ref: 'origin/main' })).ok).toBe(false);
    // --witness FILE keeps its own
    expect(
      (await checkLedger({ repoDir: auditor, ref: 'origin/main', witnessFile })).findings.map((f) => f.code),
    ).toEqual(['CHECK_HISTORY_REWRITTEN']);
  });
});

describe('reads resolve the clone and refuse what is not a ledger (issue 13 item 1)', () => {
  it('check from a subfolder or with --repo clone/docs audits the same files (no false CHECK_HASH_MISMATCH)', async () => {
    const clone = await freshClone();
    mkdirSync(join(clone, 'docs'), { recursive: true });
    const top = await check(clone);
    const sub = await check(join(clone, 'docs'));
    expect(sub.findings).toEqual([]);
    expect(sub.files).toBe(top.files);
  });

  it('a folder that is not a git repository is LEDGER_NOT_FOUND (exit 3)', async () => {
    const plain = join(tmp.path, 'plain');
    mkdirSync(plain, { recursive: true });
    const error = await check(plain).catch((e: unknown) => e);
    expect(isSlsaLedgerError(error) && error.code).toBe('LEDGER_NOT_FOUND');
  });

  it('a repository without a ledger at the ref is LEDGER_NOT_FOUND', async () => {
    n += 1;
    const clone = await cloneRemote(remote, join(tmp.path, `empty-${n}`));
    await git(clone, ['checkout', '-q', '--orphan', 'other']);
    await git(clone, ['rm', '-rq', '--cached', '.']);
    await git(clone, ['commit', '-q', '--allow-empty', '-m', 'nothing']);
    const error = await check(clone).catch((e: unknown) => e);
    expect(isSlsaLedgerError(error) && error.code).toBe('LEDGER_NOT_FOUND');
  });
});

describe('working-tree ledgers: symlinks, FIFOs and devices are refused, never followed', () => {
  it('a symlink to /etc/passwd, one to /dev/zero and a FIFO are refused without reading or blocking', async () => {
    const dir = join(tmp.path, 'tree');
    for (const d of ['2025-11-21', '2025-11-22', '2025-11-23', '2025-11-24'])
      mkdirSync(join(dir, 'docs/reports', d), { recursive: true });
    symlinkSync('/etc/passwd', join(dir, 'docs/reports/2025-11-21/manifest.json'));
    symlinkSync('/dev/zero', join(dir, 'docs/reports/2025-11-22/manifest.json'));
    execFileSync('mkfifo', [join(dir, 'docs/reports/2025-11-23/manifest.json')]);
    writeFileSync(join(dir, 'docs/reports/2025-11-24/manifest.json'), good);
    symlinkSync(join(dir, 'docs/reports/2025-11-24'), join(dir, 'docs/reports/2025-11-25'));
    const read = await readLedgerDirBounded(dir);
    expect(read.files.map((f) => f.path)).toEqual([DAY]);
    expect(read.refused.map((r) => [r.path.slice(13, 23), r.code])).toEqual([
      ['2025-11-21', 'INPUT_FILE_NOT_REGULAR'],
      ['2025-11-22', 'INPUT_FILE_NOT_REGULAR'],
      ['2025-11-23', 'INPUT_FILE_NOT_REGULAR'],
      ['2025-11-25', 'INPUT_FILE_NOT_REGULAR'],
    ]);
    expect(JSON.stringify(read.refused)).not.toMatch(/root:/);
  });
});

describe('ingest refuses hostile files one by one and keeps going', () => {
  let target: EngineTarget;
  beforeAll(async () => {
    target = await createEngineTarget('pglite', 'readers');
  });
  afterAll(() => target?.cleanup());

  it('a 540 MB blob, a deep array, a symlink and not-json are per-file refusals; the good day lands', async () => {
    const clone = await freshClone();
    const oid = await writeWhitespaceBlob(join(clone, '.git'), 540 * 1024 * 1024);
    const link = await writeBlob(clone, '/etc/passwd');
    const deep = await writeBlob(clone, `${'['.repeat(20_000)}${']'.repeat(20_000)}`);
    const notJson = await writeBlob(clone, 'not json');
    await commitBlobs(
      clone,
      {
        'docs/reports/2025-11-20/manifest.json': { oid },
        'docs/reports/2025-11-21/manifest.json': { oid: link, mode: '120000' },
        'docs/reports/2025-11-22/manifest.json': { oid: deep },
        'docs/reports/2025-11-23/manifest.json': { oid: notJson },
      },
      'hostile',
    );
    const error = await ingestLedger({
      repo: clone,
      ref: 'HEAD',
      ledger: 'acme/hostile',
      ...target.options,
    }).catch((e: unknown) => e);
    expect(isSlsaLedgerError(error) && error.code).toBe('LEDGER_MANIFEST_INVALID');
    const result = (
      error as {
        details: { result: { inserted: number; invalid_files: { path: string; message: string }[] } };
      }
    ).details.result;
    expect(result.inserted).toBe(1);
    expect(result.invalid_files.map((f) => f.message.split(':')[0])).toEqual([
      'INPUT_TOO_LARGE',
      'INPUT_FILE_NOT_REGULAR',
      'INPUT_LIMIT_EXCEEDED',
      'INPUT_JSON_MALFORMED',
    ]);
    expect(JSON.stringify(result)).not.toMatch(/root:/);
  });

  it('entries the schema refuses fail alone: the valid entries of the same day file land', async () => {
    // before: the whole file was refused, so one pushed bad entry kept its day's runs out of the database
    const clone = await freshClone();
    const good = makeEntry({ tag: 'v2.0.0', run_id: 20, timestamp: '2025-11-24T12:00:00Z' });
    const bad = [
      { ...good, tag: 'v2.0.1', run_id: 21, actor: 'bot-\ud800' },
      { ...good, tag: 'v2.0.2', run_id: 22, metrics: { notify: { attempts: 3_000_000_000, delivered: 1 } } },
      { ...good, tag: 'v2.0.3\u200b', run_id: 23 },
      { ...good, tag: 'v2.0.4', run_id: '24' },
    ];
    const text = `${JSON.stringify([e1, good, ...bad], null, 2)}\n`;
    await commitText(clone, DAY, text, { tag: good.tag, runId: good.run_id });
    const error = await ingestLedger({
      repo: clone,
      ref: 'HEAD',
      ledger: 'acme/mixed',
      ...target.options,
    }).catch((e: unknown) => e);
    expect(isSlsaLedgerError(error) && error.code).toBe('LEDGER_MANIFEST_INVALID');
    const result = (
      error as {
        details: {
          result: { inserted: number; failed: number; watermark: string | null; invalid_files: unknown[] };
        };
      }
    ).details.result;
    expect(result).toMatchObject({ inserted: 2, failed: 4, watermark: null });
    expect(result.invalid_files).toHaveLength(1);
    // the reason is in the database too, not only a count
    const db = await openDatabase({ ...target.options, role: 'owner' });
    try {
      const runs = await db.query<{ error: string; entries_failed: number }>(
        "SELECT error, entries_failed FROM ingest_runs WHERE ledger = 'acme/mixed'",
      );
      expect(runs.rows).toEqual([
        {
          error: expect.stringMatching(
            /^1 manifest file\(s\) invalid \(first: docs\/reports\/.*lone surrogate/,
          ),
          entries_failed: 4,
        },
      ]);
    } finally {
      await db.close();
    }
  });

  it('a watermark that is not an ancestor of the new head: INGEST_HISTORY_REWRITTEN, nothing moves', async () => {
    const clone = await freshClone();
    await commitText(clone, DAY, good2, { tag: e2.tag, runId: e2.run_id });
    const first = await ingestLedger({ repo: clone, ref: 'HEAD', ledger: 'acme/rewrite', ...target.options });
    expect(first.watermark).toBe(await git(clone, ['rev-parse', 'HEAD']));
    await git(clone, ['reset', '-q', '--hard', 'HEAD~1']);
    await commitText(clone, DAY, serializeManifest([{ ...e1, timestamp: '2025-11-24T10:30:00Z' }]), {
      tag: e1.tag,
      runId: 1,
    });
    const error = await ingestLedger({
      repo: clone,
      ref: 'HEAD',
      ledger: 'acme/rewrite',
      ...target.options,
    }).catch((e: unknown) => e);
    expect(isSlsaLedgerError(error) && error.code).toBe('INGEST_HISTORY_REWRITTEN');
    // the daily --reconcile reads every file, but is no way around the witness
    const reconcile = await ingestLedger({
      repo: clone,
      ref: 'HEAD',
      ledger: 'acme/rewrite',
      reconcile: true,
      ...target.options,
    }).catch((e: unknown) => e);
    expect(isSlsaLedgerError(reconcile) && reconcile.code).toBe('INGEST_HISTORY_REWRITTEN');
    // --full accepts the new history
    const full = await ingestLedger({
      repo: clone,
      ref: 'HEAD',
      ledger: 'acme/rewrite',
      full: true,
      ...target.options,
    });
    expect(full.status).toBe('succeeded');
    // and a reconcile on an unchanged head still reads every file
    const again = await ingestLedger({
      repo: clone,
      ref: 'HEAD',
      ledger: 'acme/rewrite',
      reconcile: true,
      ...target.options,
    });
    expect(again).toMatchObject({ status: 'succeeded', full_read: true, seen: 1 });
  });

  it('a merge keeping the watermark only as its second parent (a fast-forward push) is a rewrite too', async () => {
    const clone = await freshClone();
    const fork = await git(clone, ['rev-parse', 'HEAD']);
    await commitText(clone, DAY, good2, { tag: e2.tag, runId: e2.run_id });
    const first = await ingestLedger({
      repo: clone,
      ref: 'HEAD',
      ledger: 'acme/merge-trick',
      ...target.options,
    });
    const watermark = await git(clone, ['rev-parse', 'HEAD']);
    expect(first.watermark).toBe(watermark);
    // run 2 dropped: the tree before it, on top of the fork point, with the old head as second parent
    const merge = await git(clone, [
      'commit-tree',
      `${fork}^{tree}`,
      '-p',
      fork,
      '-p',
      watermark,
      '-m',
      'merge',
    ]);
    await git(clone, ['reset', '-q', '--hard', merge]);
    const error = await ingestLedger({
      repo: clone,
      ref: 'HEAD',
      ledger: 'acme/merge-trick',
      ...target.options,
    }).catch((e: unknown) => e);
    expect(isSlsaLedgerError(error) && error.code).toBe('INGEST_HISTORY_REWRITTEN');
  });

  it('a fresh clone without the watermark commit (force-pushed away): a rewrite, not a full read', async () => {
    const own = await createRemote(tmp.path, 'rewrite.git');
    const writer = await cloneRemote(own, join(tmp.path, 'rewrite-writer'));
    await commitText(writer, DAY, good, { tag: e1.tag, runId: e1.run_id });
    await commitText(writer, DAY, good2, { tag: e2.tag, runId: e2.run_id });
    await git(writer, ['push', '-q', 'origin', 'HEAD:main']);
    const before = await cloneRemote(own, join(tmp.path, 'rewrite-reader-1'));
    const first = await ingestLedger({ repo: before, ref: 'HEAD', ledger: 'acme/gone', ...target.options });
    expect(first.watermark).toBe(await git(writer, ['rev-parse', 'HEAD']));
    await git(writer, ['push', '-q', '--force', 'origin', 'HEAD~1:main']);
    // as the shipped manifest-ingest workflow does every hour: a fresh clone, which never holds it
    // (over a transport: a local clone would hardlink the unreachable objects too)
    const after = join(tmp.path, 'rewrite-reader-2');
    await git(tmp.path, ['clone', '-q', `file://${own}`, after]);
    expect(await git(after, ['cat-file', '-t', first.watermark!]).catch(() => 'missing')).toBe('missing');
    const error = await ingestLedger({
      repo: after,
      ref: 'HEAD',
      ledger: 'acme/gone',
      ...target.options,
    }).catch((e: unknown) => e);
    expect(isSlsaLedgerError(error) && error.code).toBe('INGEST_HISTORY_REWRITTEN');
    // a shallow clone cannot tell: it is read whole, as before
    const shallow = join(tmp.path, 'rewrite-reader-3');
    await git(tmp.path, ['clone', '-q', '--depth', '1', `file://${own}`, shallow]);
    const read = await ingestLedger({ repo: shallow, ref: 'HEAD', ledger: 'acme/gone', ...target.options });
    expect(read.status).toBe('succeeded');
  });
});

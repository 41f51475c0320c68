import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { serializeManifest, type LedgerEntry } from '../../../src/core/ledger/entry.js';
import {
  readLedgerFromCommit,
  readLedgerFromDir,
  readRawLedgerFromCommit,
} from '../../../src/io/ledger-reader.js';
import { cloneRemote, commitFiles, createRemote, git, makeTempDir } from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';

describe('ledger reader', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let clone: string;
  let commit: string;
  const day1: LedgerEntry[] = [makeEntry({ tag: 'v1.0.0', run_id: 1, timestamp: '2025-11-23T10:00:00Z' })];
  const day2: LedgerEntry[] = [
    makeEntry({ tag: 'v1.0.1', run_id: 2, timestamp: '2025-11-24T10:00:00Z' }),
    makeEntry({ tag: 'v1.0.10', run_id: 3, timestamp: '2025-11-24T11:00:00Z' }),
  ];

  beforeAll(async () => {
    tmp = await makeTempDir();
    const remote = await createRemote(tmp.path);
    clone = await cloneRemote(remote, `${tmp.path}/clone`);
    commit = await commitFiles(
      clone,
      {
        'docs/reports/2025-11-24/manifest.json': serializeManifest(day2),
        'docs/reports/2025-11-23/manifest.json': serializeManifest(day1),
        'docs/reports/2025-11-23/manifest-queue.json': '[]\n',
        'docs/reports/notes/manifest.json': 'not a day\n',
        'docs/other.json': '{}\n',
      },
      'add ledger',
    );
  });
  afterAll(() => tmp?.cleanup());

  it('reads every day file from the work tree and from a commit, identically', async () => {
    const fromDir = await readLedgerFromDir(clone);
    const fromCommit = await readLedgerFromCommit(clone, commit);
    expect(fromDir.map((f) => f.path)).toEqual([
      'docs/reports/2025-11-23/manifest.json',
      'docs/reports/2025-11-24/manifest.json',
    ]);
    expect(fromCommit).toEqual(fromDir);
    expect(fromDir[1]!.entries).toEqual(day2);
    const bytes = Buffer.from(serializeManifest(day2));
    expect(fromDir[1]!.bytes.equals(bytes)).toBe(true);
    expect(fromDir[1]!.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('returns nothing for a repository without a ledger', async () => {
    const first = await git(clone, ['rev-list', '--max-parents=0', 'HEAD']);
    expect(await readRawLedgerFromCommit(clone, first)).toEqual([]);
    expect(await readLedgerFromDir(`${tmp.path}/nowhere`)).toEqual([]);
    expect(await readLedgerFromDir(clone, { reportsDir: 'elsewhere' })).toEqual([]);
  });

  it('refuses an invalid manifest with LEDGER_MANIFEST_INVALID', async () => {
    const bad = await commitFiles(
      clone,
      { 'docs/reports/2025-11-25/manifest.json': '[{"tag": 1}]\n' },
      'bad',
    );
    await expect(readLedgerFromCommit(clone, bad)).rejects.toThrowCode('LEDGER_MANIFEST_INVALID');
    await expect(readLedgerFromDir(clone)).rejects.toThrowCode('LEDGER_MANIFEST_INVALID');
  });

  it('fails with LEDGER_GIT_FAILED for an unknown commit', async () => {
    await expect(readLedgerFromCommit(clone, 'f'.repeat(40))).rejects.toThrowCode('LEDGER_GIT_FAILED');
  });
});

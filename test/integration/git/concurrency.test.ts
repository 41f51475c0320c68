// Many writers at once, through the built binary (run `npm run build` first).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLedger } from '../../../src/app/check.js';
import { serializeManifest } from '../../../src/core/ledger/entry.js';
import { readLedgerFromCommit } from '../../../src/io/ledger-reader.js';
import { BIN, cloneRemote, createRemote, git, makeTempDir, runBin, type BinRun } from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';

describe('concurrent record from many clones', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let remote: string;

  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run 'npm run build' first`);
    tmp = await makeTempDir();
    remote = await createRemote(tmp.path);
  });
  afterAll(() => tmp?.cleanup());

  async function recordFromClones(n: number, sharedLock: boolean, first: number): Promise<BinRun[]> {
    const clones = await Promise.all(
      Array.from({ length: n }, (_, i) => cloneRemote(remote, join(tmp.path, `c${first + i}`))),
    );
    return Promise.all(
      clones.map((clone, i) => {
        const runId = first + i;
        const entry = makeEntry({
          tag: `v1.0.${runId}`,
          run_id: runId,
          timestamp: `2025-11-${String(20 + (runId % 3)).padStart(2, '0')}T10:00:${String(runId % 60).padStart(2, '0')}Z`,
        });
        return runBin(
          ['record', '--no-sign', '--json', '--repo', clone, '--entry', '-', '--max-attempts', '30'],
          {
            env: {
              PATH: process.env.PATH,
              HOME: process.env.HOME,
              SLSA_LEDGER_LOCK_DIR: join(tmp.path, sharedLock ? 'locks' : `locks-${runId}`),
            },
            stdin: JSON.stringify(entry),
          },
        );
      }),
    );
  }

  it('16 processes on one machine: every entry once, one commit each, canonical bytes', async () => {
    const runs = await recordFromClones(16, true, 1);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const results = runs.map((r) => JSON.parse(r.stdout).result);
    expect(results.every((r) => r.outcome === 'committed')).toBe(true);
    // the lock serialised them: somebody waited
    expect(Math.max(...results.map((r) => r.lock_wait_s))).toBeGreaterThan(0);

    const head = await git(remote, ['rev-parse', 'main']);
    const files = await readLedgerFromCommit(remote, head);
    const ids = files.flatMap((f) => f.entries.map((e) => e.run_id)).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    for (const f of files) expect(f.bytes.toString()).toBe(serializeManifest(f.entries));
    const subjects = (await git(remote, ['log', '--format=%s', 'main', '--', 'docs/reports'])).split('\n');
    expect(subjects).toHaveLength(16);
    expect(new Set(subjects).size).toBe(16);
    expect((await checkLedger({ repoDir: remote, ref: 'main' })).findings).toEqual([]);
  }, 300_000);

  it('writers without a shared lock race on the remote and retry until all land', async () => {
    const runs = await recordFromClones(5, false, 101);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const results = runs.map((r) => JSON.parse(r.stdout).result);
    expect(results.every((r) => r.outcome === 'committed')).toBe(true);
    const head = await git(remote, ['rev-parse', 'main']);
    const ids = (await readLedgerFromCommit(remote, head)).flatMap((f) => f.entries.map((e) => e.run_id));
    for (let id = 101; id <= 105; id++) expect(ids.filter((x) => x === id)).toHaveLength(1);
    expect((await checkLedger({ repoDir: remote, ref: 'main' })).findings).toEqual([]);
  }, 300_000);
});

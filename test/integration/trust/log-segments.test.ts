// A day's signed log in segments, through the CLI and real git (docs/trust.md "Storage layout"):
// `record` appends to the last segment of the day's `transitions.jsonl` until it holds
// `ledgerLogSegmentBytes`, then starts `transitions.2.jsonl`, … so a write never reads or rewrites
// more than one segment however many changes the day holds; `check` reads the segments as one log,
// incrementally from its witness too, and reports a pusher who grows a sealed segment or removes one.
// The segment bound is lowered in-process (the CLI runs in this process) so a few records roll over.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkLedgerTrust, loadCheckerTrust } from '../../../src/app/check-trust.js';
import type { TrustCommit } from '../../../src/core/ledger-trust/audit.js';
import {
  listTrustDaysAt,
  readTrustDayGroups,
  readTrustHistoryChunks,
} from '../../../src/io/ledger-trust-reader.js';
import { ledgerIdentity } from '../../../src/app/ledger-signing.js';
import { otherLimits } from '../../../src/core/input/limits.js';
import { runCliCaptured } from '../../support/cli.js';
import {
  cloneRemote,
  createRemote,
  git,
  installFreezeHook,
  makeTempDir,
  removeFreezeHook,
} from '../../support/git.js';
import { commitBlobs, writeWhitespaceBlob } from '../../support/hostile-git.js';
import { makeEntry } from '../../support/ledger.js';

const DIR = 'docs/reports/2025-11-24';
const SEG = (n: number): string => `${DIR}/transitions${n === 1 ? '' : `.${n}`}.jsonl`;

const limits = otherLimits as { ledgerLogSegmentBytes: number };
const segmentBytes = limits.ledgerLogSegmentBytes;
beforeAll(() => {
  // a key-mode line is ~1.7 KiB: two lines fill a segment
  limits.ledgerLogSegmentBytes = 3000;
});
afterAll(() => {
  limits.ledgerLogSegmentBytes = segmentBytes;
});

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let remote: string;
let clone: string;
let env: Record<string, string | undefined>;
let key: string;
let pub: string;

beforeEach(async () => {
  tmp = await makeTempDir('slsa-ledger-log-segments-');
  remote = await createRemote(tmp.path);
  clone = await cloneRemote(remote, join(tmp.path, 'clone'));
  env = { PATH: process.env.PATH, HOME: process.env.HOME, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') };
  key = join(tmp.path, 'ledger.key');
  const r = await runCliCaptured(['keygen', '--type', 'ed25519', '--out', key, '--json'], { env });
  expect(r.code, r.stderr).toBe(0);
  pub = join(tmp.path, 'ledger.pub');
});
afterEach(() => tmp.cleanup());

async function record(entry: unknown) {
  const file = join(tmp.path, `entry-${Math.random().toString(16).slice(2)}.json`);
  await writeFile(file, JSON.stringify(entry));
  return runCliCaptured(['record', '--json', '--repo', clone, '--entry', file, '--sign-key', key], { env });
}

async function check(...flags: string[]) {
  await git(clone, ['fetch', '-q', 'origin']);
  const r = await runCliCaptured(
    ['check', '--json', '--repo', clone, '--ref', 'origin/main', '--trust-key', pub, ...flags],
    { env, cwd: tmp.path },
  );
  const findings = (r.json().error?.details.findings ?? []) as {
    code: string;
    message: string;
    path?: string;
  }[];
  return { code: r.code, findings, out: r.stdout + r.stderr };
}

/** The log files of the day at the remote's head. */
async function logFiles(): Promise<string[]> {
  const out = await git(remote, ['ls-tree', '--name-only', 'main', `${DIR}/`]);
  return out
    .split('\n')
    .filter((p) => p.includes('transitions'))
    .sort();
}

/** Records runs 101.. into the same day: a record each (one line each). */
async function recordRuns(count: number, from = 101): Promise<void> {
  for (let i = 0; i < count; i++) {
    const r = await record(
      makeEntry({ run_id: from + i, timestamp: `2025-11-24T10:${String(i).padStart(2, '0')}:00Z` }),
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }
}

describe('a signed log in segments', () => {
  it('record rolls over to a new segment, each commit writes one segment, and check verifies them all', async () => {
    await recordRuns(5);
    // two lines fill a segment: 1, 2 → segment 1; 3, 4 → 2; 5 → 3
    expect(await logFiles()).toEqual([SEG(2), SEG(3), SEG(1)].sort());
    // each commit touched the day file and exactly one segment, and no segment changed once the next existed
    const log = await git(remote, ['log', '--reverse', '--format=@%H', '--name-only', 'main', '--', DIR]);
    const touched = log
      .split('@')
      .filter((c) => c.trim() !== '')
      .map((c) =>
        c
          .split('\n')
          .slice(1)
          .filter((p) => p.includes('transitions')),
      );
    expect(touched).toEqual([[SEG(1)], [SEG(1)], [SEG(2)], [SEG(2)], [SEG(3)]]);

    const clean = await check();
    expect(clean.code, clean.out).toBe(0);
    expect(clean.out).toContain('"entries":5');
    // every entry's latest state verified from its segment (the audit check runs, read directly)
    const commit = await git(clone, ['rev-parse', 'origin/main']);
    const trust = await loadCheckerTrust({ cwd: tmp.path, trustKeys: [pub] });
    const audit = await checkLedgerTrust({
      repoDir: clone,
      commit: commit.trim(),
      reportsDir: 'docs/reports',
      trust: trust!,
      location: ledgerIdentity(remote, 'main'),
    });
    expect(audit.findings).toEqual([]);
    expect(audit.entries.map((e) => e.status)).toEqual(Array(5).fill('verified'));
    // incremental from the witness check keeps: more records, a new segment, still clean
    await recordRuns(2, 106);
    expect(await logFiles()).toContain(SEG(4));
    const again = await check();
    expect(again.code, again.out).toBe(0);
  });

  it('attack: a valid line copied into a sealed segment is CHECK_HISTORY_REWRITTEN', async () => {
    await recordRuns(3);
    expect((await check()).code).toBe(0);
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    const seg1 = await readFile(join(attacker, SEG(1)), 'utf8');
    const seg2 = await readFile(join(attacker, SEG(2)), 'utf8');
    await writeFile(join(attacker, SEG(1)), seg1 + seg2);
    await git(attacker, ['commit', '-qam', 'grow a sealed segment']);
    await git(attacker, ['push', '-q', 'origin', 'HEAD:main']);
    const found = await check();
    expect(found.code, found.out).toBe(1);
    expect(found.findings.map((f) => f.code)).toContain('CHECK_HISTORY_REWRITTEN');
    expect(found.out).toContain("only a log's last segment grows");
  });

  it('attack: a segment removed is CHECK_HISTORY_REWRITTEN (history and the gap at the head)', async () => {
    await recordRuns(5);
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    await rm(join(attacker, SEG(2)));
    await git(attacker, ['commit', '-qam', 'drop a segment']);
    await git(attacker, ['push', '-q', 'origin', 'HEAD:main']);
    const found = await check();
    expect(found.code).toBe(1);
    const rewritten = found.findings.filter((f) => f.code === 'CHECK_HISTORY_REWRITTEN');
    expect(rewritten.some((f) => f.message.includes('segment 2'))).toBe(true);
    expect(rewritten.some((f) => f.message.includes('the log was deleted'))).toBe(true);
  });

  it('a queued signed entry lands through flush in the next segment, and ingest verifies every segment', async () => {
    await recordRuns(2); // segment 1 is full
    await installFreezeHook(remote);
    const queued = await record(makeEntry({ run_id: 103, timestamp: '2025-11-24T10:30:00Z' }));
    expect(queued.code, queued.stdout + queued.stderr).toBe(75);
    await removeFreezeHook(remote);
    const flush = await runCliCaptured(
      ['flush', '--json', '--repo', clone, '--sign-key', key, '--trust-key', pub],
      { env },
    );
    expect(flush.code, flush.stdout + flush.stderr).toBe(0);
    expect(flush.json().result).toMatchObject({ landed: 1, remaining: 0 });
    expect(await logFiles()).toEqual([SEG(2), SEG(1)].sort());
    expect((await check()).code).toBe(0);

    await recordRuns(2, 104); // segment 2 fills, segment 3 starts
    const dataDir = join(tmp.path, 'db');
    const ingest = await runCliCaptured(
      [
        'ingest',
        '--json',
        '--repo',
        clone,
        '--ledger',
        'acme/ledger',
        '--data-dir',
        dataDir,
        '--trust-key',
        pub,
      ],
      { env },
    );
    expect(ingest.code, ingest.stdout + ingest.stderr).toBe(0);
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite(dataDir);
    const rows = await db.query<{ run_id: number; signature_status: string }>(
      'SELECT run_id, signature_status FROM public.slsa_runs ORDER BY run_id',
    );
    await db.close();
    expect(rows.rows.map((r) => [Number(r.run_id), r.signature_status])).toEqual(
      [101, 102, 103, 104, 105].map((id) => [id, 'verified']),
    );
  });

  it('a planted segment over the limit is never read: the writer goes on in the next one, check names it', async () => {
    // a log of whitespace over the whole log's limit (a few hundred KiB in git), as segment 1
    await recordRuns(1);
    const other = await cloneRemote(remote, join(tmp.path, 'other'));
    const planted = await writeWhitespaceBlob(join(other, '.git'), otherLimits.ledgerLogBytes + 1);
    await commitBlobs(other, { [SEG(1)]: { oid: planted } }, 'plant a log');
    await git(other, ['push', '-q', 'origin', 'HEAD:main']);

    const r = await record(makeEntry({ run_id: 102, timestamp: '2025-11-24T11:00:00Z' }));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await logFiles()).toEqual([SEG(2), SEG(1)].sort());
    expect((await git(remote, ['rev-parse', `main:${SEG(1)}`])).trim()).toBe(planted);
    const found = await check();
    expect(found.code).toBe(1);
    expect(found.findings.some((f) => f.path === SEG(1) && f.code === 'CHECK_SIGNATURE_INVALID')).toBe(true);
    // run 102's record is in segment 2 and verifies; run 101's was in the planted-over segment 1
    expect(found.findings.filter((f) => f.message.includes('run 102'))).toEqual([]);
  });
});

describe("every day's logs, group by group (issue 13 item 2)", () => {
  const all = otherLimits as { ledgerLogsReadBytes: number; ledgerLogsRepeatBytes: number };
  const groupBytes = all.ledgerLogsReadBytes;
  const repeatBytes = all.ledgerLogsRepeatBytes;
  afterEach(() => {
    all.ledgerLogsReadBytes = groupBytes;
    all.ledgerLogsRepeatBytes = repeatBytes;
  });

  /** Records two runs into each of the given days. */
  async function recordDays(days: readonly string[], from = 0): Promise<void> {
    for (const [d, day] of days.entries()) {
      for (const i of [0, 1]) {
        const r = await record(
          makeEntry({ run_id: 1000 + from + 10 * d + i, timestamp: `${day}T10:0${i}:00Z` }),
        );
        expect(r.code, r.stdout + r.stderr).toBe(0);
      }
    }
  }

  it('a ledger whose logs together exceed the total is read group by group: every log verified, no false finding (check, incremental check, ingest)', async () => {
    // a legitimate ledger over 1 GiB of logs, scaled down: a total of 4 KiB (two key-signed lines)
    // and three days of two records each (~10 KiB of logs). Before, the logs past the total were
    // listed, not read, and each was a CHECK_SIGNATURE_INVALID finding
    all.ledgerLogsReadBytes = 4096;
    const days = ['2025-11-24', '2025-11-25', '2025-11-26'];
    await recordDays(days);
    const clean = await check();
    expect(clean.code, clean.out).toBe(0);
    expect(clean.out).toContain('"entries":6');
    // the reader held one day at a time
    const commit = (await git(clone, ['rev-parse', 'origin/main'])).trim();
    const listing = await listTrustDaysAt(clone, commit, 'docs/reports');
    const groups: number[] = [];
    for await (const g of readTrustDayGroups(clone, listing)) groups.push(g.days.length);
    expect(groups).toEqual([1, 1, 1]);
    const logBytes = listing.days.flatMap((d) => d.transitions).reduce((n, s) => n + (s.size ?? 0), 0);
    expect(logBytes).toBeGreaterThan(2 * 4096);

    // incremental, from the witness (its logs read group by group too): still clean
    await recordDays(['2025-11-25', '2025-11-27'], 100);
    const again = await check();
    expect(again.code, again.out).toBe(0);

    // ingest verifies every run's signatures group by group too
    const dataDir = join(tmp.path, 'db');
    const ingest = await runCliCaptured(
      [
        'ingest',
        '--json',
        '--repo',
        clone,
        '--ledger',
        'acme/ledger',
        '--data-dir',
        dataDir,
        '--trust-key',
        pub,
      ],
      { env },
    );
    expect(ingest.code, ingest.stdout + ingest.stderr).toBe(0);
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite(dataDir);
    const rows = await db.query<{ signature_status: string }>(
      'SELECT signature_status FROM public.slsa_runs',
    );
    await db.close();
    expect(rows.rows.map((r) => r.signature_status)).toEqual(Array(10).fill('verified'));
  });

  it('one planted log named under many days is read once (again only within ledgerLogsRepeatBytes): the other copies are findings, never read', async () => {
    // a pusher names one blob (within a log's own limit) as the log of many days: a push of a few
    // KB. Read per day path, each copy would be read and verified again. Scaled down: a 600 KiB
    // blob under 40 days, an allowance of 1 MiB for repeats, groups of 1 MiB
    all.ledgerLogsReadBytes = 1024 * 1024;
    all.ledgerLogsRepeatBytes = 1024 * 1024;
    await recordRuns(1);
    const other = await cloneRemote(remote, join(tmp.path, 'other'));
    const planted = await writeWhitespaceBlob(join(other, '.git'), 600 * 1024);
    const days = Array.from({ length: 40 }, (_, i) => {
      const [month, day] = [1 + Math.floor(i / 20), 1 + (i % 20)].map((n) => String(n).padStart(2, '0'));
      return `docs/reports/2026-${month}-${day}/transitions.jsonl`;
    });
    const plant = await commitBlobs(
      other,
      Object.fromEntries(days.map((p) => [p, { oid: planted }])),
      'plant logs',
    );
    await git(other, ['push', '-q', 'origin', 'HEAD:main']);

    // what is read: the blob once, one repeat within the allowance; nothing else of it
    await git(clone, ['fetch', '-q', 'origin']);
    const commit = (await git(clone, ['rev-parse', 'origin/main'])).trim();
    const listing = await listTrustDaysAt(clone, commit, 'docs/reports');
    const read = listing.days
      .flatMap((d) => d.transitions)
      .filter((s) => s.oid === planted && s.size !== undefined);
    expect(read.map((s) => s.path)).toEqual(days.slice(0, 2));

    // in history too: the planting commit is read a day at a time (chunks of 700 KiB here), and
    // its copies of the blob only within the allowance. Before, the commit was one chunk holding
    // every copy: 300 days of a 256 MiB log made check die at 22 GB
    const pieces: TrustCommit[] = [];
    for await (const chunk of readTrustHistoryChunks(clone, commit, 'docs/reports', undefined, 700 * 1024)) {
      const bytes = chunk.flatMap((c) => c.changes).reduce((n, ch) => n + (ch.after?.length ?? 0), 0);
      expect(bytes).toBeLessThanOrEqual(700 * 1024);
      pieces.push(...chunk);
    }
    const planting = pieces.filter((c) => c.commit === plant).flatMap((c) => c.changes);
    expect(planting.map((ch) => ch.path)).toEqual(days);
    expect(planting.filter((ch) => ch.after !== undefined).map((ch) => ch.path)).toEqual(days.slice(0, 2));

    const found = await check();
    expect(found.code, found.out).toBe(1);
    const unread = found.findings.filter((f) => /is the same blob as .* and was not read/.test(f.message));
    expect(unread.map((f) => f.code)).toEqual(Array(38).fill('CHECK_SIGNATURE_INVALID'));
    expect(unread.map((f) => f.path).sort()).toEqual(days.slice(2));
    expect(unread[0]!.message).toContain(`the same blob as ${days[0]!}`);
    // run 101's day and its signed record are untouched by the planted logs
    expect(found.findings.filter((f) => (f.path ?? '').startsWith(DIR))).toEqual([]);
  });
});

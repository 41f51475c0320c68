// The attacks of issue 14 on a signed ledger in real git (a bare remote and clones), made the way a
// pusher would make them, read back out of git and audited. Each is also run through today's
// `check` (src/app/check.ts): it catches the forged-trailer attack (the merge rule over history)
// and the non-JSON intermediate (compared with the last readable state); a force-push is seen only
// by a clone that witnessed the old head (test/integration/readers/); the queue branch is not its business.
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkLedger } from '../../../src/app/check.js';
import { auditLedgerTrust, type TrustWitness } from '../../../src/core/ledger-trust/audit.js';
import { decideQueuedTransition } from '../../../src/core/ledger-trust/queue-gate.js';
import { serializeManifest, type LedgerEntry } from '../../../src/core/ledger/entry.js';
import { buildVerdictEntry } from '../../../src/core/validate/validate-plan.js';
import { cloneRemote, commitFiles, createRemote, git, makeTempDir } from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';
import { readTrustDays, readTrustHistory, readTrustWitness } from '../../support/trust-git.js';
import {
  keyMaterial,
  keyPolicy,
  makeTestKey,
  makeVsa,
  SignedLedger,
  type TestKey,
} from '../../support/trust-ledger.js';

const provenanceKey = makeTestKey();
const validateKey = makeTestKey('p256');
const policy = keyPolicy({ record: [provenanceKey], update: [provenanceKey], verdict: [validateKey] });
const material = keyMaterial(policy);
const DAY = 'docs/reports/2025-11-24/manifest.json';
const LOG = 'docs/reports/2025-11-24/transitions.jsonl';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function trailers(entry: Pick<LedgerEntry, 'tag' | 'run_id'>, dayText: string): string {
  return `Provenance-Run-Id: ${entry.run_id}\nProvenance-Tag: ${entry.tag}\nManifest-Path: ${DAY}\nManifest-Sha256: ${sha256(dayText)}`;
}

let tmp: { path: string; cleanup(): Promise<void> };
let remote: string;
let writer: string;
let ledger: SignedLedger;
let pushed = 0;

/** Writes what the in-memory signed ledger committed since the last call as real commits, and pushes. */
async function push(subjectEntry?: Pick<LedgerEntry, 'tag' | 'run_id'>): Promise<void> {
  for (const c of ledger.history.slice(pushed)) {
    const files = Object.fromEntries(c.changes.map((ch) => [ch.path, ch.after ?? '']));
    const day = files[DAY] ?? ledger.files.get(DAY)!;
    const entries = JSON.parse(day) as LedgerEntry[];
    const e = subjectEntry ?? entries[entries.length - 1]!;
    await commitFiles(
      writer,
      files,
      `provenance: record ${e.tag} (run ${e.run_id}, success)\n\n${trailers(e, day)}`,
    );
  }
  pushed = ledger.history.length;
  await git(writer, ['push', '-q', 'origin', 'HEAD:main']);
}

async function write(
  entry: LedgerEntry,
  key: TestKey,
  options: Parameters<SignedLedger['write']>[2] = {},
): Promise<void> {
  const w = await ledger.write(entry, key.signer, options);
  await push(w.entry);
}

async function audit(witness?: TrustWitness) {
  const reader = join(tmp.path, `reader-${Math.random().toString(16).slice(2)}`);
  await cloneRemote(remote, reader);
  return auditLedgerTrust({
    days: await readTrustDays(reader, 'origin/main'),
    history: await readTrustHistory(reader, 'origin/main'),
    policy,
    material,
    location: ledger.location,
    ...(witness === undefined ? {} : { witness }),
  });
}

async function todaysCheck(): Promise<string[]> {
  const reader = join(tmp.path, `check-${Math.random().toString(16).slice(2)}`);
  await cloneRemote(remote, reader);
  const result = await checkLedger({ repoDir: reader, ref: 'origin/main' });
  return result.findings.map((f) => f.code);
}

beforeEach(async () => {
  tmp = await makeTempDir('slsa-ledger-trust-git-');
  remote = await createRemote(tmp.path);
  writer = await cloneRemote(remote, join(tmp.path, 'writer'));
  ledger = new SignedLedger();
  pushed = 0;
  await write(makeEntry({ governance_flag: 'provenance-ready' }), provenanceKey);
  await write(
    makeEntry({ run_id: 102, status: 'failure', artifact_url: null, failure_reason: 'upload timed out' }),
    provenanceKey,
  );
  const judged = buildVerdictEntry(ledger.entry('v1.2.3', 101)!, {
    passed: true,
    validatedAt: '2025-11-24T12:30:00Z',
  });
  await write(judged, validateKey, { writer: 'validate', vsa: makeVsa(judged) });
});

afterEach(async () => {
  await tmp.cleanup();
});

describe('attacks on a signed ledger in git', () => {
  it('a healthy signed ledger: no trust finding, and today check is clean too', async () => {
    const result = await audit();
    expect(result.findings).toEqual([]);
    expect(result.entries.map((e) => e.status)).toEqual(['verified', 'verified']);
    expect(await todaysCheck()).toEqual([]);
  });

  it('forged trailers with a rewritten sha', async () => {
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    const entries = (JSON.parse(ledger.files.get(DAY)!) as LedgerEntry[]).map((e) =>
      e.run_id === 102 ? { ...e, sha: 'b'.repeat(40) } : e,
    );
    const day = serializeManifest(entries);
    await commitFiles(
      attacker,
      { [DAY]: day },
      `provenance: record v1.2.3 (run 102, failure)\n\n${trailers({ tag: 'v1.2.3', run_id: 102 }, day)}`,
      { push: true },
    );
    // check applies the merge rule to history (issue 14 item 4): the trailers do not hide it
    expect(await todaysCheck()).toEqual(['CHECK_MERGE_RULE_BROKEN']);
    const result = await audit();
    expect(
      result.findings.map((f) => [f.code, f.run_id, f.commit === undefined ? 'head' : 'commit']),
    ).toEqual([
      ['CHECK_ENTRY_UNSIGNED', 102, 'commit'],
      ['CHECK_ENTRY_UNSIGNED', 102, 'head'],
    ]);
  });

  it('a foreign-run edit through a non-JSON intermediate', async () => {
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    await commitFiles(
      attacker,
      { [DAY]: 'not json\n' },
      `provenance: record v1.2.3 (run 101, success)\n\n${trailers({ tag: 'v1.2.3', run_id: 101 }, 'not json\n')}`,
    );
    const entries = (JSON.parse(ledger.files.get(DAY)!) as LedgerEntry[]).map((e) =>
      e.run_id === 102
        ? {
            ...e,
            status: 'success' as const,
            artifact_url: 'https://evil.example/app.tgz',
            failure_reason: undefined,
          }
        : e,
    );
    const day = serializeManifest(entries.map((e) => JSON.parse(JSON.stringify(e)) as LedgerEntry));
    await commitFiles(
      attacker,
      { [DAY]: day },
      `provenance: record v1.2.3 (run 101, success)\n\n${trailers({ tag: 'v1.2.3', run_id: 101 }, day)}`,
      { push: true },
    );
    // check compares with the last readable state, so the intermediate hides nothing
    expect(await todaysCheck()).toContain('CHECK_FOREIGN_RUN_CHANGED');
    const codes = (await audit()).findings.map((f) => [f.code, f.run_id ?? null]);
    expect(codes).toContainEqual(['CHECK_ENTRY_UNSIGNED', 102]);
    expect(codes.every(([c]) => c === 'CHECK_ENTRY_UNSIGNED')).toBe(true);
  });

  it('a force-push that drops a failed run', async () => {
    const witness = await readTrustWitness(writer, 'HEAD');
    // replay history without run 102: back to the first record, then redo the rest without it
    const first = (await git(writer, ['rev-list', '--reverse', 'HEAD'])).split('\n')[1]!;
    await git(writer, ['reset', '-q', '--hard', first]);
    const replay = new SignedLedger();
    await replay.write(makeEntry({ governance_flag: 'provenance-ready' }), provenanceKey.signer);
    const judged = buildVerdictEntry(replay.entry('v1.2.3', 101)!, {
      passed: true,
      validatedAt: '2025-11-24T12:30:00Z',
    });
    await replay.write(judged, validateKey.signer, { writer: 'validate', vsa: makeVsa(judged) });
    for (const c of replay.history.slice(1)) {
      const files = Object.fromEntries(c.changes.map((ch) => [ch.path, ch.after ?? '']));
      await commitFiles(
        writer,
        files,
        `provenance: record v1.2.3 (run 101, success)\n\n${trailers({ tag: 'v1.2.3', run_id: 101 }, files[DAY]!)}`,
      );
    }
    await git(writer, ['push', '-q', '--force', 'origin', 'HEAD:main']);
    expect(await todaysCheck()).toEqual([]); // unseen today
    expect((await audit()).findings).toEqual([]); // the replayed history is consistent in itself...
    const result = await audit(witness); // ...but not with what was verified before
    // both logs were replayed: the transitions (run 102's are gone) and the vsa (re-signed)
    expect(result.findings.map((f) => [f.code, f.path])).toEqual([
      ['CHECK_HISTORY_REWRITTEN', LOG],
      ['CHECK_HISTORY_REWRITTEN', 'docs/reports/2025-11-24/vsa.jsonl'],
    ]);
    expect(result.findings[0]!.message).toContain('dropped: v1.2.3 run 102');
  });

  it('a queue-branch injection is never landed', async () => {
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    await git(attacker, ['checkout', '-q', '--orphan', 'provenance-queue']);
    await git(attacker, ['rm', '-q', '-rf', '.']);
    const injected = {
      entry: {
        ...makeEntry({ run_id: 200, timestamp: '2025-11-24T14:00:00Z' }),
        governance_flag: 'validated',
        validation: { status: 'passed' as const, validated_at: '2025-11-24T14:00:00Z' },
      },
      reason: 'push refused',
      queued_at: '2025-11-24T14:00:00Z',
      attempts: 1,
    };
    await commitFiles(
      attacker,
      { 'docs/reports/2025-11-24/manifest-queue.json': `${JSON.stringify([injected], null, 2)}\n` },
      'queue',
    );
    await git(attacker, ['push', '-q', 'origin', 'provenance-queue']);
    // what flush reads from the queue branch
    const reader = await cloneRemote(remote, join(tmp.path, 'flusher'));
    const text = await git(reader, [
      'show',
      'origin/provenance-queue:docs/reports/2025-11-24/manifest-queue.json',
    ]);
    const items = JSON.parse(text) as { entry: LedgerEntry; transition?: unknown }[];
    const decisions = items.map((item) =>
      decideQueuedTransition({ item, current: undefined, policy, material, location: ledger.location }),
    );
    expect(decisions).toEqual([
      expect.objectContaining({ kind: 'untrusted', code: 'FLUSH_ENTRY_UNTRUSTED' }),
    ]);
    // and one signed by the provenance key with a validation block is refused too
    const forged = new SignedLedger();
    const w = await forged.write(injected.entry, provenanceKey.signer);
    const d = decideQueuedTransition({
      item: { entry: w.entry, transition: w.bundle },
      current: undefined,
      policy,
      material,
      location: ledger.location,
    });
    expect(d).toMatchObject({ kind: 'untrusted', code: 'FLUSH_ENTRY_UNTRUSTED' });
  });

  it('an unsigned entry and a verdict signed by the wrong kind of signer', async () => {
    await write(makeEntry({ run_id: 103, timestamp: '2025-11-24T13:00:00Z' }), provenanceKey, {
      unsigned: true,
    });
    const judged = buildVerdictEntry(ledger.entry('v1.2.3', 102)!, {
      passed: true,
      validatedAt: '2025-11-24T13:30:00Z',
    });
    await write(judged, provenanceKey, { writer: 'validate' });
    const result = await audit();
    expect(result.findings.map((f) => [f.code, f.run_id])).toEqual([
      ['CHECK_ENTRY_UNSIGNED', 103],
      ['CHECK_SIGNER_UNTRUSTED', 102],
      ['CHECK_ENTRY_UNSIGNED', 103],
    ]);
    expect(result.entries.map((e) => [e.run_id, e.status])).toEqual([
      [101, 'verified'],
      [102, 'untrusted'],
      [103, 'unsigned'],
    ]);
  });

  it('reads only commits after the witness when asked (incremental check)', async () => {
    const witness = await readTrustWitness(writer, 'HEAD');
    await write(makeEntry({ run_id: 104, timestamp: '2025-11-24T13:00:00Z' }), provenanceKey);
    const reader = join(tmp.path, 'incremental');
    await cloneRemote(remote, reader);
    const history = await readTrustHistory(reader, 'origin/main', witness.commit);
    expect(history).toHaveLength(1);
    const result = auditLedgerTrust({
      days: await readTrustDays(reader, 'origin/main'),
      history,
      witness,
      policy,
      material,
    });
    expect(result.findings).toEqual([]);
    await rm(reader, { recursive: true, force: true });
  });
});

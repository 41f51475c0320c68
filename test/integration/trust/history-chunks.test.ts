// `check` reads and audits the ledger's history in chunks of bounded bytes (a hostile history may
// rewrite a 32 MiB day file in every commit: holding every version at once ran out of memory). The
// chunks must add up to exactly the history the plain git reader of the tests sees, each chunk of
// several commits must stay within its byte budget, and the chunked audit must give the findings of
// the audit over the whole history.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  auditLedgerTrust,
  auditLedgerTrustChunked,
  type TrustCommit,
} from '../../../src/core/ledger-trust/audit.js';
import { serializeManifest, type LedgerEntry } from '../../../src/core/ledger/entry.js';
import { buildVerdictEntry } from '../../../src/core/validate/validate-plan.js';
import { HISTORY_CHUNK_BYTES, readTrustHistoryChunks } from '../../../src/io/ledger-trust-reader.js';
import { cloneRemote, commitFiles, createRemote, git, makeTempDir } from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';
import { readTrustDays, readTrustHistory } from '../../support/trust-git.js';
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
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

let tmp: { path: string; cleanup(): Promise<void> };
let remote: string;
let writer: string;
let ledger: SignedLedger;
let pushed = 0;

async function write(entry: LedgerEntry, key: TestKey, options: Parameters<SignedLedger['write']>[2] = {}) {
  const w = await ledger.write(entry, key.signer, options);
  for (const c of ledger.history.slice(pushed)) {
    const files = Object.fromEntries(c.changes.map((ch) => [ch.path, ch.after ?? '']));
    const day = files[DAY] ?? ledger.files.get(DAY)!;
    await commitFiles(
      writer,
      files,
      `provenance: record ${w.entry.tag} (run ${w.entry.run_id}, ${w.entry.status})\n\nProvenance-Run-Id: ${w.entry.run_id}\nProvenance-Tag: ${w.entry.tag}\nManifest-Path: ${DAY}\nManifest-Sha256: ${sha256(day)}`,
    );
  }
  pushed = ledger.history.length;
  await git(writer, ['push', '-q', 'origin', 'HEAD:main']);
}

async function collect(gen: AsyncIterable<TrustCommit[]>): Promise<TrustCommit[][]> {
  const chunks: TrustCommit[][] = [];
  for await (const c of gen) chunks.push(c);
  return chunks;
}

const textBytes = (commits: readonly TrustCommit[]): number =>
  commits.reduce(
    (n, c) => n + c.changes.reduce((m, ch) => m + (ch.before?.length ?? 0) + (ch.after?.length ?? 0), 0),
    0,
  );

beforeEach(async () => {
  tmp = await makeTempDir('slsa-ledger-history-chunks-');
  remote = await createRemote(tmp.path);
  writer = await cloneRemote(remote, join(tmp.path, 'writer'));
  ledger = new SignedLedger();
  pushed = 0;
  for (let i = 0; i < 6; i++) await write(makeEntry({ run_id: 101 + i }), provenanceKey);
  const judged = buildVerdictEntry(ledger.entry('v1.2.3', 101)!, {
    passed: true,
    validatedAt: '2025-11-24T12:30:00Z',
  });
  await write(judged, validateKey, { writer: 'validate', vsa: makeVsa(judged) });
  // a pusher's unsigned edit in the middle of history, then more signed records on top
  const entries = (JSON.parse(ledger.files.get(DAY)!) as LedgerEntry[]).map((e) =>
    e.run_id === 102 ? { ...e, sha: 'b'.repeat(40) } : e,
  );
  await commitFiles(writer, { [DAY]: serializeManifest(entries) }, 'edit run 102');
  await git(writer, ['push', '-q', 'origin', 'HEAD:main']);
});

afterEach(async () => {
  await tmp.cleanup();
});

describe('check reads history in bounded chunks', () => {
  it('the chunks add up to the history, each of several commits within its budget', async () => {
    const reader = await cloneRemote(remote, join(tmp.path, 'reader'));
    const head = await git(reader, ['rev-parse', 'origin/main']);
    const whole = await readTrustHistory(reader, head);
    expect(whole.length).toBeGreaterThanOrEqual(8);
    for (const budget of [1, 4_000, 20_000, HISTORY_CHUNK_BYTES]) {
      const chunks = await collect(readTrustHistoryChunks(reader, head, 'docs/reports', undefined, budget));
      expect(chunks.flat(), `budget ${budget}`).toEqual(whole);
      for (const c of chunks) {
        expect(c.length).toBeGreaterThan(0);
        if (c.length > 1) expect(textBytes(c), `budget ${budget}`).toBeLessThanOrEqual(budget);
      }
      if (budget === 1) expect(chunks.map((c) => c.length)).toEqual(whole.map(() => 1));
      if (budget === HISTORY_CHUNK_BYTES) expect(chunks).toHaveLength(1);
    }
    // after a witnessed commit: the commits since, chunked the same way
    const since = await git(reader, ['rev-parse', 'origin/main~3']);
    expect((await collect(readTrustHistoryChunks(reader, head, 'docs/reports', since, 1))).flat()).toEqual(
      await readTrustHistory(reader, head, since),
    );
  });

  it('the chunked audit finds what the audit over the whole history finds', async () => {
    const reader = await cloneRemote(remote, join(tmp.path, 'reader'));
    const head = await git(reader, ['rev-parse', 'origin/main']);
    const input = { days: await readTrustDays(reader, head), policy, material, location: ledger.location };
    const whole = auditLedgerTrust({ ...input, history: await readTrustHistory(reader, head) });
    expect(whole.findings.map((f) => f.code)).toContain('CHECK_ENTRY_UNSIGNED');
    for (const budget of [1, 4_000, HISTORY_CHUNK_BYTES]) {
      const chunked = await auditLedgerTrustChunked(
        input,
        readTrustHistoryChunks(reader, head, 'docs/reports', undefined, budget),
      );
      expect(chunked, `budget ${budget}`).toEqual(whole);
    }
  });
});
